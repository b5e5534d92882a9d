#include "util/heap.h"

#include <malloc.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstdlib>

namespace dhg {
namespace {

bool AddressSpaceIsLimited() {
  for (int resource : {RLIMIT_AS, RLIMIT_DATA}) {
    struct rlimit limit {};
    if (getrlimit(resource, &limit) != 0 || limit.rlim_cur != RLIM_INFINITY) return true;
  }
  return false;
}

}  // namespace

void UseHugePagesForHeap(size_t reserve) {
  // Under `ulimit -v` (or -d) the reserve could take what the run needs.
  if (AddressSpaceIsLimited()) return;
  constexpr uintptr_t kHugePage = uintptr_t{2} << 20;
  constexpr size_t kDefaultTopPad = 128 << 10;  // glibc's
  reserve = std::min<size_t>(reserve, INT_MAX / 2);
  // Blocks of 128 KiB and more are otherwise mapped one by one, in small
  // pages (a 10 MB build.ninja), and given back to the kernel when freed.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's largest
  // A free at the top of the heap keeps the reserve rather than shrinking it.
  mallopt(M_TRIM_THRESHOLD, static_cast<int>(2 * reserve));
  // The heap's next growth asks for `reserve` more than it needs; make it
  // happen now (volatile: a compiler may drop a malloc whose block is only
  // freed), then let later growths be as usual.
  mallopt(M_TOP_PAD, static_cast<int>(reserve));
  auto start = reinterpret_cast<uintptr_t>(sbrk(0));
  void* volatile grow = malloc(256 << 10);
  free(grow);
  auto end = reinterpret_cast<uintptr_t>(sbrk(0));
  mallopt(M_TOP_PAD, static_cast<int>(kDefaultTopPad));
  uintptr_t aligned = (start + kHugePage - 1) & ~(kHugePage - 1);
  if (end > aligned) madvise(reinterpret_cast<void*>(aligned), end - aligned, MADV_HUGEPAGE);
}

}  // namespace dhg
