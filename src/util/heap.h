// The heap of a large run in transparent huge pages (2 MiB), where the kernel
// allows them on request (`madvise` mode, the default of Debian and Ubuntu).
//
// A generation at 1,000 nodes touches about 70 MB of fresh heap, a page fault
// for every 4 KiB: 18,900 faults, a third of a one-file-changed run on a VM
// (docs/PERFORMANCE.md). Growing the heap once by a large step and asking for
// huge pages there leaves 1,000 to 2,000. Where the kernel gives no huge
// pages (`never`), the heap has only grown early. Nothing is done when the
// address space is limited (`ulimit -v` or `-d`): the step could take what
// the run needs.
#pragma once
#include <cstddef>

namespace dhg {

// Call once, early, in a command that will allocate a lot: grows the heap by
// `reserve` bytes of address space (touched only as used; later growths are
// as usual), asks for huge pages there, and serves blocks up to 32 MB from the
// heap too so that they are covered while it lasts.
void UseHugePagesForHeap(size_t reserve = size_t{128} << 20);

}  // namespace dhg
