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
#include <utility>
#include <vector>

#include "common/error.h"
#include "common/result.h"

namespace parley::api {

struct HttpRequest {
  std::string method;          // "GET", "POST", ...
  std::string path;            // "/api/v1/conversations/7/messages" (not decoded)
  std::string query;           // "before=10&limit=20" (not decoded), without '?'
  std::string authorization;   // the Authorization header, or empty
  std::string body;
  std::string remote_address;  // the peer's IP address, for per-address rate limits
  std::string range;           // the Range header, or empty
  std::string if_none_match;   // the If-None-Match header, or empty
  std::string content_type;    // the Content-Type header, or empty
  std::string origin;          // the Origin header, or empty (not sent by native clients)
  std::string host;            // the Host header, or empty
  std::string request_id;      // the X-Request-Id header, or empty (request_log.h)
  bool tls = false;            // arrived over TLS
  uint16_t local_port = 0;     // the listening port it arrived on
};

// Bytes a response streams instead of holding them in `body` (a stored image). net/
// reads it in chunks while writing, on the connection's strand.
class BodySource {
 public:
  virtual ~BodySource() = default;
  virtual uint64_t size() const = 0;
  // Up to n bytes at offset; 0 only at the end. Errors: kInternal.
  virtual Result<std::size_t> read(uint64_t offset, char* out, std::size_t n) = 0;
};

struct HttpResponse {
  int status = 200;
  std::string body;            // JSON
  int64_t retry_after_s = 0;   // > 0: send a Retry-After header
  std::optional<Errc> error;   // set on error answers (for metrics)
  std::string content_type;    // empty: application/json
  std::vector<std::pair<std::string, std::string>> headers;  // extra or overriding headers
  // When set, the body is `stream_length` bytes of `stream` from `stream_offset`.
  std::shared_ptr<BodySource> stream;
  uint64_t stream_offset = 0;
  uint64_t stream_length = 0;
};

// The body of a streamed upload, fed by net/ chunk by chunk on the connection's strand.
// Destroying it before Api::finish_upload discards everything received.
class UploadSink {
 public:
  virtual ~UploadSink() = default;
  // Errors: kPayloadTooLarge (past the upload limit), kInternal.
  virtual Status write(std::string_view bytes) = 0;
};

// Called exactly once per request, from any thread.
using HttpDone = std::function<void(HttpResponse)>;

// One upgraded WebSocket connection, implemented by net/. Thread-safe.
class WsConnection {
 public:
  virtual ~WsConnection() = default;
  // Unique for the process lifetime.
  virtual uint64_t id() const = 0;
  // Queues a text frame. If the bounded queue overflows (docs/protocol.md: 1,024 frames
  // or 8 MiB), or the server-wide budget of queued bytes is full and this connection holds
  // the most, the connection is cut (TCP closed).
  virtual void send(std::shared_ptr<const std::string> frame) = 0;
  // send() for an event (a frame from the bus rather than an answer): the same, and the
  // time from this call to its last byte written is observed in
  // Metrics::event_delivery_seconds.
  virtual void send_event(std::shared_ptr<const std::string> frame) = 0;
  // Closes with `code` after the frames queued so far.
  virtual void close(uint16_t code, std::string reason) = 0;
  // Runs `fn` on the connection's strand (where WsHandler calls happen).
  virtual void post(std::function<void()> fn) = 0;
  // The device has authenticated: the connection is no longer one that may be shed to make
  // room for new ones (docs/protocol.md, "Connection limits"). Call on the strand.
  virtual void on_authenticated() = 0;
  // Bytes queued for the client and not yet written (0 once the connection is cut). A
  // reply to a connection holding a lot would only grow it: see WsChannel.
  virtual std::size_t queued_bytes() const = 0;
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
