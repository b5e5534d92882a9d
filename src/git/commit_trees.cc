// TreeStore and CommitTreeView (commit_trees.h): trees come from libgit2 once
// each, then every lookup is in memory.
#include "git/commit_trees.h"

#include <algorithm>

#include "git/tree_paths.h"

namespace dhg::git {

TreeStore::StoredTree& TreeStore::Load(const git_oid& id) {
  auto cached = trees_.find(id);
  if (cached != trees_.end()) return *cached->second;
  git_tree* raw = nullptr;
  Check(Git().git_tree_lookup(&raw, repo_, &id), "cannot read git tree " + OidHex(id));
  TreePtr tree(raw);
  auto parsed = std::make_unique<StoredTree>();
  size_t count = Git().git_tree_entrycount(tree.get());
  parsed->entries.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    const git_tree_entry* entry = Git().git_tree_entry_byindex(tree.get(), i);
    parsed->entries.push_back(Entry{Git().git_tree_entry_name(entry),
                                    static_cast<unsigned>(Git().git_tree_entry_filemode(entry)),
                                    *Git().git_tree_entry_id(entry)});
  }
  return *trees_.emplace(id, std::move(parsed)).first->second;
}

const TreeStore::Tree& TreeStore::Get(const git_oid& id) { return Load(id).entries; }

const TreeStore::Entry* TreeStore::Find(const git_oid& id, std::string_view name) {
  StoredTree& tree = Load(id);
  const Tree& entries = tree.entries;
  // Small trees are searched in place, large ones through an index sorted by
  // name: not by bisecting the entries, whose git order is not name order (a
  // folder sorts as if its name ended in '/') and need not hold at all in a
  // tree another tool wrote.
  constexpr size_t kSearchedInPlace = 16;
  if (entries.size() <= kSearchedInPlace) {
    for (const Entry& entry : entries)
      if (entry.name == name) return &entry;
    return nullptr;
  }
  if (tree.by_name.empty()) {
    tree.by_name.resize(entries.size());
    for (uint32_t i = 0; i < entries.size(); ++i) tree.by_name[i] = i;
    std::stable_sort(tree.by_name.begin(), tree.by_name.end(),
                     [&](uint32_t a, uint32_t b) { return entries[a].name < entries[b].name; });
  }
  auto found = std::lower_bound(tree.by_name.begin(), tree.by_name.end(), name,
                                [&](uint32_t index, std::string_view key) { return entries[index].name < key; });
  return found != tree.by_name.end() && entries[*found].name == name ? &entries[*found] : nullptr;
}

std::optional<git_oid> TreeStore::ResolveDir(const git_oid& root, const std::string& path) {
  git_oid current = root;
  size_t start = 0;
  while (start < path.size()) {
    size_t end = std::min(path.find('/', start), path.size());
    const Entry* entry = Find(current, std::string_view(path).substr(start, end - start));
    if (!entry || entry->mode != GIT_FILEMODE_TREE) return std::nullopt;
    current = entry->id;
    start = end + 1;
  }
  return current;
}

void TreeStore::AppendFiles(const git_oid& id, const std::string& prefix, std::vector<FileEntry>& out) {
  for (const Entry& entry : Get(id)) {
    if (entry.mode == GIT_FILEMODE_TREE) {
      AppendFiles(entry.id, prefix + entry.name + "/", out);
    } else if (entry.mode != GIT_FILEMODE_COMMIT) {  // submodules hold no files of ours
      out.push_back(FileEntry{prefix + entry.name, entry.mode, OidHex(entry.id)});
    }
  }
}

void TreeStore::AppendDirs(const git_oid& id, const std::string& dir, std::vector<std::string>& out) {
  out.push_back(dir);
  for (const Entry& entry : Get(id))
    if (entry.mode == GIT_FILEMODE_TREE) AppendDirs(entry.id, JoinPath(dir, entry.name), out);
}

std::string TreeStore::ReadBlob(const git_oid& id) {
  git_blob* raw = nullptr;
  Check(Git().git_blob_lookup(&raw, repo_, &id), "cannot read git blob " + OidHex(id));
  BlobPtr blob(raw);
  return std::string(static_cast<const char*>(Git().git_blob_rawcontent(blob.get())),
                     static_cast<size_t>(Git().git_blob_rawsize(blob.get())));
}

std::vector<FileEntry> CommitTreeView::List(std::string_view dir) {
  std::optional<std::string> clean = CleanPath(dir);
  std::optional<git_oid> id = clean ? store_.ResolveDir(root_, *clean) : std::nullopt;
  if (!id) return {};
  std::vector<FileEntry> files;
  store_.AppendFiles(*id, clean->empty() ? "" : *clean + "/", files);
  SortByPath(files);
  return files;
}

std::vector<std::string> CommitTreeView::ListDirs(std::string_view dir) {
  std::optional<std::string> clean = CleanPath(dir);
  std::optional<git_oid> id = clean ? store_.ResolveDir(root_, *clean) : std::nullopt;
  if (!id) return {};
  std::vector<std::string> dirs;
  store_.AppendDirs(*id, *clean, dirs);
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

std::vector<std::string> CommitTreeView::ListSubdirs(std::string_view dir) {
  std::optional<std::string> clean = CleanPath(dir);
  std::optional<git_oid> id = clean ? store_.ResolveDir(root_, *clean) : std::nullopt;
  if (!id) return {};
  std::vector<std::string> subdirs;
  for (const TreeStore::Entry& entry : store_.Get(*id))
    if (entry.mode == GIT_FILEMODE_TREE) subdirs.push_back(JoinPath(*clean, entry.name));
  std::sort(subdirs.begin(), subdirs.end());
  return subdirs;
}

std::optional<std::string> CommitTreeView::Read(std::string_view path) {
  const TreeStore::Entry* entry = FileEntryAt(path);
  if (!entry) return std::nullopt;
  return store_.ReadBlob(entry->id);
}

bool CommitTreeView::IsFile(std::string_view path) { return FileEntryAt(path) != nullptr; }

bool CommitTreeView::IsDir(std::string_view path) {
  std::optional<std::string> clean = CleanPath(path);
  return clean && store_.ResolveDir(root_, *clean).has_value();
}

std::string CommitTreeView::SubtreeId(std::string_view dir) {
  std::optional<std::string> clean = CleanPath(dir);
  std::optional<git_oid> id = clean ? store_.ResolveDir(root_, *clean) : std::nullopt;
  return id ? OidHex(*id) : "";
}

const TreeStore::Entry* CommitTreeView::FileEntryAt(std::string_view path) {
  std::optional<std::string> clean = CleanPath(path);
  if (!clean || clean->empty()) return nullptr;
  std::optional<git_oid> parent = store_.ResolveDir(root_, ParentOf(*clean));
  if (!parent) return nullptr;
  size_t slash = clean->rfind('/');
  std::string_view name = slash == std::string::npos ? *clean : std::string_view(*clean).substr(slash + 1);
  const TreeStore::Entry* entry = store_.Find(*parent, name);
  if (!entry || entry->mode == GIT_FILEMODE_TREE || entry->mode == GIT_FILEMODE_COMMIT) return nullptr;
  return entry;
}

}  // namespace dhg::git
