#include "client/transport.h"

#include <chrono>
#include <deque>
#include <sstream>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

namespace parley::client {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
constexpr auto kHttpTimeout = std::chrono::seconds(30);
constexpr auto kConnectTimeout = std::chrono::seconds(10);

Error unavailable(std::string_view what, const boost::system::error_code& ec) {
  return Error::make(Errc::kUnavailable, std::string(what) + ": " + ec.message());
}

// A client TLS context that verifies the peer: TLS 1.2 or later, the system's roots or only
// `ca_file`. Throws only on a broken OpenSSL installation (a bug-class failure).
std::shared_ptr<ssl::context> make_tls_context(const Endpoint& server, boost::system::error_code& ec) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  ctx->set_options(ssl::context::no_sslv2 | ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                   ssl::context::no_tlsv1_1);
  ctx->set_verify_mode(ssl::verify_peer);
  if (server.ca_file.empty()) {
    ctx->set_default_verify_paths(ec);
  } else {
    ctx->load_verify_file(server.ca_file, ec);
  }
  return ctx;
}

// Sets the name the certificate must carry (and SNI) on a TLS stream before its handshake.
bool expect_host(TlsStream& stream, const std::string& host) {
  if (!SSL_set_tlsext_host_name(stream.native_handle(), host.c_str())) return false;
  stream.set_verify_callback(ssl::host_name_verification(host));
  return true;
}

// Connects `layer` (a tcp_stream) to the server; errors are values.
asio::awaitable<boost::system::error_code> connect_tcp(beast::tcp_stream& layer, const Endpoint& server) {
  tcp::resolver resolver(co_await asio::this_coro::executor);
  auto [rec, results] = co_await resolver.async_resolve(server.host, server.port, kAwait);
  if (rec) co_return rec;
  layer.expires_after(kConnectTimeout);
  auto [cec, ep] = co_await layer.async_connect(results, kAwait);
  co_return cec;
}

// One request. `body` is sent as `content_type` (when not empty); `progress`, when set, is
// told how many body bytes were written after every 64 KiB.
struct Outgoing {
  std::string method;
  std::string target;
  std::string token;
  std::string body;
  std::string content_type = "application/json";
  std::function<void(size_t sent, size_t total)> progress;
};

template <class Stream>
asio::awaitable<Result<HttpAnswer>> exchange(Stream& stream, const Endpoint& server, Outgoing out) {
  http::request<http::string_body> req(http::string_to_verb(out.method), out.target, 11);
  req.set(http::field::host, server.host + ":" + server.port);
  req.set(http::field::user_agent, "libparley");
  if (!out.token.empty()) req.set(http::field::authorization, "Bearer " + out.token);
  if (!out.body.empty()) req.set(http::field::content_type, out.content_type);
  const size_t total = out.body.size();
  req.body() = std::move(out.body);
  req.prepare_payload();
  const size_t header_size = [&] {
    std::ostringstream header;
    header << req.base();
    return header.str().size();
  }();
  beast::get_lowest_layer(stream).expires_after(kHttpTimeout);
  http::request_serializer<http::string_body> serializer(req);
  serializer.limit(64 * 1024);
  size_t written = 0;
  while (!serializer.is_done()) {
    auto [wec, n] = co_await http::async_write_some(stream, serializer, kAwait);
    if (wec) co_return unavailable("write", wec);
    written += n;
    beast::get_lowest_layer(stream).expires_after(kHttpTimeout);
    if (out.progress && written > header_size) out.progress(std::min(written - header_size, total), total);
  }
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  auto [hec, hn] = co_await http::async_read(stream, buffer, res, kAwait);
  if (hec) co_return unavailable("read", hec);
  co_return HttpAnswer{static_cast<int>(res.result_int()), std::move(res.body())};
}

asio::awaitable<Result<HttpAnswer>> do_http(Endpoint server, Outgoing out) {
  auto executor = co_await asio::this_coro::executor;
  if (!server.tls) {
    beast::tcp_stream stream(executor);
    if (auto ec = co_await connect_tcp(stream, server)) co_return unavailable("connect", ec);
    auto answer = co_await exchange(stream, server, std::move(out));
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    co_return answer;
  }
  boost::system::error_code ec;
  auto ctx = make_tls_context(server, ec);
  if (ec) co_return unavailable("trusted certificates", ec);
  TlsStream stream(executor, *ctx);
  if (!expect_host(stream, server.host)) co_return Error::make(Errc::kUnavailable, "TLS: bad host name");
  if (auto cec = co_await connect_tcp(beast::get_lowest_layer(stream), server)) co_return unavailable("connect", cec);
  auto [hec] = co_await stream.async_handshake(ssl::stream_base::client, kAwait);
  if (hec) co_return unavailable("TLS handshake", hec);
  co_return co_await exchange(stream, server, std::move(out));
}

