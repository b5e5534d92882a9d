// The labels every built image carries (README.md, "How tags are derived"): written by the generator
// into the build step's command, read back by the steps (reuse by key, what a
// stable tag pointed at) and by users (`docker inspect`).
#pragma once

namespace dhg::graph {

inline constexpr char kKeyLabel[] = "io.datahub-gen.key";        // the content key K
inline constexpr char kCommitLabel[] = "io.datahub-gen.commit";  // source commit C, or "dirty"
inline constexpr char kImageLabel[] = "io.datahub-gen.image";    // the image's key in spec.yml
inline constexpr char kPlanLabel[] = "io.datahub-gen.plan";
inline constexpr char kBaseLabel[] = "io.datahub-gen.base";  // the parent's repo:tag
inline constexpr char kRevisionLabel[] = "org.opencontainers.image.revision";
inline constexpr char kSourceLabel[] = "org.opencontainers.image.source";

}  // namespace dhg::graph
