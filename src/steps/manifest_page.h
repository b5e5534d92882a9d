// The manifest page of one image: markdown for a GitHub wiki, from
// templates/manifest.md. A layer table (from docker history) and one section
// per manifest command with its output. Everything that comes from the image
// or the spec is inserted as literal text: fences and code spans are made
// longer than any backtick run inside, table cells cannot break the table, and
// placeholders are expanded in the template only, never in inserted text.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "steps/docker.h"

namespace dhg::steps {

struct ManifestCommandOutput {
  std::string name;         // the key in spec.yml, e.g. PY_VER
  std::string description;  // e.g. "Python Version"
  std::string command;      // as written in spec.yml
  int exit_code = 0;
  std::string output;
};

struct ManifestPage {
  std::string image;     // repo:tag
  std::string image_id;  // sha256:...
  std::vector<HistoryEntry> layers;  // newest first, as docker history lists them
  std::vector<ManifestCommandOutput> commands;
};

// Outputs longer than this many lines are folded in <details>.
inline constexpr size_t kFoldOutputLines = 30;

// Placeholders in the template: {{repository}} {{tag}} {{image}} {{image_id}}
// {{layers}} {{commands}}. An unknown placeholder throws std::logic_error.
std::string RenderManifestPage(const ManifestPage& page);
std::string RenderManifestPage(const ManifestPage& page, std::string_view page_template);

// "1.98 MB", as docker prints sizes (decimal units, three significant digits).
std::string FormatSize(int64_t bytes);
// `text` as a markdown code span that survives any backticks inside.
std::string CodeSpan(std::string_view text);

}  // namespace dhg::steps
