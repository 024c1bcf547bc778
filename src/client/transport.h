// The client side of the wire: one-shot HTTP requests and one WebSocket connection, over
// TCP or TLS (https:// servers, certificates verified). Beast stays inside transport.cc; this header needs only Asio's
// core. Everything here runs on the io_context's single thread and calls back on it.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>

#include "common/result.h"

namespace parley::client {

// Where the server is. With `tls`, connections use TLS 1.2+ and verify the server's
// certificate chain (against the system's trusted roots, or only against the PEM file
// `ca_file` when it is set) and that the certificate names `host`.
struct Endpoint {
  std::string host;
  std::string port;
  bool tls = false;
  std::string ca_file;
};

// "http://HOST[:PORT]" (port 80 by default) or "https://HOST[:PORT]" (443); a trailing "/"
// is allowed, nothing else after the port. kInvalidArgument otherwise.
Result<Endpoint> parse_server_url(std::string_view url);

struct HttpAnswer {
  int status = 0;
  std::string body;
};

// Sends one request on a new connection (Content-Type application/json when `body` is not
// empty; `Authorization: Bearer token` when `token` is not empty) and calls `done` once with
// the answer, whatever its status, or kUnavailable when the server could not be reached, its
// certificate was not trusted, or it did not answer within 30 s.
void http_request(boost::asio::io_context& io, const Endpoint& server, std::string method,
                  std::string target, std::string token, std::string body,
                  std::function<void(Result<HttpAnswer>)> done);

// Like http_request, a POST of raw bytes (Content-Type application/octet-stream), calling
// `progress(sent, total)` as body bytes are written (after every 64 KiB and at the end).
void http_upload(boost::asio::io_context& io, const Endpoint& server, std::string target,
                 std::string token, std::string bytes, std::function<void(size_t sent, size_t total)> progress,
                 std::function<void(Result<HttpAnswer>)> done);

// One WebSocket to /api/v1/ws, authenticated by the `Authorization` header.
// Frames are sent in order through an internal queue (its size is bounded by the caller: the
// core keeps few requests in flight). `on_open` is called once the upgrade succeeded (the
// server's `ready` is the first frame); `on_frame` for each text frame; `on_closed` exactly
// once, with the WebSocket close code (0 when the connection failed or dropped without one),
// after which no other callback comes. close() is idempotent.
class WsConnection {
 public:
  struct Handlers {
    std::function<void()> on_open;
    std::function<void(std::string frame)> on_frame;
    std::function<void(int close_code, std::string reason)> on_closed;
  };

  static std::shared_ptr<WsConnection> connect(boost::asio::io_context& io, const Endpoint& server,
                                               std::string token, Handlers handlers);
  virtual ~WsConnection() = default;
  virtual void send(std::string frame) = 0;
  virtual void close() = 0;
};

}  // namespace parley::client
