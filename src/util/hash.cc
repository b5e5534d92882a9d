#include "util/hash.h"

// OpenSSL's low-level digests, not EVP: OpenSSL 3 sets up its provider
// machinery at the first EVP digest (5 M instructions, 2 ms: a tenth of a small
// stack's warm run), and these are the same implementations without it.
// Deprecated since 3.0, they are in every 3.x.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include <stdexcept>

namespace dhg {

std::string BytesToHex(std::string_view bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out(bytes.size() * 2, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    auto byte = static_cast<unsigned char>(bytes[i]);
    out[2 * i] = kDigits[byte >> 4];
    out[2 * i + 1] = kDigits[byte & 15];
  }
  return out;
}

namespace {
std::string ToHex(const unsigned char* data, unsigned size) {
  return BytesToHex({reinterpret_cast<const char*>(data), size});
}
}  // namespace

Sha256::Sha256() : ctx_(new SHA256_CTX) {
  if (!SHA256_Init(static_cast<SHA256_CTX*>(ctx_))) throw std::runtime_error("cannot initialise SHA-256");
}

Sha256::~Sha256() { delete static_cast<SHA256_CTX*>(ctx_); }

void Sha256::Flush() {
  SHA256_Update(static_cast<SHA256_CTX*>(ctx_), pending_.data(), pending_.size());
  pending_.clear();
}

void Sha256::Update(std::string_view data) {
  constexpr size_t kBlock = 1 << 16;
  if (pending_.size() + data.size() > kBlock) Flush();
  if (data.size() >= kBlock) {
    SHA256_Update(static_cast<SHA256_CTX*>(ctx_), data.data(), data.size());
  } else {
    pending_.append(data);
  }
}

void Sha256::Field(std::string_view data) {
  Update(std::to_string(data.size()));
  Update(":");
  Update(data);
}

std::string Sha256::Hex() {
  Flush();
  unsigned char out[SHA256_DIGEST_LENGTH];
  SHA256_Final(out, static_cast<SHA256_CTX*>(ctx_));
  return ToHex(out, sizeof out);
}

// (Not the one-shot SHA256(): in OpenSSL 3 that is an EVP digest.)
std::string Sha256Hex(std::string_view data) {
  Sha256 hash;
  hash.Update(data);
  return hash.Hex();
}

std::string Sha1Hex(std::string_view data) {
  unsigned char out[SHA_DIGEST_LENGTH];
  SHA_CTX ctx;
  SHA1_Init(&ctx);
  SHA1_Update(&ctx, data.data(), data.size());
  SHA1_Final(out, &ctx);
  return ToHex(out, sizeof out);
}

std::optional<std::string> HexToBytes(std::string_view hex) {
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string bytes(hex.size() / 2, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    int high = digit(hex[2 * i]), low = digit(hex[2 * i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    bytes[i] = static_cast<char>(high * 16 + low);
  }
  return bytes;
}

GitObjectHash::GitObjectHash(std::string_view type, uint64_t size) : ctx_(new SHA_CTX) {
  if (!SHA1_Init(static_cast<SHA_CTX*>(ctx_))) throw std::runtime_error("cannot initialise SHA-1");
  std::string header = std::string(type) + " " + std::to_string(size);
  header.push_back('\0');
  Update(header);
}

GitObjectHash::~GitObjectHash() { delete static_cast<SHA_CTX*>(ctx_); }

void GitObjectHash::Update(std::string_view data) {
  SHA1_Update(static_cast<SHA_CTX*>(ctx_), data.data(), data.size());
}

std::string GitObjectHash::Raw() {
  unsigned char out[SHA_DIGEST_LENGTH];
  SHA1_Final(out, static_cast<SHA_CTX*>(ctx_));
  return std::string(reinterpret_cast<const char*>(out), sizeof out);
}

std::string GitObjectHash::Hex() { return BytesToHex(Raw()); }

std::string GitBlobId(std::string_view content) {
  GitObjectHash hash("blob", content.size());
  hash.Update(content);
  return hash.Hex();
}

}  // namespace dhg
