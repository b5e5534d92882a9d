// Just enough JSON to read what docker and registries answer: a parsed value
// tree, strings decoded (\uXXXX escapes included), numbers and booleans kept
// as the text written. Nesting deeper than 64 levels is refused.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dhg {

struct JsonMember;

struct JsonValue {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  std::string text;  // string value, or the literal of a number/bool
  std::vector<JsonValue> items;
  std::vector<JsonMember> members;  // (not pairs: clang 14 wants the pair's JsonValue complete here)

  // The first member called `name`, or null (also when this is no object).
  const JsonValue* Member(std::string_view name) const;
  // The member `name` when it is a string, else "".
  std::string StringMember(std::string_view name) const;
};

// One member of an object: `"name": value`.
struct JsonMember {
  std::string name;
  JsonValue value;
};

// The value of a whole document (surrounding white space allowed); nullopt
// when `text` is not one JSON value.
std::optional<JsonValue> ParseJson(std::string_view text);

}  // namespace dhg
