// Go's encoding/json syntax, as far as BuildKit's parseJSON needs it: is the
// text one JSON array, and are its elements strings.
#include "graph/dockerfile_lex.h"

namespace dhg::graph {
namespace {

// encoding/json's maxNestingDepth.
constexpr size_t kMaxJsonNesting = 10000;

void AppendUtf8(char32_t rune, std::string* out) {
  if (rune < 0x80) {
    *out += static_cast<char>(rune);
  } else if (rune < 0x800) {
    *out += static_cast<char>(0xC0 | (rune >> 6));
    *out += static_cast<char>(0x80 | (rune & 0x3F));
  } else if (rune < 0x10000) {
    *out += static_cast<char>(0xE0 | (rune >> 12));
    *out += static_cast<char>(0x80 | ((rune >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (rune & 0x3F));
  } else {
    *out += static_cast<char>(0xF0 | (rune >> 18));
    *out += static_cast<char>(0x80 | ((rune >> 12) & 0x3F));
    *out += static_cast<char>(0x80 | ((rune >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (rune & 0x3F));
  }
}

class JsonReader {
 public:
  JsonReader(std::string_view text, size_t begin, size_t end) : text_(text.substr(0, end)), pos_(begin) {}

  JsonArray ReadArray(std::vector<JsonString>* items) {
    bool strings_only = true;
    if (!Consume('[')) return JsonArray::kNotJson;
    SkipBlanks();
    if (!Consume(']')) {
      while (true) {
        SkipBlanks();
        if (Peek() == '"') {
          JsonString item{"", pos_};
          if (!String(&item.text)) return JsonArray::kNotJson;
          items->push_back(std::move(item));
        } else {
          strings_only = false;
          if (!Value()) return JsonArray::kNotJson;
        }
        SkipBlanks();
        if (Consume(']')) break;
        if (!Consume(',')) return JsonArray::kNotJson;
      }
    }
    SkipBlanks();
    if (pos_ != text_.size()) return JsonArray::kNotJson;
    return strings_only ? JsonArray::kStrings : JsonArray::kNotStrings;
  }

 private:
  int Peek() const { return pos_ < text_.size() ? static_cast<unsigned char>(text_[pos_]) : -1; }
  bool Consume(char c) {
    if (Peek() != static_cast<unsigned char>(c)) return false;
    ++pos_;
    return true;
  }
  void SkipBlanks() {
    while (Peek() == ' ' || Peek() == '\t' || Peek() == '\n' || Peek() == '\r') ++pos_;
  }

  // Any value, nesting kept on a stack of expected closing brackets.
  bool Value() {
    std::string closers;
    while (true) {
      SkipBlanks();
      if (Consume('[')) {
        SkipBlanks();
        if (!Consume(']')) {
          closers += ']';
          if (closers.size() > kMaxJsonNesting) return false;
          continue;
        }
      } else if (Consume('{')) {
        SkipBlanks();
        if (!Consume('}')) {
          closers += '}';
          if (closers.size() > kMaxJsonNesting || !Key()) return false;
          continue;
        }
      } else if (!Scalar()) {
        return false;
      }
      // A value is complete: close what it completes.
      while (true) {
        if (closers.empty()) return true;
        SkipBlanks();
        if (Consume(',')) {
          if (closers.back() == '}' && !Key()) return false;
          break;
        }
        if (!Consume(closers.back())) return false;
        closers.pop_back();
      }
    }
  }

  bool Key() {
    SkipBlanks();
    if (!String(nullptr)) return false;
    SkipBlanks();
    return Consume(':');
  }

  bool Scalar() {
    int c = Peek();
    if (c == '"') return String(nullptr);
    for (std::string_view literal : {"true", "false", "null"}) {
      if (text_.substr(pos_, literal.size()) == literal) {
        pos_ += literal.size();
        return true;
      }
    }
    return Number();
  }

  bool Digits() {
    size_t start = pos_;
    while (Peek() >= '0' && Peek() <= '9') ++pos_;
    return pos_ > start;
  }

  bool Number() {
    Consume('-');
    if (!Consume('0') && !(Peek() >= '1' && Peek() <= '9' && Digits())) return false;
    if (Consume('.') && !Digits()) return false;
    if (Consume('e') || Consume('E')) {
      if (!Consume('+')) Consume('-');
      if (!Digits()) return false;
    }
    return true;
  }

  bool Hex4(char32_t* unit) {
    if (pos_ + 4 > text_.size()) return false;
    *unit = 0;
    for (int k = 0; k < 4; ++k) {
      char c = text_[pos_++];
      int digit = c >= '0' && c <= '9'   ? c - '0'
                  : c >= 'a' && c <= 'f' ? c - 'a' + 10
                  : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                         : -1;
      if (digit < 0) return false;
      *unit = *unit * 16 + static_cast<char32_t>(digit);
    }
    return true;
  }

  // A string at pos_, decoded into *out (if not null): escapes resolved, a
  // lone surrogate and each byte of invalid UTF-8 become U+FFFD.
  bool String(std::string* out) {
    std::string scratch;
    if (!out) out = &scratch;
    if (!Consume('"')) return false;
    while (true) {
      int c = Peek();
      if (c < 0 || c < 0x20) return false;
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c != '\\') {
        DecodedRune r = DecodeRune(text_, pos_);
        if (r.rune == 0xFFFD && r.length == 1 && c >= 0x80) {
          AppendUtf8(0xFFFD, out);
        } else {
          *out += text_.substr(pos_, r.length);
        }
        pos_ += r.length;
        continue;
      }
      ++pos_;
      int e = Peek();
      ++pos_;
      switch (e) {
        case '"':
        case '\\':
        case '/':
          *out += static_cast<char>(e);
          break;
        case 'b':
          *out += '\b';
          break;
        case 'f':
          *out += '\f';
          break;
        case 'n':
          *out += '\n';
          break;
        case 'r':
          *out += '\r';
          break;
        case 't':
          *out += '\t';
          break;
        case 'u': {
          char32_t unit;
          if (!Hex4(&unit)) return false;
          if (unit >= 0xD800 && unit < 0xDC00 && text_.substr(pos_, 2) == "\\u") {
            size_t saved = pos_;
            pos_ += 2;
            char32_t low;
            if (Hex4(&low) && low >= 0xDC00 && low < 0xE000) {
              unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
            } else {
              pos_ = saved;  // the second escape is read on its own
            }
          }
          AppendUtf8(unit >= 0xD800 && unit < 0xE000 ? 0xFFFD : unit, out);
          break;
        }
        default:
          return false;
      }
    }
  }

  std::string_view text_;
  size_t pos_;
};

}  // namespace

JsonArray ParseJsonStringArray(std::string_view text, size_t begin, size_t end, std::vector<JsonString>* items) {
  items->clear();
  JsonArray result = JsonReader(text, begin, end).ReadArray(items);
  if (result != JsonArray::kStrings) items->clear();
  return result;
}

}  // namespace dhg::graph
