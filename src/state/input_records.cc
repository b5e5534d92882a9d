#include "state/input_records.h"

#include <cstdio>
#include <cstdlib>

#include "util/escape.h"
#include "util/strings.h"

namespace dhg::state {
namespace {

constexpr char kMagic[] = "datahub-gen inputs v1";

}  // namespace

std::string FormatInputRecord(const graph::InputRecord& record) {
  std::string text = std::string(kMagic) + "\n";
  auto field = [&text](std::string_view name, std::string_view value) {
    text += std::string(name) + "\t" + EscapeTsvField(value) + "\n";
  };
  field("key", record.key);
  field("image", record.image);
  field("dockerfile", record.dockerfile);
  field("epoch", record.epoch);
  field("parent", record.parent_key);
  for (const auto& [name, value] : record.build_args) field("arg", name + "=" + value);
  for (const git::FileEntry& file : record.files) {
    text += "file\t" + OctalMode(file.mode) + "\t" + file.blob_id + "\t" + EscapeTsvField(file.path) + "\n";
  }
  return text;
}

std::optional<graph::InputRecord> ParseInputRecord(const std::string& text) {
  std::vector<std::string> lines = Split(text, '\n');
  if (lines.empty() || lines.front() != kMagic) return std::nullopt;
  graph::InputRecord record;
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    if (line.empty()) continue;
    std::vector<std::string> parts = Split(line, '\t');
    if (parts.size() < 2) return std::nullopt;
    const std::string& field = parts[0];
    if (field == "file") {
      if (parts.size() != 4) return std::nullopt;
      std::optional<std::string> path = UnescapeTsvField(parts[3]);
      if (!path) return std::nullopt;
      git::FileEntry entry{*path, static_cast<unsigned>(std::strtoul(parts[1].c_str(), nullptr, 8)), parts[2]};
      record.files.push_back(std::move(entry));
      continue;
    }
    if (parts.size() != 2) return std::nullopt;
    std::optional<std::string> value = UnescapeTsvField(parts[1]);
    if (!value) return std::nullopt;
    if (field == "key") {
      record.key = *value;
    } else if (field == "image") {
      record.image = *value;
    } else if (field == "dockerfile") {
      record.dockerfile = *value;
    } else if (field == "epoch") {
      record.epoch = *value;
    } else if (field == "parent") {
      record.parent_key = *value;
    } else if (field == "arg") {
      size_t equals = value->find('=');
      if (equals == std::string::npos) return std::nullopt;
      record.build_args.emplace_back(value->substr(0, equals), value->substr(equals + 1));
    }
    // Unknown fields are skipped: a newer version may add some.
  }
  return record;
}

}  // namespace dhg::state
