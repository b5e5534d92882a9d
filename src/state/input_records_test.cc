#include "state/input_records.h"

#include <doctest/doctest.h>

#include <string>

namespace dhg::state {
namespace {

using graph::DiffInputs;
using graph::InputRecord;

// Every field set, and bytes a line-based format must survive.
InputRecord SampleRecords() {
  return {"k\\1",
          "localhost:5000/r/x:t-abc1234",
          "sub dir/Dockerfile",
          "epoch with spaces",
          "",
          {{"A", ""}, {"B", "=x=y"}, {"V", "tab\there, newline\nthere, cr\r, back\\slash"}},
          {{"images/x/Dockerfile", git::kModeFile, std::string(40, 'a')},
           {"images/x/link", git::kModeSymlink, std::string(40, 'd')},
           {"images/x/run.sh", git::kModeExecutable, std::string(40, 'b')},
           {"images/x/odd\tname\n.txt", git::kModeFile, std::string(40, 'c')}}};
}

}  // namespace

TEST_CASE("input records: format and parse give back every field, whatever the bytes") {
  InputRecord record = SampleRecords();
  std::string text = FormatInputRecord(record);
  CHECK(text.rfind("datahub-gen inputs v1\n", 0) == 0);
  CHECK(text.find("file\t100755\t" + std::string(40, 'b') + "\timages/x/run.sh\n") != std::string::npos);
  CHECK(text.find("file\t120000\t") != std::string::npos);
  std::optional<InputRecord> parsed = ParseInputRecord(text);
  REQUIRE(parsed.has_value());
  CHECK(parsed->key == record.key);
  CHECK(parsed->image == record.image);
  CHECK(parsed->dockerfile == record.dockerfile);
  CHECK(parsed->epoch == record.epoch);
  CHECK(parsed->parent_key == record.parent_key);
  CHECK(parsed->build_args == record.build_args);
  CHECK(parsed->files == record.files);
  CHECK(DiffInputs(record, *parsed).empty());
}

TEST_CASE("input records: text that is not one is refused") {
  CHECK_FALSE(ParseInputRecord("").has_value());
  CHECK_FALSE(ParseInputRecord("source=built\n").has_value());
  CHECK_FALSE(ParseInputRecord("datahub-gen inputs v1\nkey\tbad\\qescape\n").has_value());
  CHECK_FALSE(ParseInputRecord("datahub-gen inputs v1\nfile\t100644\tonly-three\n").has_value());
  CHECK_FALSE(ParseInputRecord("datahub-gen inputs v1\narg\tNO_EQUALS\n").has_value());
  // A field a later version adds is skipped.
  CHECK(ParseInputRecord("datahub-gen inputs v1\nkey\tk\nfuture\tx\n")->key == "k");
}

}  // namespace dhg::state
