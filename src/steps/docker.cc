#include "steps/docker.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <regex>

#include "util/strings.h"

namespace dhg::steps {
namespace {

// Just enough JSON for what docker prints with --format '{{json ...}}' and
// `docker manifest inspect`.
struct JsonValue {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  std::string text;  // string value, or the literal of a number/bool
  std::vector<JsonValue> items;
  std::vector<std::pair<std::string, JsonValue>> members;

  const JsonValue* Member(std::string_view name) const {
    for (const auto& [key, value] : members) {
      if (key == name) return &value;
    }
    return nullptr;
  }
};

class JsonParser {
 public:
  explicit JsonParser(std::string_view text) : text_(text) {}

  std::optional<JsonValue> ParseDocument() {
    JsonValue value;
    if (!ParseValue(&value, 0)) return std::nullopt;
    SkipSpace();
    if (pos_ != text_.size()) return std::nullopt;
    return value;
  }

 private:
  static constexpr int kMaxDepth = 64;

  void SkipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }

  bool Consume(char c) {
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  bool ParseValue(JsonValue* value, int depth) {
    if (depth > kMaxDepth) return false;
    SkipSpace();
    if (pos_ >= text_.size()) return false;
    char c = text_[pos_];
    if (c == '{') return ParseObject(value, depth);
    if (c == '[') return ParseArray(value, depth);
    if (c == '"') {
      value->kind = JsonValue::Kind::kString;
      return ParseString(&value->text);
    }
    for (std::string_view literal : {"null", "true", "false"}) {
      if (text_.substr(pos_, literal.size()) == literal) {
        pos_ += literal.size();
        value->kind = literal == "null" ? JsonValue::Kind::kNull : JsonValue::Kind::kBool;
        value->text = literal == "null" ? "" : std::string(literal);
        return true;
      }
    }
    size_t start = pos_;
    while (pos_ < text_.size() && std::string_view("+-0123456789.eE").find(text_[pos_]) != std::string_view::npos)
      ++pos_;
    if (pos_ == start) return false;
    value->kind = JsonValue::Kind::kNumber;
    value->text = std::string(text_.substr(start, pos_ - start));
    return true;
  }

  bool ParseObject(JsonValue* value, int depth) {
    value->kind = JsonValue::Kind::kObject;
    ++pos_;
    if (Consume('}')) return true;
    do {
      SkipSpace();
      std::string key;
      JsonValue member;
      if (!ParseString(&key) || !Consume(':') || !ParseValue(&member, depth + 1)) return false;
      value->members.emplace_back(std::move(key), std::move(member));
    } while (Consume(','));
    return Consume('}');
  }

  bool ParseArray(JsonValue* value, int depth) {
    value->kind = JsonValue::Kind::kArray;
    ++pos_;
    if (Consume(']')) return true;
    do {
      JsonValue item;
      if (!ParseValue(&item, depth + 1)) return false;
      value->items.push_back(std::move(item));
    } while (Consume(','));
    return Consume(']');
  }

  static void AppendUtf8(unsigned code_point, std::string* out) {
    if (code_point < 0x80) {
      out->push_back(static_cast<char>(code_point));
    } else if (code_point < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (code_point >> 6)));
      out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
    } else if (code_point < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (code_point >> 12)));
      out->push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (code_point >> 18)));
      out->push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
    }
  }

  bool ParseHex4(unsigned* out) {
    if (pos_ + 4 > text_.size()) return false;
    unsigned result = 0;
    for (int i = 0; i < 4; ++i) {
      char c = text_[pos_++];
      result <<= 4;
      if (c >= '0' && c <= '9') {
        result |= static_cast<unsigned>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        result |= static_cast<unsigned>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        result |= static_cast<unsigned>(c - 'A' + 10);
      } else {
        return false;
      }
    }
    *out = result;
    return true;
  }

  bool ParseString(std::string* out) {
    if (pos_ >= text_.size() || text_[pos_] != '"') return false;
    ++pos_;
    while (pos_ < text_.size()) {
      char c = text_[pos_++];
      if (c == '"') return true;
      if (c != '\\') {
        out->push_back(c);
        continue;
      }
      if (pos_ >= text_.size()) return false;
      char escaped = text_[pos_++];
      switch (escaped) {
        case '"':
          out->push_back('"');
          break;
        case '\\':
          out->push_back('\\');
          break;
        case '/':
          out->push_back('/');
          break;
        case 'b':
          out->push_back('\b');
          break;
        case 'f':
          out->push_back('\f');
          break;
        case 'n':
          out->push_back('\n');
          break;
        case 'r':
          out->push_back('\r');
          break;
        case 't':
          out->push_back('\t');
          break;
        case 'u': {
          unsigned code_point = 0;
          if (!ParseHex4(&code_point)) return false;
          if (code_point >= 0xD800 && code_point < 0xDC00 && text_.substr(pos_, 2) == "\\u") {
            pos_ += 2;
            unsigned low = 0;
            if (!ParseHex4(&low) || low < 0xDC00 || low > 0xDFFF) return false;
            code_point = 0x10000 + ((code_point - 0xD800) << 10) + (low - 0xDC00);
          }
          AppendUtf8(code_point, out);
          break;
        }
        default:
          return false;
      }
    }
    return false;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

std::string TrimmedMessage(const std::string& text) {
  size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  size_t end = text.find_last_not_of(" \t\r\n");
  return text.substr(begin, end - begin + 1);
}

bool ContainsIgnoringCase(const std::string& text, std::string_view needle) {
  auto it = std::search(text.begin(), text.end(), needle.begin(), needle.end(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
  });
  return it != text.end();
}

std::vector<std::string> DockerArgv(const std::vector<std::string>& arguments) {
  std::vector<std::string> argv{"docker"};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  return argv;
}

}  // namespace

