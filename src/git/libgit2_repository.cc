// Repository on top of libgit2 (the only file that includes it).
// The working tree is read from disk, with blob ids taken from the index
// wherever the stat data prove them current, as `git status` does. Commit
// trees are parsed once per tree id and shared by every commit, so a subtree
// that did not change between commits is never read twice.
#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <git2.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <queue>
#include <set>
#include <span>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "git/index_file.h"
#include "git/repository.h"
#include "git/repository_files.h"
#include "util/files.h"
#include "util/hash.h"

namespace dhg::git {
namespace {

// --- RAII for libgit2 objects ---------------------------------------------

// --- libgit2, loaded on first use ---------------------------------------------

// The program is not linked with libgit2: loading it and the libraries it
// brings (TLS, SSH, Kerberos: 16 in all) cost 8 ms at every start, more than a
// warm generation of a small stack, for runs that need nothing of it (warm
// generation, every build step). It is opened with dlopen when first needed,
// and every call goes through this table, whose types come from git2.h.
#define DHG_LIBGIT2_FUNCTIONS(X)                                                                                      \
  X(git_blob_free)                                                                                                    \
  X(git_blob_lookup) X(git_blob_rawcontent) X(git_blob_rawsize) X(git_commit_free) X(git_commit_id)                   \
      X(git_commit_lookup) X(git_commit_parent_id) X(git_commit_parentcount) X(git_commit_time) X(git_commit_tree_id) \
          X(git_error_last) X(git_ignore_path_is_ignored) X(git_index_entry_stage) X(git_index_entrycount)            \
              X(git_index_free) X(git_index_get_byindex) X(git_index_open) X(git_libgit2_init) X(git_libgit2_opts)    \
                  X(git_object_free) X(git_object_peel) X(git_oid_fromstr) X(git_reference_free)                      \
                      X(git_reference_lookup) X(git_reference_name_to_id) X(git_reference_symbolic_target)            \
                          X(git_reference_type) X(git_remote_free) X(git_remote_lookup) X(git_remote_url)             \
                              X(git_repository_commondir) X(git_repository_free) X(git_repository_is_bare)            \
                                  X(git_repository_is_shallow) X(git_repository_open_ext) X(git_repository_path)      \
                                      X(git_repository_workdir) X(git_revparse_single) X(git_revwalk_free)            \
                                          X(git_revwalk_new) X(git_revwalk_next) X(git_revwalk_push_head)             \
                                              X(git_revwalk_sorting) X(git_tree_entry_byindex)                        \
                                                  X(git_tree_entry_filemode) X(git_tree_entry_id)                     \
                                                      X(git_tree_entry_name) X(git_tree_entrycount) X(git_tree_free)  \
                                                          X(git_tree_lookup)

struct Libgit2 {
#define DHG_DECLARE(name) decltype(&::name) name = nullptr;
  DHG_LIBGIT2_FUNCTIONS(DHG_DECLARE)
#undef DHG_DECLARE
};

// libgit2's functions; the first call loads and initialises the library.
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

// --- RAII for libgit2 objects ---------------------------------------------

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

struct DirCloser {
  void operator()(DIR* dir) const { closedir(dir); }
};

[[noreturn]] void ThrowGitError(const std::string& what) {
  const git_error* error = Git().git_error_last();
  throw std::runtime_error(what + ": " + (error && error->message ? error->message : "unknown libgit2 error"));
}

void Check(int rc, const std::string& what) {
  if (rc < 0) ThrowGitError(what);
}

[[noreturn]] void ThrowErrno(const std::string& what) { throw std::runtime_error(what + ": " + std::strerror(errno)); }

// Without libgit2's git_oid_tostr: a warm run formats ids from the index.
std::string Hex(const git_oid& id) {
  return BytesToHex(std::string_view(reinterpret_cast<const char*>(id.id), GIT_OID_RAWSZ));
}

std::string WithoutTrailingSlash(const char* path) {
  std::string result = path ? path : "";
  while (result.size() > 1 && result.back() == '/') result.pop_back();
  return result;
}

// --- paths -----------------------------------------------------------------

// The canonical form of a tree path ("" for the root), or nullopt when the
// path cannot name anything in a tree: absolute, with empty, ".", ".." or
// ".git" components. A leading "./" and trailing '/' are tolerated.
std::optional<std::string> CleanPath(std::string_view path) {
  while (path.starts_with("./")) path.remove_prefix(2);
  while (path.ends_with('/')) path.remove_suffix(1);
  if (path.empty() || path == ".") return std::string();
  if (path.starts_with('/')) return std::nullopt;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = std::min(path.find('/', start), path.size());
    std::string_view component = path.substr(start, end - start);
    if (component.empty() || component == "." || component == ".." || component == ".git") return std::nullopt;
    start = end + 1;
  }
  return std::string(path);
}

std::string Join(const std::string& dir, std::string_view name) {
  return dir.empty() ? std::string(name) : dir + "/" + std::string(name);
}

std::string ParentOf(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

void SortByPath(std::vector<FileEntry>& files) {
  auto by_path = [](const FileEntry& a, const FileEntry& b) { return a.path < b.path; };
  if (!std::is_sorted(files.begin(), files.end(), by_path)) std::sort(files.begin(), files.end(), by_path);
}

bool Exists(const std::string& path) {
  struct stat info;
  return lstat(path.c_str(), &info) == 0;
}

std::string ReadLink(const std::string& path, size_t size_hint) {
  std::string target(size_hint + 1, '\0');
  for (;;) {
    ssize_t length = readlink(path.c_str(), target.data(), target.size());
    if (length < 0) ThrowErrno("cannot read symlink " + path);
    if (static_cast<size_t>(length) < target.size()) {
      target.resize(length);
      return target;
    }
    target.resize(target.size() * 2);
  }
}

// Drops "user:password@" from http(s) URLs.
std::string WithoutCredentials(std::string url) {
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return url;
  std::string scheme = url.substr(0, scheme_end);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(), ::tolower);
  if (scheme != "http" && scheme != "https") return url;
  size_t authority = scheme_end + 3;
  size_t authority_end = std::min(url.find('/', authority), url.size());
  size_t at = url.rfind('@', authority_end - 1);
  if (at == std::string::npos || at < authority) return url;
  return url.erase(authority, at + 1 - authority);
}

// --- the working tree -------------------------------------------------------

// What the index recorded about a file when git last wrote it.
struct IndexedFile {
  git_index_time ctime;
  git_index_time mtime;
  uint32_t ino, uid, gid, size, mode;
  git_oid id;
  // False for conflicted and intent-to-add entries: tracked, but their id is
  // not the file's content.
  bool id_usable;
};

unsigned ModeOnDisk(const struct stat& info) {
  if (S_ISLNK(info.st_mode)) return kModeSymlink;
  return (info.st_mode & S_IXUSR) ? kModeExecutable : kModeFile;
}

bool SameTime(const git_index_time& recorded, const timespec& actual) {
  // The index stores seconds in 32 bits.
  return static_cast<uint32_t>(recorded.seconds) == static_cast<uint32_t>(actual.tv_sec) &&
         recorded.nanoseconds == static_cast<uint32_t>(actual.tv_nsec);
}

// The checks of git's ie_match_stat (with core.trustctime, git's default).
bool StatDataMatch(const IndexedFile& recorded, const struct stat& info) {
  return recorded.mode == ModeOnDisk(info) && recorded.size == static_cast<uint32_t>(info.st_size) &&
         recorded.ino == static_cast<uint32_t>(info.st_ino) && recorded.uid == info.st_uid &&
         recorded.gid == info.st_gid && SameTime(recorded.mtime, info.st_mtim) &&
         SameTime(recorded.ctime, info.st_ctim);
}

bool Earlier(const timespec& a, const timespec& b) {
  return a.tv_sec != b.tv_sec ? a.tv_sec < b.tv_sec : a.tv_nsec < b.tv_nsec;
}

class WorkTreeView final : public TreeView {
 public:
  // `repo` opens libgit2's repository when first called: only ignore rules
  // and indexes our reader does not know need it.
  WorkTreeView(std::function<git_repository*()> repo, std::string root, std::string git_dir)
      : repo_(std::move(repo)), root_(std::move(root)), git_dir_(std::move(git_dir)) {}

