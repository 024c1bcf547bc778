// The client side of the wire: event-loop threads (Shard/Runtime), a keep-alive HTTP/1.1
// client for setup calls, and WsConn, one WebSocket connection with a read loop and a
// write queue. Beast stays inside net.cc; this header needs only Asio's core.
//
// Threading: a WsConn or HttpClient belongs to one Shard and is used only on its thread.
// Its callbacks run on that thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/value.hpp>

#include "common/result.h"
#include "stats.h"

namespace bench {

namespace asio = boost::asio;
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

// Monotonic clock (CLOCK_MONOTONIC: the same in every process of the machine), in ns.
inline uint64_t now_ns() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
}

parley::Error make_error(std::string message);

struct Target {
  std::string host;    // numeric IPv4 address of parleyd
  uint16_t port = 0;
  std::string source;  // local address to bind, or empty
};

// One event-loop thread and what it measured.
struct Shard {
  int index = 0;
  asio::io_context io{1};
  Stats stats;
};

// `threads` shards, each running its io_context on its own thread until destruction.
class Runtime {
 public:
  explicit Runtime(int threads);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  std::vector<std::unique_ptr<Shard>>& shards() { return shards_; }
  Shard& shard_for(std::size_t i) { return *shards_[i % shards_.size()]; }
  // Runs fn(shard) as a coroutine on every shard; blocks until all of them returned.
  void run_all(const std::function<asio::awaitable<void>(Shard&)>& fn);
  // Merges every shard's stats.
  Stats merged_stats() const;

 private:
  std::vector<std::unique_ptr<Shard>> shards_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards_;
  std::vector<std::thread> threads_;
};

// Counts outstanding child coroutines of one shard; wait() resumes when none is left.
class WaitGroup {
 public:
  explicit WaitGroup(asio::any_io_executor ex) : timer_(ex, asio::steady_timer::time_point::max()) {}
  void add(int n = 1) { n_ += n; }
  void done() {
    if (--n_ == 0) timer_.cancel();
  }
  asio::awaitable<void> wait() {
    while (n_ > 0) {
      timer_.expires_at(asio::steady_timer::time_point::max());
      co_await timer_.async_wait(kAwait);
    }
  }

 private:
  int n_ = 0;
  asio::steady_timer timer_;
};

// Runs fn(i) for every i in [0, n) with at most `concurrency` running at once; on the
// calling coroutine's executor.
asio::awaitable<void> parallel_for(std::size_t n, int concurrency, std::function<asio::awaitable<void>(std::size_t)> fn);

// Sleeps on the current executor.
asio::awaitable<void> sleep_for(std::chrono::nanoseconds d);

struct HttpReply {
  int status = 0;
  boost::json::value body;  // null when the body was not JSON
};

// One keep-alive HTTP/1.1 connection; reconnects when the server closed it.
class HttpClient {
 public:
  HttpClient(asio::any_io_executor ex, Target target);
  ~HttpClient();
  asio::awaitable<parley::Result<HttpReply>> request(std::string_view method, std::string target, std::string body,
                                                     std::string token);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Where a WebSocket of another server (a benchmark peer such as ejabberd) is upgraded:
// the request target and the subprotocol asked for in Sec-WebSocket-Protocol.
struct WsEndpoint {
  std::string path;
  std::string subprotocol;
};

// One WebSocket connection: to parleyd's /api/v1/ws (make), or to a peer's endpoint
// (make_plain), where the connection carries that server's protocol as text frames.
class WsConn : public std::enable_shared_from_this<WsConn> {
 public:
  using OnFrame = std::function<void(std::string_view frame)>;
  using OnClose = std::function<void(const std::string& why)>;

  static std::shared_ptr<WsConn> make(asio::any_io_executor ex, Target target);
  static std::shared_ptr<WsConn> make_plain(asio::any_io_executor ex, Target target, WsEndpoint endpoint);
  virtual ~WsConn() = default;

  // TCP connect (bounded by `timeout`), upgrade with `Authorization: Bearer token`, then
  // reads the first frame, which must be `ready`; returns it. A make_plain connection
  // ignores `token`, fails when the server does not accept the subprotocol, reads nothing
  // and returns null.
  virtual asio::awaitable<parley::Result<boost::json::value>> connect(std::string token,
                                                                    std::chrono::milliseconds timeout) = 0;
  // Starts the read loop. on_close runs once, when the connection ends for any reason
  // (`why` is empty after a close() of ours).
  virtual void start(OnFrame on_frame, OnClose on_close) = 0;
  virtual void send(std::string frame) = 0;  // queued; dropped when not open
  virtual void close() = 0;                  // close handshake after the queued frames
  virtual bool open() const = 0;
  virtual std::size_t queued() const = 0;
  // Drops the callbacks given to start(): after it, nothing of the caller is touched.
  virtual void detach() = 0;
};

}  // namespace bench