std::optional<std::map<std::string, std::string>> ParseFlatJsonObject(const std::string& text) {
  std::optional<JsonValue> value = JsonParser(text).ParseDocument();
  if (!value || value->kind != JsonValue::Kind::kObject) return std::nullopt;
  std::map<std::string, std::string> result;
  for (const auto& [key, member] : value->members) {
    if (member.kind == JsonValue::Kind::kArray || member.kind == JsonValue::Kind::kObject) return std::nullopt;
    result[key] = member.text;
  }
  return result;
}

void SplitImageReference(const std::string& ref, std::string* repository, std::string* tag) {
  size_t colon = ref.rfind(':');
  size_t slash = ref.rfind('/');
  if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) {
    *repository = ref;
    *tag = "latest";
    return;
  }
  *repository = ref.substr(0, colon);
  *tag = ref.substr(colon + 1);
}

std::vector<HistoryEntry> ParseHistory(const std::string& json_lines) {
  std::vector<HistoryEntry> entries;
  for (const std::string& line : Split(json_lines, '\n')) {
    if (TrimmedMessage(line).empty()) continue;
    std::optional<std::map<std::string, std::string>> row = ParseFlatJsonObject(line);
    if (!row) throw DockerError("cannot read a line of docker history: " + line);
    HistoryEntry entry;
    entry.created = (*row)["CreatedAt"];
    entry.created_by = (*row)["CreatedBy"];
    entry.comment = (*row)["Comment"];
    const std::string& size = (*row)["Size"];
    char* end = nullptr;
    entry.size_bytes = std::strtoll(size.c_str(), &end, 10);
    if (size.empty() || *end != '\0')
      throw DockerError("docker history printed a size that is not a byte count: " + size);
    entries.push_back(std::move(entry));
  }
  return entries;
}

std::string ParsePushDigest(const std::string& output) {
  static const std::regex kDigest("digest: (sha256:[0-9a-f]{64})");
  std::string last;
  for (auto it = std::sregex_iterator(output.begin(), output.end(), kDigest); it != std::sregex_iterator(); ++it) {
    last = (*it)[1].str();
  }
  return last;
}

bool ManifestInspectSaysAbsent(const std::string& stderr_text, std::string* refusal) {
  bool absent = false;
  for (const std::string& line : Split(stderr_text, '\n')) {
    size_t on_error = line.find("on error (");
    if (on_error != std::string::npos) {
      // `level=debug msg="continuing on error (errcode.Errors) manifest unknown: manifest unknown"`
      size_t close = line.find(") ", on_error);
      std::string reason = close == std::string::npos ? line.substr(on_error) : line.substr(close + 2);
      if (!reason.empty() && reason.back() == '"') reason.pop_back();
      if (ContainsIgnoringCase(reason, "manifest unknown") || ContainsIgnoringCase(reason, "name unknown") ||
          ContainsIgnoringCase(reason, "not found")) {
        continue;
      }
      if (refusal->empty()) *refusal = reason;
      continue;
    }
    if (line.find("level=") != std::string::npos) continue;  // other debug lines
    for (std::string_view said : {"no such manifest", "manifest unknown", "name unknown"}) {
      if (ContainsIgnoringCase(line, said)) absent = true;
    }
  }
  return absent && refusal->empty();
}

