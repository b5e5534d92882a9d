// Hostile values, field by field: every spec field that reaches a command
// line, a file name or build.ninja, against every class of hostile value. A
// value either arrives verbatim where it belongs (read back from the command
// ninja would run) or the spec is rejected with a clear error at the value's
// line and column, and nothing is written. The same table is in
// docs/spec-reference.md ("Escaping and rejected values"); the real ninja and
// docker are in tests/integration/test_hostile.py.
#include <doctest/doctest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "emit/emit.h"
#include "git/fake_repository.h"
#include "graph/keys.h"
#include "spec/spec.h"
#include "util/escape.h"
#include "util/strings.h"

namespace dhg::emit {
namespace {

using Strings = std::vector<std::string>;

// The columns of the table.
struct ValueClass {
  const char* name;
  std::string text;
};

const std::vector<ValueClass>& Classes() {
  static const std::vector<ValueClass> classes = {
      {"$(...)", "$(touch /tmp/pwned)"},
      {"backticks", "`touch /tmp/pwned`"},
      {";", "a; rm -rf /"},
      {"quotes", "it's \"q\""},
      {"$", "$HOME $$ $1 $"},
      {"${NAME}", "${HOME}"},
      {"newline", "a\nb"},
      {"CR", "a\rb"},
      {"|", "a|b"},
      {":", "a:b"},
      {"spaces", "  a b  "},
      {"..", ".."},
      {"/", "a/b"},
      {"absolute path", "/etc/passwd"},
      {"NUL", std::string("a\0b", 3)},
      {"ESC", "\x1b[31m"},
      {"unicode",
       "Gr\xc3\xbc\xc3\x9f"
       "e \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x90\xb3"},
      {"not UTF-8",
       "a\xff"
       "b"},
      {"100 KB", std::string(100 * 1024, 'x')},
      {"40 KB of '", std::string(40 * 1000, '\'')},
      {"empty", ""},
  };
  return classes;
}

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

// The generator's pipeline on a spec in a fake repository with the folders of
// `images` (each with a Dockerfile): load, resolve, identities, emit, write.
struct Generated {
  spec::Diagnostics diagnostics;
  std::unique_ptr<graph::Graph> graph;
  ninja::File file;
  std::optional<std::string> written;  // build.ninja, when there was no error

  Generated(const std::string& spec_text, const std::map<std::string, std::string>& defines, Options emit_options = {},
            const Strings& images = {"a"}) {
    git::FakeRepository repo;
    git::FakeFiles files = {{"images/spec.yml", {spec_text}}};
    for (const std::string& image : images) files["images/" + image + "/Dockerfile"] = {"FROM x\n"};
    repo.Commit(files);
    graph::Options options;
    options.defines = defines;
    graph = graph::BuildGraph(spec::LoadSpec(spec_text, "images/spec.yml", diagnostics), repo.WorkTree(), options,
                              diagnostics);
    if (diagnostics.HasErrors()) return;
    graph::ComputeIdentities(*graph, repo, options, diagnostics);
    emit_options.tool = "datahub-gen";
    file = EmitBuildFile(*graph, emit_options, diagnostics);
    if (!diagnostics.HasErrors()) written = ninja::Write(file);
  }

