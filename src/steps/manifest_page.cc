#include "steps/manifest_page.h"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "templates.h"
#include "util/strings.h"

namespace dhg::steps {
namespace {

size_t LongestBacktickRun(std::string_view text) {
  size_t longest = 0;
  size_t current = 0;
  for (char c : text) {
    current = c == '`' ? current + 1 : 0;
    longest = std::max(longest, current);
  }
  return longest;
}

std::string OneLine(std::string_view text) {
  std::string line;
  for (char c : text) line += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  return line;
}

// A code span inside a table cell: `|` must be escaped even there (GFM splits
// cells before it parses inlines).
std::string TableCodeSpan(std::string_view text) {
  std::string escaped;
  for (char c : OneLine(text)) {
    if (c == '|') escaped += '\\';
    escaped += c;
  }
  return CodeSpan(escaped);
}

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
  std::string title = OneLine(command.description.empty() ? command.name : command.description);
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

}  // namespace

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

std::string CodeSpan(std::string_view text) {
  std::string ticks(LongestBacktickRun(text) + 1, '`');
  bool pad = !text.empty() && (text.front() == '`' || text.back() == '`');
  return ticks + (pad ? " " : "") + std::string(text) + (pad ? " " : "") + ticks;
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
      {"repository", repository},     {"tag", tag},
      {"image", page.image},          {"image_id", page.image_id},
      {"layers", LayerTable(page.layers)}, {"commands", commands},
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
  return out;
}

}  // namespace dhg::steps