RegistryImage ParseVerboseManifest(const std::string& json) {
  RegistryImage image;
  std::optional<JsonValue> root = JsonParser(json).ParseDocument();
  if (!root || root->kind != JsonValue::Kind::kObject) return image;
  auto string_at = [](const JsonValue* value, std::string_view name) -> std::string {
    const JsonValue* member = value ? value->Member(name) : nullptr;
    return member && member->kind == JsonValue::Kind::kString ? member->text : "";
  };
  image.digest = string_at(root->Member("Descriptor"), "digest");
  for (std::string_view manifest_key : {"SchemaV2Manifest", "OCIManifest"}) {
    const JsonValue* manifest = root->Member(manifest_key);
    if (manifest && manifest->Member("config")) image.id = string_at(manifest->Member("config"), "digest");
  }
  return image;
}

std::string CliDocker::Run(const std::vector<std::string>& arguments, const std::string& what) {
  std::string out;
  std::string err;
  ProcessResult result = RunProcess(DockerArgv(arguments), log_, {.stdout_capture = &out, .stderr_capture = &err});
  if (!result.ok()) {
    std::string message = TrimmedMessage(err);
    throw DockerError(what + " failed (" + result.Describe() + ")" + (message.empty() ? "" : ": " + message));
  }
  return out;
}

std::optional<LocalImage> CliDocker::InspectImage(const std::string& ref) {
  std::string out;
  std::string err;
  ProcessResult result =
      RunProcess(DockerArgv({"image", "inspect", "--format", "{{.Id}} {{.Created}} {{json .Config.Labels}}", ref}),
                 log_, {.stdout_capture = &out, .stderr_capture = &err});
  if (!result.ok()) {
    if (ContainsIgnoringCase(err, "no such image")) return std::nullopt;
    throw DockerError("docker image inspect " + ref + " failed: " + TrimmedMessage(err));
  }
  // Neither the id nor the time has a space; the labels' JSON may.
  std::string line = TrimmedMessage(out);
  size_t space = line.find(' ');
  size_t second_space = space == std::string::npos ? std::string::npos : line.find(' ', space + 1);
  LocalImage image;
  image.id = line.substr(0, space);
  if (space != std::string::npos) image.created = line.substr(space + 1, second_space - space - 1);
  std::string labels = second_space == std::string::npos ? "null" : line.substr(second_space + 1);
  if (labels != "null") {
    std::optional<std::map<std::string, std::string>> parsed = ParseFlatJsonObject(labels);
    if (!parsed) throw DockerError("cannot read the labels of " + ref + ": " + labels);
    image.labels = std::move(*parsed);
  }
  if (!StartsWith(image.id, "sha256:")) throw DockerError("unexpected image id of " + ref + ": " + line);
  return image;
}

void CliDocker::Tag(const std::string& source, const std::string& target) {
  Run({"tag", source, target}, "docker tag " + source + " " + target);
}

std::optional<RegistryImage> CliDocker::InspectRegistry(const std::string& ref, bool insecure) {
  // --debug: the CLI says "no such manifest" also when the registry refused
  // the credentials; only its debug lines tell the two apart.
  std::vector<std::string> arguments{"--debug", "manifest", "inspect", "--verbose"};
  if (insecure) arguments.push_back("--insecure");
  arguments.push_back(ref);
  std::string out;
  std::string err;
  ProcessResult result = RunProcess(
      DockerArgv(arguments), log_, {.stdout_capture = &out, .stderr_capture = &err, .timeout = kRegistryAnswerTimeout});
  if (result.timed_out) {
    throw DockerError("cannot ask the registry for " + ref + ": no answer within " +
                      std::to_string(kRegistryAnswerTimeout.count() / 1000) + " s");
  }
  if (!result.ok()) {
    // Only the registry's "not there" answers mean absent; anything else
    // (auth, network, a typo in the host) must not turn into a silent rebuild.
    std::string refusal;
    if (ManifestInspectSaysAbsent(err, &refusal)) return std::nullopt;
    std::string message = refusal.empty() ? TrimmedMessage(err) : refusal;
    throw DockerError("cannot ask the registry for " + ref + " (" + result.Describe() + ")" +
                      (message.empty() ? "" : ": " + message));
  }
  return ParseVerboseManifest(out);
}