  std::vector<FileEntry> List(std::string_view dir) override {
    std::span<const FileEntry> files = FilesUnder(dir);
    return {files.begin(), files.end()};
  }

  std::optional<int64_t> NewestMtimeNs(std::string_view dir) override {
    std::optional<std::string> clean = CleanPath(dir);
    if (!clean || !IsDir(*clean)) return std::nullopt;
    return WalkedOnce(*clean).newest_mtime_ns;
  }

  void ForEachFile(std::string_view dir, const std::function<void(const FileEntry&)>& visit) override {
    for (const FileEntry& file : FilesUnder(dir)) visit(file);
  }

  std::vector<std::string> ListDirs(std::string_view dir) override {
    std::optional<std::string> clean = CleanPath(dir);
    if (!clean || !IsDir(*clean)) return {};
    const std::vector<std::string>& dirs = WalkedOnce(*clean).dirs;
    if (clean->empty()) return dirs;
    // `dir` itself, then its subdirectories (siblings like "dir-x" sort in between).
    std::vector<std::string> below = {*clean};
    below.insert(below.end(), std::lower_bound(dirs.begin(), dirs.end(), *clean + "/"),
                 std::lower_bound(dirs.begin(), dirs.end(), *clean + "0"));
    return below;
  }

  std::optional<std::string> Read(std::string_view path) override {
    std::optional<std::string> clean = CleanPath(path);
    if (!clean || clean->empty() || !IsDir(ParentOf(*clean))) return std::nullopt;
    struct stat info;
    if (lstat(Absolute(*clean).c_str(), &info) != 0) return std::nullopt;
    if (!S_ISREG(info.st_mode) && !S_ISLNK(info.st_mode)) return std::nullopt;
    LoadIndexOnce();
    if (!Indexed(*clean) && IsIgnored(*clean, false)) return std::nullopt;
    if (S_ISLNK(info.st_mode)) return ReadLink(Absolute(*clean), info.st_size);
    return ReadFile(Absolute(*clean));
  }

