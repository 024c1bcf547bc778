// The ICE servers a client's WebRTC peer connection uses for a call (docs/protocol.md, "ICE
// servers"): the STUN urls as configured, and the TURN urls with short-lived credentials in
// coturn's `use-auth-secret` scheme (the "TURN REST API"): the username is
// "<expiry, unix seconds>:<user id>" and the credential base64(HMAC-SHA1(secret, username)),
// so coturn checks them with the shared secret alone, and they stop working at the expiry.
// Pure (OpenSSL's HMAC); thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "common/result.h"

namespace parley::api {

struct IceConfig {
  std::vector<std::string> stun_urls;  // stun: / stuns:
  std::vector<std::string> turn_urls;  // turn: / turns:; need `secret`
  std::string secret;                  // coturn's static-auth-secret
  int64_t ttl_s = 3600;                // how long TURN credentials (and the list) are good
};

// Errors (kInvalidArgument, naming the option): a STUN url not stun:/stuns:, a TURN url not
// turn:/turns:, TURN urls without a secret.
[[nodiscard]] Status validate(const IceConfig& config);

// base64(HMAC-SHA1(secret, username)): the TURN credential of a username.
std::string turn_credential(std::string_view secret, std::string_view username);

// The answer of `ice_servers` for `user_id` at `now_s` (unix seconds):
// {"ice_servers": [{"urls": [...]}, {"urls": [...], "username": .., "credential": ..}], "ttl_s": N}
// (each entry only when configured: with neither, an empty list).
boost::json::object ice_servers_json(const IceConfig& config, int64_t user_id, int64_t now_s);

}  // namespace parley::api
