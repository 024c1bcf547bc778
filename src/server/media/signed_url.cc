#include "server/media/signed_url.h"

#include <sodium.h>

#include "common/hex.h"

namespace parley::media {
namespace {

// Newline-separated, and no field can hold a newline (ids are hex, the variant is one
// of two words, numbers are digits), so two different requests never sign the same text.
std::string message(const SignedRequest& r) {
  return r.media_id + "\n" + r.variant + "\n" + std::to_string(r.user_id) + "\n" +
         std::to_string(r.expires_s);
}

}  // namespace

std::string sign(const SigningKey& key, const SignedRequest& request) {
  std::string text = message(request);
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, key.data(), key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(text.data()),
                                text.size());
  crypto_auth_hmacsha256_final(&state, mac);
  return to_hex(mac);
}

std::string signed_path(const SigningKey& key, const SignedRequest& request) {
  return "/media/" + request.media_id + "/" + request.variant + "?u=" +
         std::to_string(request.user_id) + "&e=" + std::to_string(request.expires_s) +
         "&s=" + sign(key, request);
}

bool verify(const SigningKey& key, const SignedRequest& request, std::string_view signature,
            int64_t now_s) {
  std::string expected = sign(key, request);
  if (signature.size() != expected.size()) return false;
  if (sodium_memcmp(expected.data(), signature.data(), expected.size()) != 0) return false;
  return now_s < request.expires_s;
}

bool parse_key(std::string_view text, SigningKey& key) {
  if (text.size() != key.size() * 2) return false;
  size_t n = 0;
  if (sodium_hex2bin(key.data(), key.size(), text.data(), text.size(), nullptr, &n, nullptr) != 0)
    return false;
  return n == key.size();
}

}  // namespace parley::media
