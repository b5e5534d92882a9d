// The sources half of the Dockerfile reader: FROM lines and their images,
// context sources of COPY, ADD and RUN --mount, and what they match, on
// DataHub's real Dockerfile shapes among others.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "graph/dockerfile.h"
#include "graph/dockerfile_testing.h"

namespace dhg::graph {
namespace {

using Strings = std::vector<std::string>;
using testing::FormatErrors;

std::vector<CopySource> Sources(std::string_view text, const BuildArgs& args = {}) {
  ParsedDockerfile dockerfile = ParseDockerfile(text);
  REQUIRE(FormatErrors(dockerfile.errors) == "");
  ContextSourceList list = ContextSources(dockerfile, args);
  REQUIRE(FormatErrors(list.errors) == "");
  return list.sources;
}

Strings SourcePaths(const std::vector<CopySource>& sources) {
  Strings paths;
  for (const CopySource& source : sources) paths.push_back(source.path);
  return paths;
}

// The files that one source (of a one-source Dockerfile line) copies.
Strings Copied(std::string_view copy_line, const Strings& files) {
  std::vector<CopySource> sources = Sources("FROM a\n" + std::string(copy_line) + "\n");
  Strings copied;
  for (const CopySource& source : sources) {
    for (const std::string& file : MatchSource(source, files).files) copied.push_back(file);
  }
  return copied;
}

const Strings kDataHubFiles = {
    "Dockerfile",         "scripts/run-tests.sh",  "scripts/install.sh",   "scripts/README.md",
    "test/test_r_func.R", "test/test_notebook.py", "test/data/sample.csv", "integration_tests/test_login.py",
    "src/app.py",         "requirements.txt"};

TEST_CASE("FromLines: DataHub's FROM shapes, the variables they use, the image under given build args") {
  ParsedDockerfile v1 = ParseDockerfile("ARG BASE_TAG=latest\nFROM ucsdets/datahub-base-notebook:$BASE_TAG\n");
  std::vector<FromLine> lines = FromLines(v1);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].expression == "ucsdets/datahub-base-notebook:$BASE_TAG");
  CHECK(lines[0].variables == Strings{"BASE_TAG"});
  CHECK(lines[0].reference == "ucsdets/datahub-base-notebook:latest");
  CHECK(lines[0].where == DockerfileLocation{2, 1});
  CHECK(lines[0].expression_where == DockerfileLocation{2, 6});
  CHECK(lines[0].base_stage == -1);
  CHECK(FromLines(v1, {{"BASE_TAG", "2021.2-5f71d3b"}})[0].reference == "ucsdets/datahub-base-notebook:2021.2-5f71d3b");

  ParsedDockerfile v2 = ParseDockerfile("ARG BASE_TAG\nFROM ghcr.io/ucsd-ets/datascience-notebook:${BASE_TAG}\n");
  CHECK(FromLines(v2, {{"BASE_TAG", "2026.3-abc1234"}})[0].reference ==
        "ghcr.io/ucsd-ets/datascience-notebook:2026.3-abc1234");
  CHECK(FromLines(v2)[0].reference == "ghcr.io/ucsd-ets/datascience-notebook:");

  ParsedDockerfile image = ParseDockerfile("ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n");
  CHECK(FromLines(image, {{"BASE_IMAGE", "r/base:t-1"}})[0].reference == "r/base:t-1");
  CHECK(FromLines(image)[0].error == "base name (${BASE_IMAGE}) should not be blank");
  CHECK(FromLines(image)[0].variables == Strings{"BASE_IMAGE"});

