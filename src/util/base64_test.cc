#include "util/base64.h"

#include <doctest/doctest.h>

TEST_CASE("Base64 encodes and decodes RFC 4648's test vectors") {
  const std::pair<const char*, const char*> kVectors[] = {{"", ""},
                                                          {"f", "Zg=="},
                                                          {"fo", "Zm8="},
                                                          {"foo", "Zm9v"},
                                                          {"foob", "Zm9vYg=="},
                                                          {"fooba", "Zm9vYmE="},
                                                          {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : kVectors) {
    CHECK(dhg::Base64Encode(plain) == encoded);
    CHECK(dhg::Base64Decode(encoded) == plain);
  }
}

TEST_CASE("Base64Decode reads the URL-safe alphabet and unpadded text, and refuses the rest") {
  CHECK(dhg::Base64Decode("Zm9vYg") == "foob");
  CHECK(dhg::Base64Decode("-_8") == std::string("\xfb\xff", 2));
  CHECK(dhg::Base64Decode("+/8=") == std::string("\xfb\xff", 2));
  CHECK_FALSE(dhg::Base64Decode("Zm9v!"));
  CHECK_FALSE(dhg::Base64Decode("Z"));
  CHECK_FALSE(dhg::Base64Decode("Zm 9v"));
}
