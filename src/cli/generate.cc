#include "cli/generate.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <iostream>
#include <optional>
#include <set>

#include "cli/stack_loader.h"
#include "emit/emit.h"
#include "report/ninja_log.h"
#include "spec/build_secret.h"
#include "state/generation_memo.h"
#include "state/layout.h"
#include "util/console.h"
#include "util/exit_codes.h"
#include "util/files.h"
#include "util/hash.h"
#include "util/heap.h"
#include "util/keep_until_exit.h"
#include "util/strings.h"
#include "version.h"

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

// A file's modification time in ns, INT64_MAX when it cannot be stat'ed.
int64_t MtimeNs(const std::string& path) {
  struct stat info {};
  if (stat(path.c_str(), &info) != 0) return INT64_MAX;
  return static_cast<int64_t>(info.st_mtim.tv_sec) * 1000000000 + info.st_mtim.tv_nsec;
}

// After a by-hand run, ninja's log still holds the old mtime of build.ninja,
// so ninja would regenerate once more: record the new one, as `ninja -t
// restat` would (starting ninja was a third of a small run). A log of another
// format is left to ninja itself.
void RestatInNinjaLog(const std::string& build_dir, const std::string& output_name) {
  std::string log_path = build_dir + "/.ninja_log";
  std::optional<std::string> log = ReadFile(log_path);
  int64_t mtime_ns = MtimeNs(build_dir + "/" + output_name);
  if (!log || mtime_ns == INT64_MAX) return;
  if (std::optional<std::string> updated = report::WithOutputMtime(*log, output_name, mtime_ns)) {
    try {
      if (*updated != *log) WriteFileAtomic(log_path, *updated, Durability::kRemade);
    } catch (const std::runtime_error&) {
      // As when ninja cannot write it: the next ninja regenerates once more.
    }
    return;
  }
  pid_t pid = fork();
  if (pid == 0) {
    if (chdir(build_dir.c_str()) != 0) _exit(127);
    execlp("ninja", "ninja", "-t", "restat", output_name.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  if (pid > 0) waitpid(pid, &status, 0);
}

// A file's size, mtime, ctime and inode, or "" when it cannot be stat'ed.
// Any write changes the ctime (and cannot set it back).
std::string StatKey(const std::string& path) {
  struct stat info {};
  if (stat(path.c_str(), &info) != 0) return "";
  return std::to_string(info.st_size) + " " + std::to_string(info.st_mtim.tv_sec) + "." +
         std::to_string(info.st_mtim.tv_nsec) + " " + std::to_string(info.st_ctim.tv_sec) + "." +
         std::to_string(info.st_ctim.tv_nsec) + " " + std::to_string(info.st_ino);
}

// Whether build.ninja is the file the memo's run wrote.
bool IsMemoOutput(const state::GenerationMemo& memo, const std::string& output_abs) {
  std::string stat_key = StatKey(output_abs);
  if (!stat_key.empty() && stat_key == memo.output_stat) return true;
  return FileSha256Hex(output_abs) == memo.output;
}

// A cache: a build folder that cannot take it only makes the next run slower.
void KeepGenerationMemo(state::BuildFolder& folder, const state::GenerationMemo& memo) {
  std::string text = state::FormatGenerationMemo(memo);
  if (folder.Read(state::kGenerationMemoPath) == text) return;
  try {
    folder.WriteCache(state::kGenerationMemoPath, text);
  } catch (const std::exception&) {
  }
}

// Everything generation reads, as one digest: the generator itself, where it
// runs, its options as the regeneration edge repeats them, the spec, every
// folder and file of the stack (by content), HEAD and the files that say where
// it points (HEAD fixes the history outside a shallow clone), the origin's URL.
std::string GenerationInputsDigest(const LoadedStack& stack, const emit::Options& emit_options,
                                   const std::vector<std::string>& dirs, const std::vector<std::string>& head_files) {
  Sha256 hash;
  hash.Field(state::kGenerationMemoHeader);
  hash.Field(DATAHUB_GEN_VERSION);
  // A rebuilt generator may emit something else.
  struct stat self {};
  if (stat("/proc/self/exe", &self) == 0) {
    for (long long field : {static_cast<long long>(self.st_size), static_cast<long long>(self.st_mtim.tv_sec),
                            static_cast<long long>(self.st_mtim.tv_nsec), static_cast<long long>(self.st_ino)})
      hash.Field(std::to_string(field));
  }
  hash.Field(SelfPath());
  for (const std::string* text : {&stack.root, &stack.spec_path, &stack.output_path, &stack.spec_display,
                                  &stack.spec_text, &emit_options.tool, &emit_options.source_url})
    hash.Field(*text);
  hash.Field(std::to_string(emit_options.build_jobs));
  for (const std::string& arg : emit_options.regenerate_args) hash.Field(arg);
  // The regeneration inputs are these folders and files, the spec and HEAD's
  // files, as seen from the build folder.
  hash.Field(emit_options.root_from_build_dir);
  for (const std::string& file : head_files) hash.Field(file);
  for (const std::string& dir : dirs) hash.Field(dir);
  stack.repo->WorkTree().ForEachFile(stack.graph_options.images_dir, [&](const git::FileEntry& file) {
    hash.Field(file.path);
    hash.Field(std::to_string(file.mode));
    hash.Field(file.blob_id);
  });
  hash.Field(stack.repo->Head().value_or(""));
  return hash.Hex();
}

// Whether the next `ninja` would run the regeneration edge (ninja 1.10-1.12,
// restat edges): when an input is newer than the build.ninja its log
// recorded, or than the file itself when the log has no entry for it.
bool NinjaWouldRegenerate(const std::string& build_dir, const std::string& output_name, const std::string& output_abs,
                          int64_t newest_input_ns) {
  int64_t seen_ns = -1;
  if (std::optional<std::string> log = ReadFile(build_dir + "/.ninja_log")) {
    try {
      bool in_latest_run = false;
      report::NinjaLog parsed = report::ParseNinjaLog(*log);
      if (const report::NinjaLogEntry* entry = parsed.Last(output_name, &in_latest_run)) seen_ns = entry->mtime_ns;
    } catch (const report::NinjaLogError&) {
      return true;
    }
  }
  if (seen_ns < 0) seen_ns = MtimeNs(output_abs) == INT64_MAX ? -1 : MtimeNs(output_abs);
  return seen_ns < 0 || newest_input_ns > seen_ns;
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
  UseHugePagesForHeap();
  // What a successful run ends with is left to the process's exit (util/keep_until_exit.h).
  struct Kept {
    LoadedStack stack;
    ninja::File file;
    std::string text;
  };
  auto kept = std::make_unique<Kept>();
  LoadedStack& stack = kept->stack;
  if (int opened = OpenStack(options, &stack); opened != kExitOk) return opened;
  StartSpecParse(&stack);
  git::Repository& repo = *stack.repo;
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
  emit_options.insecure_registries = options.insecure_registries;
  emit_options.refusal_means_absent = options.refusal_means_absent;
  emit_options.allow_dirty = options.allow_dirty;
  emit_options.publish_only_if_all_pass = options.publish_only_if_all_pass;
  emit_options.pytest = options.pytest;
  emit_options.source_url = repo.OriginUrl();
  emit_options.builder = options.builder;
  for (const std::string& text : options.secrets) {
    std::string ignored;  // validated by the option parser
    if (std::optional<spec::BuildSecret> secret = spec::ParseBuildSecret(text, &ignored))
      emit_options.secrets.push_back(*secret);
  }
  // Everything the generator reads: the spec, every file and folder of the
  // stack (a new file changes its folder's mtime) and where HEAD points.
  std::vector<std::string> dirs = repo.WorkTree().ListDirs(stack.graph_options.images_dir);
  std::vector<std::string> head_files;
  for (const std::string& file : repo.HeadStateFiles())
    head_files.push_back(RelativePath(build_dir, AbsolutePath(file)));
  std::sort(head_files.begin(), head_files.end());

  std::string digest = GenerationInputsDigest(stack, emit_options, dirs, head_files);
  std::optional<std::string> memo_text = stack.folder->Read(state::kGenerationMemoPath);
  if (std::optional<state::GenerationMemo> memo = memo_text ? state::ParseGenerationMemo(*memo_text) : std::nullopt;
      memo && !repo.IsShallow() && memo->inputs == digest && IsMemoOutput(*memo, output_abs)) {
    // Not needed, but it must not outlive the run (nor run beside a fork).
    if (stack.spec_parse.valid()) stack.spec_parse.wait();
    std::cerr << memo->warnings;
    if (!options.regenerate) {
      // As below, but only when ninja would otherwise run the regeneration
      // edge: recording the mtime rewrites the whole log.
      std::optional<int64_t> newest = repo.WorkTree().NewestMtimeNs(stack.graph_options.images_dir);
      for (const std::string& file : head_files)
        newest = std::max(newest.value_or(INT64_MAX), MtimeNs(build_dir + "/" + file));
      if (!newest || NinjaWouldRegenerate(build_dir, Basename(output_abs), output_abs, *newest)) {
        TouchFile(output_abs);
        RestatInNinjaLog(build_dir, Basename(output_abs));
      }
      std::cout << "datahub-gen: unchanged " << options.output << memo->summary;
    }
    KeepUntilExit(std::move(kept));
    return kExitOk;
  }

  std::vector<std::string>& inputs = emit_options.regenerate_inputs;
  inputs.push_back(RelativePath(build_dir, spec_abs));
  for (const std::string& dir : dirs) inputs.push_back(to_root + dir);
  size_t files_start = inputs.size();
  repo.WorkTree().ForEachFile(stack.graph_options.images_dir, [&](const git::FileEntry& file) {
    if (to_root + file.path != inputs.front()) inputs.push_back(to_root + file.path);
  });
  size_t head_start = inputs.size();
  inputs.insert(inputs.end(), head_files.begin(), head_files.end());
  // Folders, files and HEAD's files come sorted: merging is linear.
  std::inplace_merge(inputs.begin() + 1, inputs.begin() + files_start, inputs.begin() + head_start);
  std::inplace_merge(inputs.begin() + 1, inputs.begin() + head_start, inputs.end());
  inputs.erase(std::unique(inputs.begin(), inputs.end()), inputs.end());

  if (int resolved = ResolveStack(options.output + " not written", &stack); resolved != kExitOk) return resolved;
  const graph::Graph& graph = *stack.graph;
  spec::Diagnostics diagnostics;
  ninja::File& file = kept->file;
  file = emit::EmitBuildFile(graph, std::move(emit_options), diagnostics);
  if (int reported = ReportDiagnostics(diagnostics, options.output + " not written"); reported != kExitOk)
    return reported;
  std::string& text = kept->text;
  try {
    text = ninja::Write(file);
  } catch (const std::invalid_argument& e) {
    PrintError(options.spec, e.what());
    return kExitUserError;
  }
  // Not synced to the disk: a build.ninja lost in a crash is made again (the
  // memo then does not match it).
  bool changed = WriteFileIfChanged(output_abs, text, Durability::kRemade);
  KeepHistoryMemo(stack);
  int dirty = 0;
  std::set<std::string> plans;  // the generated ones: --plan may select some
  for (const auto& node : graph.Nodes()) {
    dirty += node->dirty;
    plans.insert(node->plan);
  }
  std::string summary = ": " + std::to_string(graph.Nodes().size()) + " nodes in " + std::to_string(plans.size()) +
                        " plan(s)" + (dirty ? ", " + std::to_string(dirty) + " dirty" : "") + "\n";
  if (!graph.Nodes().empty()) summary += RegistryStatusLine(graph, options.offline) + "\n";
  if (!options.regenerate) {
    if (!changed) TouchFile(output_abs);  // newer than its inputs, so ninja does not regenerate
    RestatInNinjaLog(build_dir, Basename(output_abs));
  }
  if (!repo.IsShallow()) {
    KeepGenerationMemo(*stack.folder, {.inputs = digest,
                                       .output = Sha256Hex(text),
                                       .warnings = stack.warnings,
                                       .summary = summary,
                                       .output_stat = StatKey(output_abs)});
  }
  if (!options.regenerate) {
    std::cout << "datahub-gen: " << (changed ? "wrote " : "unchanged ") << options.output << summary;
  }
  KeepUntilExit(std::move(kept));
  return kExitOk;
}

}  // namespace dhg::cli
