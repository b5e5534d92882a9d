#include "util/heap.h"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>

namespace dhg {

void UseHugePagesForHeap(size_t reserve) {
  constexpr uintptr_t kHugePage = uintptr_t{2} << 20;
  // Blocks of 128 KiB and more are otherwise mapped one by one, in small
  // pages (a 10 MB build.ninja), and given back to the kernel when freed.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's largest
  // Each growth of the heap asks for `reserve` more than it needs, and a free
  // at its top keeps that much rather than shrinking the heap.
  mallopt(M_TOP_PAD, static_cast<int>(reserve));
  mallopt(M_TRIM_THRESHOLD, static_cast<int>(2 * reserve));
  auto start = reinterpret_cast<uintptr_t>(sbrk(0));
  // More than the heap's free top holds, so that it grows now (volatile: a
  // compiler may drop a malloc whose block is only freed).
  void* volatile grow = malloc(256 << 10);
  free(grow);
  auto end = reinterpret_cast<uintptr_t>(sbrk(0));
  uintptr_t aligned = (start + kHugePage - 1) & ~(kHugePage - 1);
  if (end > aligned) madvise(reinterpret_cast<void*>(aligned), end - aligned, MADV_HUGEPAGE);
}

}  // namespace dhg
