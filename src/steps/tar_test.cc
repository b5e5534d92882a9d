#include "steps/tar.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>

#include "steps/steps_testing.h"
#include "util/hash.h"
#include "util/strings.h"

namespace dhg::steps {
namespace {

using testing::TempDir;

struct ContextFile {
  std::string path;     // relative to the context folder
  std::string content;  // for a symlink: its target
  unsigned mode = git::kModeFile;
};

// Lays out `files` under root/images/x and returns their entries, sorted, as
// ScanContext would list them.
std::vector<git::FileEntry> LayOut(const TempDir& root, const std::vector<ContextFile>& files) {
  std::vector<git::FileEntry> entries;
  for (const ContextFile& file : files) {
    std::string path = "images/x/" + file.path;
    if (file.mode == git::kModeSymlink) {
      root.Symlink(path, file.content);
    } else {
      root.Write(path, file.content, file.mode == git::kModeExecutable ? 0755 : 0644);
    }
    entries.push_back({path, file.mode, GitBlobId(file.content)});
  }
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  return entries;
}

// Reads the whole stream with reads of `chunk` bytes.
std::string Drain(ContextTarStream& stream, size_t chunk) {
  std::string tar;
  std::string buffer(chunk, '\0');
  while (size_t n = stream.Read(buffer.data(), buffer.size())) tar.append(buffer.data(), n);
  return tar;
}

// One line per member as Python's tarfile reads it back:
// name type mode uid gid mtime linkname sha256(content).
constexpr char kListTar[] = R"(
import hashlib, sys, tarfile
with tarfile.open(sys.argv[1], 'r:') as archive:
    for m in archive.getmembers():
        data = archive.extractfile(m).read() if m.isfile() else b''
        print(m.name, m.type.decode(), oct(m.mode), m.uid, m.gid, m.mtime, m.linkname or '-',
              hashlib.sha256(data).hexdigest(), sep='|')
)";

struct ReadBack {
  int exit_code = 0;
  std::vector<std::string> lines;
  std::string errors;
};

ReadBack ReadWithPython(const TempDir& scratch, const std::string& tar) {
  WriteFileAtomic(scratch / "context.tar", tar);
  StepLog log(scratch / "python.log");
  std::string out;
  std::string err;
  ProcessResult result = RunProcess({"/usr/bin/python3", "-c", kListTar, scratch / "context.tar"}, log,
                                    {.stdout_capture = &out, .stderr_capture = &err});
  ReadBack read_back{result.exit_code, {}, err};
  for (const std::string& line : Split(out, '\n')) {
    if (!line.empty()) read_back.lines.push_back(line);
  }
  return read_back;
}

std::string Member(const std::string& name, char type, const std::string& mode, const std::string& link,
                   const std::string& content) {
  return name + "|" + type + "|" + mode + "|0|0|0|" + link + "|" + Sha256Hex(content);
}

}  // namespace

TEST_CASE("the context tar reads back with Python's tarfile: names, modes, symlinks, long names, contents") {
  TempDir root;
  TempDir scratch;
  std::string long_name = "long/" + std::string(120, 'n') + ".txt";
  // The PAX record of this name is exactly 1000 bytes long, where the length
  // prefix of the record gains a digit.
  std::string boundary_name = std::string(200, 'a') + "/" + std::string(200, 'b') + "/" + std::string(200, 'c') + "/" +
                              std::string(200, 'd') + "/" + std::string(186, 'e');
  REQUIRE(boundary_name.size() == 990);
  std::string long_target = "../" + std::string(150, 't');
  std::string binary("\0\x01\xff\n\r\x80 end", 10);
  std::string aligned(1024, 'x');
  std::vector<git::FileEntry> entries = LayOut(root, {
                                                         {"Dockerfile", "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n"},
                                                         {"run.sh", "#!/bin/sh\necho hi\n", git::kModeExecutable},
                                                         {"sub/deep/file.txt", "deep\n"},
                                                         {"sub/empty", ""},
                                                         {"sub/aligned", aligned},
                                                         {"sub/binary", binary},
                                                         {long_name, "long\n"},
                                                         {boundary_name, "boundary\n"},
                                                         {"link", "sub/deep/file.txt", git::kModeSymlink},
                                                         {"long-link", long_target, git::kModeSymlink},
                                                     });

  for (size_t chunk : {size_t{1}, size_t{511}, size_t{4096}, size_t{1 << 20}}) {
    CAPTURE(chunk);
    ContextTarStream stream(root.path(), "images/x", entries);
    std::string tar = Drain(stream, chunk);
    CHECK(stream.complete());
    CHECK(stream.bytes_streamed() == tar.size());
    CHECK(tar.size() % 512 == 0);
    CHECK(tar.substr(tar.size() - 1024) == std::string(1024, '\0'));

    ReadBack read_back = ReadWithPython(scratch, tar);
    REQUIRE_MESSAGE(read_back.exit_code == 0, read_back.errors);
    std::vector<std::string> expected = {
        Member("Dockerfile", '0', "0o644", "-", "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n"),
        Member(std::string(200, 'a'), '5', "0o755", "-", ""),
        Member(std::string(200, 'a') + "/" + std::string(200, 'b'), '5', "0o755", "-", ""),
        Member(std::string(200, 'a') + "/" + std::string(200, 'b') + "/" + std::string(200, 'c'), '5', "0o755", "-",
               ""),
        Member(std::string(200, 'a') + "/" + std::string(200, 'b') + "/" + std::string(200, 'c') + "/" +
                   std::string(200, 'd'),
               '5', "0o755", "-", ""),
        Member(boundary_name, '0', "0o644", "-", "boundary\n"),
        Member("link", '2', "0o777", "sub/deep/file.txt", ""),
        Member("long-link", '2', "0o777", long_target, ""),
        Member("long", '5', "0o755", "-", ""),
        Member(long_name, '0', "0o644", "-", "long\n"),
        Member("run.sh", '0', "0o755", "-", "#!/bin/sh\necho hi\n"),
        Member("sub", '5', "0o755", "-", ""),
        Member("sub/aligned", '0', "0o644", "-", aligned),
        Member("sub/binary", '0', "0o644", "-", binary),
        Member("sub/deep", '5', "0o755", "-", ""),
        Member("sub/deep/file.txt", '0', "0o644", "-", "deep\n"),
        Member("sub/empty", '0', "0o644", "-", ""),
    };
    CHECK(read_back.lines == expected);
  }
}

