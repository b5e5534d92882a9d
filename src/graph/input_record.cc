#include "graph/input_record.h"

#include <cstdio>
#include <cstdlib>
#include <map>

#include "util/escape.h"
#include "util/strings.h"

namespace dhg::graph {
namespace {

std::string SingleQuoted(const std::string& value) { return "'" + value + "'"; }

}  // namespace

InputRecord CurrentInputs(const Node& node) {
  return {node.key,
          node.Reference(),
          kDockerfileName,
          node.epoch,
          node.parent ? node.parent->key : "",
          DockerBuildArgs(node),
          node.context->files};
}

std::vector<InputChange> DiffInputs(const InputRecord& before, const InputRecord& now) {
  using Kind = InputChange::Kind;
  std::vector<InputChange> changes;
  std::map<std::string, const git::FileEntry*> old_files;
  for (const git::FileEntry& file : before.files) old_files[file.path] = &file;
  std::map<std::string, const git::FileEntry*> new_files;
  for (const git::FileEntry& file : now.files) new_files[file.path] = &file;
  std::map<std::string, bool> paths;
  for (const auto& [path, file] : old_files) paths[path] = true;
  for (const auto& [path, file] : new_files) paths[path] = true;
  for (const auto& [path, unused] : paths) {
    auto was = old_files.find(path);
    auto is = new_files.find(path);
    if (was == old_files.end()) {
      changes.push_back({Kind::kFileAdded, path, "", ""});
    } else if (is == new_files.end()) {
      changes.push_back({Kind::kFileRemoved, path, "", ""});
    } else if (was->second->blob_id != is->second->blob_id) {
      changes.push_back({Kind::kFileModified, path, was->second->blob_id, is->second->blob_id});
    } else if (was->second->mode != is->second->mode) {
      changes.push_back({Kind::kFileModeChanged, path, OctalMode(was->second->mode), OctalMode(is->second->mode)});
    }
  }

  std::map<std::string, std::string> old_args(before.build_args.begin(), before.build_args.end());
  std::map<std::string, std::string> new_args(now.build_args.begin(), now.build_args.end());
  for (const auto& [name, value] : old_args) {
    auto is = new_args.find(name);
    if (is == new_args.end()) {
      changes.push_back({Kind::kBuildArgRemoved, name, value, ""});
    } else if (is->second != value) {
      changes.push_back({Kind::kBuildArgChanged, name, value, is->second});
    }
  }
  for (const auto& [name, value] : new_args) {
    if (!old_args.count(name)) changes.push_back({Kind::kBuildArgAdded, name, "", value});
  }
  if (before.dockerfile != now.dockerfile)
    changes.push_back({Kind::kDockerfile, "", before.dockerfile, now.dockerfile});
  if (before.epoch != now.epoch) changes.push_back({Kind::kEpoch, "", before.epoch, now.epoch});
  if (before.parent_key != now.parent_key) changes.push_back({Kind::kParentKey, "", before.parent_key, now.parent_key});
  return changes;
}

std::string ChangeKindName(InputChange::Kind kind) {
  using Kind = InputChange::Kind;
  switch (kind) {
    case Kind::kFileAdded:
      return "added";
    case Kind::kFileRemoved:
      return "removed";
    case Kind::kFileModified:
      return "modified";
    case Kind::kFileModeChanged:
      return "mode";
    case Kind::kBuildArgAdded:
      return "build-arg-added";
    case Kind::kBuildArgRemoved:
      return "build-arg-removed";
    case Kind::kBuildArgChanged:
      return "build-arg";
    case Kind::kDockerfile:
      return "dockerfile";
    case Kind::kEpoch:
      return "epoch";
    case Kind::kParentKey:
      return "parent";
  }
  return "?";
}

std::string DescribeChange(const InputChange& change) {
  using Kind = InputChange::Kind;
  switch (change.kind) {
    case Kind::kFileAdded:
      return "added     " + change.name;
    case Kind::kFileRemoved:
      return "removed   " + change.name;
    case Kind::kFileModified:
      return "modified  " + change.name;
    case Kind::kFileModeChanged:
      return "mode      " + change.name + " (" + change.before + " -> " + change.after + ")";
    case Kind::kBuildArgAdded:
      return "build arg " + change.name + " added: " + SingleQuoted(change.after);
    case Kind::kBuildArgRemoved:
      return "build arg " + change.name + " removed (was " + SingleQuoted(change.before) + ")";
    case Kind::kBuildArgChanged:
      return "build arg " + change.name + ": " + SingleQuoted(change.before) + " -> " + SingleQuoted(change.after);
    case Kind::kDockerfile:
      return "dockerfile: " + SingleQuoted(change.before) + " -> " + SingleQuoted(change.after);
    case Kind::kEpoch:
      return "epoch: " + SingleQuoted(change.before) + " -> " + SingleQuoted(change.after);
    case Kind::kParentKey:
      return "parent key: " + change.before.substr(0, 12) + " -> " + change.after.substr(0, 12);
  }
  return "";
}

}  // namespace dhg::graph
