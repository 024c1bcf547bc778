// Building HTTP answers (internal to api/).
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "server/api/transport.h"
#include "server/api/wire.h"

namespace parley::api {

inline HttpResponse json_response(int status, const boost::json::object& body) {
  HttpResponse r;
  r.status = status;
  r.body = boost::json::serialize(body);
  return r;
}

inline HttpResponse error_response(const Error& e) {
  HttpResponse r;
  r.status = errc_http_status(e.code);
  r.body = wire::error_body(e);
  r.error = e.code;
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
