// One WebSocket connection (internal to net/; included only by ws_session_tcp.cc and
// ws_session_tls.cc, which instantiate start_ws_session for a plain socket and for TLS
// behind AnyStream).
//
// One strand (the socket's executor), one read loop, one write loop. Outgoing frames go
// through a bounded queue: when a client stops reading and the queue reaches
// options.ws_queue_max_frames frames or ws_queue_max_bytes bytes, the connection is cut
// (TCP closed: a close frame could not get past the unread data) and counted as a slow-
// client disconnect. Nobody else waits for it: publishers only enqueue.
//
// Every queued byte is also counted in the server-wide budget (options.ws_queued_bytes_budget,
// the metrics gauge ws_queued_bytes), which never goes over it: a frame that does not fit
// first cuts the connection holding the most queued bytes, this one included, until it fits.
//
// Incoming messages are limited to options.ws_frame_max_bytes. A larger one is read to its
// end and discarded (never held), then the connection is closed with 1009: closing while
// the client is still sending would make the TCP stack reset the connection and lose the
// close frame. Beyond kDiscardMaxBytes Beast refuses the frame at its header (best effort:
// the client may see 1006), so a hostile client cannot make the server read forever.
//
// Memory: an idle connection holds as little as the stream allows. The read buffer is
// allocated per message (a small first read, larger ones only while a long message arrives)
// and released once the message is handled; the write queue allocates only while frames
// wait; a plain TCP session keeps the bare socket (no timer-carrying beast::tcp_stream:
// the WebSocket stream has its own timeouts); permessage-deflate is compiled out (it is
// never negotiated); the authentication timer exists only until the client authenticates.
// Between messages a plain TCP session waits for readability on the bare socket, and starts
// Beast's read only when bytes arrive (see read_loop; TLS keeps a Beast read pending, since
// the TLS layer may hold decrypted bytes the socket's readability would not announce).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <chrono>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "server/net/await.h"
#include "server/net/frame_tracked_socket.h"
#include "server/net/send_batch.h"
#include "server/net/shared.h"
#include "server/net/ws_start.h"

namespace parley::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;

// The TCP socket under a session's stream: the stream itself for a bare socket, the
// socket of the beast::tcp_stream under TLS.
template <class Lowest>
auto& tcp_socket_of(Lowest& lowest) {
  if constexpr (requires { lowest.socket(); })
    return lowest.socket();
  else
    return lowest;
}

// The WebSocket stream's next layer: a plain socket is followed frame by frame, so that the
// read loop knows when Beast holds no unread byte (frame_tracked_socket.h); TLS (AnyStream)
// is used as it is.
template <class Stream>
struct WsNextLayer {
  using type = Stream;
};
template <>
struct WsNextLayer<asio::ip::tcp::socket> {
  using type = FrameTrackedSocket;
};