  SUBCASE("only ARGs declared before the first FROM are seen, with defaults in order") {
    ParsedDockerfile d = ParseDockerfile(
        "ARG REGISTRY=ghcr.io\n"
        "ARG REPO=${REGISTRY}/ucsd-ets\n"
        "FROM ${REPO}/base:${TAG:-stable} AS base\n"
        "ARG LATE=x\n"
        "FROM --platform=linux/amd64 $LATE\n");
    std::vector<FromLine> from = FromLines(d, {{"TAG", "given"}, {"LATE", "y"}});
    REQUIRE(from.size() == 2);
    CHECK(from[0].reference == "ghcr.io/ucsd-ets/base:stable");  // TAG is no declared ARG
    CHECK(from[0].variables == Strings{"REPO", "TAG"});
    CHECK(from[0].stage_name == "base");
    CHECK(from[1].error == "base name ($LATE) should not be blank");
    CHECK(from[1].platform == "linux/amd64");
    CHECK(FromLines(d, {{"REGISTRY", "quay.io"}})[0].reference == "quay.io/ucsd-ets/base:stable");
  }
  SUBCASE("a FROM naming an earlier stage, and a FROM without variables") {
    ParsedDockerfile d = ParseDockerfile("FROM python:3.11 AS Builder\nFROM builder\nFROM Builder\n");
    std::vector<FromLine> from = FromLines(d);
    REQUIRE(from.size() == 3);
    CHECK(from[0].variables.empty());
    CHECK(from[1].base_stage == 0);
    CHECK(from[2].base_stage == -1);  // BuildKit compares the name as written with the lower-cased stage name
  }
  SUBCASE("a substitution error is the FROM line's error") {
    ParsedDockerfile d = ParseDockerfile("ARG T\nFROM x:${T:?set_T}\n");
    REQUIRE(FromLines(d).size() == 1);
    CHECK(FromLines(d)[0].error == "T: set_T");
    CHECK(FromLines(d, {{"T", "1"}})[0].reference == "x:1");
  }
}

TEST_CASE("ContextSources: DataHub's COPY lines") {
  std::vector<CopySource> sources = Sources(
      "ARG BASE_TAG=latest\n"
      "FROM ucsdets/datahub-base-notebook:$BASE_TAG\n"
      "COPY ./test ./integration_tests /home/jovyan/\n"
      "COPY /test/test_r_func.R /opt/manual_tests\n"
      "COPY --chown=1000:100 scripts/*.sh /usr/share/datahub/scripts/\n");
  CHECK(SourcePaths(sources) == Strings{"test", "integration_tests", "test/test_r_func.R", "scripts/*.sh"});
  CHECK(sources[0].written == "./test");
  CHECK(sources[0].instruction == "COPY");
  CHECK(sources[0].where == DockerfileLocation{3, 6});
  CHECK(sources[1].where == DockerfileLocation{3, 13});
  CHECK(sources[3].where == DockerfileLocation{5, 23});
  CHECK(MatchSource(sources[0], kDataHubFiles).files ==
        Strings{"test/data/sample.csv", "test/test_notebook.py", "test/test_r_func.R"});
  CHECK(MatchSource(sources[1], kDataHubFiles).files == Strings{"integration_tests/test_login.py"});
  CHECK(MatchSource(sources[2], kDataHubFiles).files == Strings{"test/test_r_func.R"});
  CHECK(MatchSource(sources[3], kDataHubFiles).files == Strings{"scripts/install.sh", "scripts/run-tests.sh"});
  CHECK(ReachesFolder(sources, kDataHubFiles, "test"));
  CHECK(ReachesFolder(sources, kDataHubFiles, "integration_tests/"));
  CHECK_FALSE(ReachesFolder(sources, kDataHubFiles, "src"));
}

TEST_CASE("ContextSources: multi-stage builds, --from, heredocs, URLs, RUN heredocs") {
  std::vector<CopySource> sources = Sources(
      "FROM python:3.11 AS builder\n"
      "COPY requirements.txt /r/\n"
      "RUN <<EOF\n"
      "COPY ./test /looks-like-a-copy\n"
      "pip wheel -r /r/requirements.txt\n"
      "EOF\n"
      "FROM alpine AS unused\n"
      "COPY src /src\n"
      "FROM ucsdets/datahub-base-notebook:latest\n"
      "COPY --from=builder /wheels /wheels\n"
      "COPY --from=0 /x /x\n"
      "COPY --from=busybox:1.36 /bin/busybox /bin/\n"
      "COPY <<EOF /etc/motd\n"
      "hello\n"
      "EOF\n"
      "ADD https://example.com/a.tar.gz git@github.com:moby/buildkit.git https://github.com/x/y.git#main /opt/\n"
      "ADD local.tar.gz /opt/\n");
  CHECK(SourcePaths(sources) == Strings{"requirements.txt", "src", "local.tar.gz"});
  CHECK(sources[0].reachable);  // the last stage copies from builder
  CHECK_FALSE(sources[1].reachable);
  CHECK(sources[1].stage == 1);
  CHECK(sources[2].instruction == "ADD");
  CHECK(sources[2].reachable);

  SUBCASE("COPY of a URL or a git repository is an error, as in BuildKit") {
    ParsedDockerfile d = ParseDockerfile("FROM a\nCOPY https://x/y.tgz git://h/r /d/\n");
    CHECK(FormatErrors(ContextSources(d).errors) ==
          "2:6: COPY source \"https://x/y.tgz\": source can't be a URL for COPY (ADD can fetch it)\n"
          "2:22: COPY source \"git://h/r\": source can't be a git ref for COPY (ADD can fetch it)\n");
  }
}

