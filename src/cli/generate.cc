#include "cli/generate.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <set>

#include "cli/stack_loader.h"
#include "emit/emit.h"
#include "util/exit_codes.h"
#include "util/files.h"
#include "util/strings.h"

namespace dhg::cli {
namespace {

std::string Basename(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string SelfPath() {
  char buffer[4096];
  ssize_t n = readlink("/proc/self/exe", buffer, sizeof buffer - 1);
  if (n <= 0) return "datahub-gen";
  return std::string(buffer, static_cast<size_t>(n));
}

// "" or "dir/": how a repository-relative path is reached from the build dir.
std::string PrefixFrom(const std::string& build_dir, const std::string& root) {
  std::string relative = RelativePath(build_dir, root);
  return relative == "." ? "" : relative + "/";
}

// After a by-hand run, ninja's log still holds the old mtime of build.ninja,
// so ninja would regenerate once more; `ninja -t restat` records the new one.
void RestatInNinjaLog(const std::string& build_dir, const std::string& output_name) {
  if (!FileExists(build_dir + "/.ninja_log")) return;
  pid_t pid = fork();
  if (pid == 0) {
    if (chdir(build_dir.c_str()) != 0) _exit(127);
    execlp("ninja", "ninja", "-t", "restat", output_name.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  if (pid > 0) waitpid(pid, &status, 0);
}

// Says where images are looked up before they are built, or that they are not.
std::string RegistryStatusLine(const graph::Graph& graph, bool offline) {
  if (offline) {
    return "datahub-gen: offline: no registry is asked; what is not in the local daemon is built, and push "
           "pushes it";
  }
  std::set<std::string> hosts;
  for (const auto& node : graph.Nodes()) {
    std::string host = graph::RegistryHost(node->repository);
    hosts.insert(host.empty() ? "docker.io (Docker Hub)" : host);
  }
  return "datahub-gen: registry mode: before a build, " + Join({hosts.begin(), hosts.end()}, ", ") +
         " is asked for the tag (--offline: do not ask)";
}

}  // namespace

int RunGenerate(const GenerateOptions& options) {
  LoadedStack stack;
  int loaded = LoadStack(options, options.output + " not written", &stack);
  if (loaded != kExitOk) return loaded;
  git::Repository& repo = *stack.repo;
  const graph::Graph& graph = *stack.graph;
  const std::string& spec_abs = stack.spec_path;
  const std::string& output_abs = stack.output_path;
  const std::string& build_dir = stack.build_dir;
  std::string to_root = PrefixFrom(build_dir, stack.root);
  emit::Options emit_options;
  emit_options.tool = options.tool.empty() ? SelfPath() : options.tool;
  emit_options.output_name = Basename(output_abs);
  emit_options.root_from_build_dir = to_root;
  emit_options.regenerate_args = RegenerateArgs(options, RelativePath(build_dir, spec_abs), emit_options.output_name);
  emit_options.build_jobs = options.build_jobs > 0 ? options.build_jobs : (sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 2 : 1);
  emit_options.push_jobs = options.push_jobs;
  emit_options.registry_mode = !options.offline;
  emit_options.allow_dirty = options.allow_dirty;
  emit_options.publish_only_if_all_pass = options.publish_only_if_all_pass;
  emit_options.pytest = options.pytest;
  emit_options.source_url = repo.OriginUrl();
  // Everything the generator read: the spec, every file and folder of the
  // stack (a new file changes its folder's mtime) and where HEAD points.
  std::vector<std::string>& inputs = emit_options.regenerate_inputs;
  inputs.push_back(RelativePath(build_dir, spec_abs));
  for (const std::string& dir : repo.WorkTree().ListDirs(stack.graph_options.images_dir)) inputs.push_back(to_root + dir);
  for (const git::FileEntry& file : repo.WorkTree().List(stack.graph_options.images_dir)) {
    if (to_root + file.path != inputs.front()) inputs.push_back(to_root + file.path);
  }
  for (const std::string& file : repo.HeadStateFiles()) inputs.push_back(RelativePath(build_dir, AbsolutePath(file)));
  std::sort(inputs.begin() + 1, inputs.end());
  inputs.erase(std::unique(inputs.begin(), inputs.end()), inputs.end());

  spec::Diagnostics diagnostics;
  ninja::File file = emit::EmitBuildFile(graph, emit_options, diagnostics);
  if (int reported = ReportDiagnostics(diagnostics, options.output + " not written"); reported != kExitOk) return reported;
  std::string text;
  try {
    text = ninja::Write(file);
  } catch (const std::invalid_argument& e) {
    std::cerr << options.spec << ": error: " << e.what() << "\n";
    return kExitUserError;
  }
  bool changed = WriteFileIfChanged(output_abs, text);
  KeepHistoryMemo(stack);
  if (!options.regenerate) {
    if (!changed) TouchFile(output_abs);  // newer than its inputs, so ninja does not regenerate
    RestatInNinjaLog(build_dir, Basename(output_abs));
    int dirty = 0;
    std::set<std::string> plans;  // the generated ones: --plan may select some
    for (const auto& node : graph.Nodes()) {
      dirty += node->dirty;
      plans.insert(node->plan);
    }
    std::cout << "datahub-gen: " << (changed ? "wrote " : "unchanged ") << options.output << ": "
              << graph.Nodes().size() << " nodes in " << plans.size() << " plan(s)";
    if (dirty) std::cout << ", " << dirty << " dirty";
    std::cout << "\n";
    if (!graph.Nodes().empty()) std::cout << RegistryStatusLine(graph, options.offline) << "\n";
  }
  return kExitOk;
}

}  // namespace dhg::cli
