// base64url without padding (RFC 4648 section 5), the encoding Web Push uses for keys,
// subscription secrets and JWT segments.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace parley::push {

// Encodes bytes; never fails.
std::string base64url_encode(std::string_view bytes);

// Decodes base64url with or without '=' padding; nullopt for any other character, a
// length no encoding produces, or non-zero trailing bits.
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace parley::push