void spawn_http(asio::io_context& io, const Endpoint& server, Outgoing out,
                std::function<void(Result<HttpAnswer>)> done) {
  asio::co_spawn(
      io,
      [server, out = std::move(out), done = std::move(done)]() mutable -> asio::awaitable<void> {
        done(co_await do_http(server, std::move(out)));
      },
      asio::detached);
}

// One WebSocket over `Next` (beast::tcp_stream or TlsStream).
template <class Next>
class BeastWs final : public WsConnection, public std::enable_shared_from_this<BeastWs<Next>> {
 public:
  template <class... NextArgs>
  BeastWs(asio::io_context& io, Endpoint server, std::string token, Handlers handlers,
          std::shared_ptr<ssl::context> ctx, NextArgs&&... next_args)
      : io_(io), server_(std::move(server)), token_(std::move(token)), handlers_(std::move(handlers)),
        ctx_(std::move(ctx)), ws_(io, std::forward<NextArgs>(next_args)...), wake_(io) {
    wake_.expires_at(std::chrono::steady_clock::time_point::max());
  }

  void start() { asio::co_spawn(io_, run(this->shared_from_this()), asio::detached); }

  void send(std::string frame) override {
    if (closed_) return;
    queue_.push_back(std::move(frame));
    wake_.cancel();
  }

  void close() override {
    if (closing_) return;
    closing_ = true;
    wake_.cancel();
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().cancel(ignored);
    if (!open_) beast::get_lowest_layer(ws_).close();
  }

 private:
  static asio::awaitable<void> run(std::shared_ptr<BeastWs> self) { co_await self->session(); }

  // The TLS handshake, when there is TLS.
  asio::awaitable<boost::system::error_code> secure() {
    if constexpr (std::is_same_v<Next, TlsStream>) {
      if (!expect_host(ws_.next_layer(), server_.host)) co_return asio::error::invalid_argument;
      auto [ec] = co_await ws_.next_layer().async_handshake(ssl::stream_base::client, kAwait);
      co_return ec;
    } else {
      co_return boost::system::error_code{};
    }
  }

  asio::awaitable<void> session() {
    auto executor = co_await asio::this_coro::executor;
    if (auto ec = co_await connect_tcp(beast::get_lowest_layer(ws_), server_); ec || closing_) {
      co_return finish(0, ec ? ec.message() : "closed");
    }
    if (auto ec = co_await secure(); ec || closing_) co_return finish(0, ec ? "TLS: " + ec.message() : "closed");
    beast::get_lowest_layer(ws_).expires_never();
    // The server pings after 20 s of silence; a connection silent for 30 s more is dead.
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = std::chrono::seconds(10);
    timeouts.idle_timeout = std::chrono::seconds(30);
    timeouts.keep_alive_pings = true;
    ws_.set_option(timeouts);
    ws_.set_option(websocket::stream_base::decorator([token = token_](websocket::request_type& req) {
      req.set(http::field::user_agent, "libparley");
      req.set(http::field::authorization, "Bearer " + token);
    }));
    ws_.read_message_max(64u << 20);
    auto [hec] = co_await ws_.async_handshake(server_.host + ":" + server_.port, "/api/v1/ws", kAwait);
    if (hec || closing_) co_return finish(0, hec ? hec.message() : "closed");
    open_ = true;
    handlers_.on_open();
    asio::co_spawn(executor, write_loop(this->shared_from_this()), asio::detached);
    beast::flat_buffer buffer;
    for (;;) {
      auto [ec, n] = co_await ws_.async_read(buffer, kAwait);
      if (ec) {
        const bool closed = ec == websocket::error::closed;
        co_return finish(closed ? static_cast<int>(ws_.reason().code) : 0,
                         closed ? std::string(ws_.reason().reason.c_str()) : ec.message());
      }
      std::string frame = beast::buffers_to_string(buffer.data());
      buffer.consume(buffer.size());
      if (!closed_) handlers_.on_frame(std::move(frame));
    }
  }

