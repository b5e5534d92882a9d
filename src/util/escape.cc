#include "util/escape.h"

#include <algorithm>
#include <array>
#include <stdexcept>

#include "util/strings.h"

namespace dhg {
namespace {

bool IsShellSafe(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '_':
    case '@':
    case '%':
    case '+':
    case '=':
    case ':':
    case ',':
    case '.':
    case '/':
    case '-':
      return true;
    default:
      return false;
  }
}

// Words that sh (and bash, should /bin/sh be bash) treats specially as the
// first word of a command.
bool IsShellReservedWord(std::string_view word) {
  static constexpr std::array<std::string_view, 17> kReserved = {"case",   "coproc", "do",   "done",     "elif", "else",
                                                                 "esac",   "fi",     "for",  "function", "if",   "in",
                                                                 "select", "then",   "time", "until",    "while"};
  for (std::string_view reserved : kReserved)
    if (word == reserved) return true;
  return false;
}

std::string QuoteAlways(std::string_view word) {
  std::string quoted = "'";
  for (char c : word) {
    if (c == '\'')
      quoted += "'\\''";
    else
      quoted += c;
  }
  quoted += '\'';
  return quoted;
}

}  // namespace

// --- the POSIX shell ---

std::string ShellQuote(std::string_view word) {
  if (word.find('\0') != std::string_view::npos)
    throw std::invalid_argument("shell word " + QuoteForMessage(word) +
                                " contains a NUL byte, which no program argument can hold");
  if (word.empty()) return "''";
  for (char c : word)
    if (!IsShellSafe(c)) return QuoteAlways(word);
  return std::string(word);
}

std::string ShellCommandLine(const std::vector<std::string>& argv) {
  std::string line;
  for (size_t i = 0; i < argv.size(); ++i) {
    if (i > 0) line += ' ';
    std::string word = ShellQuote(argv[i]);
    bool needs_quotes_as_command =
        word == argv[i] && (argv[i].find('=') != std::string::npos || IsShellReservedWord(argv[i]));
    line += i == 0 && needs_quotes_as_command ? QuoteAlways(argv[i]) : word;
  }
  return line;
}

bool SplitShellWords(std::string_view command, std::vector<std::string>* words, std::string* error) {
  words->clear();
  std::string word;
  bool in_word = false;
  size_t i = 0;
  while (i < command.size()) {
    char c = command[i];
    if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) words->push_back(std::move(word));
      word.clear();
      in_word = false;
      ++i;
    } else if (c == '\'') {
      size_t end = command.find('\'', i + 1);
      if (end == std::string_view::npos) {
        *error = "unterminated single quote";
        return false;
      }
      word.append(command.substr(i + 1, end - i - 1));
      in_word = true;
      i = end + 1;
    } else if (c == '"') {
      ++i;
      bool closed = false;
      while (i < command.size()) {
        char d = command[i];
        if (d == '"') {
          closed = true;
          ++i;
          break;
        }
        // Inside double quotes a backslash escapes only these characters.
        if (d == '\\' && i + 1 < command.size() &&
            std::string_view("\"\\$`\n").find(command[i + 1]) != std::string_view::npos) {
          if (command[i + 1] != '\n') word.push_back(command[i + 1]);
          i += 2;
          continue;
        }
        word.push_back(d);
        ++i;
      }
      if (!closed) {
        *error = "unterminated double quote";
        return false;
      }
      in_word = true;
    } else if (c == '\\') {
      if (i + 1 >= command.size()) {
        *error = "trailing backslash";
        return false;
      }
      if (command[i + 1] != '\n') {
        word.push_back(command[i + 1]);
        in_word = true;
      }
      i += 2;
    } else {
      word.push_back(c);
      in_word = true;
      ++i;
    }
  }
  if (in_word) words->push_back(std::move(word));
  return true;
}

// --- ninja ---

std::string NinjaEscapePath(std::string_view path) {
  std::string escaped;
  escaped.reserve(path.size());
  for (char c : path) {
    if (c == '$' || c == ' ' || c == ':') escaped += '$';
    escaped += c;
  }
  return escaped;
}

std::string NinjaEscapeValue(std::string_view value) {
  std::string escaped;
  escaped.reserve(value.size() + 1);
  if (!value.empty() && value.front() == ' ') escaped += '$';
  // The runs between `$` signs as they are: a step's arguments are a kilobyte.
  for (size_t start = 0;;) {
    size_t dollar = value.find('$', start);
    if (dollar == std::string_view::npos) {
      escaped.append(value.substr(start));
      return escaped;
    }
    escaped.append(value.substr(start, dollar + 1 - start));
    escaped += '$';
    start = dollar + 1;
  }
}

