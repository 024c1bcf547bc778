// Passwords and session tokens. Passwords are hashed with argon2id (libsodium,
// t=2, m=19 MiB: OWASP's minimum). Tokens are 256 random bits, shown to the client once;
// the server stores only their SHA-256. Thread-safe. Hashing takes tens of milliseconds
// and 19 MiB: call it from a worker thread, never from an I/O thread.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace parley::chat {

// Initialises libsodium; call once at start-up (throws if it cannot, a start-up failure).
void init_crypto();

// Work factor for password hashing. kBenchmark exists only for provisioning benchmark
// accounts in bulk (parleyd's bench provisioning) and is never used for real users.
enum class HashStrength { kInteractive, kBenchmark };

Result<std::string> hash_password(std::string_view password,
                                  HashStrength strength = HashStrength::kInteractive);

// True when `password` matches `encoded`. Never throws.
bool verify_password(std::string_view encoded, std::string_view password);

// Spends the same time as a real verification, so that an unknown username cannot be told
// from a wrong password by timing.
void burn_verify_time(std::string_view password);

// A new random session token: 43 characters of base64url (256 bits).
std::string new_token();

// Lower-case hex SHA-256 of a token, as stored.
std::string token_hash(std::string_view token);

}  // namespace parley::chat