  // A directory on disk that git would look into: not ignored (unless it
  // holds tracked files), not a submodule or nested repository, nor inside one.
  bool IsDir(std::string_view path) override {
    std::optional<std::string> clean = CleanPath(path);
    if (!clean) return false;
    // Within a walk, what it saw: one state of the tree, and no stat per level.
    if (const Snapshot* walked = WalkCovering(*clean))
      return std::binary_search(walked->dirs.begin(), walked->dirs.end(), *clean);
    struct stat info;
    if (lstat(Absolute(*clean).c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) return false;
    LoadIndexOnce();
    for (std::string dir = *clean; !dir.empty(); dir = ParentOf(dir)) {
      if (IsOtherRepository(dir)) return false;
    }
    return clean->empty() || !IsExcludedDir(*clean);
  }

  // The id git would give the folder if its files, as listed, were committed
  // (`git add` and `git write-tree`): equal to a commit's SubtreeId exactly
  // when the content is. Empty for a folder without files, as in a commit.
  std::string SubtreeId(std::string_view dir) override {
    std::optional<std::string> clean = CleanPath(dir);
    std::span<const FileEntry> files = FilesUnder(dir);
    if (files.empty()) return "";
    return BytesToHex(TreeIdOf(files, clean->empty() ? 0 : clean->size() + 1));
  }

 private:
  // The files under `dir`, sorted, as a part of the walk.
  std::span<const FileEntry> FilesUnder(std::string_view dir) {
    std::optional<std::string> clean = CleanPath(dir);
    if (!clean || !IsDir(*clean)) return {};
    const std::vector<FileEntry>& files = WalkedOnce(*clean).files;
    if (clean->empty()) return files;
    auto at = [&](const std::string& bound) {
      return std::lower_bound(files.begin(), files.end(), bound,
                              [](const FileEntry& file, const std::string& path) { return file.path < path; });
    };
    // Everything under "dir/" sorts between "dir/" and "dir0" ('0' follows '/').
    return {at(*clean + "/"), at(*clean + "0")};
  }

  // The git tree id (20 bytes) of `files`, whose paths all start with the same folder of
  // `prefix_length` characters (with its '/'). Paths sorted bytewise are in
  // git's order of tree entries (a folder sorts as its name with a '/'), and
  // the files of one subfolder are next to each other.
  static std::string TreeIdOf(std::span<const FileEntry> files, size_t prefix_length) {
    std::string tree;
    auto append_entry = [&](unsigned mode, std::string_view name, std::string_view raw_id) {
      char octal[16];
      std::snprintf(octal, sizeof octal, "%o ", mode);
      tree += octal;
      tree += name;
      tree += '\0';
      tree += raw_id;
    };
    for (size_t i = 0; i < files.size();) {
      const std::string& path = files[i].path;
      size_t slash = path.find('/', prefix_length);
      if (slash == std::string::npos) {
        std::optional<std::string> blob = HexToBytes(files[i].blob_id);
        if (!blob || blob->size() != GIT_OID_RAWSZ) throw std::runtime_error("bad blob id of " + path);
        append_entry(files[i].mode, std::string_view(path).substr(prefix_length), *blob);
        ++i;
        continue;
      }
      std::string_view folder(path.data(), slash + 1);
      size_t end = i + 1;
      while (end < files.size() && files[end].path.starts_with(folder)) ++end;
      append_entry(GIT_FILEMODE_TREE, folder.substr(prefix_length, slash - prefix_length),
                   TreeIdOf(files.subspan(i, end - i), slash + 1));
      i = end;
    }
    GitObjectHash id("tree", tree.size());
    id.Update(tree);
    return id.Raw();
  }

  std::string Absolute(const std::string& path) const { return path.empty() ? root_ : root_ + "/" + path; }

  bool IsOtherRepository(const std::string& dir) const {
    return gitlinks_.contains(dir) || Exists(Absolute(dir) + "/.git");
  }

  bool IsExcludedDir(const std::string& dir) { return !TracksUnder(dir) && IsIgnored(dir, true); }

  // The index entry of `path`, or null.
  const IndexedFile* Indexed(std::string_view path) const {
    auto at = std::lower_bound(index_.begin(), index_.end(), path,
                               [](const auto& entry, std::string_view p) { return entry.first < p; });
    return at != index_.end() && at->first == path ? &at->second : nullptr;
  }

  // Whether the index has an entry (a submodule's too) under `dir`.
  bool TracksUnder(const std::string& dir) const {
    std::string prefix = dir + "/";
    auto at = std::lower_bound(index_.begin(), index_.end(), prefix,
                               [](const auto& entry, const std::string& p) { return entry.first < p; });
    if (at != index_.end() && at->first.starts_with(prefix)) return true;
    auto link = gitlinks_.lower_bound(prefix);
    return link != gitlinks_.end() && link->starts_with(prefix);
  }

  bool IsIgnored(const std::string& path, bool is_dir) {
    int ignored = 0;
    std::string query = is_dir ? path + "/" : path;
    Check(Git().git_ignore_path_is_ignored(&ignored, repo_(), query.c_str()),
          "cannot evaluate the ignore rules for " + Absolute(path));
    return ignored != 0;
  }

  // Reads the index once into a path map: one scan instead of a libgit2
  // lookup per file.
  void LoadIndexOnce() {
    if (index_loaded_) return;
    index_loaded_ = true;
    // The index of a linked worktree is in its own git dir, as libgit2 has it.
    std::string index_path = git_dir_ + "/index";
    struct stat index_info;
    // Without an index file nothing is tracked and every file gets hashed.
    if (stat(index_path.c_str(), &index_info) != 0) return;
    // Taken before reading: if git rewrites the index in between, the older
    // time only makes more entries count as racy, which is safe.
    index_mtime_ = index_info.st_mtim;
    // Read here, not with git_repository_index: that one reads the file
    // before the time above is taken (and reading it twice costs twice).
    std::string why;
    std::optional<std::vector<IndexEntry>> entries;
    if (std::optional<MappedFile> mapped = MappedFile::Open(index_path)) entries = ParseIndex(mapped->View(), &why);
    if (entries) {
      index_.reserve(entries->size());
      for (IndexEntry& entry : *entries) {
        git_oid id;
        std::memcpy(id.id, entry.id.data(), GIT_OID_RAWSZ);
        AddIndexEntry(std::move(entry.path),
                      IndexedFile{{static_cast<int32_t>(entry.ctime_seconds), entry.ctime_nanoseconds},
                                  {static_cast<int32_t>(entry.mtime_seconds), entry.mtime_nanoseconds},
                                  entry.ino,
                                  entry.uid,
                                  entry.gid,
                                  entry.size,
                                  entry.mode,
                                  id,
                                  entry.stage == 0 && !entry.intent_to_add});
      }
      SortIndex();
      return;
    }
    // What our reader does not know (a split index, ...): libgit2's.
    git_index* raw = nullptr;
    Check(Git().git_index_open(&raw, index_path.c_str()), "cannot read " + index_path);
    IndexPtr index(raw);
    size_t count = Git().git_index_entrycount(index.get());
    index_.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      const git_index_entry* entry = Git().git_index_get_byindex(index.get(), i);
      bool id_usable =
          Git().git_index_entry_stage(entry) == 0 && !(entry->flags_extended & GIT_INDEX_ENTRY_INTENT_TO_ADD);
      AddIndexEntry(entry->path, IndexedFile{entry->ctime, entry->mtime, entry->ino, entry->uid, entry->gid,
                                             entry->file_size, entry->mode, entry->id, id_usable});
    }
    SortIndex();
  }