// Ninja's own shell escaping of $in and $out (GetShellEscapedString).
std::string NinjaShellEscaped(std::string_view path) {
  for (char c : path) {
    bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '+' ||
                c == '-' || c == '.' || c == '/';
    if (!safe) return QuoteAlways(path);
  }
  return std::string(path);
}

// --- messages, JSON, HTML, graphs ---

std::string QuoteForMessage(std::string_view text, char quote) {
  constexpr size_t kMaxShown = 120;
  static const char kHex[] = "0123456789abcdef";
  std::string quoted(1, quote);
  size_t i = 0;
  while (i < text.size() && i < kMaxShown) {
    size_t length = Utf8SequenceLength(text, i);
    unsigned char byte = static_cast<unsigned char>(text[i]);
    if (length > 1) {
      if (i + length > kMaxShown) break;
      quoted.append(text.substr(i, length));
    } else if (text[i] == quote || text[i] == '\\') {
      quoted += '\\';
      quoted += text[i];
    } else if (text[i] == '\n') {
      quoted += "\\n";
    } else if (text[i] == '\r') {
      quoted += "\\r";
    } else if (text[i] == '\t') {
      quoted += "\\t";
    } else if (length == 0 || byte < 0x20 || byte == 0x7F) {
      quoted += "\\x";
      quoted += kHex[byte >> 4];
      quoted += kHex[byte & 0xf];
    } else {
      quoted += text[i];
    }
    i += std::max<size_t>(length, 1);
  }
  quoted += quote;
  if (i < text.size()) quoted += "...";
  return quoted;
}

std::string JsonQuote(std::string_view text) {
  static const char kHex[] = "0123456789abcdef";
  std::string quoted = "\"";
  for (char c : text) {
    unsigned char byte = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        quoted += "\\\"";
        break;
      case '\\':
        quoted += "\\\\";
        break;
      case '\n':
        quoted += "\\n";
        break;
      case '\t':
        quoted += "\\t";
        break;
      case '\r':
        quoted += "\\r";
        break;
      case '\b':
        quoted += "\\b";
        break;
      case '\f':
        quoted += "\\f";
        break;
      default:
        if (byte < 0x20) {
          quoted += "\\u00";
          quoted += kHex[byte >> 4];
          quoted += kHex[byte & 0xf];
        } else {
          quoted += c;
        }
    }
  }
  return quoted + "\"";
}

std::string HtmlEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string MermaidLabelText(const std::string& text) {
  std::string escaped;
  for (char c : text) {
    switch (c) {
      case '"':
        escaped += "#quot;";
        break;
      case '#':
        escaped += "#35;";
        break;
      case '&':
        escaped += "#amp;";
        break;
      case '<':
        escaped += "#lt;";
        break;
      case '>':
        escaped += "#gt;";
        break;
      default:
        escaped += c;
    }
  }
  return escaped;
}

std::string DotQuote(const std::string& text) {
  std::string quoted = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        quoted += "\\\"";
        break;
      case '\\':
        quoted += "\\\\";
        break;
      case '\n':
        quoted += "\\n";
        break;
      default:
        quoted += c;
    }
  }
  return quoted + "\"";
}

// --- markdown ---

size_t LongestBacktickRun(std::string_view text) {
  size_t longest = 0;
  size_t current = 0;
  for (char c : text) {
    current = c == '`' ? current + 1 : 0;
    longest = std::max(longest, current);
  }
  return longest;
}

std::string OneLine(std::string_view text) {
  std::string line;
  for (char c : text) line += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  return line;
}

std::string CodeSpan(std::string_view text) {
  std::string ticks(LongestBacktickRun(text) + 1, '`');
  bool pad = !text.empty() && (text.front() == '`' || text.back() == '`');
  return ticks + (pad ? " " : "") + std::string(text) + (pad ? " " : "") + ticks;
}

std::string TableCodeSpan(std::string_view text) {
  // `|` must be escaped even in a code span: GFM splits cells before it parses inlines.
  std::string escaped;
  for (char c : OneLine(text)) {
    if (c == '|') escaped += '\\';
    escaped += c;
  }
  return CodeSpan(escaped);
}

std::string MarkdownText(std::string_view text) {
  static constexpr std::string_view kSpecial = "\\`*_[]<>&|~#";
  std::string escaped;
  for (char c : OneLine(text)) {
    if (kSpecial.find(c) != std::string_view::npos) escaped += '\\';
    escaped += c;
  }
  return escaped;
}

// --- tab-separated records ---

std::string EscapeTsvField(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::optional<std::string> UnescapeTsvField(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out += text[i];
      continue;
    }
    if (++i == text.size()) return std::nullopt;
    switch (text[i]) {
      case '\\':
        out += '\\';
        break;
      case 't':
        out += '\t';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      default:
        return std::nullopt;
    }
  }
  return out;
}

}  // namespace dhg
