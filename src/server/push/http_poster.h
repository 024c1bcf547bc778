// The one thing push delivery needs from the network: POST a body to a URL and hear what
// came back. Kept free of Beast so the delivery logic compiles (and is tested) without it;
// https_client.h is the implementation.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace parley::push {

struct HttpPost {
  std::string url;  // absolute http:// or https:// URL
  // The URL came from a client (a Web Push endpoint): connect only to public addresses, never
  // to loopback, private, link-local or other special ranges (no requests into the server's
  // own network on a client's say-so), unless the client allows them for tests.
  bool public_only = false;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct HttpAnswer {
  int status = 0;     // the HTTP status; 0: no answer (resolve, connect, TLS, timeout, bad URL)
  std::string body;   // at most 64 KiB are read
  std::string error;  // with status 0: what went wrong, for the log
};

class HttpPoster {
 public:
  virtual ~HttpPoster() = default;
  // Sends the request and calls `done` once, from any thread, with the answer (`done` may
  // run before post() returns: do not hold a lock `done` takes while calling). Thread-safe.
  virtual void post(HttpPost request, std::function<void(HttpAnswer)> done) = 0;
};

}  // namespace parley::push
