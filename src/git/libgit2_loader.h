// libgit2, loaded on first use, and owners of its objects. The program is not
// linked with it: loading it and the libraries it brings (TLS, SSH, Kerberos:
// 16 in all) cost 8 ms at every start, more than a warm generation of a small
// stack, for runs that need nothing of it (warm generation, every build step).
// Every call goes through Git()'s table, whose types come from git2.h.
#pragma once
#include <git2.h>

#include <memory>
#include <string>
#include <string_view>

#include "util/hash.h"

namespace dhg::git {

// Every libgit2 function the program calls (the unit tests call more: they
// link the library).
// clang-format off
#define DHG_LIBGIT2_FUNCTIONS(X) \
  X(git_blob_free) X(git_blob_lookup) X(git_blob_rawcontent) X(git_blob_rawsize) \
  X(git_commit_free) X(git_commit_id) X(git_commit_lookup) X(git_commit_parent_id) X(git_commit_parentcount) \
  X(git_commit_time) X(git_commit_tree_id) \
  X(git_error_last) \
  X(git_ignore_path_is_ignored) \
  X(git_index_entry_stage) X(git_index_entrycount) X(git_index_free) X(git_index_get_byindex) X(git_index_open) \
  X(git_libgit2_init) X(git_libgit2_opts) \
  X(git_object_free) X(git_object_peel) \
  X(git_oid_fromstr) \
  X(git_reference_free) X(git_reference_lookup) X(git_reference_name_to_id) X(git_reference_symbolic_target) \
  X(git_reference_type) \
  X(git_remote_free) X(git_remote_lookup) X(git_remote_url) \
  X(git_repository_commondir) X(git_repository_free) X(git_repository_is_bare) X(git_repository_is_shallow) \
  X(git_repository_open_ext) X(git_repository_path) X(git_repository_workdir) \
  X(git_revparse_single) \
  X(git_revwalk_free) X(git_revwalk_new) X(git_revwalk_next) X(git_revwalk_push_head) X(git_revwalk_sorting) \
  X(git_tree_entry_byindex) X(git_tree_entry_filemode) X(git_tree_entry_id) X(git_tree_entry_name) \
  X(git_tree_entrycount) X(git_tree_free) X(git_tree_lookup)
// clang-format on

// A table of libgit2's functions, typed from git2.h.
struct Libgit2 {
#define DHG_DECLARE(name) decltype(&::name) name = nullptr;
  DHG_LIBGIT2_FUNCTIONS(DHG_DECLARE)
#undef DHG_DECLARE
};

// libgit2's functions; the first call loads and initialises the library
// (throws std::runtime_error when it cannot).
const Libgit2& Git();

// Owners of libgit2 objects, freed through the table.
template <typename T, auto Free>
struct Freer {
  void operator()(T* object) const { (Git().*Free)(object); }
};
template <typename T, auto Free>
using Owned = std::unique_ptr<T, Freer<T, Free>>;

using RepositoryPtr = Owned<git_repository, &Libgit2::git_repository_free>;
using IndexPtr = Owned<git_index, &Libgit2::git_index_free>;
using TreePtr = Owned<git_tree, &Libgit2::git_tree_free>;
using CommitPtr = Owned<git_commit, &Libgit2::git_commit_free>;
using BlobPtr = Owned<git_blob, &Libgit2::git_blob_free>;
using ObjectPtr = Owned<git_object, &Libgit2::git_object_free>;
using ReferencePtr = Owned<git_reference, &Libgit2::git_reference_free>;
using RemotePtr = Owned<git_remote, &Libgit2::git_remote_free>;
using RevwalkPtr = Owned<git_revwalk, &Libgit2::git_revwalk_free>;

// Throws std::runtime_error with `what` and libgit2's last error message.
[[noreturn]] void ThrowGitError(const std::string& what);

// For libgit2's return codes: negative ones are errors.
inline void Check(int rc, const std::string& what) {
  if (rc < 0) ThrowGitError(what);
}

// An object id in hex (40 characters).
inline std::string OidHex(const git_oid& id) {
  return BytesToHex(std::string_view(reinterpret_cast<const char*>(id.id), GIT_OID_RAWSZ));
}

}  // namespace dhg::git
