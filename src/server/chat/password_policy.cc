#include "server/chat/password_policy.h"

#include <string>
#include <unordered_set>

namespace parley::chat {

// The contents of common_passwords.txt, one lower-case password per line; embedded into
// the binary at build time (CMakeLists.txt), so a deployment cannot lose it.
extern const char kCommonPasswords[];

namespace {

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool is_space(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

const std::unordered_set<std::string_view>& common_passwords() {
  static const std::unordered_set<std::string_view> set = [] {
    std::unordered_set<std::string_view> s;
    std::string_view all(kCommonPasswords);
    while (!all.empty()) {
      std::size_t end = all.find('\n');
      std::string_view line = all.substr(0, end);
      if (!line.empty()) s.insert(line);
      if (end == std::string_view::npos) break;
      all.remove_prefix(end + 1);
    }
    return s;
  }();
  return set;
}

Error weak(std::string message) { return Error::make(Errc::kWeakPassword, std::move(message)); }

}  // namespace

Status check_password_strength(std::string_view password, std::string_view username) {
  bool blank = true;
  for (unsigned char c : password) blank = blank && is_space(c);
  if (blank) return weak("the password must not be only spaces");
  const std::string lower = ascii_lower(password);
  if (lower == ascii_lower(username)) return weak("the password must not be the username");
  if (common_passwords().count(lower))
    return weak("this password is one of the most common ones; choose another");
  return {};
}

}  // namespace parley::chat
