#include "steps/step_kinds.h"

#include <doctest/doctest.h>

#include <set>
#include <string>
#include <vector>

#include "steps/build_step.h"
#include "steps/index_step.h"
#include "steps/manifest_step.h"
#include "steps/push_step.h"
#include "steps/stable_step.h"
#include "steps/step_args.h"
#include "steps/test_step.h"

namespace dhg::steps {
namespace {

using Strings = std::vector<std::string>;

// Values a step's arguments must carry through verbatim.
const Strings kHostile = {"",       "--looks-like-a-flag",        "-h",        "--help", "a=b=c",
                          "x y\tz", "quote ' \" $(rm -rf /) `x`", "new\nline", "ünïcødé"};

template <typename Step>
void CheckRoundTrip(const Step& step) {
  Strings args = step.ToArgs();
  Step back = Step::FromArgs(args);
  CHECK(back.ToArgs() == args);
}

}  // namespace

TEST_CASE("step kinds: one row each, names, rules and targets distinct; every kind can be run and helped") {
  std::set<std::string_view> names, rules;
  for (const StepKind& kind : StepKinds()) {
    CAPTURE(kind.name);
    CHECK(names.insert(kind.name).second);
    CHECK(rules.insert(kind.rule).second);
    CHECK(FindKind(kind.name) == &kind);
    CHECK(&Kind(kind.id) == &kind);
    CHECK(bool(kind.main));
    CHECK(bool(kind.help));
    CHECK_FALSE(kind.help().empty());
    CHECK_FALSE(kind.stack_target.empty());
    if (kind.per_node) {
      CHECK(bool(kind.plan_node));
      CHECK(bool(kind.output));
      CHECK(bool(kind.outcome));
    } else {
      CHECK(bool(kind.plan_stack));
    }
  }
  CHECK(FindKind("nope") == nullptr);
  CHECK(StackTargets() == Strings{"all", "build", "test", "manifest", "push", "stable"});
  CHECK(NodeStepKinds().size() == StepKinds().size() - 1);  // all but the index
}

TEST_CASE("build step: ToArgs and FromArgs round-trip every field, hostile values verbatim") {
  BuildStep step{.node = "x/P",
                 .image = "localhost:5000/x:t",
                 .key = "K",
                 .context_dir = "../images/x",
                 .context_hash = "H",
                 .dockerfile = "Dockerfile",
                 .epoch = "2",
                 .parent_key = "PK",
                 .build_args = kHostile,
                 .labels = {"a=b", "c="},
                 .registry_check = true,
                 .insecure_registry = true,
                 .record = "r.inputs",
                 .stamp = "s.image",
                 .log = "build.log"};
  CheckRoundTrip(step);
  BuildStep back = BuildStep::FromArgs(step.ToArgs());
  CHECK(back.build_args == kHostile);
  CHECK(back.registry_check);
  CHECK(back.insecure_registry);
  CHECK(back.epoch == "2");
  // Optional values left empty are not written; flags left false neither.
  step.epoch = step.parent_key = step.record = "";
  step.registry_check = step.insecure_registry = false;
  Strings args = step.ToArgs();
  for (const char* absent : {"--epoch", "--parent-key", "--record", "--registry-check", "--insecure-registry"})
    CHECK(std::find(args.begin(), args.end(), absent) == args.end());
  CheckRoundTrip(step);
}

TEST_CASE("test, manifest, index, push and stable steps round-trip") {
  CheckRoundTrip(TestStep{"x/P", "r/x:t", "s.image", "images", kHostile, "pytest -x", "j.xml", "s.test", "t.log"});
  CheckRoundTrip(TestStep{"x/P", "r/x:t", "s.image", "images", {}, "", "j.xml", "s.test", "t.log"});
  ManifestStep manifest{"x/P", "r/x:t", "s.image", {}, "page.md", "r/base:t", "m.log"};
  for (const std::string& value : kHostile) manifest.commands.push_back({value, value, value});
  CheckRoundTrip(manifest);
  CHECK(ManifestStep::FromArgs(manifest.ToArgs()).commands.size() == kHostile.size());
  CHECK(ManifestStep::FromArgs(manifest.ToArgs()).commands.back().command == kHostile.back());
  CheckRoundTrip(IndexStep{{"a.md", "b c.md"}, "Home.md", "pages.rsp", "i.log"});
  CheckRoundTrip(PushStep{"x/P", "r/x:t", "s.image", true, "t.push", "p.log"});
  CheckRoundTrip(StableStep{"x/P", "r/x:t", "r/x:stable", false, "t.stable", "s.log"});
}

TEST_CASE("step arguments: what a hand-typed command line may hold, and what it may not") {
  Strings base = {"--node", "x/P", "--image", "r/x:t", "--image-stamp", "s", "--stamp", "p", "--log", "l"};
  PushStep push = PushStep::FromArgs(base);
  CHECK(push.image == "r/x:t");
  CHECK_FALSE(push.insecure_registry);
  Strings attached = {"--node=x/P", "--image=r/x:t=1", "--image-stamp", "s", "--stamp=p", "--log", "l"};
  CHECK(PushStep::FromArgs(attached).image == "r/x:t=1");

  auto usage = [](const Strings& args) -> std::string {
    try {
      PushStep::FromArgs(args);
    } catch (const UsageError& error) {
      return error.what();
    }
    return "";
  };
  CHECK(usage({"--node", "x/P"}) == "missing --image");
  Strings twice = base;
  twice.insert(twice.end(), {"--node", "y/P"});
  CHECK(usage(twice) == "--node given more than once");
  Strings unknown = base;
  unknown.push_back("--nope");
  CHECK(usage(unknown) == "unknown option '--nope'");
  Strings stray = base;
  stray.push_back("stray");
  CHECK(usage(stray) == "unexpected argument 'stray'");
  Strings no_value = base;
  no_value.push_back("--log");
  CHECK(usage(no_value) == "--log needs a value");
  Strings flag_value = base;
  flag_value.push_back("--insecure-registry=yes");
  CHECK(usage(flag_value) == "--insecure-registry takes no value");

  Strings uneven = {"--node", "x/P", "--image", "r/x:t", "--image-stamp", "s", "--cmd-name", "A",
                    "--cmd",  "ls",  "--out",   "o",     "--log",         "l"};
  try {
    ManifestStep::FromArgs(uneven);
    FAIL("uneven records were accepted");
  } catch (const UsageError& error) {
    CHECK(std::string(error.what()) ==
          "--cmd-name, --cmd-description and --cmd must be given the same number of times");
  }
}

TEST_CASE("step help lists every option of the step, required ones marked") {
  std::string help = BuildStep::Help();
  for (const char* flag : {"--node VALUE", "--build-arg VALUE...", "--registry-check ", "--log VALUE"})
    CHECK_MESSAGE(help.find(flag) != std::string::npos, flag);
  CHECK(help.find("the image reference repo:tag (required)") != std::string::npos);
  CHECK(ManifestStep::Help().find("--cmd-description VALUE") != std::string::npos);
}

}  // namespace dhg::steps