  void AddIndexEntry(std::string path, const IndexedFile& file) {
    if (file.mode == GIT_FILEMODE_COMMIT) {
      gitlinks_.insert(std::move(path));
      return;
    }
    index_.emplace_back(std::move(path), file);
  }

  // git keeps its entries sorted by path (as std::string compares), the
  // stages of a conflict next to each other: one entry each, whose id is not
  // the file's.
  void SortIndex() {
    auto by_path = [](const auto& a, const auto& b) { return a.first < b.first; };
    if (!std::is_sorted(index_.begin(), index_.end(), by_path)) std::stable_sort(index_.begin(), index_.end(), by_path);
    size_t kept = 0;
    for (size_t i = 0; i < index_.size(); ++i) {
      if (kept > 0 && index_[kept - 1].first == index_[i].first) {
        index_[kept - 1].second.id_usable = false;  // several conflict stages
        continue;
      }
      if (kept != i) index_[kept] = std::move(index_[i]);
      ++kept;
    }
    index_.resize(kept);
  }

  // `indexed`: the file's index entry, or null when it is untracked.
  std::string BlobId(const std::string& path, const struct stat& info, const IndexedFile* indexed) {
    // An entry whose file was modified within the index file's timestamp
    // granularity ("racily clean") may match stat data and still be stale.
    if (indexed && indexed->id_usable && StatDataMatch(*indexed, info) && Earlier(info.st_mtim, index_mtime_))
      return Hex(indexed->id);
    if (S_ISLNK(info.st_mode)) return GitBlobId(ReadLink(Absolute(path), info.st_size));
    // Streamed, without filters (no CRLF or LFS conversion), as git hash-object --no-filters.
    std::optional<std::string> id = FileGitBlobId(Absolute(path));
    if (!id)
      throw std::runtime_error("cannot hash " + Absolute(path) + ": unreadable, or it changed while it was read");
    return *id;
  }

  // What is on disk at and under `dir` (which the caller checked with IsDir),
  // sorted by path.
  struct Snapshot {
    std::vector<FileEntry> files;
    std::vector<std::string> dirs;
    int64_t newest_mtime_ns = 0;  // of the files and folders
  };

  // The working tree is walked once per run: a listing of `dir` is cut from
  // the walk of `dir` or of a folder above it, so the contexts of all nodes,
  // their test folders and the regeneration inputs cost one walk (one stat
  // per file, one hash per changed file) and agree with each other.
  const Snapshot& WalkedOnce(const std::string& dir) {
    if (const Snapshot* walked = WalkCovering(dir)) return *walked;
    Snapshot snapshot;
    Walk(dir, snapshot);
    SortByPath(snapshot.files);
    std::sort(snapshot.dirs.begin(), snapshot.dirs.end());
    // Walks below `dir` are part of this one now.
    std::string prefix = dir + "/";
    for (auto it = walks_.begin(); it != walks_.end();) {
      it = dir.empty() || it->first.starts_with(prefix) ? walks_.erase(it) : std::next(it);
    }
    return walks_.emplace(dir, std::move(snapshot)).first->second;
  }

  // The walk of `dir` or of a folder above it, or null.
  const Snapshot* WalkCovering(const std::string& dir) const {
    for (std::string above = dir;; above = ParentOf(above)) {
      auto walked = walks_.find(above);
      if (walked != walks_.end()) return &walked->second;
      if (above.empty()) return nullptr;
    }
  }

