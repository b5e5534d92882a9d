#include "graph/context.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "git/fake_repository.h"

namespace dhg::graph {
namespace {

using git::FakeFiles;
using git::FakeRepository;
using Strings = std::vector<std::string>;

bool Ignored(const std::string& dockerignore, const std::string& path) {
  return DockerIgnored(ParseDockerignore(dockerignore), path);
}

Strings Paths(const BuildContext& context) {
  Strings paths;
  for (const git::FileEntry& entry : context.files) paths.push_back(entry.path);
  return paths;
}

TEST_CASE("ParseDockerignore: comments, blanks, spaces, cleaning, exceptions") {
  CHECK(ParseDockerignore("") == Strings{});
  CHECK(ParseDockerignore("# comment\n\n   \n\t\n*.pyc\n") == Strings{"*.pyc"});
  CHECK(ParseDockerignore("  spaced.txt  \r\nwindows\r\n") == Strings{"spaced.txt", "windows"});
  // Docker cleans patterns like filepath.Clean and drops a leading '/'.
  CHECK(ParseDockerignore("/abs\n./rel\ndir/\na//b\na/./b\na/../c\n") ==
        Strings{"abs", "rel", "dir", "a/b", "a/b", "c"});
  CHECK(ParseDockerignore("!keep.txt\n!/abs/keep\n!dir/\n") == Strings{"!keep.txt", "!abs/keep", "!dir"});
  // Spaces between '!' and the pattern are trimmed, as docker does.
  CHECK(ParseDockerignore("! keep.txt\n") == Strings{"!keep.txt"});
  // Only a '#' in the first column starts a comment (docker's rule).
  CHECK(ParseDockerignore("  #not-a-comment\n") == Strings{"#not-a-comment"});
  // A UTF-8 byte order mark at the start is not part of the first pattern.
  CHECK(ParseDockerignore("\xEF\xBB\xBF*.log\n") == Strings{"*.log"});
}

TEST_CASE("DockerIgnored: plain names, globs and directories") {
  // A plain name matches that path at the context root, and everything below
  // it when it is a directory.
  CHECK(Ignored("secret.txt", "secret.txt"));
  CHECK_FALSE(Ignored("secret.txt", "sub/secret.txt"));
  CHECK_FALSE(Ignored("secret.txt", "secret.txt.bak"));
  CHECK(Ignored("node_modules", "node_modules/a/b.js"));
  CHECK(Ignored("node_modules/", "node_modules/a/b.js"));
  CHECK_FALSE(Ignored("node_modules", "src/node_modules/a.js"));
  CHECK(Ignored("docs/build", "docs/build/index.html"));
  CHECK_FALSE(Ignored("docs/build", "docs/builder.txt"));

  // `*` and `?` do not cross '/'.
  CHECK(Ignored("*.pyc", "a.pyc"));
  CHECK_FALSE(Ignored("*.pyc", "pkg/a.pyc"));
  CHECK(Ignored("*/*.pyc", "pkg/a.pyc"));
  CHECK_FALSE(Ignored("*/*.pyc", "pkg/sub/a.pyc"));
  CHECK(Ignored("docs/*", "docs/sub/deep.md"));  // matches the directory docs/sub
  CHECK(Ignored("file?.txt", "file1.txt"));
  CHECK_FALSE(Ignored("file?.txt", "file12.txt"));
  CHECK_FALSE(Ignored("a?b", "a/b"));
  CHECK(Ignored("*", "anything/at/all"));

  // Character classes and escapes.
  CHECK(Ignored("log[0-9].txt", "log7.txt"));
  CHECK_FALSE(Ignored("log[0-9].txt", "logx.txt"));
  CHECK(Ignored("log[!0-9].txt", "logx.txt"));
  CHECK(Ignored("log[^0-9].txt", "logx.txt"));
  CHECK_FALSE(Ignored("log[^0-9].txt", "log1.txt"));
  CHECK(Ignored("[ab]c", "bc"));
  CHECK_FALSE(Ignored("[ab]c", "cc"));
  CHECK(Ignored("star\\*", "star*"));
  CHECK_FALSE(Ignored("star\\*", "starx"));
  CHECK_FALSE(Ignored("broken[", "broken["));  // a malformed class matches nothing
}

TEST_CASE("DockerIgnored: `**` crosses directories, zero or more") {
  CHECK(Ignored("**/*.pyc", "a.pyc"));
  CHECK(Ignored("**/*.pyc", "pkg/a.pyc"));
  CHECK(Ignored("**/*.pyc", "pkg/sub/a.pyc"));
  CHECK_FALSE(Ignored("**/*.pyc", "pkg/a.py"));
  CHECK(Ignored("**/__pycache__", "pkg/__pycache__/x.pyc"));
  CHECK(Ignored("a/**/b", "a/b"));
  CHECK(Ignored("a/**/b", "a/x/y/b"));
  CHECK_FALSE(Ignored("a/**/b", "a/xb"));
  CHECK_FALSE(Ignored("a/**/b", "c/a/b"));
  CHECK(Ignored("cache/**", "cache/x/y"));
  CHECK(Ignored("**", "anything/at/all"));
}

TEST_CASE("DockerIgnored: `!` exceptions, the last matching pattern wins") {
  const char* ignore = "*.md\n!README.md\ndocs\n!docs/keep\ndocs/keep/drop.txt\n";
  CHECK(Ignored(ignore, "CHANGES.md"));
  CHECK_FALSE(Ignored(ignore, "README.md"));
  CHECK(Ignored(ignore, "docs/a.txt"));
  CHECK_FALSE(Ignored(ignore, "docs/keep/b.txt"));
  CHECK(Ignored(ignore, "docs/keep/drop.txt"));
  CHECK_FALSE(Ignored(ignore, "src/a.md"));  // *.md is at the root only

  // An exception before its pattern is overridden by it.
  CHECK(Ignored("!a.txt\n*.txt\n", "a.txt"));
  // Everything but a list: the common "allow list" style.
  const char* allow = "*\n!Dockerfile\n!src\n!src/**\nsrc/**/*.tmp\n";
  CHECK(Ignored(allow, "notes.txt"));
  CHECK_FALSE(Ignored(allow, "src/app.py"));
  CHECK_FALSE(Ignored(allow, "src/lib/util.py"));
  CHECK(Ignored(allow, "src/lib/x.tmp"));
  // Comments are not patterns.
  CHECK_FALSE(Ignored("# a.txt\n", "# a.txt"));
  CHECK_FALSE(Ignored("#a.txt\n", "a.txt"));
}

const std::string kDir = "images/base";

FakeFiles BaseFiles() {
  return {
      {"images/base/Dockerfile", {"FROM x\nCOPY files /opt/files\nCOPY build/keep.txt start.sh /opt/\n"}},
      {"images/base/.dockerignore", {"# local junk\n*.log\nbuild\n!build/keep.txt\nDockerfile\n.dockerignore\n"}},
      {"images/base/start.sh", {"#!/bin/sh\n", git::kModeExecutable}},
      {"images/base/files/a.txt", {"a"}},
      {"images/base/debug.log", {"noise"}},
      {"images/base/build/out.bin", {"bin"}},
      {"images/base/build/keep.txt", {"keep"}},
      {"images/base/test/test_base.py", {"def test(): pass\n"}},
      {"images/base/files/test/inner.txt", {"not the test folder"}},
      {"images/base-other/Dockerfile", {"FROM y\n"}},
      {"images/other/Dockerfile", {"FROM z\n"}},
      {"images/spec.yml", {"images: {}\n"}},
  };
}

TEST_CASE("ArgsNamedIn: the build args a Dockerfile can refer to, continuation lines joined and heredocs read") {
  ContextArgs args = {{"DIR", "src"}, {"PYTHON_VERSION", "3.11"}, {"UNUSED", "x"}, {"IN_HEREDOC", "y"}};
  std::string dockerfile =
      "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nARG DIR\nCOPY ${D\\\nIR} /opt/\nRUN <<EOF\necho $IN_HEREDOC\nEOF\n"
      "RUN conda install python=$PYTHON_VERSION\n";
  CHECK(ArgsNamedIn(dockerfile, args) == ContextArgs{{"DIR", "src"}, {"IN_HEREDOC", "y"}, {"PYTHON_VERSION", "3.11"}});
  CHECK(ArgsNamedIn("FROM scratch\nCOPY . /\n", args).empty());
  CHECK(ArgsNamedIn(std::nullopt, args).empty());
  // What the scan finds depends on those alone.
  FakeRepository repo;
  repo.Commit({{"img/Dockerfile", {dockerfile}}, {"img/src/a", {"1"}}, {"img/other/b", {"2"}}});
  git::TreeView& tree = repo.WorkTree();
  BuildContext all = ScanContext(tree, "img", args);
  BuildContext named = ScanContext(tree, "img", ArgsNamedIn(dockerfile, args));
  CHECK(all.files == named.files);
  CHECK(all.hash == named.hash);
  CHECK(all.left_out == Strings{"other"});
}

TEST_CASE("ScanContext: what docker would get of what the Dockerfile copies, Dockerfile always kept") {
  FakeRepository repo;
  repo.Commit(BaseFiles());
  BuildContext context = ScanContext(repo.WorkTree(), kDir);
  CHECK(context.dir == kDir);
  // Sorted by path; .dockerignore'd files and the test/ folder, which no COPY reaches, left out;
  // the Dockerfile and .dockerignore kept although .dockerignore names them;
  // a nested folder called test is ordinary content; a sibling folder whose
  // name starts the same is not part of it.
  CHECK(Paths(context) == Strings{"images/base/.dockerignore", "images/base/Dockerfile", "images/base/build/keep.txt",
                                  "images/base/files/a.txt", "images/base/files/test/inner.txt",
                                  "images/base/start.sh"});
  CHECK(context.files[5].mode == git::kModeExecutable);
  CHECK(context.hash.size() == 64);
  CHECK(context.left_out == Strings{"test"});
  CHECK(context.problems.empty());
}

// The context of a folder holding `files` and a Dockerfile `dockerfile`.
BuildContext ContextOf(const std::string& dockerfile, const Strings& files, const ContextArgs& args = {}) {
  FakeFiles tree = {{"img/Dockerfile", {dockerfile}}};
  for (const std::string& file : files) tree["img/" + file] = {"content of " + file};
  FakeRepository repo;
  repo.Commit(tree);
  return ScanContext(repo.WorkTree(), "img", args);
}

// The folders of `files` that are in the context of `dockerfile`.
Strings FoldersIn(const std::string& dockerfile, const ContextArgs& args = {}) {
  BuildContext context =
      ContextOf(dockerfile,
                {"top.txt", "test/test_x.py", "test/data/d.csv", "scripts/a.sh", "tools/t.py", "docs/readme.md"}, args);
  Strings folders;
  for (const git::FileEntry& file : context.files) {
    std::string relative = file.path.substr(4);
    size_t slash = relative.find('/');
    if (slash == std::string::npos) continue;
    std::string folder = relative.substr(0, slash);
    if (folders.empty() || folders.back() != folder) folders.push_back(folder);
  }
  return folders;
}

TEST_CASE("ScanContext: a folder is in the context exactly when a COPY, ADD or bind mount can reach it") {
  CHECK(FoldersIn("FROM x\n") == Strings{});
  CHECK(FoldersIn("FROM x\nCOPY . /opt/\n") == Strings{"docs", "scripts", "test", "tools"});
  CHECK(FoldersIn("FROM x\nCOPY ./ /opt/\n") == Strings{"docs", "scripts", "test", "tools"});
  // DataHub's shapes: the test folder copied into the image.
  CHECK(FoldersIn("FROM x\nCOPY ./test ./integration_tests /home/jovyan/\n") == Strings{"test"});
  CHECK(FoldersIn("FROM x\nCOPY /test/test_x.py /opt/manual_tests\n") == Strings{"test"});
  CHECK(FoldersIn("FROM x\nCOPY --chown=1000:100 scripts/*.sh /usr/share/datahub/scripts/\n") == Strings{"scripts"});
  CHECK(FoldersIn("FROM x\nCOPY te* /opt/\n") == Strings{"test"});
  CHECK(FoldersIn("FROM x\nCOPY */a.sh /opt/\n") == Strings{"scripts"});
  CHECK(FoldersIn("FROM x\nADD tools /opt/tools\n") == Strings{"tools"});
  CHECK(FoldersIn("FROM x\nRUN --mount=type=bind,source=tools,target=/t python /t/t.py\n") == Strings{"tools"});
  CHECK(FoldersIn("FROM x\nCOPY [\"scripts\", \"/opt/s\"]\n") == Strings{"scripts"});
  CHECK(FoldersIn("FROM x\nCOPY \\\n  scripts \\\n  /opt/\n") == Strings{"scripts"});
  // Not from the context: another stage, an image, a heredoc, a URL; a heredoc body is no instruction.
  CHECK(FoldersIn("FROM x AS b\nFROM y\nCOPY --from=b /scripts /opt/\n") == Strings{});
  CHECK(FoldersIn("FROM x\nCOPY --from=busybox:1 /test /opt/\n") == Strings{});
  CHECK(FoldersIn("FROM x\nRUN <<EOF\nCOPY test /opt/\nEOF\n") == Strings{});
  CHECK(FoldersIn("FROM x\nADD https://example.com/test /opt/\n") == Strings{});
  // Build args decide what a source names.
  CHECK(FoldersIn("FROM x\nARG DIR=scripts\nCOPY ${DIR} /opt/\n") == Strings{"scripts"});
  CHECK(FoldersIn("FROM x\nARG DIR=scripts\nCOPY ${DIR} /opt/\n", {{"DIR", "tools"}}) == Strings{"tools"});
}

TEST_CASE("ScanContext: what the Dockerfile reader finds is reported at its line") {
  BuildContext missing = ContextOf("FROM x\n\nCOPY scripts/a.sh nowhere.txt /opt/\n", {"scripts/a.sh"});
  REQUIRE(missing.problems.size() == 1);
  CHECK(missing.problems[0].is_error);
  CHECK(missing.problems[0].line == 3);
  CHECK(missing.problems[0].column == 19);
  CHECK(missing.problems[0].message.find("nowhere.txt") != std::string::npos);
  CHECK(missing.problems[0].message.find("is not in the build context") != std::string::npos);

  BuildContext nothing = ContextOf("FROM x\nCOPY *.nothing /opt/\n", {"a.txt"});
  REQUIRE(nothing.problems.size() == 1);
  CHECK_FALSE(nothing.problems[0].is_error);

  // A Dockerfile the reader refuses: a warning, and every folder but test/ is kept.
  BuildContext broken = ContextOf("FROM x\nCOPY onlyone\n", {"test/t.py", "scripts/a.sh"});
  REQUIRE_FALSE(broken.problems.empty());
  CHECK_FALSE(broken.problems[0].is_error);
  CHECK(broken.problems[0].line == 2);
  CHECK(Paths(broken) == Strings{"img/Dockerfile", "img/scripts/a.sh"});
}

TEST_CASE("ContextArgsOf: a child's BASE_IMAGE and BASE_TAG do not decide its context") {
  std::vector<std::pair<std::string, std::string>> args = {{"BASE_IMAGE", "r/p:t"}, {"BASE_TAG", "t"}, {"V", "1"}};
  CHECK(ContextArgsOf(args, true) == ContextArgs{{"V", "1"}});
  CHECK(ContextArgsOf(args, false) == ContextArgs{{"BASE_IMAGE", "r/p:t"}, {"BASE_TAG", "t"}, {"V", "1"}});
}

// The context hash after one edit of the working tree.
std::string HashAfter(void (*edit)(FakeRepository&)) {
  FakeRepository repo;
  repo.Commit(BaseFiles());
  edit(repo);
  return ScanContext(repo.WorkTree(), kDir).hash;
}

TEST_CASE("ScanContext: the hash follows exactly the files of the context") {
  std::string original = HashAfter([](FakeRepository&) {});
  CHECK(original == HashAfter([](FakeRepository&) {}));

  // Files that are not sent to docker do not count.
  CHECK(original == HashAfter([](FakeRepository& r) { r.SetWorkFile("images/base/debug.log", "changed"); }));
  CHECK(original == HashAfter([](FakeRepository& r) { r.SetWorkFile("images/base/new.log", "new"); }));
  CHECK(original == HashAfter([](FakeRepository& r) { r.SetWorkFile("images/base/build/out.bin", "other"); }));
  CHECK(original == HashAfter([](FakeRepository& r) { r.SetWorkFile("images/base/test/test_base.py", "x"); }));
  CHECK(original == HashAfter([](FakeRepository& r) { r.SetWorkFile("images/base/test/new_test.py", "x"); }));
  CHECK(original == HashAfter([](FakeRepository& r) { r.SetWorkFile("images/base/docs/notes.md", "x"); }));
  CHECK(original == HashAfter([](FakeRepository& r) { r.SetWorkFile("images/other/Dockerfile", "FROM w"); }));
  CHECK(original == HashAfter([](FakeRepository& r) { r.SetWorkFile("images/base-other/new", "x"); }));
  CHECK(original == HashAfter([](FakeRepository& r) { r.SetWorkFile("images/spec.yml", "changed"); }));

  // Files that are sent do: content, mode, name, presence.
  Strings changed = {
      HashAfter([](FakeRepository& r) { r.SetWorkFile("images/base/Dockerfile", "FROM x2\nCOPY . /opt/\n"); }),
      HashAfter([](FakeRepository& r) {  // the tests become part of the image
        r.SetWorkFile("images/base/Dockerfile",
                      "FROM x\nCOPY files /opt/files\nCOPY build/keep.txt start.sh test /opt/\n");
      }),
      HashAfter([](FakeRepository& r) { r.SetWorkFile("images/base/files/a.txt", "b"); }),
      HashAfter([](FakeRepository& r) { r.SetWorkFile("images/base/start.sh", "#!/bin/sh\n"); }),  // mode only
      HashAfter([](FakeRepository& r) {
        r.RemoveWorkFile("images/base/files/a.txt");
        r.SetWorkFile("images/base/files/b.txt", "a");  // renamed
      }),
      HashAfter([](FakeRepository& r) { r.SetWorkFile("images/base/files/new.txt", ""); }),
      HashAfter([](FakeRepository& r) { r.RemoveWorkFile("images/base/files/a.txt"); }),
      HashAfter([](FakeRepository& r) { r.SetWorkFile("images/base/build/keep.txt", "kept and changed"); }),
      HashAfter([](FakeRepository& r) { r.SetWorkFile("images/base/.dockerignore", "*.log\n"); }),
      HashAfter([](FakeRepository& r) { r.SetWorkFile("images/base/link", "files/a.txt", git::kModeSymlink); }),
  };
  for (size_t i = 0; i < changed.size(); ++i) {
    CAPTURE(i);
    CHECK(changed[i] != original);
    for (size_t j = 0; j < i; ++j) CHECK(changed[i] != changed[j]);
  }
}

TEST_CASE("ScanContext: a file name and content boundary cannot be shifted") {
  // ("ab", content "c") and ("a", content "bc") must not collide, nor must
  // the same content under two names.
  FakeRepository one, two;
  one.Commit({{"img/Dockerfile", {"x"}}, {"img/ab", {"c"}}});
  two.Commit({{"img/Dockerfile", {"x"}}, {"img/a", {"bc"}}});
  CHECK(ScanContext(one.WorkTree(), "img").hash != ScanContext(two.WorkTree(), "img").hash);
}

TEST_CASE("ScanContext: the same files give the same hash in the working tree, at a commit and in another folder") {
  FakeRepository repo;
  std::string commit = repo.Commit(BaseFiles());
  CHECK(ScanContext(repo.WorkTree(), kDir).hash == ScanContext(repo.TreeAt(commit), kDir).hash);

  // The folder's own name is not part of the context: docker sees paths
  // relative to it.
  FakeFiles moved;
  for (const auto& [path, file] : BaseFiles())
    if (path.starts_with("images/base/")) moved["stack/renamed/" + path.substr(12)] = file;
  FakeRepository other;
  other.Commit(moved);
  CHECK(ScanContext(other.WorkTree(), "stack/renamed").hash == ScanContext(repo.WorkTree(), kDir).hash);
}

TEST_CASE("ScanContext: an ignored Dockerfile and a context without .dockerignore") {
  FakeRepository repo;
  repo.Commit({{"img/Dockerfile", {"FROM x"}}, {"img/.dockerignore", {"*\n"}}, {"img/app.py", {"x"}}});
  CHECK(Paths(ScanContext(repo.WorkTree(), "img")) == Strings{"img/.dockerignore", "img/Dockerfile"});

  repo.RemoveWorkFile("img/.dockerignore");
  CHECK(Paths(ScanContext(repo.WorkTree(), "img")) == Strings{"img/Dockerfile", "img/app.py"});
}

}  // namespace
}  // namespace dhg::graph
