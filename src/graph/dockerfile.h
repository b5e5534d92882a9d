// A Dockerfile read the way BuildKit's dockerfile frontend reads it, as far as
// the generator needs: the instructions with their places, the images the
// FROM lines name, and the build-context files that COPY, ADD and
// RUN --mount=type=bind can reach. Reading never throws, whatever the bytes:
// what BuildKit refuses is an error with its line and column.
#pragma once
#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace dhg::graph {

struct DockerfileLocation {
  int line = 0;    // 1-based
  int column = 0;  // 1-based, in bytes from the start of the line (a byte order mark does not count)
  bool operator==(const DockerfileLocation&) const = default;
};

struct DockerfileError {
  DockerfileLocation where;
  std::string message;
};

// `--name[=value]` written before an instruction's arguments. Quotes are
// removed and `\` escapes the next byte, as BuildKit reads flags.
struct InstructionFlag {
  std::string name;  // without the dashes: "from", "chown"
  std::string value;
  bool has_value = false;  // "--link" has none, "--link=" an empty one
  DockerfileLocation where;
};

// A here-document opened by a RUN, COPY or ADD line (`<<EOF`, `<<-EOF`,
// `<<"EOF"`, several on one line). Its body is the lines up to the delimiter;
// they are not instructions.
struct Heredoc {
  std::string name;     // the delimiter, quotes removed
  std::string content;  // the body as written, every line with its line break
  bool expand = true;   // false when the delimiter is quoted: no substitution in the body
  bool chomp = false;   // `<<-`: leading tabs of the body's lines do not count
};

// One logical instruction: its continuation lines joined, comment lines
// dropped, heredoc bodies attached.
struct Instruction {
  std::string keyword;   // lower case: "from", "copy", "onbuild"; unknown ones too
  std::string original;  // the logical line as BuildKit joins it
  std::vector<InstructionFlag> flags;
  // The arguments as BuildKit's parser splits them, before substitution:
  // JSON form: the array's strings. Shell form: FROM, EXPOSE, COPY, ADD and
  // VOLUME, the words between blanks (quotes kept); ARG, its words (quoted
  // blanks kept); ENV and LABEL, name then value for each pair; RUN, CMD,
  // ENTRYPOINT, SHELL, USER, WORKDIR and the like, the rest of the line as one
  // argument; HEALTHCHECK, its type then the command; ONBUILD, the trigger's
  // keyword then the trigger's arguments.
  std::vector<std::string> args;
  std::vector<DockerfileLocation> arg_locations;  // where each of `args` starts
  bool json_form = false;
  std::vector<Heredoc> heredocs;
  DockerfileLocation where;  // the keyword's first byte
  int end_line = 0;          // the last line it takes, heredoc bodies included
};

struct ParsedDockerfile {
  std::vector<Instruction> instructions;
  std::vector<DockerfileError> errors;    // what BuildKit refuses, in the order found
  std::vector<DockerfileError> warnings;  // what it accepts but is likely a mistake
  char escape = '\\';                     // from a `# escape=` directive
};

// Never throws. After an unterminated heredoc or a line longer than BuildKit
// reads (64 KiB) nothing further is parsed, as in BuildKit; other errors are
// collected and parsing goes on.
ParsedDockerfile ParseDockerfile(std::string_view text);

// Build-arg values given to the build (`--build-arg NAME=VALUE`).
using BuildArgs = std::map<std::string, std::string>;

// A FROM line, and the image it names under given build args. As in BuildKit,
// FROM sees only the ARGs declared before the first FROM (their defaults,
// overridden by the build args); a build arg not declared there is not seen.
struct FromLine {
  size_t stage = 0;        // 0 for the first FROM
  std::string expression;  // the image as written: "ucsdets/datahub-base-notebook:$BASE_TAG"
  // Every variable the expression refers to, nested defaults included,
  // sorted: {"BASE_TAG"}.
  std::vector<std::string> variables;
  std::string stage_name;               // after AS, lower case as BuildKit keeps it; "" without
  std::string platform;                 // the --platform value as written; "" without
  DockerfileLocation where;             // of the FROM keyword
  DockerfileLocation expression_where;  // of the image expression
  // Resolved with the build args given to FromLines:
  std::string reference;  // "ucsdets/datahub-base-notebook:2021.2-5f71d3b"; "" when `error`
  int base_stage = -1;    // the earlier stage that `reference` names (FROM builder), or -1
  std::string error;      // why there is no reference; "" when there is
};

