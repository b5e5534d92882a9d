#include "util/hash.h"

#include <doctest/doctest.h>

#include <string>

TEST_CASE("hashes match known values") {
  // `printf 'hello\n' | git hash-object --stdin`
  CHECK(dhg::GitBlobId("hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a");
  CHECK(dhg::GitBlobId("") == "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
  CHECK(dhg::Sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(dhg::Sha1Hex("abc") == "a9993e364706816aba3e25717850c26c9cd0d89d");  // FIPS 180-2, appendix A
  // `git mktree < /dev/null`: the empty tree
  dhg::GitObjectHash empty_tree("tree", 0);
  CHECK(empty_tree.Hex() == "4b825dc642cb6eb9a060e54bf8d69288fbee4904");
}

TEST_CASE("HexToBytes reads what BytesToHex writes, and nothing else") {
  std::string bytes("\x00\x01\xab\xff", 4);
  CHECK(dhg::HexToBytes(dhg::BytesToHex(bytes)) == bytes);
  CHECK(dhg::HexToBytes("ABff") == std::string("\xab\xff", 2));
  CHECK_FALSE(dhg::HexToBytes("abc"));
  CHECK_FALSE(dhg::HexToBytes("zz"));
}

TEST_CASE("Sha256 fed in pieces, small and past its block, equals the one-shot hash") {
  std::string big(200000, 'x');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  dhg::Sha256 hash;
  hash.Update(big.substr(0, 10));
  hash.Update(big.substr(10, 70000));  // larger than the gathering block
  hash.Update(big.substr(70010));
  CHECK(hash.Hex() == dhg::Sha256Hex(big));
}

TEST_CASE("Sha256::Field separates fields") {
  dhg::Sha256 a, b;
  a.Field("ab");
  a.Field("c");
  b.Field("a");
  b.Field("bc");
  CHECK(a.Hex() != b.Hex());
}