  // Collects the files and directories at and under `dir`: the files in
  // git's order, the directories unsorted. Two passes: the folders are read
  // (readdir's entry types tell folders from files without a stat), then the
  // files are stat'ed and given their blob ids on two threads (as git status
  // stats on several: it is most of the walk's time, in the kernel). The
  // threads share only what they read (the index, the candidates' slots).
  void Walk(const std::string& dir, Snapshot& out) {
    std::vector<Candidate> candidates;
    Collect(dir, out, candidates);
    int root_fd = open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (root_fd < 0) ThrowErrno("cannot open " + root_);
    std::vector<FileEntry> found(candidates.size());
    std::vector<char> kept(candidates.size(), 0);
    // What each thread saw: the newest mtime, and the first error.
    struct Part {
      int64_t newest_mtime_ns = 0;
      std::exception_ptr error;
    };
    auto take_files = [&](size_t begin, size_t end, Part& part) {
      try {
        for (size_t i = begin; i < end; ++i) {
          struct stat info {};
          if (fstatat(root_fd, candidates[i].path.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno == ENOENT) continue;  // removed while we walk
            ThrowErrno("cannot stat " + Absolute(candidates[i].path));
          }
          // ninja sees a symlink's target's time, which the walk does not
          // know: the newest time is then "unknown" (the largest).
          part.newest_mtime_ns = std::max(part.newest_mtime_ns, S_ISLNK(info.st_mode) ? INT64_MAX : MtimeNs(info));
          if (!S_ISREG(info.st_mode) && !S_ISLNK(info.st_mode)) continue;  // replaced meanwhile
          std::string blob_id = BlobId(candidates[i].path, info, candidates[i].indexed);
          found[i] = FileEntry{std::move(candidates[i].path), ModeOnDisk(info), std::move(blob_id)};
          kept[i] = 1;
        }
      } catch (...) {
        part.error = std::current_exception();
      }
    };
    Part parts[2];
    constexpr size_t kWorthAThread = 2048;
    if (candidates.size() >= kWorthAThread) {
      std::thread helper(take_files, 0, candidates.size() / 2, std::ref(parts[0]));
      take_files(candidates.size() / 2, candidates.size(), parts[1]);
      helper.join();
    } else {
      take_files(0, candidates.size(), parts[1]);
    }
    close(root_fd);
    for (const Part& part : parts) {
      if (part.error) std::rethrow_exception(part.error);
      out.newest_mtime_ns = std::max(out.newest_mtime_ns, part.newest_mtime_ns);
    }
    out.files.reserve(out.files.size() + candidates.size());
    for (size_t i = 0; i < found.size(); ++i) {
      if (kept[i]) out.files.push_back(std::move(found[i]));
    }
  }

  struct Candidate {
    std::string path;
    const IndexedFile* indexed;  // null: untracked
  };

  static int64_t MtimeNs(const struct stat& info) {
    return static_cast<int64_t>(info.st_mtim.tv_sec) * 1000000000 + info.st_mtim.tv_nsec;
  }

  // The walk's first pass: folders into `out.dirs` (and their newest mtime),
  // files git would see into `files`, in git's order (a folder sorts as its
  // name with a '/').
  void Collect(const std::string& dir, Snapshot& out, std::vector<Candidate>& files) {
    std::string absolute = Absolute(dir);
    std::unique_ptr<DIR, DirCloser> handle(opendir(absolute.c_str()));
    if (!handle) {
      if (errno == ENOENT || errno == ENOTDIR) return;  // removed while we walk
      ThrowErrno("cannot read directory " + absolute);
    }
    struct stat dir_info {};
    if (fstat(dirfd(handle.get()), &dir_info) != 0) ThrowErrno("cannot stat " + absolute);
    struct Entry {
      std::string sort_key;  // the name, with a '/' for a folder
      bool is_dir;
    };
    std::vector<Entry> entries;
    for (;;) {
      errno = 0;
      const dirent* entry = readdir(handle.get());
      if (!entry) {
        if (errno != 0) ThrowErrno("cannot read directory " + absolute);
        break;
      }
      std::string_view name = entry->d_name;
      if (name == "." || name == "..") continue;
      if (name == ".git") {
        if (!dir.empty()) return;  // a nested repository: its files are not ours
        continue;
      }
      unsigned char type = entry->d_type;
      if (type == DT_UNKNOWN) {  // file systems that do not say: ask
        struct stat info {};
        if (fstatat(dirfd(handle.get()), entry->d_name, &info, AT_SYMLINK_NOFOLLOW) != 0) {
          if (errno == ENOENT) continue;
          ThrowErrno("cannot stat " + Join(absolute, name));
        }
        type = S_ISDIR(info.st_mode) ? DT_DIR : S_ISREG(info.st_mode) ? DT_REG : S_ISLNK(info.st_mode) ? DT_LNK : 0;
      }
      if (type == DT_DIR)
        entries.push_back({std::string(name) + "/", true});
      else if (type == DT_REG || type == DT_LNK)
        entries.push_back({std::string(name), false});
    }
    handle.reset();

    out.dirs.push_back(dir);
    out.newest_mtime_ns = std::max(out.newest_mtime_ns, MtimeNs(dir_info));
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.sort_key < b.sort_key; });
    for (Entry& entry : entries) {
      if (entry.is_dir) {
        entry.sort_key.pop_back();
        std::string path = Join(dir, entry.sort_key);
        if (!gitlinks_.contains(path) && !IsExcludedDir(path)) Collect(path, out, files);
        continue;
      }
      std::string path = Join(dir, entry.sort_key);
      const IndexedFile* indexed = Indexed(path);
      if (!indexed && IsIgnored(path, false)) continue;
      files.push_back({std::move(path), indexed});
    }
  }

  std::function<git_repository*()> repo_;
  std::string root_, git_dir_;
  bool index_loaded_ = false;
  std::vector<std::pair<std::string, IndexedFile>> index_;  // sorted by path (SortIndex)
  std::set<std::string> gitlinks_;                          // submodule paths
  timespec index_mtime_{};                                  // zero: no entry is trusted
  std::map<std::string, Snapshot> walks_;                   // by the folder walked
};

// --- commit trees -----------------------------------------------------------

struct OidHash {
  size_t operator()(const git_oid& id) const {
    size_t hash;
    std::memcpy(&hash, id.id, sizeof hash);
    return hash;
  }
};
struct OidEqual {
  bool operator()(const git_oid& a, const git_oid& b) const { return std::memcmp(a.id, b.id, GIT_OID_RAWSZ) == 0; }
};