TEST_CASE("ContextSources: substitution with the ARG and ENV of the stage") {
  std::vector<CopySource> sources = Sources(
      "ARG DIR=global\n"
      "FROM a AS one\n"
      "ARG DIR\n"
      "COPY $DIR/x /\n"
      "ENV SUB=${DIR}/sub OTHER=$SUB\n"
      "COPY ${SUB} ${OTHER:-none} /\n"
      "FROM one\n"
      "COPY $SUB/inherited ${UNSET}/y /\n"
      "FROM a\n"
      "COPY $DIR ${UNSET} /\n"
      "ARG DIR=local\n"
      "ARG GIVEN=default\n"
      "COPY \"$DIR\" '$GIVEN' $GIVEN /\n",
      {{"GIVEN", "from-build-args"}});
  CHECK(SourcePaths(sources) == Strings{"global/x", "global/sub", "none", "global/sub/inherited", "y", ".", ".",
                                        "local", "$GIVEN", "from-build-args"});
  CHECK(sources[1].written == "${SUB}");

  SUBCASE("a substitution error is an error at the source") {
    ParsedDockerfile d = ParseDockerfile("FROM a\nCOPY ${X:?must_be_set} /\nENV A=${\nCOPY ${X:?a b} /\n");
    CHECK(FormatErrors(ContextSources(d).errors) ==
          "2:6: COPY source \"${X:?must_be_set}\": X: must_be_set\n"
          "3:7: ENV syntax error: missing '}'\n"
          // Shell-form COPY words end at blanks, substitutions or not, as in BuildKit.
          "4:6: COPY source \"${X:?a\": syntax error: missing '}'\n");
  }
}

TEST_CASE("ContextSources: JSON form, --parents, --exclude, RUN --mount") {
  std::vector<CopySource> sources = Sources(
      "FROM a AS build\n"
      "COPY [\"./my dir/\", \"/dst/\"]\n"
      "COPY --parents ./test/./data/*.csv src/**/*.py /dst/\n"
      "COPY --exclude=*.md --exclude=/abs ./scripts /s/\n"
      "RUN --mount=type=bind,source=requirements.txt,target=/r pip install -r /r\n"
      "RUN --mount=target=/ctx --mount=type=cache,target=/root/.cache --mount=from=build,target=/b true\n"
      "RUN --mount=type=secret,id=x true\n");
  REQUIRE(SourcePaths(sources) == Strings{"my dir", "test", ".", "scripts", "requirements.txt", "."});
  CHECK(sources[1].include == "data/*.csv");
  CHECK(sources[2].include == "src/**/*.py");
  CHECK(sources[3].excludes == Strings{"*.md", "/abs"});
  CHECK(sources[4].instruction == "RUN --mount");
  CHECK_FALSE(sources[4].wildcards);
  CHECK(sources[4].where == DockerfileLocation{5, 5});

  ParsedDockerfile bad = ParseDockerfile("FROM a\nRUN --mount=type=bind,source=x\\\"y true\nRUN --mount=nokey true\n");
  CHECK(FormatErrors(ContextSources(bad).errors) ==
        "2:5: failed to parse csv mounts: bare \" in non-quoted-field\n"
        "3:5: invalid field 'nokey' must be a key=value pair\n");
}