  // The argv the step of `rule` gets (the stacks here have one node): its
  // command as ninja runs it, split as /bin/sh splits it.
  Strings StepArgv(const std::string& rule) const {
    for (const ninja::Build& build : file.builds) {
      if (build.rule != rule) continue;
      Strings words;
      std::string error;
      REQUIRE_MESSAGE(SplitShellWords(ninja::EvaluateCommand(file, build), &words, &error), error);
      return words;
    }
    FAIL("no " << rule << " edge");
    return {};
  }
};

// Values of `flag` in argv.
Strings FlagValues(const Strings& argv, const std::string& flag) {
  Strings values;
  for (size_t i = 0; i + 1 < argv.size(); ++i)
    if (argv[i] == flag) values.push_back(argv[i + 1]);
  return values;
}

// Where a value that arrives verbatim is received, read back from the step's argv.
using Receiver = std::function<std::string(const Generated&)>;

Receiver BuildArg(const std::string& name) {
  return [name](const Generated& generated) {
    for (const std::string& assignment : FlagValues(generated.StepArgv("build_image"), "--build-arg"))
      if (StartsWith(assignment, name + "=")) return assignment.substr(name.size() + 1);
    return std::string("<no build arg " + name + ">");
  };
}

Receiver Flag(const std::string& rule, const std::string& flag, const std::string& prefix = "") {
  return [=](const Generated& generated) {
    Strings values = FlagValues(generated.StepArgv(rule), flag);
    REQUIRE_MESSAGE(values.size() == 1, flag << " given " << values.size() << " times");
    REQUIRE_MESSAGE(StartsWith(values[0], prefix), values[0]);
    return values[0].substr(prefix.size());
  };
}

// The tag prefix: the tag without its "-<commit>".
std::string TagPrefix(const Generated& generated) {
  std::string image = Flag("build_image", "--image")(generated);
  std::string tag = image.substr(image.rfind(':') + 1);
  return tag.size() == 7 ? "" : tag.substr(0, tag.size() - 8);
}

// One row of the table: a field, the spec that puts a value (@V@, as a YAML
// double-quoted scalar) into it, and one outcome per value class (in the
// order of Classes()).
struct Field {
  const char* name;
  std::string spec;
  std::string outcomes;
  Receiver received = nullptr;  // where a verbatim value arrives
  // Errors about the value are reported at the value, or (a key's) at the
  // text after the first `error_marker` of the spec with the value in it,
  // `error_offset` bytes on; a -D value (-D V=...) at what uses it.
  std::string error_marker = "";
  size_t error_offset = 0;
  bool as_define = false;
};

// A value that is not UTF-8 is reported at its bad byte: in `"a\xffb"`, two
// bytes after the opening quote.
constexpr size_t kBadByteColumnOffset = 2;

// "images/spec.yml:LINE:COLUMN: error: " for a byte offset in `text`
// (columns count bytes, as yaml-cpp's do).
std::string ErrorAt(const std::string& text, size_t offset) {
  size_t line_start = text.rfind('\n', offset == 0 ? 0 : offset - 1);
  line_start = line_start == std::string::npos || offset == 0 ? 0 : line_start + 1;
  size_t line = 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + static_cast<long>(line_start), '\n'));
  return "images/spec.yml:" + std::to_string(line) + ":" + std::to_string(offset - line_start + 1) + ": error: ";
}

// Outcome codes (the legend of the table in docs/spec-reference.md):
//   V   verbatim where it belongs            NL  line break     NUL NUL byte
//   U8  the file is not UTF-8               NU  a -D value that is not UTF-8
//   L   the command would be too long       UV  ${NAME} names no variable
//   K   image key rule      P  plan name rule      R  repository rule
//   T   tag prefix rule     S  stable tag rule     A  ARG name rule
//   N   variable name rule  W  not words           U  unknown name
//   E   empty image_name    Y  not YAML (an implicit key of over 1024 characters)
//   I   a plan that plans: lacks: ignored, with a warning at the value
Strings ExpectedFragments(const std::string& code, const std::string& value) {
  std::string q = QuoteForMessage(value, '\'');
  std::map<std::string, Strings> fragments = {
      {"NL", {"contains a line break, which cannot be written into build.ninja"}},
      {"NUL", {"contains a NUL byte"}},
      {"U8", {"the spec is not UTF-8 text: byte 0xff does not start a UTF-8 character"}},
      {"NU", {"is not UTF-8 text, which docker would not get as written"}},
      {"L", {" bytes: with it, the ", " bytes long; ninja runs a command with /bin/sh -c"}},
      {"UV", {"uses undefined variable ${HOME}"}},
      {"K", {"image key " + q + " must be a folder name of letters, digits, '-', '_' and '.'"}},
      {"P", {"plan name " + q + " may use only letters, digits, '-', '_' and '.'"}},
      {"R", {"image_name of 'a': " + q + " is not a valid repository name: "}},
      {"T", {"tag prefix " + q + " cannot start a tag: "}},
      {"S", {"stable tag " + QuoteForMessage("v1" + value, '\'') + " is not a valid tag: "}},
      {"A", {"build arg name " + q + " is not a valid ARG name"}},
      {"N", {"variable name " + q + " in variables cannot be used"}},
      {"W", {"cannot be split into words"}},
      {"U", {"unknown ", q}},
      {"E", {"image 'a' has an empty 'image_name'"}},
      {"Y", {"invalid YAML: illegal map value"}},
  };
  REQUIRE_MESSAGE(fragments.count(code), "unknown outcome code " << code);
  return fragments[code];
}

