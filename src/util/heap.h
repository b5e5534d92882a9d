// The heap of a large run in transparent huge pages (2 MiB), where the kernel
// allows them on request (`madvise` mode, the default of Debian and Ubuntu).
//
// A generation at 1,000 nodes touches about 70 MB of fresh heap, a page fault
// for every 4 KiB: 18,900 faults, a third of a one-file-changed run on a VM
// (docs/PERFORMANCE.md). Growing the heap in one step and asking for huge
// pages for it leaves 1,000 to 2,000. Where the kernel gives no huge pages
// (`never`), this changes nothing but the heap's growth steps.
#pragma once
#include <cstddef>

namespace dhg {

// Call once, early, in a command that will allocate a lot: grows the heap by
// `reserve` bytes of address space (touched only as used), asks for huge pages
// there, and serves large blocks from the heap too so that they are covered.
void UseHugePagesForHeap(size_t reserve = size_t{128} << 20);

}  // namespace dhg
