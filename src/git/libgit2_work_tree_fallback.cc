// Libgit2WorkTreeFallback (see the header): ignore rules and index entries
// from libgit2, in the working tree's own types.
#include "git/libgit2_work_tree_fallback.h"

#include <algorithm>
#include <cstdint>

namespace dhg::git {

bool Libgit2WorkTreeFallback::IsIgnored(const std::string& path, bool is_dir) {
  int ignored = 0;
  std::string query = is_dir ? path + "/" : path;
  Check(Git().git_ignore_path_is_ignored(&ignored, repo_(), query.c_str()),
        "cannot evaluate the ignore rules for " + work_dir_ + "/" + path);
  return ignored != 0;
}

std::vector<IndexEntry> Libgit2WorkTreeFallback::ReadIndex(const std::string& index_path) {
  git_index* raw = nullptr;
  Check(Git().git_index_open(&raw, index_path.c_str()), "cannot read " + index_path);
  IndexPtr index(raw);
  size_t count = Git().git_index_entrycount(index.get());
  std::vector<IndexEntry> entries;
  entries.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    const git_index_entry* entry = Git().git_index_get_byindex(index.get(), i);
    IndexEntry& ours = entries.emplace_back();
    ours.path = entry->path;
    // The index stores the seconds in 32 bits, libgit2 as signed ones.
    ours.ctime_seconds = static_cast<uint32_t>(entry->ctime.seconds);
    ours.ctime_nanoseconds = entry->ctime.nanoseconds;
    ours.mtime_seconds = static_cast<uint32_t>(entry->mtime.seconds);
    ours.mtime_nanoseconds = entry->mtime.nanoseconds;
    ours.dev = entry->dev;
    ours.ino = entry->ino;
    ours.mode = entry->mode;
    ours.uid = entry->uid;
    ours.gid = entry->gid;
    ours.size = entry->file_size;
    std::copy(entry->id.id, entry->id.id + GIT_OID_RAWSZ, ours.id.begin());
    ours.stage = Git().git_index_entry_stage(entry);
    ours.intent_to_add = (entry->flags_extended & GIT_INDEX_ENTRY_INTENT_TO_ADD) != 0;
  }
  return entries;
}

}  // namespace dhg::git