const char* const kGen1 = R"(images:
  a:
    image_name: x/a
    dbuild_env:
      common: {BASE_IMAGE: 'r:1'}
    manifests: [M]
plans:
  P: {tag_prefix: v1}
manifests:
  M: {description: d, command: ls}
)";

std::vector<Field> Fields() {
  //                             $() `` ;  "' $  ${} \n \r |  :  sp .. /  /x NUL ESC uni U8 100K 40K' ""
  const std::string kValue = "V  V  V  V  V  UV NL NL V  V  V  V  V  V  NUL V  V  U8 V  L  V";
  const std::string kLiteral = "V  V  V  V  V  V  NL NL V  V  V  V  V  V  NUL V  V  U8 V  L  V";
  // A variable's value, -D's too, may use variables.
  const std::string kVariable = "V  V  V  V  V  UV NL NL V  V  V  V  V  V  NUL V  V  U8 V  L  V";
  const std::string kDefine = "V  V  V  V  V  UV NL NL V  V  V  V  V  V  NUL V  V  NU V  L  V";
  const std::string kTagPrefix = "T  T  T  T  T  UV T  T  T  T  T  T  T  T  T   T  T  U8 T  T  V";
  // A key of 100 KB is not YAML: an implicit key has at most 1024 characters.
  auto all = [](const std::string& code) {
    return Replace("%  %  %  %  %  %  %  %  %  %  %  %  %  %  %   %  %  U8 Y  Y  %", "%", code);
  };
  auto all_values = [](const std::string& code) {
    return Replace("%  %  %  %  %  %  %  %  %  %  %  %  %  %  %   %  %  U8 %  %  %", "%", code);
  };
  const std::string kUsesV = Replace(kGen1, "{BASE_IMAGE: 'r:1'}", "{BASE_IMAGE: 'r:1', X: '${V}'}");
  return {
      {"image key", Replace(kGen1, "  a:\n", "  @V@:\n"), all("K")},
      {"image_name", Replace(kGen1, "image_name: x/a", "image_name: @V@"),
       "R  R  R  R  R  UV R  R  R  R  R  R  V  R  R   R  R  U8 R  R  E",
       [](const Generated& generated) {
         std::string image = Flag("build_image", "--image")(generated);
         return image.substr(0, image.rfind(':'));
       }},
      {"plan name", Replace(kGen1, "  P: {tag_prefix: v1}", "  @V@: {tag_prefix: v1}"), all("P")},
      {"tag_prefix", Replace(kGen1, "tag_prefix: v1", "tag_prefix: @V@"), kTagPrefix, TagPrefix},
      {"tag_stable_postfix", Replace(kGen1, "tag_prefix: v1", "tag_prefix: v1, tag_stable_postfix: @V@"),
       "S  S  S  S  S  S  S  S  S  S  S  V  S  S  S   S  S  U8 S  S  V",
       Flag("promote_stable", "--stable-image", "x/a:v1")},
      {"variable name", "variables:\n  @V@: x\n" + std::string(kGen1), all("N"), nullptr, ": x\n", 2},
      {"variable value (in a build arg)", "variables: {V: @V@}\n" + kUsesV, kVariable, BuildArg("X"), "'${V}'"},
      {"-D value (in a build arg)", kUsesV, kDefine, BuildArg("X"), "'${V}'", 0, true},
      {"build arg name",
       Replace(kGen1, "      common: {BASE_IMAGE: 'r:1'}", "      common:\n        @V@:\n          x"), all("A"),
       nullptr, ":\n          x", 12},
      {"build arg value (dbuild_env.common)", Replace(kGen1, "{BASE_IMAGE: 'r:1'}", "{BASE_IMAGE: 'r:1', X: @V@}"),
       kValue, BuildArg("X")},
      {"build arg value (dbuild_env.<plan>)",
       Replace(kGen1, "{BASE_IMAGE: 'r:1'}", "{BASE_IMAGE: 'r:1'}\n      P: {X: @V@}"), kValue, BuildArg("X")},
      {"build_args value (generation 2)",
       "images:\n  a:\n    image_name: x/a\n    build_args: {BASE_IMAGE: 'r:1', X: @V@}\ntag: {prefix: v1}\n", kValue,
       BuildArg("X")},
      {"manifest name",
       "manifests:\n  @V@: {description: d, command: ls}\n" +
           Replace(Replace(kGen1, "[M]", "[@V@]"), "manifests:\n  M: {description: d, command: ls}\n", ""),
       "V  V  V  V  V  V  NL NL V  V  V  V  V  V  NUL V  V  U8 Y  Y  V", Flag("manifest_page", "--cmd-name")},
      {"manifest description", Replace(kGen1, "description: d", "description: @V@"), kLiteral,
       Flag("manifest_page", "--cmd-description")},
      {"manifest command", Replace(kGen1, "command: ls", "command: @V@"),
       "V  V  V  W  V  V  NL NL V  V  V  V  V  V  NUL V  V  U8 V  L  W", Flag("manifest_page", "--cmd")},
      {"epoch (global)", "epoch: @V@\n" + std::string(kGen1), kLiteral, Flag("build_image", "--epoch", "global=")},
      {"epoch (image)", Replace(kGen1, "    image_name: x/a\n", "    image_name: x/a\n    epoch: @V@\n"), kLiteral,
       Flag("build_image", "--epoch", "image=")},
      {"root (generation 2)",
       "root: @V@\nimages:\n  a: {image_name: x/a, build_args: {BASE_IMAGE: 'r:1'}}\ntag: {prefix: v1}\n",
       all_values("U")},
      {"depend_on", Replace(kGen1, "    image_name: x/a\n", "    image_name: x/a\n    depend_on: @V@\n"),
       all_values("U")},
      {"skip_plans entry", Replace(kGen1, "    image_name: x/a\n", "    image_name: x/a\n    skip_plans: [@V@]\n"),
       all_values("I")},
      {"info_cmds entry (generation 2)",
       "images:\n  a: {image_name: x/a, build_args: {BASE_IMAGE: 'r:1'}, info_cmds: [@V@]}\ntag: {prefix: v1}\n"
       "all_info_cmds: {M: {description: d, command: ls}}\n",
       all_values("U")},
      {"tag.prefix (generation 2)",
       "images:\n  a: {image_name: x/a, build_args: {BASE_IMAGE: 'r:1'}}\ntag: {prefix: @V@}\n", kTagPrefix, TagPrefix},
  };
}

