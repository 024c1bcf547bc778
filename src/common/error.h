// Error codes shared by every layer. The values are the protocol's error codes
// (docs/protocol.md, "Errors"): what a client sees is exactly what the code says.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace parley {

enum class Errc {
  kBadRequest,
  kInvalidArgument,
  kInvalidUtf8,
  kMessageTooLong,
  kWeakPassword,  // a password on the common-password list, blank, or the username
  kUnauthenticated,
  kInvalidCredentials,
  kAccountDisabled,  // the right password for an account an operator disabled
  kAccountDeleted,   // the other user of a direct conversation deleted their account
  kForbidden,
  kNotFound,
  kMethodNotAllowed,
  kUsernameTaken,
  kGroupFull,
  kWindowExpired,
  kConflict,  // a call that is no longer in the state the request needs (docs/protocol.md, "Calls")
  kPayloadTooLarge,
  kUnsupportedMedia,  // an upload that is not an image type the server decodes
  kCorruptMedia,      // an image that fails to decode
  kImageTooLarge,     // an image whose dimensions exceed the pixel limits
  kUnsupportedContentType,  // a request body that is not declared application/json
  kRateLimited,
  kInternal,
  kUnavailable,
};

// The wire name of a code, e.g. "message_too_long".
std::string_view errc_name(Errc code);

// The HTTP status that carries a code, e.g. 400.
int errc_http_status(Errc code);

// An expected failure: a code for programs and a sentence for people.
// `retry_after_ms` is set only for kRateLimited. `user_ids` is set only for a kForbidden
// group change: the users who may not be added by the one asking (sent as "user_ids").
// `call_json` is set only for kConflict on a call.
struct Error {
  Errc code = Errc::kInternal;
  std::string message;
  long long retry_after_ms = 0;
  std::vector<long long> user_ids;
  // Set only for kConflict on a call: the call as it is now, as compact JSON (sent as "call").
  std::string call_json;

  static Error make(Errc code, std::string message) {
    Error e;
    e.code = code;
    e.message = std::move(message);
    return e;
  }
};

}  // namespace parley
