#include "git/index_file.h"

#include <algorithm>
#include <cstring>

#include "util/hash.h"

namespace dhg::git {
namespace {

constexpr size_t kHashSize = 20;        // SHA-1
constexpr size_t kFixedEntrySize = 62;  // ten 32-bit stat fields, the id, 16 bits of flags
constexpr uint16_t kFlagExtended = 0x4000;
constexpr uint16_t kFlagStageMask = 0x3000;
constexpr uint16_t kFlagNameMask = 0x0fff;
constexpr uint16_t kExtendedIntentToAdd = 0x2000;

class IndexReader {
 public:
  explicit IndexReader(std::string_view data) : data_(data) {}

  bool Has(size_t count) const { return data_.size() - at_ >= count; }
  size_t At() const { return at_; }
  void Skip(size_t count) { at_ += count; }
  uint32_t Be32() {
    const auto* p = reinterpret_cast<const unsigned char*>(data_.data() + at_);
    at_ += 4;
    return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
  }
  uint16_t Be16() {
    const auto* p = reinterpret_cast<const unsigned char*>(data_.data() + at_);
    at_ += 2;
    return static_cast<uint16_t>(p[0] << 8 | p[1]);
  }
  // git's offset varint (varint.c): 7 bits a byte, each continuation adds one.
  std::optional<uint64_t> Varint() {
    if (!Has(1)) return std::nullopt;
    unsigned char c = static_cast<unsigned char>(data_[at_++]);
    uint64_t value = c & 127;
    while (c & 128) {
      if (!Has(1) || value > (UINT64_MAX >> 8)) return std::nullopt;
      c = static_cast<unsigned char>(data_[at_++]);
      value = ((value + 1) << 7) | (c & 127);
    }
    return value;
  }
  // Up to the next NUL, which is consumed; nullopt without one.
  std::optional<std::string_view> CString() {
    size_t end = data_.find('\0', at_);
    if (end == std::string_view::npos) return std::nullopt;
    std::string_view text = data_.substr(at_, end - at_);
    at_ = end + 1;
    return text;
  }
  std::string_view Bytes(size_t count) {
    std::string_view bytes = data_.substr(at_, count);
    at_ += count;
    return bytes;
  }

 private:
  std::string_view data_;
  size_t at_ = 0;
};

std::optional<std::vector<IndexEntry>> Refuse(std::string* why, std::string reason) {
  *why = std::move(reason);
  return std::nullopt;
}

}  // namespace

std::optional<std::vector<IndexEntry>> ParseIndex(std::string_view data, std::string* why) {
  if (data.size() < 12 + kHashSize || data.substr(0, 4) != "DIRC") return Refuse(why, "not an index file");
  // The trailing checksum; all zeros when git was told not to write one (index.skipHash).
  std::string_view body = data.substr(0, data.size() - kHashSize);
  std::string_view checksum = data.substr(body.size());
  if (checksum != std::string_view("\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", kHashSize) &&
      Sha1Hex(body) != BytesToHex(checksum))
    return Refuse(why, "the index file's checksum does not match its content");
  IndexReader reader(body);
  reader.Skip(4);
  uint32_t version = reader.Be32();
  if (version < 2 || version > 4) return Refuse(why, "index version " + std::to_string(version));
  uint32_t count = reader.Be32();
  std::vector<IndexEntry> entries;
  entries.reserve(std::min<size_t>(count, body.size() / kFixedEntrySize));
  std::string previous_path;
  for (uint32_t i = 0; i < count; ++i) {
    size_t start = reader.At();
    if (!reader.Has(kFixedEntrySize)) return Refuse(why, "truncated entry");
    IndexEntry entry;
    for (uint32_t* field :
         {&entry.ctime_seconds, &entry.ctime_nanoseconds, &entry.mtime_seconds, &entry.mtime_nanoseconds, &entry.dev,
          &entry.ino, &entry.mode, &entry.uid, &entry.gid, &entry.size})
      *field = reader.Be32();
    std::string_view id = reader.Bytes(kHashSize);
    std::copy(id.begin(), id.end(), entry.id.begin());
    uint16_t flags = reader.Be16();
    entry.stage = (flags & kFlagStageMask) >> 12;
    if (flags & kFlagExtended) {
      if (version < 3 || !reader.Has(2)) return Refuse(why, "bad extended flags");
      entry.intent_to_add = reader.Be16() & kExtendedIntentToAdd;
    }
    if (version == 4) {
      std::optional<uint64_t> strip = reader.Varint();
      std::optional<std::string_view> suffix = reader.CString();
      if (!strip || !suffix || *strip > previous_path.size()) return Refuse(why, "bad compressed path");
      entry.path = previous_path.substr(0, previous_path.size() - *strip);
      entry.path += *suffix;
    } else {
      std::optional<std::string_view> path = reader.CString();
      if (!path) return Refuse(why, "unterminated path");
      size_t named = flags & kFlagNameMask;
      if (named != kFlagNameMask && named != path->size()) return Refuse(why, "path length mismatch");
      entry.path = *path;
      // Padded with NULs (at least the one read) to a multiple of 8 bytes.
      size_t padded = (reader.At() - start + 7) / 8 * 8;
      if (!reader.Has(padded - (reader.At() - start))) return Refuse(why, "truncated padding");
      reader.Skip(padded - (reader.At() - start));
    }
    // Folders as entries: a sparse index.
    if ((entry.mode & 0170000) == 0040000) return Refuse(why, "a sparse index");
    previous_path = entry.path;
    entries.push_back(std::move(entry));
  }
  // Extensions: none changes the entries except these two.
  while (reader.Has(8)) {
    std::string_view signature = reader.Bytes(4);
    uint32_t size = reader.Be32();
    if (signature == "link") return Refuse(why, "a split index");
    if (signature == "sdir") return Refuse(why, "a sparse index");
    if (!reader.Has(size)) return Refuse(why, "truncated extension");
    reader.Skip(size);
  }
  if (reader.Has(1)) return Refuse(why, "trailing bytes");
  return entries;
}

}  // namespace dhg::git
