#include "net.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <deque>
#include <optional>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

namespace bench {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace json = boost::json;
using tcp = asio::ip::tcp;

parley::Error make_error(std::string message) { return parley::Error::make(parley::Errc::kInternal, std::move(message)); }

Runtime::Runtime(int threads) {
  for (int i = 0; i < threads; ++i) {
    auto s = std::make_unique<Shard>();
    s->index = i;
    guards_.push_back(asio::make_work_guard(s->io));
    shards_.push_back(std::move(s));
  }
  for (auto& s : shards_) threads_.emplace_back([io = &s->io] { io->run(); });
}

Runtime::~Runtime() {
  guards_.clear();
  for (auto& s : shards_) s->io.stop();
  for (auto& t : threads_) t.join();
}

void Runtime::run_all(const std::function<asio::awaitable<void>(Shard&)>& fn) {
  std::atomic<int> left{static_cast<int>(shards_.size())};
  for (auto& s : shards_)
    asio::co_spawn(s->io, fn(*s), [&left](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
      left.fetch_sub(1);
      left.notify_all();
    });
  for (int v = left.load(); v > 0; v = left.load()) left.wait(v);
}

Stats Runtime::merged_stats() const {
  Stats s;
  for (const auto& sh : shards_) s.merge(sh->stats);
  return s;
}

asio::awaitable<void> parallel_for(std::size_t n, int concurrency, std::function<asio::awaitable<void>(std::size_t)> fn) {
  auto ex = co_await asio::this_coro::executor;
  WaitGroup wg(ex);
  auto next = std::make_shared<std::size_t>(0);
  int lanes = static_cast<int>(std::min<std::size_t>(n, static_cast<std::size_t>(std::max(concurrency, 1))));
  for (int l = 0; l < lanes; ++l) {
    wg.add();
    asio::co_spawn(
        ex,
        // fn and wg outlive every lane: this coroutine waits for them below.
        [&fn, next, n, &wg]() -> asio::awaitable<void> {
          while (*next < n) {
            std::size_t i = (*next)++;
            co_await fn(i);
          }
          wg.done();
        },
        asio::detached);
  }
  co_await wg.wait();
}

asio::awaitable<void> sleep_for(std::chrono::nanoseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await t.async_wait(kAwait);
}

namespace {

// Opens `socket`, binds the source address (without reserving a port before the
// destination is known) and connects, giving up after `timeout`.
asio::awaitable<beast::error_code> connect_socket(tcp::socket& socket, const Target& t, std::chrono::milliseconds timeout) {
  beast::error_code ec;
  auto addr = asio::ip::make_address(t.host, ec);
  if (ec) co_return ec;
  socket.open(addr.is_v4() ? tcp::v4() : tcp::v6(), ec);
  if (ec) co_return ec;
  socket.set_option(tcp::no_delay(true), ec);
  if (!t.source.empty()) {
    int one = 1;
    ::setsockopt(socket.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    socket.bind(tcp::endpoint(asio::ip::make_address(t.source, ec), 0), ec);
    if (ec) co_return ec;
  }
  auto done = std::make_shared<bool>(false);
  asio::steady_timer timer(socket.get_executor(), timeout);
  timer.async_wait([&socket, done](beast::error_code e) {
    if (!e && !*done) {
      beast::error_code ignored;
      socket.cancel(ignored);
    }
  });
  auto [cec] = co_await socket.async_connect(tcp::endpoint(addr, t.port), kAwait);
  *done = true;
  timer.cancel();
  co_return cec;
}

}  // namespace

struct HttpClient::Impl {
  Impl(asio::any_io_executor ex, Target t) : stream(ex), target(std::move(t)) {}
  beast::tcp_stream stream;
  Target target;
  bool connected = false;
  beast::flat_buffer buffer;
};

HttpClient::HttpClient(asio::any_io_executor ex, Target target) : impl_(std::make_unique<Impl>(ex, std::move(target))) {}
HttpClient::~HttpClient() = default;

asio::awaitable<parley::Result<HttpReply>> HttpClient::request(std::string_view method, std::string target,
                                                               std::string body, std::string token) {
  Impl& c = *impl_;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!c.connected) {
      beast::error_code ignored;
      c.stream.socket().close(ignored);
      c.buffer.clear();
      auto ec = co_await connect_socket(c.stream.socket(), c.target, std::chrono::seconds(10));
      if (ec) co_return make_error("connect: " + ec.message());
      c.connected = true;
    }
    http::request<http::string_body> req(http::string_to_verb(method), target, 11);
    req.set(http::field::host, c.target.host + ":" + std::to_string(c.target.port));
    req.set(http::field::content_type, "application/json");
    if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    req.keep_alive(true);
    req.body() = body;
    req.prepare_payload();
    c.stream.expires_after(std::chrono::seconds(60));
    auto [wec, wn] = co_await http::async_write(c.stream, req, kAwait);
    http::response<http::string_body> res;
    beast::error_code rec;
    if (!wec) {
      auto [e, rn] = co_await http::async_read(c.stream, c.buffer, res, kAwait);
      rec = e;
    }
    if (wec || rec) {
      c.connected = false;
      if (attempt == 0) continue;  // a kept-alive connection the server had closed
      co_return make_error(std::string("http: ") + (wec ? wec : rec).message());
    }
    if (!res.keep_alive()) c.connected = false;
    HttpReply reply;
    reply.status = static_cast<int>(res.result_int());
    boost::system::error_code pec;
    reply.body = json::parse(res.body(), pec);
    if (pec) reply.body = nullptr;
    co_return reply;
  }
  co_return make_error("http: unreachable");
}

