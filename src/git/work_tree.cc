// The working tree's walk (work_tree.h): folders read once, files stat'ed on
// two threads, blob ids from the index where the stat data match, hashed
// otherwise; listings, folders and tree ids all cut from that one walk.
#include "git/work_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <functional>
#include <map>
#include <set>
#include <span>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include "git/tree_paths.h"
#include "util/files.h"
#include "util/hash.h"

namespace dhg::git {
namespace {

struct DirCloser {
  void operator()(DIR* dir) const { closedir(dir); }
};

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

// Git modes that are not files.
constexpr unsigned kModeTree = 0040000;     // a folder in a tree
constexpr unsigned kModeGitlink = 0160000;  // a submodule's commit, in the index and in trees

// A time as the index stores it: the seconds in 32 bits.
struct IndexTime {
  uint32_t seconds, nanoseconds;
};

// What the index recorded about a file when git last wrote it.
struct IndexedFile {
  IndexTime ctime;
  IndexTime mtime;
  uint32_t ino, uid, gid, size, mode;
  std::array<unsigned char, 20> id;  // the blob's SHA-1
  // False for conflicted and intent-to-add entries: tracked, but their id is
  // not the file's content.
  bool id_usable;
};

IndexedFile FromIndexEntry(const IndexEntry& entry) {
  return {{entry.ctime_seconds, entry.ctime_nanoseconds},
          {entry.mtime_seconds, entry.mtime_nanoseconds},
          entry.ino,
          entry.uid,
          entry.gid,
          entry.size,
          entry.mode,
          entry.id,
          entry.stage == 0 && !entry.intent_to_add};
}

unsigned ModeOnDisk(const struct stat& info) {
  if (S_ISLNK(info.st_mode)) return kModeSymlink;
  return (info.st_mode & S_IXUSR) ? kModeExecutable : kModeFile;
}

bool SameTime(const IndexTime& recorded, const timespec& actual) {
  return recorded.seconds == static_cast<uint32_t>(actual.tv_sec) &&
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
  WorkTreeView(std::string root, std::string git_dir, WorkTreeFallback& fallback)
      : root_(std::move(root)), git_dir_(std::move(git_dir)), fallback_(fallback) {}

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
    if (!Indexed(*clean) && fallback_.IsIgnored(*clean, false)) return std::nullopt;
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
  // Kept per folder: the history scan asks for each image folder once per
  // set of build args its Dockerfile names.
  std::string SubtreeId(std::string_view dir) override {
    std::optional<std::string> clean = CleanPath(dir);
    if (!clean) return "";
    if (auto known = subtree_ids_.find(*clean); known != subtree_ids_.end()) return known->second;
    std::span<const FileEntry> files = FilesUnder(*clean);
    std::string id = files.empty() ? "" : BytesToHex(TreeIdOf(files, clean->empty() ? 0 : clean->size() + 1));
    return subtree_ids_.emplace(*clean, std::move(id)).first->second;
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
        if (!blob || blob->size() != sizeof(IndexedFile::id)) throw std::runtime_error("bad blob id of " + path);
        append_entry(files[i].mode, std::string_view(path).substr(prefix_length), *blob);
        ++i;
        continue;
      }
      std::string_view folder(path.data(), slash + 1);
      size_t end = i + 1;
      while (end < files.size() && files[end].path.starts_with(folder)) ++end;
      append_entry(kModeTree, folder.substr(prefix_length, slash - prefix_length),
                   TreeIdOf(files.subspan(i, end - i), slash + 1));
      i = end;
    }
    GitObjectHash id("tree", tree.size());
    id.Update(tree);
    return id.Raw();
  }

  std::string Absolute(const std::string& path) const { return path.empty() ? root_ : root_ + "/" + path; }

  bool IsOtherRepository(const std::string& dir) const {
    return gitlinks_.contains(dir) || PathExists(Absolute(dir) + "/.git");
  }

  bool IsExcludedDir(const std::string& dir) { return !TracksUnder(dir) && fallback_.IsIgnored(dir, true); }

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