TEST_CASE("MatchSource: normalisation of the source") {
  Strings files = kDataHubFiles;
  for (const char* line : {"COPY . /x", "COPY ./ /x", "COPY / /x", "COPY .. /x", "COPY ./test/../ /x"}) {
    CAPTURE(line);
    CHECK(Copied(line, files).size() == files.size());
  }
  for (const char* line : {"COPY ./test /x", "COPY test/ /x", "COPY /test /x", "COPY .//test/. /x"}) {
    CAPTURE(line);
    CHECK(Copied(line, files) == Strings{"test/data/sample.csv", "test/test_notebook.py", "test/test_r_func.R"});
  }
  CHECK(Copied("COPY $NOTHING /x", files).size() == files.size());  // BuildKit copies the whole context
}

TEST_CASE("MatchSource: wildcards with Go's filepath.Match, a matched folder brings what is under it") {
  Strings files = kDataHubFiles;
  CHECK(Copied("COPY te* /x", files) == Strings{"test/data/sample.csv", "test/test_notebook.py", "test/test_r_func.R"});
  CHECK(Copied("COPY */test_*.py /x", files) == Strings{"integration_tests/test_login.py", "test/test_notebook.py"});
  CHECK(Copied("COPY * /x", files).size() == files.size());
  CHECK(Copied("COPY *.txt /x", files) == Strings{"requirements.txt"});
  CHECK(Copied("COPY test/*/*.csv /x", files) == Strings{"test/data/sample.csv"});
  CHECK(Copied("COPY scripts/[a-m]*.sh /x", files) == Strings{"scripts/install.sh"});
  CHECK(Copied("COPY scripts/[^a-m]*.sh /x", files) == Strings{"scripts/run-tests.sh"});
  CHECK(Copied("COPY s?c /x", files) == Strings{"src/app.py"});
  CHECK(Copied("COPY [ /x", files).empty());  // a malformed pattern matches nothing
  Strings odd = {"a*b", "a-b", "dir/x"};
  // The lexer turns \\ into \; fsutil then sees no wildcard in "a\*b", a path that is not there.
  CHECK(Copied("COPY a\\\\*b /x", odd).empty());
  CHECK(Copied("COPY a\\*b /x", odd) == Strings{"a*b", "a-b"});  // the lexer drops \, * is a wildcard
  CHECK(Copied("COPY a[*]b /x", odd) == Strings{"a*b"});
  CHECK(Copied("COPY --exclude=*.md --exclude=data scripts te* /x", files) ==
        Strings{"scripts/install.sh", "scripts/run-tests.sh", "test/test_notebook.py", "test/test_r_func.R"});
  CHECK(Copied("COPY --exclude=*.md scripts/README.md /x", files) == Strings{"scripts/README.md"});
  CHECK(Copied("COPY --parents test/./**/*.csv /x", files) == Strings{"test/data/sample.csv"});
  CHECK(Copied("COPY --parents */*.sh /x", files) == Strings{"scripts/install.sh", "scripts/run-tests.sh"});
}

TEST_CASE("MatchSource and CheckSources: what matches nothing") {
  Strings files = kDataHubFiles;
  std::vector<CopySource> sources = Sources(
      "FROM a\n"
      "COPY ./tests /x\n"
      "COPY nope/*.sh /x\n"
      "COPY *.nothing /x\n"
      "COPY requirements.txt/* /x\n"
      "RUN --mount=source=te*,target=/t true\n"
      "COPY ./test /x\n");
  REQUIRE(sources.size() == 6);
  CHECK(MatchSource(sources[0], files).fails);
  CHECK(MatchSource(sources[1], files).fails);
  CHECK_FALSE(MatchSource(sources[2], files).fails);
  CHECK_FALSE(MatchSource(sources[3], files).fails);
  CHECK(MatchSource(sources[4], files).fails);  // a bind mount's source is no pattern
  SourceCheck check = CheckSources(sources, files);
  CHECK(FormatErrors(check.errors) ==
        "2:6: COPY source \"./tests\" is not in the build context (BuildKit fails: \"/tests\": not found)\n"
        "3:6: COPY source \"nope/*.sh\" is not in the build context (BuildKit fails: \"/nope/*.sh\": not found)\n"
        "6:5: RUN --mount source \"te*\" is not in the build context (BuildKit fails: \"/te*\": not found)\n");
  CHECK(FormatErrors(check.warnings) ==
        "4:6: COPY source \"*.nothing\" matches no file of the build context: it copies nothing\n"
        "5:6: COPY source \"requirements.txt/*\" matches no file of the build context: it copies nothing\n");
}

