#include "util/json.h"

#include <doctest/doctest.h>

TEST_CASE("ParseJson reads nested values and decodes strings") {
  std::optional<dhg::JsonValue> value = dhg::ParseJson(
      R"( {"errors": [{"code": "NAME_UNKNOWN", "message": "caf\u00e9 \ud83d\ude00", "n": 3}], "ok": true} )");
  REQUIRE(value);
  const dhg::JsonValue* errors = value->Member("errors");
  REQUIRE(errors);
  REQUIRE(errors->items.size() == 1);
  CHECK(errors->items[0].StringMember("code") == "NAME_UNKNOWN");
  CHECK(errors->items[0].StringMember("message") == "caf\xc3\xa9 \xf0\x9f\x98\x80");
  CHECK(errors->items[0].StringMember("n") == "");
  CHECK(errors->items[0].Member("n")->text == "3");
  CHECK(value->Member("ok")->kind == dhg::JsonValue::Kind::kBool);
  CHECK(value->Member("missing") == nullptr);
}

TEST_CASE("ParseJson refuses what is not one JSON value") {
  for (const char* text : {"", "{", "{\"a\":1,}", "[1 2]", "\"open", "{} {}", "<html>"}) {
    CAPTURE(text);
    CHECK_FALSE(dhg::ParseJson(text));
  }
  std::string deep(100, '[');
  deep += std::string(100, ']');
  CHECK_FALSE(dhg::ParseJson(deep));
}
