#include "util/hash.h"

#include <openssl/evp.h>

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

// The digests, fetched once: OpenSSL 3 looks EVP_sha256() up in its provider
// tables at every EVP_DigestInit_ex, which costs more than hashing a key.
const EVP_MD* Fetch(const char* name, const EVP_MD* (*legacy)()) {
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
  if (const EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr)) return md;
#endif
  return legacy();
}

const EVP_MD* Sha256Md() {
  static const EVP_MD* md = Fetch("SHA256", EVP_sha256);
  return md;
}

const EVP_MD* Sha1Md() {
  static const EVP_MD* md = Fetch("SHA1", EVP_sha1);
  return md;
}

std::string Digest(const EVP_MD* md, std::string_view a, std::string_view b) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned size = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, md, nullptr);
  EVP_DigestUpdate(ctx, a.data(), a.size());
  EVP_DigestUpdate(ctx, b.data(), b.size());
  EVP_DigestFinal_ex(ctx, out, &size);
  EVP_MD_CTX_free(ctx);
  return ToHex(out, size);
}
}  // namespace

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_ || !EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), Sha256Md(), nullptr))
    throw std::runtime_error("cannot initialise SHA-256");
}

Sha256::~Sha256() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

void Sha256::Flush() {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), pending_.data(), pending_.size());
  pending_.clear();
}

void Sha256::Update(std::string_view data) {
  constexpr size_t kBlock = 1 << 16;
  if (pending_.size() + data.size() > kBlock) Flush();
  if (data.size() >= kBlock) {
    EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data.data(), data.size());
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
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned size = 0;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), out, &size);
  return ToHex(out, size);
}

std::string Sha256Hex(std::string_view data) { return Digest(Sha256Md(), data, {}); }

std::string Sha1Hex(std::string_view data) { return Digest(Sha1Md(), data, {}); }

std::string GitBlobId(std::string_view content) {
  std::string header = "blob " + std::to_string(content.size());
  header.push_back('\0');
  return Digest(Sha1Md(), header, content);
}

}  // namespace dhg
