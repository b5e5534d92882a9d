// Tests of the reader of git's ignore rules (ignore_rules.h): every answer is
// checked against `git check-ignore` on the same files, over a table of the
// rules' corners, and the fallback is asked exactly when the reader steps
// aside.
#include "git/ignore_rules.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "git/test_support.h"

namespace dhg::git {

using namespace dhg::testing;

namespace {

// Where a case's ignore file goes: a path in the working tree, or these.
constexpr char kInfoExclude[] = "INFO_EXCLUDE";    // .git/info/exclude
constexpr char kExcludesFile[] = "EXCLUDES_FILE";  // core.excludesFile, set in the global config

struct IgnoreCase {
  const char* name;
  std::vector<std::pair<std::string, std::string>> ignore_files;  // where, content
  std::vector<std::string> paths;                                 // a trailing '/': a folder
};

const std::vector<IgnoreCase> kCases = {
    {"plain names match at any depth",
     {{".gitignore", "*.pyc\n__pycache__/\n.*.swp\n"}},
     {"a.pyc", "x/y/b.pyc", "x/__pycache__/", "x/__pycache__/m.pyc", "x/.Dockerfile.swp", "x/.swp", "x/pyc",
      "x/__pycache__file"}},
    {"negation, and a folder's exclusion that no '!' undoes",
     {{".gitignore", "*.log\n!keep.log\nbuild/\n!build/keep.txt\nout/*\n!out/keep.txt\n"}},
     {"a.log", "keep.log", "d/keep.log", "build/", "build/keep.txt", "out/", "out/keep.txt", "out/drop.txt"}},
    {"anchors: a leading or middle '/' ties the pattern to its file's folder",
     {{".gitignore", "/top.txt\ndoc/frotz\n/root-only/\n"}, {"sub/.gitignore", "/here.txt\nlocal/file\n"}},
     {"top.txt", "x/top.txt", "doc/frotz", "x/doc/frotz", "root-only/", "x/root-only/", "sub/here.txt",
      "sub/y/here.txt", "here.txt", "sub/local/file", "sub/z/local/file", "local/file"}},
    {"** before, after and between folders, and inside a name",
     {{".gitignore", "**/logs\n**/cache/tmp\nabc/**\na/**/b\nfoo**bar\n/x**/y\n"}},
     {"logs/", "deep/er/logs/", "z/logs", "cache/tmp", "p/cache/tmp", "abc/", "abc/def", "abc/d/e/f", "a/b", "a/x/b",
      "a/x/y/b", "a/xb", "foobar", "fooXbar", "foo/bar", "xy/y", "x/y", "xz/q/y", "xa/y/z"}},
    {"a trailing '/' matches folders only",
     {{".gitignore", "bin/\ndata/raw/\n"}},
     {"bin/", "x/bin", "q/bin/", "data/raw/", "data/raw/f", "q/data/raw/"}},
    {"... and no file of that name", {{".gitignore", "bin/\ndata/raw/\n"}}, {"bin", "data/raw"}},
    {"escaped characters, comments and trailing spaces",
     {{".gitignore",
       "\\#hash\n#comment\n\\!bang\nliteral\\*star\nspace\\ \ntrailing   \nquest\\?\n\\[br]\nback\\\\slash\n"}},
     {"#hash", "#comment", "comment", "!bang", "literal*star", "literalXstar", "space ", "space", "trailing",
      "trailing   ", "quest?", "questX", "[br]", "b", "back\\slash"}},
    {"character classes, ranges and negated sets",
     {{".gitignore", "file[0-9].txt\nlog[!a-c]\nv[[:digit:]][[:alpha:]]\nw[]x]\nu[^q]\nn[a-]\n"}},
     {"file5.txt", "filea.txt", "logd", "logb", "v1a", "v12", "w]", "wx", "wy", "ua", "uq", "na", "n-", "nb"}},
    {"* and ? do not cross '/' in a path pattern",
     {{".gitignore", "a/*.c\nb/?\n*/mid/x\n"}},
     {"a/m.c", "a/s/m.c", "b/q", "b/qq", "b/z/", "b/z/r", "p/mid/x", "p/q/mid/x"}},
    {"a deeper .gitignore overrides a shallower one",
     {{".gitignore", "*.tmp\n!deep.keep\n"}, {"d/.gitignore", "!*.tmp\n*.keep\n"}, {"d/e/.gitignore", "x.tmp\n"}},
     {"a.tmp", "d/a.tmp", "d/e/a.tmp", "d/e/x.tmp", "deep.keep", "d/deep.keep", "d/other.keep"}},
    {"info/exclude and core.excludesFile, after every .gitignore",
     {{kInfoExclude, "*.excl\n!keep.glob\n"}, {kExcludesFile, "*.glob\n*.excl2\n"}, {".gitignore", "!re.excl\n"}},
     {"a.excl", "re.excl", "d/b.excl", "a.glob", "keep.glob", "a.excl2"}},
    {"CRLF line endings, a byte-order mark, no final newline",
     {{".gitignore", "\xEF\xBB\xBF*.bom\r\n/crlf\r\nlast"}},
     {"a.bom", "crlf", "crlf\r", "last", "x/last"}},
    {"dot files and hidden folders are plain names",
     {{".gitignore", "*\n!*/\n!*.keep\n.hidden/\n"}},
     {".env", "a.keep", "d/", "d/b.keep", "d/c", ".hidden/", ".hidden/x.keep"}},
};

// Creates `path` (a folder when it ends in '/') in the repository.
void Create(const TempRepo& repo, const std::string& path) {
  if (path.ends_with('/'))
    std::filesystem::create_directories(repo.Path(path));
  else
    repo.Write(path, "x");
}

std::string WithoutSlash(std::string path) {
  if (path.ends_with('/')) path.pop_back();
  return path;
}

// What `git check-ignore` says of `paths`: the ignored ones.
std::set<std::string> GitIgnored(const TempRepo& repo, const std::string& env, const std::vector<std::string>& paths) {
  std::string input;
  for (const std::string& path : paths) input += WithoutSlash(path) + '\0';
  TempDir scratch;
  std::string list = scratch / "paths";
  {
    std::ofstream out(list, std::ios::binary);
    out << input;
  }
  // check-ignore exits 1 when nothing is ignored.
  std::string out = Run("cd " + ShellQuote(repo.root()) + " && " + env + " git check-ignore -z --stdin < " +
                        ShellQuote(list) + " || test $? = 1");
  std::set<std::string> ignored;
  for (size_t start = 0; start < out.size();) {
    size_t end = std::min(out.find('\0', start), out.size());
    ignored.insert(out.substr(start, end - start));
    start = end + 1;
  }
  return ignored;
}

// Asks nothing: the reader must answer alone.
class RefusingFallback final : public WorkTreeFallback {
 public:
  bool IsIgnored(const std::string& path, bool) override {
    ++asked;
    last = path;
    return false;
  }
  std::vector<IndexEntry> ReadIndex(const std::string&) override { return {}; }
  int asked = 0;
  std::string last;
};

}  // namespace

TEST_CASE("Wildmatch: git's wildmatch, with and without WM_PATHNAME") {
  struct Row {
    const char* pattern;
    const char* text;
    bool pathname;
    bool match;
  };
  // Rows from git's t3070-wildmatch.sh.
  const Row rows[] = {
      {"foo", "foo", true, true},
      {"foo", "bar", true, false},
      {"???", "foo", true, true},
      {"*f", "foo", true, false},
      {"*", "foo/bar", false, true},
      {"*", "foo/bar", true, false},
      {"foo/*", "foo/bar/baz", true, false},
      {"foo/**", "foo/bar/baz", true, true},
      {"**/foo", "foo", true, true},
      {"**/foo", "x/y/foo", true, true},
      {"a/**/b", "a/b", true, true},
      {"a/**/b", "a/x/y/b", true, true},
      {"a**b", "a/x/b", true, false},
      {"a**b", "ab", true, true},
      {"[!a-c]", "d", true, true},
      {"[^a-c]", "b", true, false},
      {"[]]", "]", true, true},
      {"[a-]", "-", true, true},
      {"[[:digit:]]", "5", true, true},
      {"[[:digit:]]", "x", true, false},
      {"[[:bogus:]]", "b", true, false},
      {"\\*", "*", true, true},
      {"\\*", "x", true, false},
      {"a?b", "a/b", true, false},
      {"a?b", "a/b", false, true},
      {"[/]", "/", true, false},
      {"*/foo", "x/foo", true, true},
      {"*/foo", "x/y/foo", true, false},
      {"**", "", true, true},
      {"x[", "x[", true, false},
  };
  for (const Row& row : rows) {
    CAPTURE(row.pattern);
    CAPTURE(row.text);
    CHECK(Wildmatch(row.pattern, row.text, row.pathname) == row.match);
  }
}

TEST_CASE("IgnoreRules answers as git check-ignore does") {
  for (const IgnoreCase& test : kCases) {
    std::string name = test.name;
    CAPTURE(name);
    TempRepo repo;
    TempDir home;
    std::string global_config = home / "gitconfig";
    std::string config_text;
    for (const auto& [where, content] : test.ignore_files) {
      if (where == kInfoExclude) {
        repo.Write(".git/info/exclude", content);
      } else if (where == kExcludesFile) {
        std::ofstream(home / "global-ignore", std::ios::binary) << content;
        config_text = "[core]\n\texcludesFile = " + home / "global-ignore" + "\n";
      } else {
        repo.Write(where, content);
      }
    }
    std::ofstream(global_config) << config_text;
    for (const std::string& path : test.paths) Create(repo, path);
    std::string env = "env -u XDG_CONFIG_HOME HOME=" + ShellQuote(home.path()) +
                      " GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=" + ShellQuote(global_config);
    std::set<std::string> git_says = GitIgnored(repo, env, test.paths);

    ScopedEnv scoped({{"HOME", home.path()},
                      {"GIT_CONFIG_NOSYSTEM", "1"},
                      {"GIT_CONFIG_GLOBAL", global_config},
                      {"XDG_CONFIG_HOME", std::nullopt}});
    RepositoryLayout layout{repo.root(), repo.root() + "/.git", repo.root() + "/.git"};
    std::optional<IgnoreRules> rules = IgnoreRules::Load(layout);
    REQUIRE(rules);
    for (const std::string& path : test.paths) {
      CAPTURE(path);
      std::optional<bool> ours = rules->IsIgnored(WithoutSlash(path), path.ends_with('/'));
      REQUIRE(ours);
      CHECK(*ours == git_says.contains(WithoutSlash(path)));
    }
  }
}

TEST_CASE("IgnoreRules: the default excludes file, and a symlinked .gitignore is not followed") {
  TempRepo repo;
  TempDir home;
  std::filesystem::create_directories(home / ".config/git");
  std::ofstream(home / ".config/git/ignore") << "*.xdg\n";
  repo.Write("real-ignore", "*.linked\n");
  std::filesystem::create_directories(repo.Path("d"));
  std::filesystem::create_symlink("../real-ignore", repo.Path("d/.gitignore"));
  std::vector<std::string> paths = {"a.xdg", "d/b.linked", "b.linked"};
  for (const std::string& path : paths) Create(repo, path);
  std::string env =
      "env -u XDG_CONFIG_HOME -u GIT_CONFIG_GLOBAL HOME=" + ShellQuote(home.path()) + " GIT_CONFIG_NOSYSTEM=1";
  // git warns about the symlink on stderr; its answer is on stdout.
  std::set<std::string> git_says = GitIgnored(repo, env, paths);
  CHECK(git_says == std::set<std::string>{"a.xdg"});

  ScopedEnv scoped({{"HOME", home.path()},
                    {"GIT_CONFIG_NOSYSTEM", "1"},
                    {"GIT_CONFIG_GLOBAL", std::nullopt},
                    {"XDG_CONFIG_HOME", std::nullopt}});
  std::optional<IgnoreRules> rules = IgnoreRules::Load({repo.root(), repo.root() + "/.git", repo.root() + "/.git"});
  REQUIRE(rules);
  for (const std::string& path : paths) {
    CAPTURE(path);
    CHECK(rules->IsIgnored(path, false) == git_says.contains(path));
  }
}

TEST_CASE("IgnoreRulesFallback passes on what the reader does not know") {
  TempRepo repo;
  TempDir home;
  repo.Write(".gitignore", "*.pyc\n");
  RepositoryLayout layout{repo.root(), repo.root() + "/.git", repo.root() + "/.git"};

  SUBCASE("the plain case: no question reaches the fallback") {
    ScopedEnv scoped({{"HOME", home.path()}, {"GIT_CONFIG_NOSYSTEM", "1"}, {"GIT_CONFIG_GLOBAL", "/dev/null"}});
    RefusingFallback next;
    IgnoreRulesFallback rules(layout, next);
    CHECK(rules.IsIgnored("x/a.pyc", false));
    CHECK_FALSE(rules.IsIgnored("x/a.py", false));
    CHECK(next.asked == 0);
  }
  SUBCASE("core.ignorecase, an include, a quoted excludesFile, `git -c`: all to the fallback") {
    for (const char* config :
         {"[core]\n\tignorecase = true\n", "[include]\n\tpath = other\n", "[core]\n\texcludesFile = \"~/x\"\n", ""}) {
      CAPTURE(config);
      std::ofstream(home / "gitconfig") << config;
      ScopedEnv scoped({{"HOME", home.path()},
                        {"GIT_CONFIG_NOSYSTEM", "1"},
                        {"GIT_CONFIG_GLOBAL", home / "gitconfig"},
                        {"GIT_CONFIG_PARAMETERS", *config ? std::nullopt : std::optional<std::string>("'a.b'='c'")}});
      RefusingFallback next;
      IgnoreRulesFallback rules(layout, next);
      CHECK_FALSE(rules.IsIgnored("x/a.pyc", false));
      CHECK(next.asked == 1);
    }
  }
  SUBCASE("a folder named .gitignore: to the fallback") {
    ScopedEnv scoped({{"HOME", home.path()}, {"GIT_CONFIG_NOSYSTEM", "1"}, {"GIT_CONFIG_GLOBAL", "/dev/null"}});
    std::filesystem::create_directories(repo.Path("d/.gitignore"));
    RefusingFallback next;
    IgnoreRulesFallback rules(layout, next);
    rules.IsIgnored("d/e/f", false);
    CHECK(next.asked == 1);
    CHECK(next.last == "d/e/f");
  }
}

}  // namespace dhg::git
