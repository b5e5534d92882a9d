// Content hashes used for keys: SHA-256 for our own keys, and git's blob id
// (SHA-1 of "blob <size>\0" + content) so that a file's hash equals the id git
// already stores in its index and trees.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dhg {

// Incremental SHA-256; Hex() finishes it. Small updates are gathered and
// hashed in blocks (a context hash is thousands of short fields).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void Update(std::string_view data);
  // Adds a length-prefixed field, so that ("ab","c") and ("a","bc") differ.
  void Field(std::string_view data);
  std::string Hex();

 private:
  void Flush();

  void* ctx_;
  std::string pending_;
};

std::string Sha256Hex(std::string_view data);
std::string GitBlobId(std::string_view content);
// Lower-case hex of raw bytes.
std::string BytesToHex(std::string_view bytes);
// The bytes of an even-length hex string (either case); nullopt if it is not one.
std::optional<std::string> HexToBytes(std::string_view hex);

// A git object id computed over a stream: SHA-1 of "<type> <size>\0" and the
// content, whose size is known up front (a blob read in blocks, a tree).
class GitObjectHash {
 public:
  GitObjectHash(std::string_view type, uint64_t size);
  ~GitObjectHash();
  GitObjectHash(const GitObjectHash&) = delete;
  GitObjectHash& operator=(const GitObjectHash&) = delete;
  void Update(std::string_view data);
  std::string Raw();  // the 20 bytes; finishes the hash (as Hex does)
  std::string Hex();

 private:
  void* ctx_;
};
// SHA-1 of `data`, in hex (git's checksum of its index file).
std::string Sha1Hex(std::string_view data);

}  // namespace dhg
