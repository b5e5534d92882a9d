// Reading a repository's own files (where .git is, HEAD, refs, the origin's
// URL) without libgit2. Starting libgit2 costs more than a warm generation
// of a small stack (Debian's build parses the whole CA bundle in
// git_libgit2_init), and these few facts are all a warm run needs besides the
// index. Each reader knows only the plain case and says nullopt otherwise (a
// bare repository, core.worktree, an include, a symbolic ref chain...): the
// caller then asks libgit2, which has the whole of git's rules.
#pragma once
#include <optional>
#include <string>

namespace dhg::git {

// Where a non-bare repository's parts are: absolute, without trailing '/'.
struct RepositoryLayout {
  std::string work_dir;    // the working tree's root
  std::string git_dir;     // .git, or a linked worktree's own git dir
  std::string common_dir;  // the shared one (objects, refs): git_dir unless linked
  bool operator==(const RepositoryLayout&) const = default;
};

// The repository libgit2 would open from `path` (searching upwards from it,
// not across file systems), when it is the plain case: a `.git` folder or a
// `gitdir:` file, owned by this user, whose config sets no core.worktree,
// core.bare, extensions or includes.
std::optional<RepositoryLayout> FindRepositoryLayout(const std::string& path);

// Where HEAD points.
struct HeadState {
  std::string branch_ref;             // "refs/heads/<name>", or "" when detached
  std::optional<std::string> commit;  // 40 hex; nullopt on an unborn branch
  bool operator==(const HeadState&) const = default;
};

// HEAD's commit and branch, from HEAD, the loose ref or packed-refs.
std::optional<HeadState> ReadHeadState(const RepositoryLayout& layout);

// Whether the repository is a shallow clone, as libgit2 answers it (a
// non-empty `shallow` file in the git dir).
std::optional<bool> HasShallowFile(const RepositoryLayout& layout);

// remote.origin.url as written in the repository's config ("" when there is
// no such remote), when no config file could change it: none of the user's
// or system's config files mentions remotes, URLs or includes, and the value
// is a plain one (no quotes, escapes or continuation lines).
std::optional<std::string> ReadOriginUrl(const RepositoryLayout& layout);

// The ignore file core.excludesFile names (absolute; git's default
// $XDG_CONFIG_HOME/git/ignore or ~/.config/git/ignore when unset; "" when
// there is none), read from the config files git reads (GIT_CONFIG_GLOBAL,
// GIT_CONFIG_SYSTEM and GIT_CONFIG_NOSYSTEM honoured), when they say it
// plainly: no includes, no core.ignorecase but false, a value without quotes
// or escapes.
std::optional<std::string> ReadExcludesFile(const RepositoryLayout& layout);

}  // namespace dhg::git
