#include "util/json.h"

#include <cctype>

namespace dhg {

const JsonValue* JsonValue::Member(std::string_view name) const {
  for (const auto& [key, value] : members) {
    if (key == name) return &value;
  }
  return nullptr;
}

std::string JsonValue::StringMember(std::string_view name) const {
  const JsonValue* member = Member(name);
  return member && member->kind == Kind::kString ? member->text : "";
}

namespace {

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
      value->members.push_back({std::move(key), std::move(member)});
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

}  // namespace

std::optional<JsonValue> ParseJson(std::string_view text) { return JsonParser(text).ParseDocument(); }

}  // namespace dhg
