#include "steps/registry_access.h"

#include <doctest/doctest.h>

namespace dhg::steps {

TEST_CASE("an image's page data from its config: labels, creation, history newest first with layer sizes") {
  // As a registry serves a config (docker's image config, OCI's too).
  std::string config = R"({"created":"2026-01-03T00:00:00Z","config":{"Labels":{"io.datahub-gen.commit":"abc"}},
    "history":[{"created":"2026-01-01T00:00:00Z","created_by":"ADD rootfs.tar /"},
               {"created":"2026-01-02T00:00:00Z","created_by":"ENV A=b","empty_layer":true},
               {"created":"2026-01-03T00:00:00Z","created_by":"RUN make","comment":"buildkit"}]})";
  std::optional<RemoteImage> image = RemoteImageOf("sha256:c0nf", config, {1000, 2000});
  REQUIRE(image);
  CHECK(image->id == "sha256:c0nf");
  CHECK(image->created == "2026-01-03T00:00:00Z");
  CHECK(image->labels.at("io.datahub-gen.commit") == "abc");
  REQUIRE(image->layers.size() == 3);
  CHECK(image->layers[0].created_by == "RUN make");
  CHECK(image->layers[0].size_bytes == 2000);
  CHECK(image->layers[0].comment == "buildkit");
  CHECK(image->layers[1].size_bytes == 0);  // an empty layer takes no layer's size
  CHECK(image->layers[2].size_bytes == 1000);
  CHECK_FALSE(RemoteImageOf("sha256:x", "not json", {}));
}

}  // namespace dhg::steps
