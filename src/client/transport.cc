#include "client/transport.h"

#include <chrono>
#include <deque>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

namespace parley::client {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
constexpr auto kHttpTimeout = std::chrono::seconds(30);

Error unavailable(std::string_view what, const boost::system::error_code& ec) {
  return Error::make(Errc::kUnavailable, std::string(what) + ": " + ec.message());
}

asio::awaitable<Result<HttpAnswer>> do_http(Endpoint server, std::string method, std::string target,
                                            std::string token, std::string body) {
  auto executor = co_await asio::this_coro::executor;
  tcp::resolver resolver(executor);
  auto [rec, results] = co_await resolver.async_resolve(server.host, server.port, kAwait);
  if (rec) co_return unavailable("resolve", rec);
  beast::tcp_stream stream(executor);
  stream.expires_after(kHttpTimeout);
  auto [cec, ep] = co_await stream.async_connect(results, kAwait);
  if (cec) co_return unavailable("connect", cec);
  http::request<http::string_body> req(http::string_to_verb(method), target, 11);
  req.set(http::field::host, server.host + ":" + server.port);
  req.set(http::field::user_agent, "libparley");
  if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
  if (!body.empty()) req.set(http::field::content_type, "application/json");
  req.body() = std::move(body);
  req.prepare_payload();
  auto [wec, wn] = co_await http::async_write(stream, req, kAwait);
  if (wec) co_return unavailable("write", wec);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  auto [hec, hn] = co_await http::async_read(stream, buffer, res, kAwait);
  if (hec) co_return unavailable("read", hec);
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  co_return HttpAnswer{static_cast<int>(res.result_int()), std::move(res.body())};
}

class BeastWs final : public WsConnection, public std::enable_shared_from_this<BeastWs> {
 public:
  BeastWs(asio::io_context& io, Endpoint server, std::string token, Handlers handlers)
      : io_(io), server_(std::move(server)), token_(std::move(token)),
        handlers_(std::move(handlers)), ws_(io), wake_(io) {
    wake_.expires_at(std::chrono::steady_clock::time_point::max());
  }

  void start() {
    asio::co_spawn(io_, run(shared_from_this()), asio::detached);
  }

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

  asio::awaitable<void> session() {
    auto executor = co_await asio::this_coro::executor;
    tcp::resolver resolver(executor);
    auto [rec, results] = co_await resolver.async_resolve(server_.host, server_.port, kAwait);
    if (rec || closing_) co_return finish(0, rec ? rec.message() : "closed");
    beast::get_lowest_layer(ws_).expires_after(std::chrono::seconds(10));
    auto [cec, ep] = co_await beast::get_lowest_layer(ws_).async_connect(results, kAwait);
    if (cec || closing_) co_return finish(0, cec ? cec.message() : "closed");
    beast::get_lowest_layer(ws_).expires_never();
    // The server pings after 20 s of silence; a connection silent for 60 s is dead.
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
    asio::co_spawn(executor, write_loop(shared_from_this()), asio::detached);
    beast::flat_buffer buffer;
    for (;;) {
      auto [ec, n] = co_await ws_.async_read(buffer, kAwait);
      if (ec) {
        const int code = ec == websocket::error::closed ? static_cast<int>(ws_.reason().code) : 0;
        co_return finish(code, ec == websocket::error::closed ? std::string(ws_.reason().reason.c_str())
                                                              : ec.message());
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
  websocket::stream<beast::tcp_stream> ws_;
  asio::steady_timer wake_;
  std::deque<std::string> queue_;
  bool open_ = false;
  bool closing_ = false;
  bool closed_ = false;
};

}  // namespace

Result<Endpoint> parse_server_url(std::string_view url) {
  constexpr std::string_view kHttp = "http://";
  if (url.substr(0, kHttp.size()) != kHttp) {
    return Error::make(Errc::kInvalidArgument, "the server must be an http://HOST:PORT address");
  }
  std::string_view rest = url.substr(kHttp.size());
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.empty() || rest.find('/') != std::string_view::npos) {
    return Error::make(Errc::kInvalidArgument, "the server must be an http://HOST:PORT address");
  }
  const size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos) return Endpoint{std::string(rest), "80"};
  std::string port(rest.substr(colon + 1));
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) {
    return Error::make(Errc::kInvalidArgument, "bad port in the server address");
  }
  return Endpoint{std::string(rest.substr(0, colon)), port};
}

void http_request(asio::io_context& io, const Endpoint& server, std::string method, std::string target,
                  std::string token, std::string body, std::function<void(Result<HttpAnswer>)> done) {
  asio::co_spawn(
      io,
      [server, method = std::move(method), target = std::move(target), token = std::move(token),
       body = std::move(body), done = std::move(done)]() mutable -> asio::awaitable<void> {
        done(co_await do_http(server, std::move(method), std::move(target), std::move(token),
                              std::move(body)));
      },
      asio::detached);
}

std::shared_ptr<WsConnection> WsConnection::connect(asio::io_context& io, const Endpoint& server,
                                                    std::string token, Handlers handlers) {
  auto ws = std::make_shared<BeastWs>(io, server, std::move(token), std::move(handlers));
  ws->start();
  return ws;
}

}  // namespace parley::client
