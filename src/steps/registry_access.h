// What the steps ask of registries, behind an interface (a fake in the unit
// tests, step_fixture.h): whether a tag is there, an image's id, its config
// and layers without a pull, and a registry-side retag. Answered by our OCI
// client (registry/client.h), which tells "absent" from "refused" exactly,
// uses docker's credentials and costs Docker Hub no pull (HEAD requests).
#pragma once
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "steps/docker.h"
#include "steps/process.h"

namespace dhg::steps {

// The registry refused, or gave no answer: its words, never a secret.
class RegistryError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct RegistryImage {
  // The manifest digest and the image id (the config digest); both empty for
  // a multi-platform index, which has no single image.
  std::string digest;
  std::string id;
};

// An image in a registry, as far as a manifest page needs it.
struct RemoteImage {
  std::string id;       // the config digest (docker's image id)
  std::string created;  // RFC 3339
  std::map<std::string, std::string> labels;
  std::vector<HistoryEntry> layers;  // newest first, as docker history lists them
};

class Registry {
 public:
  virtual ~Registry() = default;
  // `ref` in its registry: its manifest digest (the image id is left empty:
  // ImageId asks for it), or nullopt when absent, also when the repository
  // does not exist yet. Throws RegistryError when the registry refuses or
  // does not answer: never a silent "absent".
  virtual std::optional<RegistryImage> Inspect(const std::string& ref) = 0;
  // The image id (config digest) of `ref`, "" for a multi-platform index.
  // Throws RegistryError (absent included).
  virtual std::string ImageId(const std::string& ref) = 0;
  // `ref`'s config and layer sizes (no layer is downloaded); nullopt for an
  // index. Throws RegistryError.
  virtual std::optional<RemoteImage> Describe(const std::string& ref) = 0;
  // Puts `ref`'s manifest under `target` (the same repository, another tag),
  // registry side: no pull, no layer pushed; returns the digest, the same as
  // ref's. Throws RegistryError.
  virtual std::string Retag(const std::string& ref, const std::string& target) = 0;
};

struct RegistryOptions {
  std::set<std::string> insecure;              // host[:port] asked over plain http (loopback ones always are)
  std::set<std::string> refusal_means_absent;  // whose 401/403 to a manifest means absent (docs/ci.md)
};

// The real one; every exchange goes to `log`, secrets removed.
std::unique_ptr<Registry> MakeRegistry(StepLog& log, const RegistryOptions& options = {});

// The image a manifest page describes, from an image config and the layer
// sizes of its manifest (both JSON as the registry serves them).
std::optional<RemoteImage> RemoteImageOf(const std::string& id, const std::string& config_json,
                                         const std::vector<int64_t>& layer_sizes);

}  // namespace dhg::steps
