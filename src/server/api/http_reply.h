// Building HTTP answers (internal to api/).
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "server/api/transport.h"
#include "server/api/wire.h"

namespace parley::api {

inline HttpResponse json_response(int status, const boost::json::object& body) {
  return HttpResponse{status, boost::json::serialize(body), 0, std::nullopt};
}

inline HttpResponse error_response(const Error& e) {
  HttpResponse r{errc_http_status(e.code), wire::error_body(e), 0, e.code};
  if (e.code == Errc::kRateLimited) r.retry_after_s = std::max<int64_t>(1, (e.retry_after_ms + 999) / 1000);
  return r;
}

// The token of an "Authorization: Bearer <token>" header, or empty.
inline std::string bearer_token(std::string_view authorization) {
  constexpr std::string_view kPrefix = "Bearer ";
  if (authorization.size() > kPrefix.size() && authorization.substr(0, kPrefix.size()) == kPrefix)
    return std::string(authorization.substr(kPrefix.size()));
  return {};
}

inline Error method_not_allowed() {
  return Error::make(Errc::kMethodNotAllowed, "this route does not take that method");
}

}  // namespace parley::api