// Git trees parsed into memory, one per tree id, shared by all commits.
class TreeStore {
 public:
  struct Entry {
    std::string name;
    unsigned mode;  // normalised git file mode; GIT_FILEMODE_TREE for directories
    git_oid id;
  };
  using Tree = std::vector<Entry>;  // in git's order

  explicit TreeStore(git_repository* repo) : repo_(repo) {}

  const Tree& Get(const git_oid& id) {
    auto cached = trees_.find(id);
    if (cached != trees_.end()) return *cached->second;
    git_tree* raw = nullptr;
    Check(Git().git_tree_lookup(&raw, repo_, &id), "cannot read git tree " + Hex(id));
    TreePtr tree(raw);
    auto parsed = std::make_unique<Tree>();
    size_t count = Git().git_tree_entrycount(tree.get());
    parsed->reserve(count);
    for (size_t i = 0; i < count; ++i) {
      const git_tree_entry* entry = Git().git_tree_entry_byindex(tree.get(), i);
      parsed->push_back(Entry{Git().git_tree_entry_name(entry),
                              static_cast<unsigned>(Git().git_tree_entry_filemode(entry)),
                              *Git().git_tree_entry_id(entry)});
    }
    return *trees_.emplace(id, std::move(parsed)).first->second;
  }

  // The entry called `name` in tree `id`, or null.
  const Entry* Find(const git_oid& id, std::string_view name) {
    for (const Entry& entry : Get(id))
      if (entry.name == name) return &entry;
    return nullptr;
  }

  // The id of the directory `path` (clean, "" = root) under `root`.
  std::optional<git_oid> ResolveDir(const git_oid& root, const std::string& path) {
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

  void AppendFiles(const git_oid& id, const std::string& prefix, std::vector<FileEntry>& out) {
    for (const Entry& entry : Get(id)) {
      if (entry.mode == GIT_FILEMODE_TREE) {
        AppendFiles(entry.id, prefix + entry.name + "/", out);
      } else if (entry.mode != GIT_FILEMODE_COMMIT) {  // submodules hold no files of ours
        out.push_back(FileEntry{prefix + entry.name, entry.mode, Hex(entry.id)});
      }
    }
  }

  void AppendDirs(const git_oid& id, const std::string& dir, std::vector<std::string>& out) {
    out.push_back(dir);
    for (const Entry& entry : Get(id))
      if (entry.mode == GIT_FILEMODE_TREE) AppendDirs(entry.id, Join(dir, entry.name), out);
  }

  std::string ReadBlob(const git_oid& id) {
    git_blob* raw = nullptr;
    Check(Git().git_blob_lookup(&raw, repo_, &id), "cannot read git blob " + Hex(id));
    BlobPtr blob(raw);
    return std::string(static_cast<const char*>(Git().git_blob_rawcontent(blob.get())),
                       static_cast<size_t>(Git().git_blob_rawsize(blob.get())));
  }

 private:
  git_repository* repo_;
  std::unordered_map<git_oid, std::unique_ptr<Tree>, OidHash, OidEqual> trees_;
};

class CommitTreeView final : public TreeView {
 public:
  CommitTreeView(TreeStore& store, const git_oid& root) : store_(store), root_(root) {}

  std::vector<FileEntry> List(std::string_view dir) override {
    std::optional<std::string> clean = CleanPath(dir);
    std::optional<git_oid> id = clean ? store_.ResolveDir(root_, *clean) : std::nullopt;
    if (!id) return {};
    std::vector<FileEntry> files;
    store_.AppendFiles(*id, clean->empty() ? "" : *clean + "/", files);
    SortByPath(files);
    return files;
  }

  std::vector<std::string> ListDirs(std::string_view dir) override {
    std::optional<std::string> clean = CleanPath(dir);
    std::optional<git_oid> id = clean ? store_.ResolveDir(root_, *clean) : std::nullopt;
    if (!id) return {};
    std::vector<std::string> dirs;
    store_.AppendDirs(*id, *clean, dirs);
    std::sort(dirs.begin(), dirs.end());
    return dirs;
  }

  std::vector<std::string> ListSubdirs(std::string_view dir) override {
    std::optional<std::string> clean = CleanPath(dir);
    std::optional<git_oid> id = clean ? store_.ResolveDir(root_, *clean) : std::nullopt;
    if (!id) return {};
    std::vector<std::string> subdirs;
    for (const TreeStore::Entry& entry : store_.Get(*id))
      if (entry.mode == GIT_FILEMODE_TREE) subdirs.push_back(Join(*clean, entry.name));
    std::sort(subdirs.begin(), subdirs.end());
    return subdirs;
  }

  std::optional<std::string> Read(std::string_view path) override {
    const TreeStore::Entry* entry = FileEntryAt(path);
    if (!entry) return std::nullopt;
    return store_.ReadBlob(entry->id);
  }

  bool IsFile(std::string_view path) override { return FileEntryAt(path) != nullptr; }

  bool IsDir(std::string_view path) override {
    std::optional<std::string> clean = CleanPath(path);
    return clean && store_.ResolveDir(root_, *clean).has_value();
  }

  std::string SubtreeId(std::string_view dir) override {
    std::optional<std::string> clean = CleanPath(dir);
    std::optional<git_oid> id = clean ? store_.ResolveDir(root_, *clean) : std::nullopt;
    return id ? Hex(*id) : "";
  }

 private:
  // The tree entry of the file or symlink at `path`, or null.
  const TreeStore::Entry* FileEntryAt(std::string_view path) {
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

  TreeStore& store_;
  git_oid root_;
};

// --- the repository ---------------------------------------------------------

class Libgit2Repository final : public Repository {
 public:
  // A repository whose layout was found without libgit2: libgit2 opens it
  // when first needed, and HEAD, the origin and the shallow file are read
  // without it where repository_files.h can.
  explicit Libgit2Repository(RepositoryLayout layout)
      : layout_(layout),
        work_dir_(layout.work_dir),
        git_dir_(layout.git_dir),
        common_dir_(layout.common_dir),
        work_tree_([this] { return Handle(); }, work_dir_, git_dir_) {}

