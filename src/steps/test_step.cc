#include "steps/test_step.h"

#include <unistd.h>

#include "state/layout.h"
#include "steps/build_step.h"
#include "steps/step_args.h"
#include "util/escape.h"

namespace dhg::steps {
namespace {

using state::TestStamp;

const ArgSchema<TestStep>& TestStepSchema() {
  static const ArgSchema<TestStep> schema =
      ArgSchema<TestStep>()
          .Required("node", &TestStep::node, "the node (image/plan), for messages")
          .Required("image", &TestStep::image, "the image reference repo:tag")
          .Required("image-stamp", &TestStep::image_stamp, "the image's build stamp")
          .Required("rootdir", &TestStep::rootdir, "pytest's --rootdir")
          .Repeated("tests", &TestStep::tests, "a test file or folder")
          .Optional("pytest", &TestStep::pytest, "the test command (shell words, not run by a shell)")
          .Required("junit", &TestStep::junit, "the JUnit XML report to write")
          .Required("stamp", &TestStep::stamp, "the stamp file written on success")
          .Required("log", &TestStep::log, "the file that receives the step's whole output");
  return schema;
}

}  // namespace

std::vector<std::string> TestStep::ToArgs() const { return TestStepSchema().ToArgs(*this); }
TestStep TestStep::FromArgs(const std::vector<std::string>& args) { return TestStepSchema().FromArgs(args); }
std::string TestStep::Help() { return TestStepSchema().Help(); }

std::vector<std::string> DefaultPytestCommand() {
  if (access("/usr/bin/python3", X_OK) == 0) return {"/usr/bin/python3", "-m", "pytest"};
  return {"pytest-3"};
}

std::string TestOutput(const graph::Node& node) { return state::TestStampPath(node); }

std::optional<EdgePlan> PlanTest(const graph::Node& node, const PlanContext& context) {
  TestStep step{.node = node.Id(),
                .image = node.Reference(),
                .image_stamp = BuildOutput(node),
                .rootdir = context.FromRoot(context.images_dir),
                .pytest = context.pytest,
                .junit = state::JunitPath(node),
                .stamp = TestOutput(node),
                .log = state::LogPath(node, "test")};
  for (const std::string& dir : node.test_dirs) step.tests.push_back(context.FromRoot(dir));
  return EdgePlan{.args = step.ToArgs(),
                  .output = step.stamp,
                  .inputs = {step.image_stamp},
                  .description = "TEST " + NodeTitle(node),
                  .what = "the test stamp of " + node.Id(),
                  .where = node.image_spec->where};
}

std::string RunTestStep(const TestStep& step, StepServices& services) {
  std::optional<std::string> previous_text = services.folder.Read(step.stamp);
  RemoveOutput(services, step.stamp);
  state::ImageStamp image_stamp = ReadImageStamp(services, step.image_stamp, step.node);
  const std::string& id = image_stamp.id;

  if (image_stamp.source == state::ImageStamp::Source::kRegistry) {
    std::string summary =
        step.node + ": tests not run: " + step.image + " is in the registry, tested before it was pushed";
    services.log.Line(summary);
    WriteOutput(
        services, step.stamp,
        state::FormatTestStamp({TestStamp::Result::kSkipped, "tested before it was pushed", step.image, id, "", ""}));
    return summary;
  }

  std::vector<std::string> argv;
  if (!step.pytest.empty()) {
    std::string error;
    if (!SplitShellWords(step.pytest, &argv, &error)) throw StepFailed("--pytest " + step.pytest + ": " + error);
    if (argv.empty()) throw StepFailed("--pytest has no words");
  } else {
    argv = DefaultPytestCommand();
  }
  std::string junit = services.folder.PathForPrograms(step.junit);
  for (const char* word : {"-p", "no:cacheprovider", "--rootdir"}) argv.emplace_back(word);
  argv.push_back(step.rootdir);
  argv.push_back("--junitxml");
  argv.push_back(junit);
  argv.push_back("-q");
  argv.insert(argv.end(), step.tests.begin(), step.tests.end());
  std::string command_line = ShellCommandLine(argv);

  if (previous_text && !id.empty()) {
    std::optional<TestStamp> previous = state::ParseTestStamp(*previous_text);
    if (previous && previous->id == id && previous->command == command_line) {
      std::string summary = step.node + ": tests already passed for " + ShortId(id) + ", not run again";
      services.log.Line(summary);
      // Rewritten rather than left alone: ninja 1.11 would otherwise find the
      // stamp older than the image stamp and run this step every time.
      WriteOutput(services, step.stamp, *previous_text);
      return summary;
    }
  }

  size_t slash = step.junit.rfind('/');
  if (slash != std::string::npos) services.folder.MakeFolder(step.junit.substr(0, slash));
  // So that a junit file is always the one of the node's last pytest run
  // (the report reads it).
  RemoveOutput(services, step.junit);
  int exit_code = services.run_tests(argv, {"TEST_IMAGE=" + step.image, "PYTHONDONTWRITEBYTECODE=1"});
  TestStamp stamp{TestStamp::Result::kPassed, "", step.image, id, step.junit, command_line};
  std::string summary;
  if (exit_code == 0) {
    summary = step.node + ": tests passed";
  } else if (exit_code == 5) {
    stamp.result = TestStamp::Result::kNoTests;
    stamp.note = "pytest collected no tests";
    summary = step.node + ": no tests collected";
  } else {
    throw StepFailed("tests of " + step.node + " failed (pytest exit code " + std::to_string(exit_code) + ")");
  }
  services.log.Line(summary);
  WriteOutput(services, step.stamp, state::FormatTestStamp(stamp));
  return summary;
}

int TestStepMain(const std::vector<std::string>& args) {
  TestStep step = TestStep::FromArgs(args);
  return ExecuteStep(step.log, step.image, [&](StepServices& services) { return RunTestStep(step, services); });
}

StepOutcome TestOutcome(std::string_view stamp_text) {
  std::optional<TestStamp> stamp = state::ParseTestStamp(stamp_text);
  if (!stamp) return {"test stamp", false};
  if (stamp->result == TestStamp::Result::kSkipped) return {"not run: in registry", true};
  return {std::string(state::ResultName(stamp->result)), false};
}

}  // namespace dhg::steps
