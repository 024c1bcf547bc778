// Short-lived signed download links, so that <img> tags and CDNs can fetch an image
// without the session token.
//
// A link names the upload, the variant, the user it was issued to and its expiry; the
// signature is HMAC-SHA256 over exactly those, with a server key:
//   /media/{media_id}/{variant}?u={user_id}&e={expires_s}&s={hex signature}
// The server re-checks on every fetch that the user may still see the upload, so a link
// stops working when its message is deleted or the user leaves, not only at expiry.
// Pure; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace parley::media {

using SigningKey = std::array<unsigned char, 32>;

struct SignedRequest {
  std::string media_id;
  std::string variant;  // "full" | "thumbnail"
  int64_t user_id = 0;
  int64_t expires_s = 0;  // Unix seconds
};

// The path and query of a link for `request`.
std::string signed_path(const SigningKey& key, const SignedRequest& request);

// The hex signature of `request`.
std::string sign(const SigningKey& key, const SignedRequest& request);

// True when `signature` (hex) is the signature of `request` and now_s < expires_s.
// Compares in constant time.
bool verify(const SigningKey& key, const SignedRequest& request, std::string_view signature,
            int64_t now_s);

// Parses a key of 64 hex digits. False when it is not one.
bool parse_key(std::string_view hex, SigningKey& key);

}  // namespace parley::media