  // Reads the index once into a vector sorted by path: one scan, then a
  // binary search per file.
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
    // Read after that, by our reader; what it does not know (a split index,
    // ...) by the fallback.
    std::string why;
    std::optional<std::vector<IndexEntry>> entries;
    if (std::optional<MappedFile> mapped = MappedFile::Open(index_path)) entries = ParseIndex(mapped->View(), &why);
    if (!entries) entries = fallback_.ReadIndex(index_path);
    index_.reserve(entries->size());
    for (IndexEntry& entry : *entries) {
      if (entry.mode == kModeGitlink)
        gitlinks_.insert(std::move(entry.path));
      else
        index_.emplace_back(std::move(entry.path), FromIndexEntry(entry));
    }
    SortIndex();
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
      return BytesToHex(std::string_view(reinterpret_cast<const char*>(indexed->id.data()), indexed->id.size()));
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
      // Each file is stat'ed by its name in its folder: a path from the root
      // made the kernel look up every folder of it again, file after file.
      int dir_fd = -1;
      size_t open_dir = SIZE_MAX;
      auto close_dir = [&] {
        if (dir_fd >= 0 && dir_fd != root_fd) close(dir_fd);
        dir_fd = -1;
      };
      try {
        for (size_t i = begin; i < end; ++i) {
          const std::string& folder = out.dirs[candidates[i].dir];
          if (candidates[i].dir != open_dir) {
            close_dir();
            open_dir = candidates[i].dir;
            dir_fd = folder.empty() ? root_fd : openat(root_fd, folder.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
            if (dir_fd < 0 && errno != ENOENT) ThrowErrno("cannot open " + Absolute(folder));
          }
          if (dir_fd < 0) continue;  // its folder was removed while we walk
          const char* name = candidates[i].path.c_str() + (folder.empty() ? 0 : folder.size() + 1);
          struct stat info {};
          if (fstatat(dir_fd, name, &info, AT_SYMLINK_NOFOLLOW) != 0) {
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
      close_dir();
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
    size_t dir;                  // its folder, in the walk's Snapshot::dirs (before they are sorted)
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
          ThrowErrno("cannot stat " + JoinPath(absolute, name));
        }
        type = S_ISDIR(info.st_mode) ? DT_DIR : S_ISREG(info.st_mode) ? DT_REG : S_ISLNK(info.st_mode) ? DT_LNK : 0;
      }
      if (type == DT_DIR)
        entries.push_back({std::string(name) + "/", true});
      else if (type == DT_REG || type == DT_LNK)
        entries.push_back({std::string(name), false});
    }
    handle.reset();

    size_t dir_at = out.dirs.size();
    out.dirs.push_back(dir);
    out.newest_mtime_ns = std::max(out.newest_mtime_ns, MtimeNs(dir_info));
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.sort_key < b.sort_key; });
    for (Entry& entry : entries) {
      if (entry.is_dir) {
        entry.sort_key.pop_back();
        std::string path = JoinPath(dir, entry.sort_key);
        if (!gitlinks_.contains(path) && !IsExcludedDir(path)) Collect(path, out, files);
        continue;
      }
      std::string path = JoinPath(dir, entry.sort_key);
      const IndexedFile* indexed = Indexed(path);
      if (!indexed && fallback_.IsIgnored(path, false)) continue;
      files.push_back({std::move(path), indexed, dir_at});
    }
  }

  std::string root_, git_dir_;
  WorkTreeFallback& fallback_;
  bool index_loaded_ = false;
  std::vector<std::pair<std::string, IndexedFile>> index_;    // sorted by path (SortIndex)
  std::set<std::string> gitlinks_;                            // submodule paths
  timespec index_mtime_{};                                    // zero: no entry is trusted
  std::map<std::string, Snapshot> walks_;                     // by the folder walked
  std::unordered_map<std::string, std::string> subtree_ids_;  // SubtreeId's answers, by folder
};

}  // namespace

std::unique_ptr<TreeView> MakeWorkTree(std::string root, std::string git_dir, WorkTreeFallback& fallback) {
  return std::make_unique<WorkTreeView>(std::move(root), std::move(git_dir), fallback);
}

}  // namespace dhg::git
