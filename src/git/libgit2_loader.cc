// libgit2 opened with dlopen at the first call of Git() (see the header for why).
#include "git/libgit2_loader.h"

#include <dlfcn.h>

#include <stdexcept>

namespace dhg::git {

const Libgit2& Git() {
  static const Libgit2 loaded = [] {
    const std::string library = "libgit2.so." LIBGIT2_SOVERSION;  // the version git2.h is of
    void* handle = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) throw std::runtime_error(std::string("cannot load ") + dlerror());
    Libgit2 table;
#define DHG_RESOLVE(name)                                                    \
  table.name = reinterpret_cast<decltype(table.name)>(dlsym(handle, #name)); \
  if (!table.name) throw std::runtime_error("cannot load " + library + ": it has no " #name);
    DHG_LIBGIT2_FUNCTIONS(DHG_RESOLVE)
#undef DHG_RESOLVE
    if (table.git_libgit2_init() < 0) throw std::runtime_error("cannot initialise libgit2");
    // Pack windows are mapped memory that counts in the resident set, and
    // trees are parsed once into the TreeStore (libgit2's object cache would
    // keep a second copy): together 14 MB less peak RSS on a 1 GB pack.
    table.git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, static_cast<size_t>(32) << 20);
    table.git_libgit2_opts(GIT_OPT_ENABLE_CACHING, 0);
    return table;
  }();
  return loaded;
}

void ThrowGitError(const std::string& what) {
  const git_error* error = Git().git_error_last();
  throw std::runtime_error(what + ": " + (error && error->message ? error->message : "unknown libgit2 error"));
}

}  // namespace dhg::git
