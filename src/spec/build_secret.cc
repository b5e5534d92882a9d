#include "spec/build_secret.h"

#include <cctype>

namespace dhg::spec {
namespace {

bool AllOf(const std::string& text, const char* extra) {
  if (text.empty()) return false;
  for (unsigned char c : text) {
    if (!std::isalnum(c) && std::string_view(extra).find(static_cast<char>(c)) == std::string_view::npos) return false;
  }
  return true;
}

bool SafeRelativePath(const std::string& path) {
  if (path.empty() || path.front() == '/' || path.find(',') != std::string::npos) return false;
  for (size_t start = 0; start <= path.size();) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    if (path.compare(start, end - start, "..") == 0) return false;
    start = end + 1;
  }
  for (unsigned char c : path) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

}  // namespace

std::string BuildSecret::ToDockerArg(const std::string& src_prefix) const {
  return "id=" + id + (env.empty() ? ",src=" + src_prefix + src : ",env=" + env);
}

std::optional<BuildSecret> ParseBuildSecret(const std::string& text, std::string* error) {
  BuildSecret secret;
  for (size_t start = 0; start <= text.size();) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    std::string field = text.substr(start, end - start);
    start = end + 1;
    size_t equals = field.find('=');
    std::string name = field.substr(0, equals);
    std::string value = equals == std::string::npos ? "" : field.substr(equals + 1);
    std::string* slot = name == "id" ? &secret.id : name == "env" ? &secret.env : name == "src" ? &secret.src : nullptr;
    if (!slot) {
      *error = "'" + name + "' is not a field of a build secret (id=ID,env=VARIABLE or id=ID,src=FILE)";
      return std::nullopt;
    }
    if (!slot->empty()) {
      *error = "'" + name + "' is given twice";
      return std::nullopt;
    }
    if (value.empty()) {
      *error = "'" + name + "' has no value";
      return std::nullopt;
    }
    *slot = value;
  }
  if (secret.id.empty()) {
    *error = "a build secret needs id=ID";
  } else if (!AllOf(secret.id, "-_.")) {
    *error = "secret id '" + secret.id + "' must be letters, digits, '-', '_' and '.'";
  } else if (secret.env.empty() == secret.src.empty()) {
    *error = "secret '" + secret.id + "' needs exactly one of env=VARIABLE and src=FILE";
  } else if (!secret.env.empty() &&
             (!AllOf(secret.env, "_") || std::isdigit(static_cast<unsigned char>(secret.env[0])))) {
    *error = "secret '" + secret.id + "': env '" + secret.env + "' is not a variable name (letters, digits and '_')";
  } else if (!secret.src.empty() && !SafeRelativePath(secret.src)) {
    *error = "secret '" + secret.id + "': src '" + secret.src +
             "' must be a path relative to the repository root, without '..' or ','";
  } else {
    return secret;
  }
  return std::nullopt;
}

}  // namespace dhg::spec