  static asio::awaitable<void> write_loop(std::shared_ptr<BeastWs> self) { co_await self->writes(); }

  asio::awaitable<void> writes() {
    while (!closed_) {
      if (closing_) {
        co_await ws_.async_close(websocket::close_code::normal, kAwait);
        beast::get_lowest_layer(ws_).close();
        co_return;
      }
      if (queue_.empty()) {
        co_await wake_.async_wait(kAwait);
        continue;
      }
      std::string frame = std::move(queue_.front());
      queue_.pop_front();
      ws_.text(true);
      auto [ec, n] = co_await ws_.async_write(asio::buffer(frame), kAwait);
      if (ec) {
        beast::get_lowest_layer(ws_).close();
        co_return;
      }
    }
  }

  void finish(int code, std::string reason) {
    if (closed_) return;
    closed_ = true;
    wake_.cancel();
    queue_.clear();
    beast::get_lowest_layer(ws_).close();
    if (handlers_.on_closed) handlers_.on_closed(code, std::move(reason));
  }

  asio::io_context& io_;
  Endpoint server_;
  std::string token_;
  Handlers handlers_;
  std::shared_ptr<ssl::context> ctx_;  // outlives ws_ (declared before it)
  websocket::stream<Next> ws_;
  asio::steady_timer wake_;
  std::deque<std::string> queue_;
  bool open_ = false;
  bool closing_ = false;
  bool closed_ = false;
};

// A connection that failed before it began (no trusted roots): reports on_closed once, later.
class FailedWs final : public WsConnection {
 public:
  void send(std::string) override {}
  void close() override {}
};

}  // namespace

Result<Endpoint> parse_server_url(std::string_view url) {
  const Error bad = Error::make(Errc::kInvalidArgument, "the server must be http://HOST[:PORT] or https://HOST[:PORT]");
  Endpoint e;
  std::string_view rest;
  if (url.substr(0, 7) == "http://") {
    rest = url.substr(7);
  } else if (url.substr(0, 8) == "https://") {
    rest = url.substr(8);
    e.tls = true;
  } else {
    return bad;
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.empty() || rest.find('/') != std::string_view::npos) return bad;
  e.port = e.tls ? "443" : "80";
  const size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos) {
    e.host = std::string(rest);
    return e;
  }
  std::string port(rest.substr(colon + 1));
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) {
    return Error::make(Errc::kInvalidArgument, "bad port in the server address");
  }
  e.host = std::string(rest.substr(0, colon));
  e.port = port;
  if (e.host.empty()) return bad;
  return e;
}

void http_request(asio::io_context& io, const Endpoint& server, std::string method, std::string target,
                  std::string token, std::string body, std::function<void(Result<HttpAnswer>)> done) {
  Outgoing out;
  out.method = std::move(method);
  out.target = std::move(target);
  out.token = std::move(token);
  out.body = std::move(body);
  spawn_http(io, server, std::move(out), std::move(done));
}

void http_upload(asio::io_context& io, const Endpoint& server, std::string target, std::string token,
                 std::string bytes, std::function<void(size_t, size_t)> progress,
                 std::function<void(Result<HttpAnswer>)> done) {
  Outgoing out;
  out.method = "POST";
  out.target = std::move(target);
  out.token = std::move(token);
  out.body = std::move(bytes);
  out.content_type = "application/octet-stream";
  out.progress = std::move(progress);
  spawn_http(io, server, std::move(out), std::move(done));
}

std::shared_ptr<WsConnection> WsConnection::connect(asio::io_context& io, const Endpoint& server,
                                                    std::string token, Handlers handlers) {
  if (!server.tls) {
    auto ws = std::make_shared<BeastWs<beast::tcp_stream>>(io, server, std::move(token), std::move(handlers), nullptr);
    ws->start();
    return ws;
  }
  boost::system::error_code ec;
  auto ctx = make_tls_context(server, ec);
  if (ec) {
    asio::post(io, [on_closed = handlers.on_closed, message = ec.message()] { on_closed(0, "TLS: " + message); });
    return std::make_shared<FailedWs>();
  }
  auto& ctx_ref = *ctx;
  auto ws = std::make_shared<BeastWs<TlsStream>>(io, server, std::move(token), std::move(handlers), std::move(ctx), ctx_ref);
  ws->start();
  return ws;
}

}  // namespace parley::client
