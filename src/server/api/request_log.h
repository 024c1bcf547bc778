// Request ids and the access log. Every HTTP request gets an id: the client's (or the
// load balancer's) X-Request-Id when it is 1-64 characters of [A-Za-z0-9._-], otherwise a
// new one ("<8 hex digits of this process>-<16 random hex digits>"). The answer carries it back in
// X-Request-Id, and one info line records the request:
//   http req=3fa2c1d0-1f method=GET path=/api/v1/conversations status=200 ms=1.8 from=127.0.0.1
// with error=<code> on error answers. The path is logged without its query string (signed
// media links carry their signature there); no header, body, token or message text is.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "server/api/transport.h"

namespace parley::api {

class RequestLog {
 public:
  RequestLog();

  // The id of a request whose X-Request-Id header was `offered` (may be empty).
  std::string request_id(std::string_view offered);

  // What one logged request remembers until it is answered.
  struct Entry {
    std::string id;
    std::string method;
    std::string path;
    std::string remote_address;
    std::chrono::steady_clock::time_point started;
  };
  Entry begin(const HttpRequest& request);

  // Adds the X-Request-Id header to `response` and writes the access line.
  static void finish(const Entry& entry, HttpResponse& response);

  // Whether `offered` may be used as a request id as it is.
  static bool acceptable(std::string_view offered);

 private:
  std::string prefix_;  // random per process, so ids of several nodes do not collide
};

}  // namespace parley::api
