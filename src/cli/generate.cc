#include "cli/generate.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iostream>

#include "emit/emit.h"
#include "git/repository.h"
#include "graph/keys.h"
#include "spec/spec.h"
#include "util/exit_codes.h"
#include "util/files.h"
#include "util/strings.h"

namespace dhg::cli {
namespace {

std::string Dirname(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

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

}  // namespace

int RunGenerate(const GenerateOptions& options) {
  if (!options.directory.empty() && chdir(options.directory.c_str()) != 0) {
    std::cerr << "datahub-gen: error: cannot change to " << options.directory << ": " << std::strerror(errno) << "\n";
    return kExitUsage;
  }
  std::optional<std::string> spec_text = ReadFile(options.spec);
  if (!spec_text) {
    std::cerr << options.spec << ": error: cannot read the stack description: " << std::strerror(errno)
              << " (run datahub-gen at the root of a repository with images/spec.yml, or pass --spec)\n";
    return kExitUserError;
  }
  std::string spec_abs = AbsolutePath(options.spec);
  std::string images_abs = Dirname(spec_abs);
  std::unique_ptr<git::Repository> repo;
  try {
    repo = git::OpenRepository(images_abs);
  } catch (const std::exception& e) {
    std::cerr << options.spec << ": error: " << e.what()
              << " (datahub-gen derives tags from git history: the stack must be in a git repository)\n";
    return kExitUserError;
  }
  std::string root = AbsolutePath(repo->WorkDir());
  graph::Options graph_options;
  graph_options.images_dir = RelativePath(root, images_abs);
  if (graph_options.images_dir == ".") graph_options.images_dir = "";
  graph_options.spec_file = RelativePath(root, spec_abs);
  if (StartsWith(graph_options.spec_file, "../")) {
    std::cerr << options.spec << ": error: the spec is outside the git repository at " << root << "\n";
    return kExitUserError;
  }
  graph_options.defines = options.defines;
  graph_options.registry = options.registry;
  graph_options.plans = options.plans;

  spec::Diagnostics diagnostics;
  spec::Spec spec = spec::LoadSpec(*spec_text, options.spec, diagnostics);
  std::unique_ptr<graph::Graph> graph = graph::BuildGraph(std::move(spec), repo->WorkTree(), graph_options, diagnostics);
  if (!diagnostics.HasErrors()) graph::ComputeIdentities(*graph, *repo, graph_options, diagnostics);
  std::cerr << diagnostics.Format();
  if (diagnostics.HasErrors()) {
    std::cerr << "datahub-gen: " << diagnostics.ErrorCount() << (diagnostics.ErrorCount() == 1 ? " error" : " errors")
              << ", " << options.output << " not written\n";
    return kExitUserError;
  }

  std::string output_abs = AbsolutePath(options.output);
  std::string build_dir = Dirname(output_abs);
  std::string to_root = PrefixFrom(build_dir, root);
  emit::Options emit_options;
  emit_options.tool = options.tool.empty() ? SelfPath() : options.tool;
  emit_options.output_name = Basename(output_abs);
  emit_options.root_from_build_dir = to_root;
  emit_options.regenerate_args = RegenerateArgs(options, RelativePath(build_dir, spec_abs), emit_options.output_name);
  emit_options.build_jobs = options.build_jobs > 0 ? options.build_jobs : (sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 2 : 1);
  emit_options.push_jobs = options.push_jobs;
  emit_options.registry_mode = !options.offline;
  emit_options.allow_dirty = options.allow_dirty;
  emit_options.pytest = options.pytest;
  emit_options.source_url = repo->OriginUrl();
  // Everything the generator read: the spec, every file and folder of the
  // stack (a new file changes its folder's mtime) and where HEAD points.
  std::vector<std::string>& inputs = emit_options.regenerate_inputs;
  inputs.push_back(RelativePath(build_dir, spec_abs));
  for (const std::string& dir : repo->WorkTree().ListDirs(graph_options.images_dir)) inputs.push_back(to_root + dir);
  for (const git::FileEntry& file : repo->WorkTree().List(graph_options.images_dir)) {
    if (to_root + file.path != inputs.front()) inputs.push_back(to_root + file.path);
  }
  for (const std::string& file : repo->HeadStateFiles()) inputs.push_back(RelativePath(build_dir, AbsolutePath(file)));
  std::sort(inputs.begin() + 1, inputs.end());
  inputs.erase(std::unique(inputs.begin(), inputs.end()), inputs.end());

  std::string text;
  try {
    text = ninja::Write(emit::EmitBuildFile(*graph, emit_options));
  } catch (const std::invalid_argument& e) {
    std::cerr << options.spec << ": error: " << e.what() << "\n";
    return kExitUserError;
  }
  bool changed = WriteFileIfChanged(output_abs, text);
  if (!options.regenerate) {
    if (!changed) WriteFileAtomic(output_abs, text);  // newer than its inputs, so ninja does not regenerate
    RestatInNinjaLog(build_dir, emit_options.output_name);
    int dirty = 0;
    for (const auto& node : graph->Nodes()) dirty += node->dirty;
    std::cout << "datahub-gen: " << (changed ? "wrote " : "unchanged ") << options.output << ": "
              << graph->Nodes().size() << " nodes in " << graph->Spec().plans.size() << " plan(s)";
    if (dirty) std::cout << ", " << dirty << " dirty";
    if (options.offline) std::cout << ", offline (no registry lookups)";
    std::cout << "\n";
  }
  return kExitOk;
}

}  // namespace dhg::cli
