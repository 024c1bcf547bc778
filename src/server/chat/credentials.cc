#include "server/chat/credentials.h"

#include <sodium.h>

#include <stdexcept>

namespace parley::chat {

namespace {
constexpr unsigned long long kOpsLimit = 2;
constexpr std::size_t kMemLimit = 19u * 1024u * 1024u;
}  // namespace

void init_crypto() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

Result<std::string> hash_password(std::string_view password, HashStrength strength) {
  char out[crypto_pwhash_STRBYTES];
  unsigned long long ops = kOpsLimit;
  std::size_t mem = kMemLimit;
  if (strength == HashStrength::kBenchmark) {
    ops = crypto_pwhash_OPSLIMIT_MIN;
    mem = crypto_pwhash_MEMLIMIT_MIN;
  }
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), ops, mem,
                            crypto_pwhash_ALG_ARGON2ID13) != 0)
    return Error::make(Errc::kInternal, "out of memory while hashing a password");
  return std::string(out);
}

bool verify_password(std::string_view encoded, std::string_view password) {
  std::string z(encoded);  // libsodium wants a NUL-terminated string
  return crypto_pwhash_str_verify(z.c_str(), password.data(), password.size()) == 0;
}

void burn_verify_time(std::string_view password) {
  static const std::string dummy = [] {
    auto h = hash_password("parley-timing-equaliser");
    return h ? h.value() : std::string();
  }();
  (void)verify_password(dummy, password);
}

std::string new_token() {
  unsigned char raw[32];
  randombytes_buf(raw, sizeof raw);
  char out[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(out, sizeof out, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return std::string(out);
}

std::string token_hash(std::string_view token) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(token.data()), token.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return std::string(hex);
}

}  // namespace parley::chat
