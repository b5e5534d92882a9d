// The input record files of the build folder (`<K>.inputs` beside the image
// stamp): what an image was built from (graph::InputRecord), for `explain`
// and `status`. One `field<TAB>value` line each, files as
// `file<TAB>mode<TAB>blob<TAB>path`; tabs, newlines and backslashes in values
// escaped (EscapeTsvField).
#pragma once
#include <optional>
#include <string>

#include "graph/input_record.h"

namespace dhg::state {

std::string FormatInputRecord(const graph::InputRecord& record);
// nullopt for text that is not such a record.
std::optional<graph::InputRecord> ParseInputRecord(const std::string& text);

}  // namespace dhg::state
