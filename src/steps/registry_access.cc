#include "steps/registry_access.h"

#include <algorithm>
#include <memory>

#include "registry/client.h"
#include "registry/credentials.h"
#include "registry/transport.h"
#include "util/json.h"

namespace dhg::steps {
namespace {

// The client's waits between retries end at once on SIGINT, as the steps' do.
class InterruptibleClock : public registry::SystemClock {
 public:
  void Sleep(std::chrono::milliseconds duration) override { InterruptibleSleep(duration); }
};

class ClientRegistry : public Registry {
 public:
  ClientRegistry(StepLog& log, const RegistryOptions& options)
      : credentials_(registry::DockerConfigFromEnvironment()),
        client_(transport_, credentials_, clock_, ClientOptionsOf(log, options)) {}

  std::optional<RegistryImage> Inspect(const std::string& ref) override {
    registry::Result result = client_.Head(Parse(ref));
    if (result.outcome == registry::Outcome::kAbsent) return std::nullopt;
    if (!result.ok()) throw RegistryError(result.message);
    return RegistryImage{result.digest, ""};
  }

  std::string ImageId(const std::string& ref) override {
    registry::Result manifest = client_.GetManifest(Parse(ref));
    if (!manifest.ok()) throw RegistryError(manifest.message);
    std::optional<JsonValue> json = ParseJson(manifest.content);
    const JsonValue* config = json ? json->Member("config") : nullptr;
    return config ? config->StringMember("digest") : "";
  }

  std::optional<RemoteImage> Describe(const std::string& ref) override {
    registry::Reference parsed = Parse(ref);
    registry::Result manifest = client_.GetManifest(parsed);
    if (!manifest.ok()) throw RegistryError(manifest.message);
    std::optional<JsonValue> json = ParseJson(manifest.content);
    const JsonValue* config = json ? json->Member("config") : nullptr;
    if (!config) return std::nullopt;  // an index: no one image
    std::vector<int64_t> sizes;
    if (const JsonValue* layers = json->Member("layers")) {
      for (const JsonValue& layer : layers->items) {
        const JsonValue* size = layer.Member("size");
        sizes.push_back(size ? std::stoll("0" + size->text) : 0);
      }
    }
    std::string id = config->StringMember("digest");
    registry::Result blob = client_.GetBlob(parsed, id);
    if (!blob.ok()) throw RegistryError(blob.message);
    return RemoteImageOf(id, blob.content, sizes);
  }

  std::string Retag(const std::string& ref, const std::string& target) override {
    registry::Reference to = Parse(target);
    registry::Result result = client_.Retag(Parse(ref), to.tag);
    if (!result.ok()) throw RegistryError(result.message);
    return result.digest;
  }

 private:
  static registry::ClientOptions ClientOptionsOf(StepLog& log, const RegistryOptions& options) {
    registry::ClientOptions client;
    client.insecure = options.insecure;
    client.refusal_means_absent = options.refusal_means_absent;
    client.log = [&log](const std::string& line) { log.Line(line); };
    return client;
  }

  static registry::Reference Parse(const std::string& ref) {
    std::string error;
    std::optional<registry::Reference> parsed = registry::ParseReference(ref, &error);
    if (!parsed) throw RegistryError(ref + ": " + error);
    return *parsed;
  }

  registry::CurlTransport transport_;
  registry::DockerCredentials credentials_;
  InterruptibleClock clock_;
  registry::Client client_;
};

}  // namespace

std::unique_ptr<Registry> MakeRegistry(StepLog& log, const RegistryOptions& options) {
  return std::make_unique<ClientRegistry>(log, options);
}

std::optional<RemoteImage> RemoteImageOf(const std::string& id, const std::string& config_json,
                                         const std::vector<int64_t>& layer_sizes) {
  std::optional<JsonValue> config = ParseJson(config_json);
  if (!config) return std::nullopt;
  RemoteImage image{id, config->StringMember("created"), {}, {}};
  if (const JsonValue* inner = config->Member("config")) {
    if (const JsonValue* labels = inner->Member("Labels")) {
      for (const auto& [name, value] : labels->members) image.labels[name] = value.text;
    }
  }
  // Each history entry that made a layer takes the next layer's size.
  size_t next_layer = 0;
  if (const JsonValue* history = config->Member("history")) {
    for (const JsonValue& entry : history->items) {
      const JsonValue* empty = entry.Member("empty_layer");
      bool makes_layer = !(empty && empty->text == "true");
      int64_t size = makes_layer && next_layer < layer_sizes.size() ? layer_sizes[next_layer] : 0;
      if (makes_layer) ++next_layer;
      image.layers.push_back(
          {entry.StringMember("created"), entry.StringMember("created_by"), size, entry.StringMember("comment")});
    }
  }
  std::reverse(image.layers.begin(), image.layers.end());
  return image;
}

}  // namespace dhg::steps