namespace {

class WsConnImpl final : public WsConn {
 public:
  WsConnImpl(asio::any_io_executor ex, Target t, std::optional<WsEndpoint> plain)
      : ws_(tcp::socket(ex)), target_(std::move(t)), plain_(std::move(plain)) {}

  asio::awaitable<parley::Result<json::value>> connect(std::string token, std::chrono::milliseconds timeout) override {
    auto self = shared_from_this();
    auto ec = co_await connect_socket(ws_.next_layer(), target_, timeout);
    if (ec) co_return make_error("connect: " + ec.message());
    websocket::stream_base::timeout t = websocket::stream_base::timeout::suggested(beast::role_type::client);
    t.handshake_timeout = timeout;
    ws_.set_option(t);
    ws_.text(true);
    ws_.auto_fragment(false);
    auto host = target_.host + ":" + std::to_string(target_.port);
    if (plain_) co_return co_await connect_plain(host);
    ws_.set_option(websocket::stream_base::decorator([token](websocket::request_type& req) {
      req.set(http::field::authorization, "Bearer " + token);
    }));
    auto [hec] = co_await ws_.async_handshake(host, "/api/v1/ws", kAwait);
    if (hec) co_return make_error("handshake: " + hec.message());
    auto [rec, n] = co_await ws_.async_read(buffer_, kAwait);
    if (rec) co_return make_error("reading ready: " + rec.message());
    boost::system::error_code pec;
    auto v = json::parse(beast::buffers_to_string(buffer_.cdata()), pec);
    buffer_.consume(buffer_.size());
    const json::object* o = pec ? nullptr : v.if_object();
    const json::value* type = o ? o->if_contains("type") : nullptr;
    if (!type || !type->is_string() || type->get_string() != "ready")
      co_return make_error("first frame is not ready: " + json::serialize(v).substr(0, 200));
    open_ = true;
    co_return v;
  }

  void start(OnFrame on_frame, OnClose on_close) override {
    on_frame_ = std::move(on_frame);
    on_close_ = std::move(on_close);
    asio::co_spawn(ws_.get_executor(), read_loop(shared_from_this()), asio::detached);
  }

  void send(std::string frame) override {
    if (!open_ || closing_) return;
    queue_.push_back(std::move(frame));
    if (!writing_) {
      writing_ = true;
      asio::co_spawn(ws_.get_executor(), write_loop(shared_from_this()), asio::detached);
    }
  }

  void close() override {
    if (!open_ || closing_) return;
    closing_ = true;
    if (!writing_) {
      writing_ = true;
      asio::co_spawn(ws_.get_executor(), write_loop(shared_from_this()), asio::detached);
    }
  }

  bool open() const override { return open_; }
  std::size_t queued() const override { return queue_.size(); }
  void detach() override {
    on_frame_ = nullptr;
    on_close_ = nullptr;
  }

 private:
  asio::awaitable<parley::Result<json::value>> connect_plain(const std::string& host) {
    std::string sub = plain_->subprotocol;
    if (!sub.empty())
      ws_.set_option(websocket::stream_base::decorator([sub](websocket::request_type& req) {
        req.set(http::field::sec_websocket_protocol, sub);
      }));
    websocket::response_type res;
    auto [hec] = co_await ws_.async_handshake(res, host, plain_->path, kAwait);
    if (hec) co_return make_error("handshake: " + hec.message());
    if (!sub.empty() && res[http::field::sec_websocket_protocol] != sub)
      co_return make_error("handshake: the server did not accept subprotocol " + sub);
    open_ = true;
    co_return json::value();
  }

  asio::awaitable<void> read_loop(std::shared_ptr<WsConn> self) {
    std::string why;
    for (;;) {
      auto [ec, n] = co_await ws_.async_read(buffer_, kAwait);
      if (ec) {
        if (!(closing_ && (ec == websocket::error::closed || ec == asio::error::operation_aborted))) {
          why = ec.message();
          if (ec == websocket::error::closed)
            why += " (code " + std::to_string(ws_.reason().code) + " " + std::string(ws_.reason().reason.data(), ws_.reason().reason.size()) + ")";
        }
        break;
      }
      auto d = buffer_.cdata();
      if (on_frame_) on_frame_(std::string_view(static_cast<const char*>(d.data()), d.size()));
      buffer_.consume(buffer_.size());
    }
    open_ = false;
    queue_.clear();
    if (on_close_) {
      auto cb = std::move(on_close_);
      cb(why);
    }
    on_frame_ = nullptr;
  }

  asio::awaitable<void> write_loop(std::shared_ptr<WsConn> self) {
    while (open_ && !queue_.empty()) {
      auto [ec, n] = co_await ws_.async_write(asio::buffer(queue_.front()), kAwait);
      if (ec) break;
      queue_.pop_front();
    }
    if (open_ && closing_) {
      co_await ws_.async_close(websocket::close_code::normal, kAwait);
    }
    writing_ = false;
  }

  websocket::stream<tcp::socket> ws_;
  Target target_;
  std::optional<WsEndpoint> plain_;  // set: a peer's endpoint, not parleyd's
  beast::flat_buffer buffer_;
  std::deque<std::string> queue_;
  OnFrame on_frame_;
  OnClose on_close_;
  bool open_ = false;
  bool closing_ = false;
  bool writing_ = false;
};

}  // namespace

std::shared_ptr<WsConn> WsConn::make(asio::any_io_executor ex, Target target) {
  return std::make_shared<WsConnImpl>(ex, std::move(target), std::nullopt);
}

std::shared_ptr<WsConn> WsConn::make_plain(asio::any_io_executor ex, Target target, WsEndpoint endpoint) {
  return std::make_shared<WsConnImpl>(ex, std::move(target), std::move(endpoint));
}

}  // namespace bench
