// Which passwords may be chosen, after NIST SP 800-63B (5.1.1.2): besides the length
// rule (protocol::validate_password), a new password must not be one that attackers try
// first. Thread-safe; the list is read into memory once, on first use.
#pragma once

#include <string_view>

#include "common/result.h"

namespace parley::chat {

// kWeakPassword when `password` is made only of whitespace, equals `username` (ignoring
// ASCII case), or is on the common-password list (common_passwords.txt: a few thousand of
// the passwords that top the published breach lists, compared ignoring ASCII case).
// Ok otherwise. Call after the length check.
[[nodiscard]] Status check_password_strength(std::string_view password, std::string_view username);

}  // namespace parley::chat