TEST_CASE("ReachesFolder: which sources bring test/ into the context") {
  Strings files = kDataHubFiles;
  files.push_back("sub/x");
  files.push_back("test/x");
  files.push_back("test/x.R");
  auto reaches = [&](std::string_view copy_line) {
    return ReachesFolder(Sources("FROM a\n" + std::string(copy_line) + "\n"), files, "test");
  };
  for (const char* line :
       {"COPY . /x", "COPY ./test /x", "COPY /test/x.R /x", "COPY te* /x", "COPY */x /x", "COPY [\"test\", \"/x\"]",
        "RUN --mount=target=/ctx true", "COPY $UNSET /x", "COPY --exclude=*.py . /x"}) {
    CAPTURE(line);
    CHECK(reaches(line));
  }
  CHECK(reaches("COPY test/x /x"));
  for (const char* line : {"COPY ./src /x", "COPY --from=builder /test /x", "COPY sub /x", "COPY --exclude=test . /x",
                           "COPY <<EOF /test\nx\nEOF", "RUN --mount=type=cache,target=/test true", "COPY tes /x"}) {
    CAPTURE(line);
    CHECK_FALSE(reaches(line));
  }
}

TEST_CASE("GoPathMatch: Go's path/filepath.Match") {
  struct Case {
    const char* pattern;
    const char* name;
    bool match;
  };
  // From Go's own match_test.go.
  const Case cases[] = {
      {"abc", "abc", true},
      {"*", "abc", true},
      {"*c", "abc", true},
      {"a*", "a", true},
      {"a*", "abc", true},
      {"a*", "ab/c", false},
      {"a*/b", "abc/b", true},
      {"a*/b", "a/c/b", false},
      {"a*b*c*d*e*/f", "axbxcxdxe/f", true},
      {"a*b*c*d*e*/f", "axbxcxdxexxx/f", true},
      {"a*b*c*d*e*/f", "axbxcxdxe/xxx/f", false},
      {"a*b*c*d*e*/f", "axbxcxdxexxx/fff", false},
      {"a*b?c*x", "abxbbxdbxebxczzx", true},
      {"a*b?c*x", "abxbbxdbxebxczzy", false},
      {"ab[c]", "abc", true},
      {"ab[b-d]", "abc", true},
      {"ab[e-g]", "abc", false},
      {"ab[^c]", "abc", false},
      {"ab[^b-d]", "abc", false},
      {"ab[^e-g]", "abc", true},
      {"a\\*b", "a*b", true},
      {"a\\*b", "ab", false},
      {"a?b",
       "a\xE2\x98\xBA"
       "b",
       true},
      {"a[^a]b",
       "a\xE2\x98\xBA"
       "b",
       true},
      {"a???b",
       "a\xE2\x98\xBA"
       "b",
       false},
      {"a[^a][^a][^a]b",
       "a\xE2\x98\xBA"
       "b",
       false},
      {"[a-\xCE\xB6]*", "\xCE\xB1", true},
      {"*[a-\xCE\xB6]", "A", false},
      {"a?b", "a/b", false},
      {"a*b", "a/b", false},
      {"[\\]a]", "]", true},
      {"[\\-]", "-", true},
      {"[x\\-]", "x", true},
      {"[x\\-]", "-", true},
      {"[x\\-]", "z", false},
      {"[\\-x]", "x", true},
      {"[\\-x]", "-", true},
      {"[\\-x]", "a", false},
      {"[]a]", "]", false},
      {"[-]", "-", false},
      {"[x-]", "x", false},
      {"[x-]", "-", false},
      {"[x-]", "z", false},
      {"[-x]", "x", false},
      {"[-x]", "-", false},
      {"[-x]", "a", false},
      {"\\", "a", false},
      {"[a-b-c]", "a", false},
      {"[", "a", false},
      {"[^", "a", false},
      {"[^bc", "a", false},
      {"a[", "a", false},
      {"a[", "ab", false},
      {"*x", "xxx", true},
      {"a[^x]b", "a/b", true},  // a class is the one thing that matches '/'
  };
  for (const Case& c : cases) {
    CAPTURE(c.pattern);
    CAPTURE(c.name);
    CHECK(GoPathMatch(c.pattern, c.name) == c.match);
  }
}

}  // namespace
}  // namespace dhg::graph
