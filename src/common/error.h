// Error codes shared by every layer. The values are the protocol's error codes
// (docs/protocol.md, "Errors"): what a client sees is exactly what the code says.
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace parley {

enum class Errc {
  kBadRequest,
  kInvalidArgument,
  kInvalidUtf8,
  kMessageTooLong,
  kUnauthenticated,
  kInvalidCredentials,
  kForbidden,
  kNotFound,
  kMethodNotAllowed,
  kUsernameTaken,
  kGroupFull,
  kWindowExpired,
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
// `retry_after_ms` is set only for kRateLimited.
struct Error {
  Errc code = Errc::kInternal;
  std::string message;
  long long retry_after_ms = 0;

  static Error make(Errc code, std::string message) { return Error{code, std::move(message), 0}; }
};

}  // namespace parley
