// The boundary between the network layer (net/, the only code that knows Beast and Asio)
// and the API layer. net/ turns bytes into these structs and calls the Api; the Api
// answers through callbacks and the WsConnection interface.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"

namespace parley::api {

struct HttpRequest {
  std::string method;          // "GET", "POST", ...
  std::string path;            // "/api/v1/conversations/7/messages" (not decoded)
  std::string query;           // "before=10&limit=20" (not decoded), without '?'
  std::string authorization;   // the Authorization header, or empty
  std::string body;
  std::string remote_address;  // the peer's IP address, for per-address rate limits
};

struct HttpResponse {
  int status = 200;
  std::string body;            // JSON
  int64_t retry_after_s = 0;   // > 0: send a Retry-After header
  std::optional<Errc> error;   // set on error answers (for metrics)
};

// Called exactly once per request, from any thread.
using HttpDone = std::function<void(HttpResponse)>;

// One upgraded WebSocket connection, implemented by net/. Thread-safe.
class WsConnection {
 public:
  virtual ~WsConnection() = default;
  // Unique for the process lifetime.
  virtual uint64_t id() const = 0;
  // Queues a text frame. If the bounded queue overflows the connection is closed
  // (docs/protocol.md: 1,024 frames or 8 MiB, close 4008).
  virtual void send(std::shared_ptr<const std::string> frame) = 0;
  // Closes with `code` after the frames queued so far.
  virtual void close(uint16_t code, std::string reason) = 0;
  // Runs `fn` on the connection's strand (where WsHandler calls happen).
  virtual void post(std::function<void()> fn) = 0;
};

// The API side of a connection. All calls happen on the connection's strand.
class WsHandler {
 public:
  virtual ~WsHandler() = default;
  virtual void on_text(std::string_view frame) = 0;
  // True once the device has authenticated (net/ closes with 4002 if not in time).
  virtual bool authenticated() const = 0;
  // The connection is gone; no further calls follow.
  virtual void on_close() = 0;
};

// Where blocking work runs (store reads, password hashing): never an I/O thread.
class Worker {
 public:
  virtual ~Worker() = default;
  virtual void post(std::function<void()> fn) = 0;
};

}  // namespace parley::api
