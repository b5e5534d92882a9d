#include "registry/auth.h"

#include <cctype>

#include "util/base64.h"
#include "util/json.h"
#include "util/strings.h"

namespace dhg::registry {
namespace {

bool IsTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~/").find(c) != std::string_view::npos;
}

class ChallengeReader {
 public:
  explicit ChallengeReader(std::string_view text) : text_(text) {}

  std::vector<Challenge> ReadAll() {
    std::vector<Challenge> challenges;
    while (true) {
      SkipSeparators();
      if (pos_ >= text_.size()) break;
      std::string word = Token();
      if (word.empty()) {
        ++pos_;  // not a token: skip the character
        continue;
      }
      SkipSpaces();
      if (Peek() == '=' && !challenges.empty()) {  // a parameter of the current challenge
        ++pos_;
        challenges.back().params[AsciiLower(word)] = Value();
        continue;
      }
      challenges.push_back(Challenge{AsciiLower(word), {}});
      // token68 (`Basic abc==`) is no parameter list: skip it.
    }
    return challenges;
  }

 private:
  char Peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void SkipSpaces() {
    while (Peek() == ' ' || Peek() == '\t') ++pos_;
  }
  void SkipSeparators() {
    while (Peek() == ' ' || Peek() == '\t' || Peek() == ',') ++pos_;
  }
  std::string Token() {
    size_t start = pos_;
    while (pos_ < text_.size() && IsTokenChar(text_[pos_])) ++pos_;
    return std::string(text_.substr(start, pos_ - start));
  }
  std::string Value() {
    SkipSpaces();
    if (Peek() != '"') {
      size_t start = pos_;
      while (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != ' ' && text_[pos_] != '\t') ++pos_;
      return std::string(text_.substr(start, pos_ - start));
    }
    ++pos_;
    std::string value;
    while (pos_ < text_.size() && text_[pos_] != '"') {
      if (text_[pos_] == '\\' && pos_ + 1 < text_.size()) ++pos_;
      value += text_[pos_++];
    }
    ++pos_;  // the closing quote
    return value;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

bool GrantsPush(const std::vector<std::string>& actions) {
  for (const std::string& action : actions) {
    if (action == "push" || action == "*") return true;
  }
  return false;
}

}  // namespace

std::string Challenge::Param(const std::string& name) const {
  auto it = params.find(name);
  return it == params.end() ? "" : it->second;
}

std::vector<Challenge> ParseWwwAuthenticate(std::string_view header) { return ChallengeReader(header).ReadAll(); }

std::string RepositoryScope(std::string_view repository, bool push) {
  return "repository:" + std::string(repository) + (push ? ":pull,push" : ":pull");
}

std::optional<TokenAnswer> ParseTokenAnswer(std::string_view body, std::string_view repository, std::string* error) {
  std::optional<JsonValue> root = ParseJson(body);
  if (!root || root->kind != JsonValue::Kind::kObject) {
    *error = "the token service answered something that is not a JSON object";
    return std::nullopt;
  }
  TokenAnswer answer;
  answer.token = root->StringMember("token");
  if (answer.token.empty()) answer.token = root->StringMember("access_token");
  if (answer.token.empty()) {
    *error = "the token service's answer holds no token";
    return std::nullopt;
  }
  std::string scope = root->StringMember("scope");
  answer.push = scope.empty() ? PushGrantOfJwt(answer.token, repository) : PushGrantOfScope(scope, repository);
  return answer;
}

Grant PushGrantOfJwt(std::string_view token, std::string_view repository) {
  std::vector<std::string> parts = Split(token, '.');
  if (parts.size() != 3) return Grant::kUnknown;
  std::optional<std::string> payload = Base64Decode(parts[1]);
  if (!payload) return Grant::kUnknown;
  std::optional<JsonValue> claims = ParseJson(*payload);
  const JsonValue* access = claims ? claims->Member("access") : nullptr;
  if (!access || access->kind != JsonValue::Kind::kArray) return Grant::kUnknown;
  for (const JsonValue& entry : access->items) {
    if (entry.StringMember("type") != "repository" || entry.StringMember("name") != repository) continue;
    const JsonValue* actions = entry.Member("actions");
    if (!actions) continue;
    std::vector<std::string> names;
    for (const JsonValue& action : actions->items) names.push_back(action.text);
    if (GrantsPush(names)) return Grant::kGranted;
  }
  return Grant::kNotGranted;
}

Grant PushGrantOfScope(std::string_view scope, std::string_view repository) {
  std::string prefix = "repository:" + std::string(repository) + ":";
  for (const std::string& item : Split(scope, ' ')) {
    if (StartsWith(item, prefix) && GrantsPush(Split(std::string_view(item).substr(prefix.size()), ','))) {
      return Grant::kGranted;
    }
  }
  return Grant::kNotGranted;
}

std::string BasicAuthorization(std::string_view username, std::string_view password) {
  return "Basic " + Base64Encode(std::string(username) + ":" + std::string(password));
}

std::string FormEncode(const std::vector<std::pair<std::string, std::string>>& fields) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out += '&';
    out += name + "=";
    for (char c : value) {
      unsigned char byte = static_cast<unsigned char>(c);
      if (std::isalnum(byte) || c == '-' || c == '_' || c == '.' || c == '~') {
        out += c;
      } else {
        out += '%';
        out += kHex[byte >> 4];
        out += kHex[byte & 0xF];
      }
    }
  }
  return out;
}

}  // namespace dhg::registry
