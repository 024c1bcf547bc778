#include "common/error.h"

namespace parley {

std::string_view errc_name(Errc code) {
  switch (code) {
    case Errc::kBadRequest: return "bad_request";
    case Errc::kInvalidArgument: return "invalid_argument";
    case Errc::kInvalidUtf8: return "invalid_utf8";
    case Errc::kMessageTooLong: return "message_too_long";
    case Errc::kWeakPassword: return "weak_password";
    case Errc::kUnauthenticated: return "unauthenticated";
    case Errc::kInvalidCredentials: return "invalid_credentials";
    case Errc::kAccountDisabled: return "account_disabled";
    case Errc::kAccountDeleted: return "account_deleted";
    case Errc::kForbidden: return "forbidden";
    case Errc::kNotFound: return "not_found";
    case Errc::kMethodNotAllowed: return "method_not_allowed";
    case Errc::kUsernameTaken: return "username_taken";
    case Errc::kGroupFull: return "group_full";
    case Errc::kWindowExpired: return "window_expired";
    case Errc::kConflict: return "conflict";
    case Errc::kPayloadTooLarge: return "payload_too_large";
    case Errc::kUnsupportedMedia: return "unsupported_media";
    case Errc::kCorruptMedia: return "corrupt_media";
    case Errc::kImageTooLarge: return "image_too_large";
    case Errc::kUnsupportedContentType: return "unsupported_content_type";
    case Errc::kRateLimited: return "rate_limited";
    case Errc::kInternal: return "internal";
    case Errc::kUnavailable: return "unavailable";
  }
  return "internal";
}

int errc_http_status(Errc code) {
  switch (code) {
    case Errc::kBadRequest:
    case Errc::kInvalidArgument:
    case Errc::kInvalidUtf8:
    case Errc::kMessageTooLong:
    case Errc::kWeakPassword: return 400;
    case Errc::kUnauthenticated:
    case Errc::kInvalidCredentials: return 401;
    case Errc::kForbidden:
    case Errc::kAccountDisabled: return 403;
    case Errc::kNotFound: return 404;
    case Errc::kAccountDeleted: return 410;
    case Errc::kMethodNotAllowed: return 405;
    case Errc::kUsernameTaken:
    case Errc::kGroupFull: return 409;
    case Errc::kWindowExpired: return 403;
    case Errc::kConflict: return 409;
    case Errc::kPayloadTooLarge: return 413;
    case Errc::kUnsupportedMedia:
    case Errc::kUnsupportedContentType: return 415;
    case Errc::kCorruptMedia:
    case Errc::kImageTooLarge: return 422;
    case Errc::kRateLimited: return 429;
    case Errc::kInternal: return 500;
    case Errc::kUnavailable: return 503;
  }
  return 500;
}

}  // namespace parley
