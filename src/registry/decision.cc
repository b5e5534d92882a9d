#include "registry/decision.h"

#include <algorithm>
#include <cctype>

#include "util/escape.h"
#include "util/json.h"
#include "util/strings.h"

namespace dhg::registry {
namespace {

bool HasCode(const std::vector<RegistryError>& errors, std::initializer_list<std::string_view> codes) {
  return std::any_of(errors.begin(), errors.end(), [&](const RegistryError& error) {
    return std::find(codes.begin(), codes.end(), error.code) != codes.end();
  });
}

std::string After(int attempts) { return attempts > 1 ? " after " + std::to_string(attempts) + " attempts" : ""; }

bool IsManifestRequest(Request request) {
  return request == Request::kHeadManifest || request == Request::kGetManifest;
}

// The text of an HTML page's <title>, or "".
std::string HtmlTitle(std::string_view body) {
  std::string lower = AsciiLower(body.substr(0, 4096));
  size_t open = lower.find("<title>");
  size_t close = lower.find("</title>");
  if (open == std::string::npos || close == std::string::npos || close < open) return "";
  return FirstLine(body.substr(open + 7, close - open - 7));
}

// A registry's message as one line of a message: control characters become
// spaces, bytes that are not UTF-8 '?', and it is cut after kMaxWords bytes.
std::string OneLine(std::string text) {
  constexpr size_t kMaxWords = 300;
  bool cut = text.size() > kMaxWords;
  if (cut) text.resize(kMaxWords);
  for (char& c : text) {
    unsigned char byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F) c = ' ';
  }
  for (size_t bad = InvalidUtf8Offset(text); bad != std::string::npos; bad = InvalidUtf8Offset(text)) text[bad] = '?';
  return cut ? text + "..." : text;
}

}  // namespace

const char* OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kPresent:
      return "present";
    case Outcome::kAbsent:
      return "absent";
    case Outcome::kRefused:
      return "refused";
    case Outcome::kError:
      return "error";
  }
  return "error";
}

std::vector<RegistryError> ParseRegistryErrors(std::string_view body) {
  std::vector<RegistryError> errors;
  std::optional<JsonValue> root = ParseJson(body);
  if (!root || root->kind != JsonValue::Kind::kObject) return errors;
  if (const JsonValue* list = root->Member("errors")) {
    for (const JsonValue& item : list->items) {
      RegistryError error{item.StringMember("code"), item.StringMember("message")};
      if (!error.code.empty() || !error.message.empty()) errors.push_back(std::move(error));
    }
  }
  // Token services: Docker Hub's {"details": ...}, OAuth2's {"error", "error_description"}.
  std::string details = root->StringMember("details");
  if (!details.empty()) errors.push_back({"", details});
  std::string oauth_error = root->StringMember("error");
  if (!oauth_error.empty()) errors.push_back({oauth_error, root->StringMember("error_description")});
  return errors;
}

std::string RegistryWords(std::string_view body) {
  std::vector<RegistryError> errors = ParseRegistryErrors(body);
  if (!errors.empty()) {
    std::vector<std::string> parts;
    for (const RegistryError& error : errors) {
      std::string part = error.code;
      if (!error.message.empty()) part += (part.empty() ? "" : ": ") + error.message;
      parts.push_back(part);
    }
    return OneLine(Join(parts, "; "));
  }
  std::string line = FirstLine(body);
  if (line.empty()) return "";
  if (line.front() == '<') {
    std::string title = HtmlTitle(body);
    return title.empty() ? "an HTML page" : "an HTML page titled " + QuoteForMessage(title);
  }
  return QuoteForMessage(line);
}

Decision Decide(const Answer& answer) {
  Decision decision;
  std::vector<RegistryError> errors = ParseRegistryErrors(answer.body);
  decision.words = RegistryWords(answer.body);
  int status = answer.status;
  std::string code = std::to_string(status);
  bool token = answer.request == Request::kToken;
  std::string who = token ? "the token service" : "the registry";

  if (status == 0) {
    decision.reason = "no answer from " + who + After(answer.attempts) + ": " + answer.transport_error;
    return decision;
  }
  bool ok = answer.request == Request::kPutManifest ? (status == 201 || status == 200) : status == 200;
  if (ok) {
    decision.outcome = Outcome::kPresent;
    decision.reason = answer.request == Request::kPutManifest ? "stored (" + code + ")" : "present (" + code + ")";
    return decision;
  }
  if (status == 404 && answer.request == Request::kHeadManifest) {
    decision.confirm_with_get = true;  // the outcome stays kError unless the GET says which code
    decision.reason = "404 to a HEAD, which carries no error code";
    return decision;
  }
  if (status == 404 && (answer.request == Request::kGetManifest || answer.request == Request::kGetBlob)) {
    bool blob = answer.request == Request::kGetBlob;
    if (HasCode(errors, {blob ? "BLOB_UNKNOWN" : "MANIFEST_UNKNOWN", "NAME_UNKNOWN"})) {
      decision.outcome = Outcome::kAbsent;
      decision.reason = "absent (404)";
    } else {
      decision.reason = "404 without " + std::string(blob ? "BLOB_UNKNOWN" : "MANIFEST_UNKNOWN") +
                        " or NAME_UNKNOWN, which no registry API answers for a missing " +
                        (blob ? "blob" : "manifest") + " (is the address a registry's?)";
    }
    return decision;
  }
  if (status == 401 || status == 403) {
    if (IsManifestRequest(answer.request) && answer.push == Grant::kGranted) {
      decision.outcome = Outcome::kAbsent;
      decision.new_repository = true;
      decision.reason = "absent: a new repository (" + code +
                        ", but the token service grants us push on the repository, so it is one not created yet)";
      return decision;
    }
    if (IsManifestRequest(answer.request) && answer.refusal_means_absent) {
      decision.outcome = Outcome::kAbsent;
      decision.new_repository = true;
      decision.reason = "absent: taken as a new repository (" + code +
                        ", which this registry is marked to answer also for what does not exist)";
      return decision;
    }
    decision.outcome = Outcome::kRefused;
    decision.reason = "refused by " + who + " (" + code + ")";
    return decision;
  }
  if (status == 429) {
    decision.reason = "rate limited by " + who + " (429)" + After(answer.attempts);
  } else if (status >= 500) {
    decision.reason = who + " failed (" + code + ")" + After(answer.attempts);
  } else {
    decision.reason = "unexpected answer from " + who + " (" + code + ")";
  }
  return decision;
}

}  // namespace dhg::registry
