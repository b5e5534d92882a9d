#include "steps/manifest_page.h"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "templates.h"
#include "util/escape.h"
#include "util/strings.h"
#include "util/time.h"

namespace dhg::steps {
namespace {

constexpr std::string_view kInfoLinePrefix = "<!-- datahub-gen-page ";
constexpr std::string_view kCommentEnd = " -->";

// The classic builder records metadata instructions as `/bin/sh -c #(nop)  LABEL ...`.
std::string ReadableInstruction(const HistoryEntry& layer) {
  static constexpr std::string_view kNop = "/bin/sh -c #(nop) ";
  std::string_view text = layer.created_by;
  if (StartsWith(text, kNop)) {
    text.remove_prefix(kNop.size());
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  }
  return std::string(text);
}

std::string LayerTable(const std::vector<HistoryEntry>& layers) {
  std::string table =
      "| # | Created | Instruction | Size | Cumulative size |\n"
      "|--:|---|---|--:|--:|\n";
  int64_t cumulative = 0;
  int number = 0;
  for (auto layer = layers.rbegin(); layer != layers.rend(); ++layer) {
    cumulative += layer->size_bytes;
    std::string instruction = ReadableInstruction(*layer);
    std::string cell = instruction.empty() ? (layer->comment.empty() ? "" : TableCodeSpan(layer->comment))
                                           : TableCodeSpan(instruction);
    table += "| " + std::to_string(++number) + " | " + OneLine(layer->created) + " | " + cell + " | " +
             FormatSize(layer->size_bytes) + " | " + FormatSize(cumulative) + " |\n";
  }
  if (layers.empty()) table += "| | (no history) | | | |\n";
  table.pop_back();
  return table;
}

size_t CountLines(std::string_view text) {
  if (text.empty()) return 0;
  size_t lines = static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
  return text.back() == '\n' ? lines : lines + 1;
}

std::string FencedBlock(std::string_view text) {
  std::string fence(std::max<size_t>(3, LongestBacktickRun(text) + 1), '`');
  std::string block = fence + "text\n" + std::string(text);
  if (block.back() != '\n') block += '\n';
  return block + fence + "\n";
}

std::string CommandSection(const ManifestCommandOutput& command) {
  std::string title = MarkdownText(command.description.empty() ? command.name : command.description);
  std::string section = "### " + title + "\n\n";
  section += "Command (" + CodeSpan(OneLine(command.name)) + "): " + CodeSpan(OneLine(command.command)) + "\n\n";
  if (command.exit_code != 0) {
    section += "**Failed with exit code " + std::to_string(command.exit_code) + ".**\n\n";
  }
  size_t lines = CountLines(command.output);
  if (lines == 0) return section + "(no output)\n";
  if (lines <= kFoldOutputLines) return section + FencedBlock(command.output);
  return section + "<details>\n<summary>Output: " + std::to_string(lines) + " lines</summary>\n\n" +
         FencedBlock(command.output) + "\n</details>\n";
}

int64_t SizeOfLayers(const std::vector<HistoryEntry>& layers) {
  int64_t size = 0;
  for (const HistoryEntry& layer : layers) size += layer.size_bytes;
  return size;
}

std::string Facts(const ManifestPage& page) {
  PageInfo info = InfoOf(page);
  std::string facts = "- Image id: " + CodeSpan(OneLine(page.image_id)) + "\n";
  if (!info.node.empty()) facts += "- Node: " + CodeSpan(OneLine(info.node)) + "\n";
  if (!info.base.empty()) facts += "- Base image: " + CodeSpan(OneLine(info.base)) + "\n";
  if (std::optional<int64_t> created = ParseRfc3339(info.created)) {
    facts += "- Created: " + FormatUtc(*created / 1000000) + "\n";
  }
  facts += "- Size: " + FormatSize(info.size_bytes);
  if (!info.commit.empty()) facts += "\n- Commit: " + CodeSpan(OneLine(info.commit));
  return facts;
}

bool IsHexDigit(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

int HexValue(char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; }

}  // namespace

std::string EncodeRecord(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string line;
  for (const auto& [key, value] : fields) {
    if (!line.empty()) line += ' ';
    line += key + "=";
    for (size_t i = 0; i < value.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(value[i]);
      if (c <= ' ' || c >= 0x7f || c == '%' || c == '<' || c == '>' || c == '|' ||
          (c == '-' && i > 0 && value[i - 1] == '-')) {
        char escape[4];
        std::snprintf(escape, sizeof escape, "%%%02X", c);
        line += escape;
      } else {
        line += static_cast<char>(c);
      }
    }
  }
  return line;
}

std::optional<std::map<std::string, std::string>> DecodeRecord(std::string_view line) {
  std::map<std::string, std::string> fields;
  for (const std::string& word : Split(line, ' ')) {
    if (word.empty()) continue;
    size_t equals = word.find('=');
    if (equals == std::string::npos || equals == 0) return std::nullopt;
    std::string value;
    for (size_t i = equals + 1; i < word.size(); ++i) {
      if (word[i] != '%') {
        value += word[i];
        continue;
      }
      if (i + 2 >= word.size() || !IsHexDigit(word[i + 1]) || !IsHexDigit(word[i + 2])) return std::nullopt;
      value += static_cast<char>(HexValue(word[i + 1]) * 16 + HexValue(word[i + 2]));
      i += 2;
    }
    fields[word.substr(0, equals)] = value;
  }
  return fields;
}

PageInfo InfoOf(const ManifestPage& page) {
  std::string created = page.created;
  if (created.empty() && !page.layers.empty()) created = page.layers.front().created;
  return {page.node, page.image, page.base, created, SizeOfLayers(page.layers), page.commit};
}

std::vector<std::pair<std::string, std::string>> PageInfoFields(const PageInfo& info) {
  return {{"node", info.node},
          {"image", info.image},
          {"base", info.base},
          {"created", info.created},
          {"size", std::to_string(info.size_bytes)},
          {"commit", info.commit}};
}

std::optional<PageInfo> PageInfoFromFields(const std::map<std::string, std::string>& fields) {
  auto field = [&](const char* key) {
    auto it = fields.find(key);
    return it == fields.end() ? std::string() : it->second;
  };
  std::string size = field("size");
  if (field("image").empty() || size.empty() || size.size() > 18 ||
      size.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  return PageInfo{field("node"), field("image"), field("base"), field("created"), std::stoll(size), field("commit")};
}

std::optional<PageInfo> FindPageInfo(std::string_view markdown) {
  size_t start = markdown.rfind(kInfoLinePrefix);
  if (start == std::string_view::npos) return std::nullopt;
  std::string_view line = markdown.substr(start + kInfoLinePrefix.size());
  size_t end = line.find('\n');
  if (end != std::string_view::npos) line = line.substr(0, end);
  if (!EndsWith(line, kCommentEnd)) return std::nullopt;
  std::optional<std::map<std::string, std::string>> fields =
      DecodeRecord(line.substr(0, line.size() - kCommentEnd.size()));
  return fields ? PageInfoFromFields(*fields) : std::nullopt;
}

std::string FormatSize(int64_t bytes) {
  if (bytes < 1000) return std::to_string(bytes) + " B";
  static const char* const kUnits[] = {"kB", "MB", "GB", "TB", "PB"};
  double value = static_cast<double>(bytes) / 1000;
  size_t unit = 0;
  while (value >= 999.5 && unit + 1 < std::size(kUnits)) {
    value /= 1000;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof(text), "%.3g %s", value, kUnits[unit]);
  return text;
}

std::string RenderManifestPage(const ManifestPage& page) { return RenderManifestPage(page, templates::kManifest); }

std::string RenderManifestPage(const ManifestPage& page, std::string_view page_template) {
  std::string repository;
  std::string tag;
  SplitImageReference(page.image, &repository, &tag);
  std::string commands;
  for (const ManifestCommandOutput& command : page.commands) {
    if (!commands.empty()) commands += "\n";
    commands += CommandSection(command);
  }
  if (commands.empty()) commands = "(no manifest commands)\n";
  commands.pop_back();
  const std::pair<std::string_view, std::string> values[] = {
      {"repository", repository},  {"tag", tag},           {"image", page.image},
      {"image_id", page.image_id}, {"facts", Facts(page)}, {"layers", LayerTable(page.layers)},
      {"commands", commands},
  };

  std::string out;
  size_t pos = 0;
  while (true) {
    size_t open = page_template.find("{{", pos);
    if (open == std::string_view::npos) break;
    size_t close = page_template.find("}}", open + 2);
    if (close == std::string_view::npos) throw std::logic_error("manifest template: unterminated {{");
    std::string_view name = page_template.substr(open + 2, close - open - 2);
    auto value = std::find_if(std::begin(values), std::end(values), [&](const auto& v) { return v.first == name; });
    if (value == std::end(values))
      throw std::logic_error("manifest template: unknown placeholder {{" + std::string(name) + "}}");
    out.append(page_template.substr(pos, open - pos));
    out += value->second;
    pos = close + 2;
  }
  out.append(page_template.substr(pos));
  if (!out.empty() && out.back() != '\n') out += '\n';
  return out + "\n" + std::string(kInfoLinePrefix) + EncodeRecord(PageInfoFields(InfoOf(page))) +
         std::string(kCommentEnd) + "\n";
}

}  // namespace dhg::steps
