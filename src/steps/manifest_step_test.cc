#include "steps/manifest_step.h"

#include <doctest/doctest.h>

#include "state/layout.h"
#include "steps/index_step.h"
#include "steps/manifest_page.h"
#include "steps/step_fixture.h"

namespace dhg::steps {
namespace {

using testing::FakeDocker;
using testing::Stamp;
using testing::StepFixture;
using testing::TempDir;

}  // namespace

// ---- manifest

TEST_CASE("manifest: commands are split into argv, never run by a shell; the page is written; the container removed") {
  StepFixture f;
  StepServices services = f.Services();
  f.WriteImageStamp("built", "sha256:9999");
  f.docker.local["r/x:t"] = {"sha256:9999", {}};
  f.docker.exec_results["sh|-c|ls / | sort"] = {0, "bin\netc\n"};
  ManifestStep step{"x/P1",
                    "r/x:t",
                    f.dir / "stamps/x/P1/K1.image",
                    {{"LS", "Root folders", "sh -c 'ls / | sort'"}, {"PY_VER", "Python Version", "python --version"}},
                    f.dir / "manifests/r-x-t.md"};

  CHECK(RunManifestStep(step, services) == "x/P1: manifest " + step.out);

  CHECK(f.docker.exec_argvs ==
        std::vector<std::vector<std::string>>{{"sh", "-c", "ls / | sort"}, {"python", "--version"}});
  CHECK_FALSE(f.docker.Called("pull"));
  CHECK(f.docker.containers.empty());
  CHECK(f.docker.calls.back() == "rm");
  std::string page = *ReadFile(step.out);
  CHECK(page.find("# r/x:t\n") == 0);
  CHECK(page.find("### Root folders\n") != std::string::npos);
  CHECK(page.find("```text\nbin\netc\n```") != std::string::npos);
  CHECK(page.find("output of python --version") != std::string::npos);
}

TEST_CASE("manifest: an image that is not local is pulled; `tail -f /dev/null` when `sleep infinity` does not work") {
  StepFixture f;
  StepServices services = f.Services();
  f.WriteImageStamp("registry", "sha256:aaaa");
  f.docker.registry["r/x:t"] = {"sha256:d", "sha256:aaaa"};
  f.docker.sleep_exists = false;
  ManifestStep step{
      "x/P1", "r/x:t", f.dir / "stamps/x/P1/K1.image", {{"A", "a", "cat /etc/os-release"}}, f.dir / "m.md"};
  RunManifestStep(step, services);
  CHECK(f.docker.Called("pull r/x:t"));
  CHECK(f.docker.Called("start r/x:t sleep infinity"));
  CHECK(f.docker.Called("start r/x:t tail -f /dev/null"));
  CHECK(FileExists(step.out));
}

TEST_CASE("manifest: an image only in the registry and no commands: its page from the registry, nothing pulled") {
  StepFixture f;
  StepServices services = f.Services();
  f.WriteImageStamp("registry", "");
  f.docker.registry["r/x:t"] = {"sha256:d", "sha256:aaaa"};
  ManifestStep step{"x/P1", "r/x:t", f.dir / "stamps/x/P1/K1.image", {}, f.dir / "m.md"};
  RunManifestStep(step, services);
  CHECK(f.docker.Called("registry describe r/x:t"));
  CHECK_FALSE(f.docker.Called("pull"));
  CHECK_FALSE(f.docker.Called("start"));
  std::string page = *ReadFile(step.out);
  CHECK(page.find("sha256:aaaa") != std::string::npos);  // the image id, from the config digest
  CHECK(page.find("COPY x /x") != std::string::npos);    // its layers, from the config's history
}

TEST_CASE("manifest: a failing command fails the step, the page goes to the log, the file is not written") {
  StepFixture f;
  StepServices services = f.Services();
  f.WriteImageStamp("built", "sha256:bbbb");
  f.docker.local["r/x:t"] = {"sha256:bbbb", {}};
  f.docker.exec_results["conda|list"] = {127, "conda: executable file not found in $PATH\n"};
  ManifestStep step{"x/P1",
                    "r/x:t",
                    f.dir / "stamps/x/P1/K1.image",
                    {{"CONDA", "Conda packages", "conda list"}, {"OK", "fine", "true"}},
                    f.dir / "m.md"};
  WriteFileAtomic(step.out, "a page from an earlier run\n");

  CHECK_THROWS_WITH_AS(RunManifestStep(step, services), "manifest command(s) failed in r/x:t: CONDA (exit code 127)",
                       StepFailed);
  CHECK_FALSE(FileExists(step.out));
  CHECK(f.docker.containers.empty());
  std::string log = f.LogText();
  CHECK(log.find("**Failed with exit code 127.**") != std::string::npos);
  CHECK(log.find("conda: executable file not found") != std::string::npos);
}

TEST_CASE("manifest: an unterminated quote in a command fails before any container starts") {
  StepFixture f;
  StepServices services = f.Services();
  f.WriteImageStamp("built", "sha256:cccc");
  f.docker.local["r/x:t"] = {"sha256:cccc", {}};
  ManifestStep step{"x/P1", "r/x:t", f.dir / "stamps/x/P1/K1.image", {{"Q", "q", "sh -c 'ls"}}, f.dir / "m.md"};
  CHECK_THROWS_AS(RunManifestStep(step, services), StepFailed);
  CHECK_FALSE(f.docker.Called("start"));
}

TEST_CASE("manifest: the page records node, base, the image's creation time and size for the index") {
  StepFixture f;
  StepServices services = f.Services();
  f.WriteImageStamp("built", "sha256:dddd");
  f.docker.local["r/x:t"] = {"sha256:dddd", {}, "2026-01-03T00:00:00.5Z"};
  ManifestStep step{"x/P1", "r/x:t", f.dir / "stamps/x/P1/K1.image", {}, f.dir / "manifests/r-x-t.md", "r/base:t"};
  RunManifestStep(step, services);
  std::optional<PageInfo> info = FindPageInfo(*ReadFile(step.out));
  REQUIRE(info);
  CHECK(info->node == "x/P1");
  CHECK(info->image == "r/x:t");
  CHECK(info->base == "r/base:t");
  CHECK(info->created == "2026-01-03T00:00:00.5Z");
  CHECK(info->size_bytes == 1000);  // the fake history's layers
}

// ---- index

TEST_CASE("index: pages are merged into Home.md on disk, earlier rows kept, reruns change nothing") {
  StepFixture f;
  StepServices services = f.Services();
  f.WriteImageStamp("built", "sha256:eeee");
  auto make_page = [&](const std::string& image, const std::string& created, const std::string& commit) {
    f.docker.local[image] = {"sha256:eeee", {}, created};
    std::string page = f.dir / ("manifests/" + state::ManifestPageName(image) + ".md");
    ManifestStep step{"x/P1", image, f.dir / "stamps/x/P1/K1.image", {}, page};
    step.commit = commit;
    RunManifestStep(step, services);
    return page;
  };
  std::string old_page = make_page("r/x:1-aaaaaaa", "2026-01-01T00:00:00Z", "aaaaaaa1");
  IndexStep first{{old_page}, f.dir / "manifests/Home.md"};
  CHECK(RunIndexStep(first, services) ==
        "manifest index " + first.out + ": 1 page(s), 1 new, 0 already in its rows, 0 listed by rows of others");

  // The next run knows only its own pages; the index still lists the first one, under the new row.
  std::string new_page = make_page("r/x:1-bbbbbbb", "2026-01-02T00:00:00Z", "bbbbbbb2");
  IndexStep second{{new_page}, first.out, "", "", "https://github.com/o/r"};
  CHECK(RunIndexStep(second, services) ==
        "manifest index " + first.out + ": 1 page(s), 1 new, 0 already in its rows, 0 listed by rows of others");
  std::string index = *ReadFile(first.out);
  CHECK(index.find("|[`bbbbbbb`](https://github.com/o/r/commit/bbbbbbb2)|`r/x:1-bbbbbbb`|"
                   "[Link](https://github.com/o/r/wiki/r-x-1-bbbbbbb)|") <
        index.find("|`aaaaaaa`|`r/x:1-aaaaaaa`|[Link](r-x-1-aaaaaaa)|"));
  CHECK(RunIndexStep(second, services) ==
        "manifest index " + first.out + ": 1 page(s), 0 new, 1 already in its rows, 0 listed by rows of others");
  CHECK(*ReadFile(first.out) == index);
}

TEST_CASE("index: a Home.md that datahub-gen did not write is adopted, its text and rows kept") {
  StepFixture f;
  StepServices services = f.Services();
  f.WriteImageStamp("built", "sha256:eeee");
  f.docker.local["r/x:2"] = {"sha256:eeee", {}, "2026-01-02T00:00:00Z"};
  ManifestStep manifest{"x/P1", "r/x:2", f.dir / "stamps/x/P1/K1.image", {}, f.dir / "manifests/r-x-2.md"};
  manifest.commit = "cccccccc";
  RunManifestStep(manifest, services);

  const std::string home =
      "Welcome to our wiki!\n\n| Commit | Image | Manifest |\n|--------|-------|----------|\n"
      "|[`1234567`](https://github.com/o/r/commit/1234567)|`r/x:1`|[Link](https://github.com/o/r/wiki/r-x-1)|";
  IndexStep step{{manifest.out}, f.dir / "manifests/Home.md"};
  WriteFileAtomic(step.out, home);
  CHECK(RunIndexStep(step, services) ==
        "manifest index " + step.out + ": 1 page(s), 1 new, 0 already in its rows, 0 listed by rows of others");
  std::string index = *ReadFile(step.out);
  CHECK(StartsWith(index,
                   "Welcome to our wiki!\n\n| Commit | Image | Manifest |\n|--------|-------|----------|\n"
                   "|`ccccccc`|`r/x:2`|[Link](r-x-2)|<!-- datahub-gen-row "));
  CHECK(EndsWith(index, "-->\n" + home.substr(home.find("|[`1234567`]")) + "\n"));
  CHECK(f.LogText().find("1 row(s), 1 not written by datahub-gen (kept as they are)") != std::string::npos);

  // Free text without a table keeps its text; the table goes after it.
  WriteFileAtomic(step.out, "# Our wiki\n\nWritten by hand.\n");
  RunIndexStep(step, services);
  CHECK(StartsWith(*ReadFile(step.out),
                   "# Our wiki\n\nWritten by hand.\n\n| Commit | Image | Manifest |\n|--------|-------|----------|\n"
                   "|`ccccccc`|`r/x:2`|"));
}

TEST_CASE("index: a page without its info line stops the step, nothing is written") {
  StepFixture f;
  StepServices services = f.Services();
  WriteFileAtomic(f.dir / "manifests/a.md", "# a page of someone else\n");
  IndexStep step{{f.dir / "manifests/a.md"}, f.dir / "manifests/Home.md"};
  CHECK_THROWS_WITH_AS(RunIndexStep(step, services),
                       (f.dir / "manifests/a.md" + " has no datahub-gen-page line (made by an older datahub-gen?): "
                                                   "delete it and run ninja again")
                           .c_str(),
                       StepFailed);
  CHECK_FALSE(FileExists(step.out));
  step.pages = {f.dir / "manifests/missing.md"};
  CHECK_THROWS_AS(RunIndexStep(step, services), StepFailed);
}

}  // namespace dhg::steps