TEST_CASE("hostile values: every field x every class, verbatim or rejected at the value") {
  for (const Field& field : Fields()) {
    std::istringstream codes(field.outcomes);
    for (const ValueClass& value : Classes()) {
      std::string code;
      bool has_code = static_cast<bool>(codes >> code);
      REQUIRE_MESSAGE(has_code, field.name << ": fewer outcomes than value classes");
      std::string cell = std::string(field.name) + " x " + value.name + " -> " + code;
      CAPTURE(cell);
      // JSON's escapes are YAML's too; bytes from 0x80 are copied, so a value
      // that is not UTF-8 makes a file that is not.
      std::string quoted = JsonQuote(value.text);
      std::string spec = field.as_define ? field.spec : Replace(field.spec, "@V@", quoted);
      std::map<std::string, std::string> defines;
      if (field.as_define) defines["V"] = value.text;
      Generated generated(spec, defines);
      std::string errors = generated.diagnostics.Format();
      if (code == "I") {
        REQUIRE_MESSAGE(!generated.diagnostics.HasErrors(), errors);
        CHECK(generated.written.has_value());
        std::string warning = Replace(ErrorAt(spec, field.spec.find("@V@")), ": error: ", ": warning: ");
        CHECK_MESSAGE(errors.find(warning) != std::string::npos, warning << "\ngot:\n" << errors);
        CHECK(errors.find("which is not under 'plans:'; it is ignored") != std::string::npos);
        continue;
      }
      if (code == "V") {
        REQUIRE_MESSAGE(!generated.diagnostics.HasErrors(), errors);
        CHECK(generated.written.has_value());
        REQUIRE(field.received);
        CHECK(field.received(generated) == value.text);
        continue;
      }
      CHECK_FALSE(generated.written.has_value());
      size_t value_at = field.spec.find("@V@");
      std::string at;
      if (code == "U8") {
        at = ErrorAt(spec, value_at + kBadByteColumnOffset);  // the bad byte, after `"a`
      } else if (code == "Y") {
        at = ErrorAt(spec, value_at + quoted.size());  // at the `:` after the key
      } else if (!field.error_marker.empty() && !(code == "UV" && !field.as_define)) {
        // What a variable's value uses is reported in the value; a -D value
        // has no place in the spec.
        at = ErrorAt(spec, spec.find(field.error_marker) + field.error_offset);
      } else {
        at = ErrorAt(spec, value_at);
      }
      bool found = false;
      for (const std::string& line : Split(errors, '\n')) {
        bool all_there = StartsWith(line, at);
        for (const std::string& fragment : ExpectedFragments(code, value.text))
          all_there = all_there && line.find(fragment) != std::string::npos;
        found = found || all_there;
      }
      CHECK_MESSAGE(found, "expected at " << at << Join(ExpectedFragments(code, value.text), " ... ") << "\ngot:\n"
                                          << errors);
    }
    std::string rest;
    bool more = static_cast<bool>(codes >> rest);
    CHECK_MESSAGE(!more, field.name << ": more outcomes than value classes");
  }
}

