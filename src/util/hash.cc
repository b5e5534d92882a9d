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
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char byte : bytes) {
    out.push_back(kDigits[byte >> 4]);
    out.push_back(kDigits[byte & 15]);
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
  unsigned char out[SHA256_DIGEST_LENGTH];
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, data.data(), data.size());
  SHA256_Final(out, &ctx);
  return ToHex(out, sizeof out);
}

std::string Sha1Hex(std::string_view data) {
  unsigned char out[SHA_DIGEST_LENGTH];
  SHA_CTX ctx;
  SHA1_Init(&ctx);
  SHA1_Update(&ctx, data.data(), data.size());
  SHA1_Final(out, &ctx);
  return ToHex(out, sizeof out);
}

std::string GitBlobId(std::string_view content) {
  std::string header = "blob " + std::to_string(content.size());
  header.push_back('\0');
  unsigned char out[SHA_DIGEST_LENGTH];
  SHA_CTX ctx;
  SHA1_Init(&ctx);
  SHA1_Update(&ctx, header.data(), header.size());
  SHA1_Update(&ctx, content.data(), content.size());
  SHA1_Final(out, &ctx);
  return ToHex(out, sizeof out);
}

}  // namespace dhg
