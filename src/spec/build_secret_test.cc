#include "spec/build_secret.h"

#include <doctest/doctest.h>

namespace dhg::spec {

TEST_CASE("build secrets: docker's syntax read and written back") {
  std::string error;
  std::optional<BuildSecret> env = ParseBuildSecret("id=pip,env=PIP_TOKEN", &error);
  REQUIRE(env);
  CHECK(env->id == "pip");
  CHECK(env->env == "PIP_TOKEN");
  CHECK(env->ToDockerArg() == "id=pip,env=PIP_TOKEN");
  std::optional<BuildSecret> file = ParseBuildSecret("src=secrets/npmrc,id=npm.rc", &error);
  REQUIRE(file);
  CHECK(file->ToDockerArg("../") == "id=npm.rc,src=../secrets/npmrc");
}

TEST_CASE("build secrets: what is refused and why") {
  struct Case {
    const char* text;
    const char* error;
  };
  for (const Case& c :
       {Case{"env=X", "needs id=ID"}, Case{"id=a,env=X,src=f", "exactly one of"}, Case{"id=a", "exactly one of"},
        Case{"id=a b,env=X", "must be letters"}, Case{"id=a,env=1X", "not a variable name"},
        Case{"id=a,env=$(touch x)", "not a variable name"},
        Case{"id=a,src=/etc/shadow", "relative to the repository root"},
        Case{"id=a,src=../../etc/shadow", "without '..'"}, Case{"id=a,type=env,env=X", "'type' is not a field"},
        Case{"id=a,id=b,env=X", "given twice"}, Case{"id=,env=X", "has no value"}}) {
    CAPTURE(c.text);
    std::string error;
    CHECK_FALSE(ParseBuildSecret(c.text, &error));
    CHECK(error.find(c.error) != std::string::npos);
  }
}

}  // namespace dhg::spec