TEST_CASE("GNU tar lists the context tar with the same names") {
  TempDir root;
  TempDir scratch;
  std::string long_name = std::string(130, 'z');
  std::vector<git::FileEntry> entries = LayOut(root, {{"a/b", "b"}, {long_name, "z"}, {"l", "a/b", git::kModeSymlink}});
  ContextTarStream stream(root.path(), "images/x", entries);
  WriteFileAtomic(scratch / "c.tar", Drain(stream, 4096));
  StepLog log(scratch / "tar.log");
  std::string out;
  REQUIRE(RunProcess({"tar", "-tf", scratch / "c.tar"}, log, {.stdout_capture = &out}).ok());
  CHECK(out == "a/\na/b\nl\n" + long_name + "\n");
}

TEST_CASE("the context tar of the whole tree has no prefix to strip") {
  TempDir root;
  root.Write("Dockerfile", "FROM x\n");
  ContextTarStream stream(root.path(), "", {{"Dockerfile", git::kModeFile, GitBlobId("FROM x\n")}});
  std::string tar = Drain(stream, 4096);
  CHECK(tar.substr(0, 11) == std::string("Dockerfile\0", 11));
}

TEST_CASE("a context file that changed after it was hashed fails the stream, and the partial tar is unreadable") {
  TempDir root;
  TempDir scratch;
  std::vector<git::FileEntry> entries = LayOut(root, {{"Dockerfile", "FROM x\n"}, {"z/data", "old content"}});

  SUBCASE("content") { root.Write("images/x/z/data", "new content"); }
  SUBCASE("size") { root.Write("images/x/z/data", "old content, longer now"); }
  SUBCASE("executable bit") { root.Write("images/x/z/data", "old content", 0755); }
  SUBCASE("deleted") { std::filesystem::remove(root / "images/x/z/data"); }
  SUBCASE("replaced by a symlink") {
    std::filesystem::remove(root / "images/x/z/data");
    root.Symlink("images/x/z/data", "../Dockerfile");
  }

  ContextTarStream stream(root.path(), "images/x", entries);
  std::string tar;
  std::string buffer(100, '\0');
  std::string message;
  try {
    while (size_t n = stream.Read(buffer.data(), buffer.size())) tar.append(buffer.data(), n);
  } catch (const ContextChanged& changed) {
    message = changed.what();
  }
  CHECK(message.find("images/x/z/data") != std::string::npos);
  CHECK_FALSE(stream.complete());
  // What had been sent so far ends in an invalid header. (Python's tarfile
  // takes a bad header after the first member as the end; GNU tar, like Go's
  // archive/tar that docker uses, reports it.)
  WriteFileAtomic(scratch / "partial.tar", tar);
  StepLog log(scratch / "tar.log");
  CHECK_FALSE(RunProcess({"tar", "-tf", scratch / "partial.tar"}, log).ok());
}

TEST_CASE("a symlink that points elsewhere now fails the stream") {
  TempDir root;
  std::vector<git::FileEntry> entries = LayOut(root, {{"link", "a", git::kModeSymlink}});
  std::filesystem::remove(root / "images/x/link");
  root.Symlink("images/x/link", "b");
  ContextTarStream stream(root.path(), "images/x", entries);
  CHECK_THROWS_AS(Drain(stream, 4096), ContextChanged);
}

TEST_CASE("tar headers: PAX records for long names, long link targets and sizes beyond ustar") {
  std::string small = EncodeTarHeader({"name", '0', 0644, 5, ""});
  CHECK(small.size() == 512);
  CHECK(small.substr(124, 12) == std::string("00000000005\0", 12));
  CHECK(small.substr(257, 8) == std::string("ustar\0"
                                            "00",
                                            8));

  std::string large = EncodeTarHeader({"big.bin", '0', 0644, 9000000000ULL, ""});
  REQUIRE(large.size() == 3 * 512);
  CHECK(large[156] == 'x');
  CHECK(large.substr(512, 19) == "19 size=9000000000\n");
  CHECK(large.substr(1024 + 124, 12) == std::string("00000000000\0", 12));

  std::string name(101, 'n');
  std::string target(101, 't');
  std::string both = EncodeTarHeader({name, '2', 0777, 0, target});
  REQUIRE(both.size() == 3 * 512);
  std::string records = "111 path=" + name + "\n" + "115 linkpath=" + target + "\n";
  CHECK(both.substr(512, records.size()) == records);
}

TEST_CASE("a context file outside the context folder is a programming error") {
  CHECK_THROWS_AS(ContextTarStream("/r", "images/x", {{"images/xy/file", git::kModeFile, ""}}), std::logic_error);
}

}  // namespace dhg::steps