template <class Stream>
class WsSession final : public api::WsConnection,
                        public ClosableSession,
                        public BatchedConnection,
                        public std::enable_shared_from_this<WsSession<Stream>> {
 public:
  WsSession(Stream&& stream, Shared& shared, std::unique_ptr<ConnectionLimits::Ticket> ticket)
      : ws_(std::move(stream)),
        shared_(shared),
        id_(shared.next_connection_id.fetch_add(1)),
        ticket_(std::move(ticket)) {}

  auto executor() { return ws_.get_executor(); }

  // Completes the upgrade and starts serving the connection (read_loop). On the strand.
  asio::awaitable<void> run(http::request<http::string_body> req, std::string bearer_token) {
    auto self = this->shared_from_this();
    const ServerOptions& o = shared_.options;
    // Until it authenticates, the connection may be shed to make room for others.
    ticket_->set_idle(true);
    ticket_->set_closer([weak = this->weak_from_this()] {
      if (auto s = weak.lock()) asio::post(s->executor(), [s] { s->cut(); });
    });
    websocket::stream_base::timeout t{};
    t.handshake_timeout = std::chrono::seconds(10);
    t.idle_timeout = std::chrono::milliseconds(o.ws_idle_timeout_ms);
    t.keep_alive_pings = true;
    ws_.set_option(t);
    ws_.read_message_max(std::max<std::size_t>(kDiscardMaxBytes, o.ws_frame_max_bytes));
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "parleyd"); }));
    auto [ec] = co_await ws_.async_accept(req, kAwait);
    req = {};  // the upgrade request is not needed any more; free its headers
    if (ec) co_return;

    shared_.metrics->ws_connections.add(1);
    shared_.metrics->ws_connections_total.add();
    shared_.registry.add(id_, self);
    auth_timer_ = std::make_unique<asio::steady_timer>(ws_.get_executor());
    handler_ = shared_.api->open_ws(self, std::move(bearer_token));
    auth_timer_->expires_after(std::chrono::milliseconds(o.ws_auth_timeout_ms));
    auth_timer_->async_wait([self](beast::error_code e) {
      if (!e && !self->closing_ && !self->handler_->authenticated())
        self->begin_close(4002, "authentication timeout");
    });

    // The read loop runs as its own coroutine, so that this frame (the upgrade request,
    // the handshake's state) is freed now instead of living as long as the connection.
    asio::co_spawn(ws_.get_executor(), read_loop(false), asio::detached);
  }

  // Reads and handles messages until the connection ends, then unregisters it (ended()). On
  // a plain connection it also returns between messages, once Beast holds no unread byte,
  // leaving only a wait for the socket to become readable (wait_readable), which starts it
  // again (`woken`: bytes arrived, read them through Beast first). On the strand.
  asio::awaitable<void> read_loop(bool woken) {
    auto self = this->shared_from_this();
    const ServerOptions& o = shared_.options;
    std::string message;            // the message being read; no allocation between messages
    std::size_t message_bytes = 0;  // of the message being read
    bool oversized = false;         // the message being read is over the limit: discard it
    for (;; woken = false) {
      if constexpr (std::is_same_v<Stream, asio::ip::tcp::socket>) {
        if (!woken && message_bytes == 0 && ws_.next_layer().drained(messages_read_)) {
          wait_readable();
          co_return;
        }
      }
      // Waiting for a message (most of a connection's life), only a small buffer is
      // allocated; the rest of a longer message is read in chunks that double the buffer,
      // up to kReadChunkBytes, so a request just over the first read costs a small
      // allocation, not a large zero-filled one. The bytes of an oversized message are read
      // over one large chunk and dropped.
      const std::size_t at = oversized ? 0 : message.size();
      const std::size_t chunk = message_bytes == 0 ? kFirstReadBytes
                                : oversized        ? kReadChunkBytes
                                                   : std::clamp(at, kSecondReadBytes, kReadChunkBytes);
      message.resize(at + chunk);
      auto [rec, n] = co_await ws_.async_read_some(asio::buffer(message.data() + at, chunk), kAwait);
      if (rec) break;
      message.resize(at + n);
      message_bytes += n;
      shared_.metrics->bytes_in.add(n);
      if (message_bytes > o.ws_frame_max_bytes) oversized = true;
      if (!ws_.is_message_done()) continue;
      ++messages_read_;
      shared_.metrics->frames_in.add();
      if (oversized) {
        begin_close(1009, "frame too large");
      } else if (!ws_.got_text()) {
        begin_close(1003, "binary frames are not accepted");
      } else if (!closing_ && !shared_.draining.load(std::memory_order_relaxed)) {
        handler_->on_text(message);
      }
      message_bytes = 0;
      oversized = false;
      std::string().swap(message);  // an idle connection keeps no buffer
    }
    ended();
  }

  // Between messages on a plain connection: an idle connection holds this wait (a small
  // operation holding the session) instead of Beast's read operations and the read loop's
  // coroutine frames. Beast's keep-alive does not need a pending read (its timer pings
  // after half the idle timeout and closes the socket after all of it); a closed socket
  // ends the wait with an error. The operation is allocated to its size: asio's per-thread
  // recycling would hand it a block just freed by a coroutine or Beast's read (~850 bytes)
  // for the whole idle time. On the strand.
  void wait_readable() {
    auto& socket = ws_.next_layer().next_layer();
    socket.async_wait(asio::ip::tcp::socket::wait_read,
                      asio::bind_allocator(std::allocator<void>(), [self = this->shared_from_this()](beast::error_code ec) {
                        if (ec || self->dead_) {
                          self->ended();
                          return;
                        }
                        asio::co_spawn(self->ws_.get_executor(), self->read_loop(true), asio::detached);
                      }));
  }

  // The connection is over: unregisters it. Once, from the read loop or its wait. On the
  // strand.
  void ended() {
    dead_ = true;
    auth_timer_.reset();
    drop_queue();
    give_back_budget();
    handler_->on_close();
    shared_.registry.remove(id_);
    shared_.metrics->ws_connections.add(-1);
  }

  // api::WsConnection. Each of these runs on the strand, in the order called; while a
  // SendBatch is open on the calling thread they wait in it (send_batch.h).
  uint64_t id() const override { return id_; }
  void send(std::shared_ptr<const std::string> frame) override { hand_over(std::move(frame), 0); }
  void send_event(std::shared_ptr<const std::string> frame) override { hand_over(std::move(frame), steady_ns()); }
  void close(uint16_t code, std::string reason) override {
    post([self = this->shared_from_this(), code, r = std::move(reason)] { self->begin_close(code, r); });
  }
  void post(std::function<void()> fn) override {
    if (SendBatch* batch = SendBatch::current())
      return batch->add(this->shared_from_this(),
                        BatchItem{nullptr, 0, std::make_unique<std::function<void()>>(std::move(fn))});
    asio::post(ws_.get_executor(), [self = this->shared_from_this(), fn = std::move(fn)] { fn(); });
  }
  // BatchedConnection
  void post_batch(std::vector<BatchItem> items) override {
    asio::post(ws_.get_executor(), [self = this->shared_from_this(), items = std::move(items)]() mutable {
      for (BatchItem& item : items) {
        if (item.fn)
          (*item.fn)();
        else
          self->enqueue(std::move(item.frame), item.since);
      }
    });
  }
  // On the strand (WsChannel calls it from a post()).
  void on_authenticated() override {
    ticket_->set_idle(false);
    // Frees the timer and its pending wait (which holds a session reference) now rather
    // than at the deadline; the cancelled wait still runs, and finds the session
    // authenticated.
    auth_timer_.reset();
  }
  std::size_t queued_bytes() const override { return budget_bytes(); }

  // ClosableSession
  void shutdown_close() override { close(1001, "server shutting down"); }
  std::size_t budget_bytes() const override {
    std::size_t held = budget_held_.load();
    return held == kCut ? 0 : held;
  }
  bool cut_for_budget() override {
    if (!give_back_budget()) return false;
    shared_.metrics->queue_budget_disconnects.add();
    asio::post(ws_.get_executor(), [self = this->shared_from_this()] { self->cut(); });
    return true;
  }

 private:
  static constexpr std::size_t kCut = static_cast<std::size_t>(-1);
  // The most of one oversized message read (and discarded) so that its sender gets 1009.
  static constexpr std::size_t kDiscardMaxBytes = 16u << 20;
  static constexpr std::size_t kReadChunkBytes = 64u << 10;
  // The buffer of a read that starts a message: enough for the common small frames (ping,
  // send, read) in one read, little to hold while the connection waits.
  static constexpr std::size_t kFirstReadBytes = 64;
  // The least a message's further reads ask for (most requests over 64 bytes fit in it).
  static constexpr std::size_t kSecondReadBytes = 1024;

  struct Queued {
    std::shared_ptr<const std::string> frame;
    int64_t since = 0;  // steady_ns() when an event was handed over; 0 for answers
  };

  // Returns every byte this connection holds to the budget, for good; false if it already
  // had. Thread-safe.
  bool give_back_budget() {
    std::size_t held = budget_held_.exchange(kCut);
    if (held == kCut) return false;
    shared_.metrics->ws_queued_bytes.add(-static_cast<int64_t>(held));
    return true;
  }

  // Takes n bytes of the server-wide budget for a frame of this connection. When they do
  // not fit, the connections holding the most are cut until they do; false when that is
  // this one (or it was cut meanwhile). Strand only.
  bool take_budget(std::size_t n) {
    const std::size_t budget = shared_.options.ws_queued_bytes_budget;
    const auto max = budget == 0 ? INT64_MAX : static_cast<int64_t>(budget);
    Gauge& total = shared_.metrics->ws_queued_bytes;
    if (static_cast<int64_t>(n) > max) {  // could only fit by cutting everyone else
      if (give_back_budget()) shared_.metrics->queue_budget_disconnects.add();
      return false;
    }
    while (!total.try_add(static_cast<int64_t>(n), max)) {
      auto [largest, most] = shared_.registry.largest_holder();
      if (!largest || largest.get() == static_cast<ClosableSession*>(this) || most <= budget_bytes() + n) {
        if (give_back_budget()) shared_.metrics->queue_budget_disconnects.add();
        return false;
      }
      largest->cut_for_budget();
    }
    std::size_t held = budget_held_.load();
    do {
      if (held == kCut) {
        total.add(-static_cast<int64_t>(n));
        return false;
      }
    } while (!budget_held_.compare_exchange_weak(held, held + n));
    return true;
  }

  // A frame of n bytes was written: its bytes go back to the budget. Strand only.
  void return_budget(std::size_t n) {
    std::size_t held = budget_held_.load();
    do {
      if (held == kCut) return;
    } while (!budget_held_.compare_exchange_weak(held, held - n));
    shared_.metrics->ws_queued_bytes.add(-static_cast<int64_t>(n));
  }

  // Drops the queue and closes the TCP connection at once (no close frame could get past
  // unread data). Strand only.
  void cut() {
    give_back_budget();
    if (dead_) return;
    dead_ = true;
    drop_queue();
    beast::error_code ignored;
    auto& socket = tcp_socket_of(beast::get_lowest_layer(ws_));
    socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
  }

  // The write queue: frames from queue_head_ on wait, oldest first. Strand only.
  bool queue_empty() const { return queue_head_ == queue_.size(); }
  std::size_t queue_frames() const { return queue_.size() - queue_head_; }
  void push_frame(Queued q) {
    // Reuse the slots of written frames before the vector grows: at most twice the frames
    // waiting are ever held.
    if (queue_.size() == queue_.capacity() && queue_head_ > 0 && queue_head_ * 2 >= queue_.size()) {
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(queue_head_));
      queue_head_ = 0;
    }
    queue_.push_back(std::move(q));
  }
  void pop_frame() {
    queue_[queue_head_++].frame.reset();
    if (queue_empty()) drop_queue_storage();
  }
  void drop_queue() {
    drop_queue_storage();
    queued_bytes_ = 0;
  }
  // An idle connection holds no queue storage (a deque would keep ~600 bytes).
  void drop_queue_storage() {
    std::vector<Queued>().swap(queue_);
    queue_head_ = 0;
  }

  static int64_t steady_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }

  // `since`: when an event was handed over (steady_ns), or 0 for an answer.
  void enqueue(std::shared_ptr<const std::string> frame, int64_t since) {
    if (dead_ || closing_) return;
    const ServerOptions& o = shared_.options;
    if (queue_frames() >= o.ws_queue_max_frames || queued_bytes_ + frame->size() > o.ws_queue_max_bytes) {
      shared_.metrics->slow_client_disconnects.add();
      cut();
      return;
    }
    if (!take_budget(frame->size())) {
      cut();
      return;
    }
    queued_bytes_ += frame->size();
    push_frame(Queued{std::move(frame), since});
    start_writing();
  }

  void begin_close(uint16_t code, const std::string& reason) {
    if (closing_ || dead_) return;
    closing_ = true;
    close_code_ = code;
    close_text_ = reason;
    start_writing();
  }

  void start_writing() {
    if (writing_) return;
    writing_ = true;
    asio::co_spawn(ws_.get_executor(), write_loop(), asio::detached);
  }

  // send() and send_event(): queues `frame` on the strand (`since` as in Queued).
  void hand_over(std::shared_ptr<const std::string> frame, int64_t since) {
    if (SendBatch* batch = SendBatch::current())
      return batch->add(this->shared_from_this(), BatchItem{std::move(frame), since, nullptr});
    asio::post(ws_.get_executor(), [self = this->shared_from_this(), f = std::move(frame), since]() mutable {
      self->enqueue(std::move(f), since);
    });
  }

  // Write coalescing on plain TCP (frame_tracked_socket.h, which bounds what is held; held
  // bytes have left the queue and its budget). TLS connections write frame by frame.
  void hold_writes(bool hold) {
    if constexpr (std::is_same_v<typename WsNextLayer<Stream>::type, FrameTrackedSocket>) {
      ws_.next_layer().hold_writes(hold);
    }
  }

  asio::awaitable<void> write_loop() {
    auto self = this->shared_from_this();
    while (!queue_empty() && !dead_) {
      std::shared_ptr<const std::string> f = queue_[queue_head_].frame;
      const int64_t since = queue_[queue_head_].since;
      // More frames behind this one: hold its bytes and send them with the next ones in one
      // system call. The last frame of a burst is never held.
      hold_writes(queue_frames() > 1);
      auto [ec, n] = co_await ws_.async_write(asio::buffer(*f), kAwait);
      if (ec) {
        dead_ = true;
        break;
      }
      if (dead_) break;  // cut while writing: the queue was already dropped
      pop_frame();
      queued_bytes_ -= f->size();
      return_budget(f->size());
      shared_.metrics->frames_out.add();
      if (since) shared_.metrics->event_delivery_seconds.observe(static_cast<double>(steady_ns() - since) / 1e9);
      shared_.metrics->bytes_out.add(n);
    }
    hold_writes(false);
    if (closing_ && !dead_ && !close_sent_) {
      close_sent_ = true;
      co_await ws_.async_close(
          websocket::close_reason(static_cast<websocket::close_code>(close_code_), close_text_), kAwait);
    }
    writing_ = false;
  }

  // permessage-deflate compiled out: the server never offers it.
  websocket::stream<typename WsNextLayer<Stream>::type, false> ws_;
  Shared& shared_;
  const uint64_t id_;
  // Until the connection authenticates (or closes); a timer is ~100 bytes.
  std::unique_ptr<asio::steady_timer> auth_timer_;
  std::shared_ptr<api::WsHandler> handler_;
  const std::unique_ptr<ConnectionLimits::Ticket> ticket_;
  // Strand-only state.
  std::vector<Queued> queue_;    // see push_frame
  std::size_t queue_head_ = 0;  // the oldest frame still to write
  std::size_t queued_bytes_ = 0;
  // Any thread: the bytes of queue_ counted in the budget; kCut once they were given back.
  std::atomic<std::size_t> budget_held_{0};
  bool writing_ = false;
  bool closing_ = false;
  bool close_sent_ = false;
  bool dead_ = false;
  uint64_t messages_read_ = 0;  // data messages received whole (read_loop)
  // The close frame to send (begin_close); not a websocket::close_reason, which holds 125
  // bytes inline for the life of the connection.
  uint16_t close_code_ = 0;
  std::string close_text_;
};

}  // namespace parley::net

namespace parley::net {

template <class Stream>
void start_ws_session(Stream stream, Shared& shared, std::unique_ptr<ConnectionLimits::Ticket> ticket,
                      http::request<http::string_body> req, std::string bearer_token) {
  auto spawn = [&](auto&& s) {
    using S = std::decay_t<decltype(s)>;
    auto session = std::make_shared<WsSession<S>>(std::move(s), shared, std::move(ticket));
    auto ex = session->executor();
    asio::co_spawn(ex, session->run(std::move(req), std::move(bearer_token)), asio::detached);
  };
  // A plain connection keeps only its socket: beast::tcp_stream's timers (of the HTTP
  // phase) would sit unused beside the WebSocket stream's own.
  if constexpr (std::is_same_v<Stream, beast::tcp_stream>)
    spawn(stream.release_socket());
  else
    spawn(std::move(stream));
}

}  // namespace parley::net