void CliDocker::Build(const BuildRequest& request, ByteSource& context_tar) {
  std::vector<std::string> argv{"docker", "build", "-t", request.image, "-f", request.dockerfile};
  for (const std::string& arg : request.build_args) {
    argv.push_back("--build-arg");
    argv.push_back(arg);
  }
  for (const std::string& label : request.labels) {
    argv.push_back("--label");
    argv.push_back(label);
  }
  argv.push_back("-");
  std::string err;
  ProcessResult result = RunProcess(argv, log_, {.stdin_source = &context_tar, .stderr_capture = &err});
  if (!result.ok()) {
    std::string message = TrimmedMessage(err);
    size_t last_line = message.rfind('\n');
    if (last_line != std::string::npos) message = message.substr(last_line + 1);
    throw DockerError("docker build of " + request.image + " failed (" + result.Describe() + ")" +
                      (message.empty() ? "" : ": " + message));
  }
}

void CliDocker::Pull(const std::string& ref) { Run({"pull", ref}, "docker pull " + ref); }

std::string CliDocker::Push(const std::string& ref) {
  std::string digest = ParsePushDigest(Run({"push", ref}, "docker push " + ref));
  if (!digest.empty()) return digest;
  // Older clients print no digest line; the local image records it.
  std::optional<JsonValue> repo_digests =
      JsonParser(Run({"image", "inspect", "--format", "{{json .RepoDigests}}", ref}, "docker image inspect " + ref))
          .ParseDocument();
  std::string repository;
  std::string tag;
  SplitImageReference(ref, &repository, &tag);
  if (repo_digests && repo_digests->kind == JsonValue::Kind::kArray) {
    for (const JsonValue& item : repo_digests->items) {
      if (StartsWith(item.text, repository + "@")) return item.text.substr(repository.size() + 1);
    }
  }
  throw DockerError("docker push " + ref + " printed no digest, and the image records none");
}

bool CliDocker::StartContainer(const std::string& name, const std::string& ref,
                               const std::vector<std::string>& keep_alive) {
  std::vector<std::string> arguments{"run", "-d", "--name", name, "--network", "none", "--entrypoint", "", ref};
  arguments.insert(arguments.end(), keep_alive.begin(), keep_alive.end());
  ProcessResult result = RunProcess(DockerArgv(arguments), log_);
  if (result.ok()) {
    // A keep-alive command that does not understand its arguments (busybox
    // `sleep infinity`) starts fine and exits a moment later.
    InterruptibleSleep(std::chrono::milliseconds(150));
    std::string state;
    ProcessResult inspect = RunProcess(DockerArgv({"container", "inspect", "--format", "{{.State.Running}}", name}),
                                       log_, {.stdout_capture = &state});
    if (inspect.ok() && TrimmedMessage(state) == "true") return true;
  }
  RemoveContainer(name);
  return false;
}

ExecResult CliDocker::Exec(const std::string& container, const std::vector<std::string>& argv) {
  std::vector<std::string> arguments{"exec", container};
  arguments.insert(arguments.end(), argv.begin(), argv.end());
  ExecResult exec;
  ProcessResult result =
      RunProcess(DockerArgv(arguments), log_, {.stdout_capture = &exec.output, .merge_stderr = true});
  exec.exit_code = result.term_signal != 0 ? 128 + result.term_signal : result.exit_code;
  return exec;
}

void CliDocker::RemoveContainer(const std::string& name) {
  std::string err;
  ProcessResult result =
      RunProcess(DockerArgv({"rm", "-f", name}), log_, {.stderr_capture = &err, .even_if_interrupted = true});
  if (!result.ok() && !ContainsIgnoringCase(err, "no such container")) {
    log_.Line("warning: could not remove container " + name + ": " + TrimmedMessage(err));
  }
}

std::vector<HistoryEntry> CliDocker::History(const std::string& ref) {
  // --human=false: exact byte counts (for the cumulative sizes) and absolute
  // creation times (a page must not change because time passed).
  return ParseHistory(
      Run({"history", "--no-trunc", "--human=false", "--format", "{{json .}}", ref}, "docker history " + ref));
}

}  // namespace dhg::steps