// ---------------------------------------------------------------------------
// What only the emitted file shows.

TEST_CASE("a command too long for /bin/sh -c is an error at the largest value it carries") {
  // 40,000 single quotes are 160,000 bytes once shell-quoted.
  std::string spec = "images:\n  a:\n    image_name: x/a\n    epoch: '" + std::string(30000, 'e') +
                     "'\n    dbuild_env:\n      common: {BASE_IMAGE: 'r:1', SMALL: x}\n      P: {BIG: \"" +
                     std::string(40000, '\'') + "\"}\nplans: {P: }\n";
  Generated generated(spec, {});
  CHECK(generated.diagnostics.Format() ==
        "images/spec.yml:7:16: error: build arg BIG of 'a' is 40000 bytes: with it, the build command of a/P would "
        "be 190910 bytes long; ninja runs a command with /bin/sh -c, and Linux takes no argument longer than 131071 "
        "bytes (shell quoting makes a ' four bytes long): shorten it, or let the Dockerfile read such data from a "
        "file of the build context\n");
  CHECK_FALSE(generated.written);

  // Just under the limit is fine, and arrives whole.
  std::string fits(120000, 'x');
  Generated under(
      "images:\n  a: {image_name: x/a, dbuild_env: {common: {BASE_IMAGE: 'r:1', V: " + fits + "}}}\nplans: {P: }\n",
      {});
  CHECK(under.diagnostics.Format() == "");
  CHECK(BuildArg("V")(under) == fits);
}

