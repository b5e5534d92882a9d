#include "util/hash.h"

#include <doctest/doctest.h>

TEST_CASE("hashes match known values") {
  // `printf 'hello\n' | git hash-object --stdin`
  CHECK(dhg::GitBlobId("hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a");
  CHECK(dhg::GitBlobId("") == "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
  CHECK(dhg::Sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("Sha256::Field separates fields") {
  dhg::Sha256 a, b;
  a.Field("ab");
  a.Field("c");
  b.Field("a");
  b.Field("bc");
  CHECK(a.Hex() != b.Hex());
}
