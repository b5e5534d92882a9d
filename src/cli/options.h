// Command-line options of `datahub-gen` (generation), of `datahub-gen graph`,
// `datahub-gen ci-matrix` and `datahub-gen report` (which take the generation
// options too), and their parsing. The only layer that includes cxxopts.
#pragma once
#include <map>
#include <set>
#include <string>
#include <vector>

#include "emit/graph_render.h"

namespace dhg::cli {

struct GenerateOptions {
  std::string directory;                       // -C: change to this directory first
  std::string spec = "images/spec.yml";        // --spec
  std::string output = "build.ninja";          // -o
  std::string registry;                        // --registry HOST[:PORT][/NAMESPACE]
  std::map<std::string, std::string> defines;  // -D NAME=VALUE
  std::vector<std::string> plans;              // --plan
  int build_jobs = 0;                          // --build-jobs; 0 = min(2, cores)
  int push_jobs = 2;                           // --push-jobs
  std::string pytest;                          // --pytest "CMD WORDS"
  bool offline = false;                        // --offline: never ask a registry
  std::set<std::string> insecure_registries;   // --insecure-registry HOST[:PORT]: plain http
  std::set<std::string> refusal_means_absent;  // --refusal-means-absent HOST[:PORT] (docs/ci.md)
  bool allow_dirty = false;                    // --allow-dirty
  bool publish_only_if_all_pass = false;       // --publish-only-if-all-pass
  std::string tool;                            // --tool: datahub-gen as build.ninja runs it
  std::string builder;                         // --builder buildkit|classic; "" = auto
  std::vector<std::string> secrets;            // --secret id=ID,env=VAR|src=FILE (validated)
  bool regenerate = false;                     // --regenerate: run by ninja's regeneration edge
};

enum class ParseOutcome { kRun, kHelp, kVersion, kUsageError };

// Parses the generation options; on kHelp/kVersion/kUsageError, *message holds
// the text to print.
ParseOutcome ParseGenerateOptions(int argc, const char* const* argv, GenerateOptions* options, std::string* message);

// `datahub-gen graph`: the generation options say which stack, variables,
// registry and plans (and -o where the build folder with the stamps is).
struct GraphOptions {
  GenerateOptions stack;
  emit::GraphFormat format = emit::GraphFormat::kMermaid;  // --format mermaid|dot
};

// Parse `graph ...` and `ci-matrix ...` (argv[0] is the command name) like
// ParseGenerateOptions, without --regenerate.
ParseOutcome ParseGraphOptions(int argc, const char* const* argv, GraphOptions* options, std::string* message);
ParseOutcome ParseCiMatrixOptions(int argc, const char* const* argv, GenerateOptions* options, std::string* message);

// `datahub-gen status [--json]` and `datahub-gen explain IMAGE[/PLAN]`.
struct StatusOptions {
  GenerateOptions stack;
  bool json = false;
};
struct ExplainOptions {
  GenerateOptions stack;
  std::string node;  // IMAGE or IMAGE/PLAN
};
ParseOutcome ParseStatusOptions(int argc, const char* const* argv, StatusOptions* options, std::string* message);
ParseOutcome ParseExplainOptions(int argc, const char* const* argv, ExplainOptions* options, std::string* message);

// `datahub-gen report`: the generation options say which stack and nodes (and
// -o where the build folder is); the report goes to stdout, or to the files.
struct ReportOptions {
  GenerateOptions stack;
  std::string markdown;  // --markdown FILE ("-" = stdout)
  std::string html;      // --html FILE
};
ParseOutcome ParseReportOptions(int argc, const char* const* argv, ReportOptions* options, std::string* message);

// The arguments that make a later run (from the build directory, by ninja)
// repeat this one: everything but -C and --regenerate, paths made relative to
// the build directory.
std::vector<std::string> RegenerateArgs(const GenerateOptions& options, const std::string& spec_from_build_dir,
                                        const std::string& output_name);

std::string HelpText();

}  // namespace dhg::cli
