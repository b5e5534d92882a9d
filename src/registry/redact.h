// The client's last guard for secrets: every password, identity token,
// Basic credential and bearer token it has held is replaced in its messages
// and log lines, whatever a registry echoes back. (They are never put into a
// message in the first place; this catches what a server might repeat.)
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace dhg::registry {

class Redactor {
 public:
  // Secrets shorter than kMinLength are not searched for: they would mask
  // ordinary words of a message.
  static constexpr size_t kMinLength = 3;
  void Add(std::string_view secret);
  std::string Apply(std::string_view text) const;

 private:
  std::vector<std::string> secrets_;  // longest first, so a secret inside another goes with it
};

}  // namespace dhg::registry