// Every FROM line that BuildKit accepts, in order (a malformed one is left out
// and is in `dockerfile.errors`).
std::vector<FromLine> FromLines(const ParsedDockerfile& dockerfile, const BuildArgs& build_args = {});

// A path of the build context that an instruction reads: a local COPY or ADD
// source, or the source of a RUN --mount=type=bind without from=. Sources of
// other stages or images (--from=), URLs, git repositories and heredocs are
// not context sources.
struct CopySource {
  std::string instruction;  // "COPY", "ADD" or "RUN --mount"
  std::string written;      // the source as written: "./test", "$DIR/*.sh"
  // After substitution (ARG and ENV of its stage; an unset variable is
  // empty, as in BuildKit) and normalisation: relative to the context root,
  // "." for the root itself ("/", ".", "./" and "" all name it). "test",
  // "scripts/*.sh".
  std::string path;
  bool wildcards = true;  // COPY and ADD glob `path`; a bind mount names it literally
  // COPY --parents: only what matches this (a .dockerignore-style pattern,
  // relative to `path`) is copied; "" = everything.
  std::string include;
  // --exclude patterns (.dockerignore syntax, `**` included), relative to
  // each matched folder; a file matched by `path` itself is never excluded.
  std::vector<std::string> excludes;
  size_t stage = 0;
  // The stage is one the last stage (what `docker build` builds without
  // --target) needs. The classic builder builds every stage anyway.
  bool reachable = true;
  DockerfileLocation where;  // of the source
};

struct ContextSourceList {
  std::vector<CopySource> sources;
  // Substitution errors (`${X:?msg}`, a missing `}`), COPY of a URL or git
  // repository, a bind mount that BuildKit refuses.
  std::vector<DockerfileError> errors;
};

// Every context source of every stage, in order.
ContextSourceList ContextSources(const ParsedDockerfile& dockerfile, const BuildArgs& build_args = {});

struct SourceMatch {
  std::vector<std::string> files;  // the context files the source copies, sorted
  // Nothing matched and BuildKit stops the build ("not found"): a literal
  // path that is not in the context, or a wildcard under a folder that is
  // not. A wildcard that matches nothing under an existing folder copies
  // nothing, and BuildKit goes on.
  bool fails = false;
};

// `context_files`: the files docker would see (.dockerignore applied),
// relative to the context root, '/'-separated, in any order. Folders are
// those the files imply. A wildcard path matches with Go's
// path/filepath.Match (`*` and `?` do not cross '/'); a matched folder brings
// everything under it.
SourceMatch MatchSource(const CopySource& source, const std::vector<std::string>& context_files);

// One diagnostic per source that reaches no file: an error where BuildKit
// stops the build, a warning where it copies nothing and goes on.
struct SourceCheck {
  std::vector<DockerfileError> errors;
  std::vector<DockerfileError> warnings;
};
SourceCheck CheckSources(const std::vector<CopySource>& sources, const std::vector<std::string>& context_files);
// The same from matches already made: `matches[i]` of `sources[i]`.
SourceCheck CheckMatches(const std::vector<CopySource>& sources, const std::vector<SourceMatch>& matches);

// Whether any of `sources` reaches a file under `folder` (relative to the
// context root, e.g. "test"): what decides whether that folder is part of the
// build context and so of the content key.
bool ReachesFolder(const std::vector<CopySource>& sources, const std::vector<std::string>& context_files,
                   std::string_view folder);

// Go's path/filepath.Match with '/' as separator: `*`, `?`, `[...]` classes
// (`^` negates, ranges, `\` escapes), `\` escapes. A malformed pattern
// matches nothing (COPY ignores Match's error).
bool GoPathMatch(std::string_view pattern, std::string_view name);

}  // namespace dhg::graph