  // A repository libgit2 found and opened.
  explicit Libgit2Repository(RepositoryPtr repo)
      : repo_(std::move(repo)),
        work_dir_(WithoutTrailingSlash(Git().git_repository_workdir(repo_.get()))),
        git_dir_(WithoutTrailingSlash(Git().git_repository_path(repo_.get()))),
        common_dir_(WithoutTrailingSlash(Git().git_repository_commondir(repo_.get()))),
        work_tree_([this] { return Handle(); }, work_dir_, git_dir_) {}

  std::string WorkDir() const override { return work_dir_; }
  std::string GitDir() const override { return git_dir_; }
  TreeView& WorkTree() override { return work_tree_; }

  std::optional<std::string> Head() override {
    if (std::optional<HeadState> head = layout_ ? ReadHeadState(*layout_) : std::nullopt) return head->commit;
    git_oid id;
    int rc = Git().git_reference_name_to_id(&id, Handle(), "HEAD");
    if (rc == GIT_ENOTFOUND || rc == GIT_EUNBORNBRANCH) return std::nullopt;
    Check(rc, "cannot resolve HEAD in " + work_dir_);
    return Hex(id);
  }

  std::vector<CommitInfo> History() override {
    if (!Head()) return {};
    return IsShallow() ? ShallowHistory() : WalkedHistory();
  }

  TreeView& TreeAt(const std::string& commit_id) override {
    auto known = views_by_commit_.find(commit_id);  // the common case: a full id
    if (known != views_by_commit_.end()) return *known->second;
    git_object* raw = nullptr;
    Check(Git().git_revparse_single(&raw, Handle(), commit_id.c_str()),
          "no commit '" + commit_id + "' in " + work_dir_);
    ObjectPtr object(raw);
    git_object* peeled = nullptr;
    Check(Git().git_object_peel(&peeled, object.get(), GIT_OBJECT_COMMIT),
          "'" + commit_id + "' is not a commit in " + work_dir_);
    CommitPtr commit(reinterpret_cast<git_commit*>(peeled));
    std::string id = Hex(*Git().git_commit_id(commit.get()));
    std::unique_ptr<CommitTreeView>& view = views_by_commit_[id];
    if (!view) view = std::make_unique<CommitTreeView>(Trees(), *Git().git_commit_tree_id(commit.get()));
    return *view;
  }

  bool IsShallow() override {
    // libgit2 looks in the worktree's own git dir, git in the common one:
    // they agree outside linked worktrees.
    if (layout_ && git_dir_ == common_dir_) {
      if (std::optional<bool> shallow = HasShallowFile(*layout_)) return *shallow;
    }
    int shallow = Git().git_repository_is_shallow(Handle());
    Check(shallow, "cannot tell whether " + work_dir_ + " is a shallow clone");
    return shallow == 1;
  }

  std::string OriginUrl() override {
    if (std::optional<std::string> url = layout_ ? ReadOriginUrl(*layout_) : std::nullopt)
      return WithoutCredentials(*url);
    git_remote* raw = nullptr;
    int rc = Git().git_remote_lookup(&raw, Handle(), "origin");
    if (rc == GIT_ENOTFOUND) return "";
    Check(rc, "cannot read the remote 'origin' of " + work_dir_);
    RemotePtr remote(raw);
    const char* url = Git().git_remote_url(remote.get());
    return url ? WithoutCredentials(url) : "";
  }

  std::vector<std::string> HeadStateFiles() override {
    std::vector<std::string> files = {git_dir_ + "/HEAD"};
    std::string branch_ref;
    if (std::optional<HeadState> head = layout_ ? ReadHeadState(*layout_) : std::nullopt) {
      branch_ref = head->branch_ref;
    } else {
      git_reference* raw = nullptr;
      Check(Git().git_reference_lookup(&raw, Handle(), "HEAD"), "cannot read HEAD of " + work_dir_);
      ReferencePtr reference(raw);
      if (Git().git_reference_type(reference.get()) == GIT_REFERENCE_SYMBOLIC)
        branch_ref = Git().git_reference_symbolic_target(reference.get());
    }
    if (!branch_ref.empty() && Exists(common_dir_ + "/" + branch_ref)) files.push_back(common_dir_ + "/" + branch_ref);
    std::string packed_refs = common_dir_ + "/packed-refs";
    if (Exists(packed_refs)) files.push_back(packed_refs);
    return files;
  }

 private:
  // libgit2's repository, opened on first use.
  git_repository* Handle() {
    if (repo_) return repo_.get();
    git_repository* raw = nullptr;
    Check(Git().git_repository_open_ext(&raw, work_dir_.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr),
          "cannot open the git repository at " + work_dir_);
    RepositoryPtr opened(raw);
    std::string work_dir = WithoutTrailingSlash(Git().git_repository_workdir(opened.get()));
    std::string git_dir = WithoutTrailingSlash(Git().git_repository_path(opened.get()));
    if (work_dir != work_dir_ || git_dir != git_dir_)
      throw std::logic_error("libgit2 opens the repository at " + work_dir_ + " (git dir " + git_dir_ + ") as " +
                             work_dir + " (git dir " + git_dir + ")");
    repo_ = std::move(opened);
    return repo_.get();
  }

