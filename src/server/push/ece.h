// Web Push message encryption (RFC 8291) in the aes128gcm content coding (RFC 8188): the
// body a push service carries to a browser, which only the subscription's private key and
// auth secret can read. One record; the body's header carries the salt and the sender's
// ephemeral public key. Thread-safe (no shared state).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "server/push/p256.h"

namespace parley::push {

// The largest plaintext one push carries: push services accept 4,096-byte bodies, of which
// the header takes 86, the GCM tag 16 and the padding delimiter 1.
inline constexpr size_t kMaxPushPlaintext = 4096 - 86 - 16 - 1;

// The fixed inputs of one encryption. Production passes none (a fresh ephemeral key and a
// random salt per message, as RFC 8291 requires); tests pass RFC 8291 Appendix A's.
struct EceFixed {
  std::optional<P256Key> sender_key;  // the application server's ephemeral key pair
  std::optional<std::string> salt;    // 16 bytes
};

// The aes128gcm body encrypting `plaintext` to the subscription (`ua_public`: the 65-byte
// p256dh; `auth_secret`: its 16-byte auth). Errors: kInvalidArgument (bad keys or salt),
// kMessageTooLong (plaintext over kMaxPushPlaintext), kInternal (OpenSSL failed).
Result<std::string> encrypt_aes128gcm(std::string_view plaintext, std::string_view ua_public,
                                      std::string_view auth_secret, const EceFixed& fixed = {});

// HKDF-SHA256 (RFC 5869), extract and expand, `length` bytes. Errors: kInternal.
Result<std::string> hkdf_sha256(std::string_view salt, std::string_view ikm, std::string_view info, size_t length);

}  // namespace parley::push