TEST_CASE("two edges with one output are an error at the image responsible") {
  Options options;
  options.regenerate_inputs = {"images/spec.yml", "images", "images/images", "images/images/Dockerfile"};
  // `images` is also the folder of the stack, which build.ninja lists.
  Generated images("images:\n  images: {image_name: x/i, dbuild_env: {common: {BASE_IMAGE: 'r:1'}}}\nplans: {P: }\n",
                   {}, options, {"images"});
  CHECK(images.diagnostics.Format() ==
        "images/spec.yml:2:3: error: \"images\" would be both the target of image 'images' and a file the generator "
        "reads ('images') in build.ninja, which ninja refuses: rename the image's folder (and its key)\n");
  CHECK_FALSE(images.written);

  Generated output(
      "images:\n  build.ninja: {image_name: x/i, dbuild_env: {common: {BASE_IMAGE: 'r:1'}}}\nplans: {P: }\n", {}, {},
      {"build.ninja"});
  CHECK(output.diagnostics.Format() ==
        "images/spec.yml:2:3: error: \"build.ninja\" would be both the target of image 'build.ninja' and build.ninja "
        "itself in build.ninja, which ninja refuses: rename the image's folder (and its key)\n");

  // Manifest pages are named as DataHub names its wiki pages: repo:tag, '/'
  // and ':' as '-', ghcr.io as ghcr-io.
  Generated pages(R"(images:
  a: {image_name: x/b-c, dbuild_env: {common: {BASE_IMAGE: 'r:1'}}}
  b: {image_name: x-b/c, dbuild_env: {common: {BASE_IMAGE: 'r:1'}}}
  c: {image_name: ghcr.io/x/b-c, dbuild_env: {common: {BASE_IMAGE: 'r:1'}}}
  d: {image_name: ghcr-io/x/b-c, dbuild_env: {common: {BASE_IMAGE: 'r:1'}}}
plans: {P: {tag_prefix: v1}}
)",
                  {}, {}, {"a", "b", "c", "d"});
  std::string tag = pages.graph->Find("a", "P")->tag;
  std::string hint =
      ") in build.ninja, which ninja refuses: a page is named as DataHub names its wiki pages, by repo:tag with "
      "'/' and ':' written as '-' (and ghcr.io as ghcr-io): give the images names that differ in more than that\n";
  CHECK(pages.diagnostics.Format() == "images/spec.yml:3:19: error: \"manifests/x-b-c-" + tag +
                                          ".md\" would be both the manifest page of a/P (x/b-c:" + tag +
                                          ") and the manifest page of b/P (x-b/c:" + tag + hint +
                                          "images/spec.yml:5:19: error: \"manifests/ghcr-io-x-b-c-" + tag +
                                          ".md\" would be both the manifest page of c/P (ghcr.io/x/b-c:" + tag +
                                          ") and the manifest page of d/P (ghcr-io/x/b-c:" + tag + hint);
}

TEST_CASE("a file of the stack whose name build.ninja cannot hold is named; a too long regeneration command too") {
  Options options;
  options.regenerate_inputs = {"images/spec.yml", "images/a/new\nline", "images/a/x|y", "images/a/$(ok) :"};
  Generated generated(kGen1, {}, options);
  CHECK(generated.diagnostics.Format() ==
        "images/spec.yml: error: the file \"images/a/new\\nline\" of the stack has a name that contains a newline, "
        "and build.ninja lists every file of the stack (a change regenerates it): rename it, or make git ignore it\n"
        "images/spec.yml: error: the file \"images/a/x|y\" of the stack has a name that contains '|', which ninja "
        "cannot escape in a path, and build.ninja lists every file of the stack (a change regenerates it): rename "
        "it, or make git ignore it\n");

  Options long_args;
  long_args.regenerate_args = {"-D", "V=" + std::string(40000, '\'')};
  Generated regeneration(kGen1, {}, long_args);
  CHECK(regeneration.diagnostics.Format() ==
        "images/spec.yml: error: the regeneration command (this command line, -D values included) would be 160019 "
        "bytes long; ninja runs a command with /bin/sh -c, and Linux takes no argument longer than 131071 bytes "
        "(shell quoting makes a ' four bytes long)\n");
}

}  // namespace
}  // namespace dhg::emit