  TreeStore& Trees() {
    if (!trees_) trees_ = std::make_unique<TreeStore>(Handle());
    return *trees_;
  }

  CommitPtr LookupCommit(const git_oid& id) {
    git_commit* raw = nullptr;
    Check(Git().git_commit_lookup(&raw, Handle(), &id), "cannot read commit " + Hex(id));
    return CommitPtr(raw);
  }

  static std::vector<std::string> ParentIds(const git_commit* commit) {
    std::vector<std::string> parents;
    unsigned count = Git().git_commit_parentcount(commit);
    for (unsigned i = 0; i < count; ++i) parents.push_back(Hex(*Git().git_commit_parent_id(commit, i)));
    return parents;
  }

  std::vector<CommitInfo> WalkedHistory() {
    git_revwalk* raw = nullptr;
    Check(Git().git_revwalk_new(&raw, Handle()), "cannot walk the history of " + work_dir_);
    RevwalkPtr walk(raw);
    Check(Git().git_revwalk_sorting(walk.get(), GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME | GIT_SORT_REVERSE),
          "cannot walk the history of " + work_dir_);
    Check(Git().git_revwalk_push_head(walk.get()), "cannot walk the history of " + work_dir_);
    std::vector<CommitInfo> history;
    git_oid id;
    int rc;
    while ((rc = Git().git_revwalk_next(&id, walk.get())) == 0)
      history.push_back(CommitInfo{Hex(id), ParentIds(LookupCommit(id).get())});
    if (rc != GIT_ITEROVER) Check(rc, "cannot walk the history of " + work_dir_);
    return history;
  }

  // libgit2 1.5 knows no grafts: its revwalk fails on the missing parents of
  // a shallow clone's boundary commits. This walk cuts the history where the
  // `shallow` file says, as git does, and orders like the revwalk: Kahn's
  // algorithm from the tip, newest commit first, then reversed.
  std::vector<CommitInfo> ShallowHistory() {
    std::set<std::string> boundary;
    if (std::optional<std::string> shallow = ReadFile(common_dir_ + "/shallow")) {
      size_t start = 0;
      while (start < shallow->size()) {
        size_t end = std::min(shallow->find('\n', start), shallow->size());
        if (end > start) boundary.insert(shallow->substr(start, end - start));
        start = end + 1;
      }
    }
    struct Node {
      CommitInfo info;
      int64_t time = 0;
      size_t visit_order = 0;  // breaks ties in time deterministically
      int unemitted_children = 0;
    };
    std::unordered_map<std::string, Node> nodes;
    git_oid head;
    Check(Git().git_reference_name_to_id(&head, Handle(), "HEAD"), "cannot resolve HEAD");
    std::vector<git_oid> pending = {head};
    size_t visited = 0;
    nodes.emplace(Hex(head), Node{});
    while (!pending.empty()) {
      git_oid id = pending.back();
      pending.pop_back();
      std::string hex = Hex(id);
      CommitPtr commit = LookupCommit(id);
      Node& node = nodes[hex];  // references into an unordered_map survive rehashing
      node.info.id = hex;
      if (!boundary.contains(hex)) node.info.parents = ParentIds(commit.get());
      node.time = Git().git_commit_time(commit.get());
      node.visit_order = visited++;
      for (const std::string& parent : node.info.parents) {
        auto [it, inserted] = nodes.try_emplace(parent);
        ++it->second.unemitted_children;
        if (inserted) {
          git_oid parent_id;
          Check(Git().git_oid_fromstr(&parent_id, parent.c_str()), "bad commit id " + parent);
          pending.push_back(parent_id);
        }
      }
    }
    auto later_first = [&](const std::string& a, const std::string& b) {
      const Node& x = nodes.at(a);
      const Node& y = nodes.at(b);
      return x.time != y.time ? x.time < y.time : x.visit_order > y.visit_order;
    };
    std::priority_queue<std::string, std::vector<std::string>, decltype(later_first)> ready(later_first);
    for (const auto& [id, node] : nodes)
      if (node.unemitted_children == 0) ready.push(id);
    std::vector<CommitInfo> history;
    while (!ready.empty()) {
      Node& node = nodes.at(ready.top());
      ready.pop();
      for (const std::string& parent : node.info.parents)
        if (--nodes.at(parent).unemitted_children == 0) ready.push(parent);
      history.push_back(std::move(node.info));
    }
    std::reverse(history.begin(), history.end());
    return history;
  }

  RepositoryPtr repo_;                      // null until Handle() opens it
  std::optional<RepositoryLayout> layout_;  // when found without libgit2
  std::string work_dir_, git_dir_, common_dir_;
  WorkTreeView work_tree_;
  std::unique_ptr<TreeStore> trees_;  // made by Trees()
  std::unordered_map<std::string, std::unique_ptr<CommitTreeView>> views_by_commit_;
};

}  // namespace

std::unique_ptr<Repository> OpenRepository(const std::string& path) {
  if (std::optional<RepositoryLayout> layout = FindRepositoryLayout(path))
    return std::make_unique<Libgit2Repository>(std::move(*layout));
  git_repository* raw = nullptr;
  int rc = Git().git_repository_open_ext(&raw, path.c_str(), 0, nullptr);
  if (rc == GIT_ENOTFOUND) throw std::runtime_error("not a git repository (nor inside one): " + path);
  Check(rc, "cannot open the git repository at " + path);
  RepositoryPtr repo(raw);
  if (Git().git_repository_is_bare(repo.get()))
    throw std::runtime_error("a bare git repository has no working tree: " + path);
  return std::make_unique<Libgit2Repository>(std::move(repo));
}

}  // namespace dhg::git
