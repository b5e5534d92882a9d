#include "graph/input_record.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace dhg::graph {
namespace {

InputRecord Sample() {
  return {"k1",
          "r/x:t-abc1234",
          "Dockerfile",
          "",
          "pk1",
          {{"BASE_IMAGE", "r/base:t-0000000"}, {"V", "tab\there, newline\nthere, back\\slash"}},
          {{"images/x/Dockerfile", git::kModeFile, std::string(40, 'a')},
           {"images/x/run.sh", git::kModeExecutable, std::string(40, 'b')},
           {"images/x/odd\tname\n.txt", git::kModeFile, std::string(40, 'c')}}};
}

std::vector<std::string> Described(const std::vector<InputChange>& changes) {
  std::vector<std::string> lines;
  for (const InputChange& change : changes) lines.push_back(DescribeChange(change));
  return lines;
}

}  // namespace

TEST_CASE("input changes: files added, removed, modified, made executable; args, epoch, parent") {
  InputRecord before = Sample();
  InputRecord now = Sample();
  now.files[0].blob_id = std::string(40, 'd');  // Dockerfile modified
  now.files[1].mode = git::kModeFile;           // run.sh no longer executable
  now.files.erase(now.files.begin() + 2);       // odd name removed
  now.files.push_back({"images/x/new.txt", git::kModeFile, std::string(40, 'e')});
  now.build_args = {{"BASE_IMAGE", "r/base:t-1111111"}, {"W", "1"}};
  now.epoch = "2";
  now.parent_key = "pk2";
  CHECK(Described(DiffInputs(before, now)) == std::vector<std::string>{
                                                  "modified  images/x/Dockerfile",
                                                  "added     images/x/new.txt",
                                                  "removed   images/x/odd\tname\n.txt",
                                                  "mode      images/x/run.sh (100755 -> 100644)",
                                                  "build arg BASE_IMAGE: 'r/base:t-0000000' -> 'r/base:t-1111111'",
                                                  "build arg V removed (was 'tab\there, newline\nthere, back\\slash')",
                                                  "build arg W added: '1'",
                                                  "epoch: '' -> '2'",
                                                  "parent key: pk1 -> pk2",
                                              });
  std::vector<InputChange> changes = DiffInputs(before, now);
  CHECK(ChangeKindName(changes[0].kind) == "modified");
  CHECK(ChangeKindName(changes.back().kind) == "parent");
}

}  // namespace dhg::graph
