// A test driver for the registry client (src/registry/), not part of the
// datahub-gen CLI: one operation, its result as NAME=VALUE lines on stdout.
// Credentials come from docker's configuration ($DOCKER_CONFIG), as for the
// tool; with --verbose every HTTP exchange is logged on stderr (what the
// tests search for secrets).
//
//   registry_probe [OPTIONS] head REF...       (one client: tokens cached between them)
//   registry_probe [OPTIONS] get REF [--output FILE]
//   registry_probe [OPTIONS] blob REF DIGEST [--output FILE]
//   registry_probe [OPTIONS] put REF FILE MEDIA_TYPE
//   registry_probe [OPTIONS] retag REF TAG
//
// OPTIONS: --insecure HOST[:PORT], --refusal-means-absent HOST[:PORT],
// --pull-only, --total-timeout-ms N, --request-timeout-ms N,
// --max-attempts N, --first-backoff-ms N, --max-retry-after-ms N, --verbose.
// Each result is a block of lines; blocks are separated by an empty line.
// Exit status: 0 when the client gave a result (whatever its outcome),
// 2 for a usage error.
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "registry/client.h"
#include "util/files.h"
#include "util/hash.h"

namespace {

using dhg::registry::Client;
using dhg::registry::ClientOptions;
using dhg::registry::Reference;
using dhg::registry::Result;

int Usage(const std::string& why) {
  std::cerr << "registry_probe: " << why << "\n"
            << "usage: registry_probe [OPTIONS] head REF... | get REF | blob REF DIGEST | put REF FILE MEDIA_TYPE | "
               "retag REF TAG [--output FILE]\n";
  return 2;
}

void Print(const Result& result) {
  std::cout << "outcome=" << dhg::registry::OutcomeName(result.outcome) << "\n"
            << "status=" << result.status << "\n"
            << "digest=" << result.digest << "\n"
            << "media_type=" << result.media_type << "\n"
            << "new_repository=" << (result.new_repository ? 1 : 0) << "\n"
            << "words=" << result.words << "\n"
            << "message=" << result.message << "\n";
  if (!result.content.empty()) std::cout << "content_sha256=sha256:" << dhg::Sha256Hex(result.content) << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  ClientOptions options;
  bool verbose = false;
  std::string output;
  std::vector<std::string> words;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(arg + " needs a value");
      return argv[++i];
    };
    auto number = [&]() { return std::chrono::milliseconds(std::stoll(value())); };
    try {
      if (arg == "--insecure") {
        options.insecure.insert(value());
      } else if (arg == "--refusal-means-absent") {
        options.refusal_means_absent.insert(value());
      } else if (arg == "--pull-only") {
        options.ask_push = false;
      } else if (arg == "--total-timeout-ms") {
        options.total_timeout = number();
      } else if (arg == "--request-timeout-ms") {
        options.request_timeout = number();
      } else if (arg == "--max-attempts") {
        options.max_attempts = std::stoi(value());
      } else if (arg == "--first-backoff-ms") {
        options.first_backoff = number();
      } else if (arg == "--max-retry-after-ms") {
        options.max_retry_after = number();
      } else if (arg == "--verbose") {
        verbose = true;
      } else if (arg == "--output") {
        output = value();
      } else if (arg.size() > 1 && arg[0] == '-') {
        return Usage("unknown option " + arg);
      } else {
        words.push_back(arg);
      }
    } catch (const std::exception& error) {
      return Usage(error.what());
    }
  }
  if (words.size() < 2) return Usage("an operation and a reference are needed");
  std::string error;
  std::optional<Reference> ref = dhg::registry::ParseReference(words[1], &error);
  if (!ref) return Usage(error);
  if (verbose) options.log = [](const std::string& line) { std::cerr << "registry: " << line << "\n"; };

  dhg::registry::CurlTransport transport;
  dhg::registry::DockerCredentials credentials(dhg::registry::DockerConfigFromEnvironment());
  dhg::registry::SystemClock clock;
  Client client(transport, credentials, clock, options);
  const std::string& operation = words[0];
  Result result;
  if (operation == "head") {
    for (size_t i = 1; i < words.size(); ++i) {
      std::optional<Reference> each = dhg::registry::ParseReference(words[i], &error);
      if (!each) return Usage(error);
      if (i > 1) std::cout << "\n";
      Print(client.Head(*each));
    }
    return 0;
  } else if (operation == "get" && words.size() == 2) {
    result = client.GetManifest(*ref);
  } else if (operation == "blob" && words.size() == 3) {
    result = client.GetBlob(*ref, words[2]);
  } else if (operation == "put" && words.size() == 4) {
    std::optional<std::string> bytes = dhg::ReadFile(words[2]);
    if (!bytes) return Usage("cannot read " + words[2]);
    result = client.PutManifest(*ref, *bytes, words[3]);
  } else if (operation == "retag" && words.size() == 3) {
    result = client.Retag(*ref, words[2]);
  } else {
    return Usage("unknown operation or wrong number of arguments");
  }
  if (!output.empty() && !result.content.empty()) dhg::WriteFileAtomic(output, result.content);
  Print(result);
  return 0;
}
