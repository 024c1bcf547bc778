// Request/answer over one WsConn, one request at a time: call() sends a frame carrying
// "id": <id> and resumes when the frame with the same id arrives (or the timeout passes).
// Frames that are not the awaited answer go to the event callback.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/json/value.hpp>

#include "common/result.h"
#include "net.h"

namespace bench {

class Rpc {
 public:
  using OnEvent = std::function<void(const boost::json::object& frame)>;
  Rpc(std::shared_ptr<WsConn> conn, OnEvent on_event);
  ~Rpc();  // detaches from the connection, which may outlive it
  Rpc(const Rpc&) = delete;
  Rpc& operator=(const Rpc&) = delete;
  // Starts the connection's read loop; on_close gets the reason of an unexpected close
  // (it is not called after the Rpc is destroyed).
  void start(std::function<void(const std::string&)> on_close);
  // `frame_without_id` is a JSON object text without "id"; the id is added here.
  // Error frames come back as errors (with the server's code and message).
  asio::awaitable<parley::Result<boost::json::object>> call(std::string frame_without_id, std::chrono::nanoseconds timeout);
  WsConn& conn() { return *conn_; }

 private:
  void on_frame(std::string_view f);

  std::shared_ptr<WsConn> conn_;
  OnEvent on_event_;
  int64_t next_id_ = 1;
  int64_t awaited_ = 0;
  std::optional<boost::json::object> answer_;
  std::unique_ptr<asio::steady_timer> timer_;
};

// The common setup call: HTTP with retries on 429/5xx; the JSON body of a 2xx answer.
asio::awaitable<parley::Result<boost::json::value>> http_call(HttpClient& http, std::string_view method, std::string path,
                                                             std::string body, std::string token);

}  // namespace bench
