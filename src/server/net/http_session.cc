#include "server/net/http_session.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>

#include "server/net/static_files.h"
#include "server/net/ws_session.h"

namespace parley::net {

namespace {

using StringResponse = http::response<http::string_body>;

// Bridges the Api's callback (any thread) into this coroutine (its strand).
template <class Token>
auto async_api(api::Api& api, api::HttpRequest req, Token&& token) {
  return asio::async_initiate<Token, void(api::HttpResponse)>(
      [&api](auto handler, api::HttpRequest req) {
        using Handler = decltype(handler);
        auto h = std::make_shared<Handler>(std::move(handler));
        // The work guard tells the event loop an answer is still coming: without it a
        // shutdown could stop the loop while a request waits for its commit.
        auto work = std::make_shared<asio::executor_work_guard<asio::any_io_executor>>(
            asio::get_associated_executor(*h));
        api.handle_http(std::move(req), [h, work](api::HttpResponse r) {
          auto ex = asio::get_associated_executor(*h);
          asio::post(ex, [h, work, r = std::move(r)]() mutable {
            std::move (*h)(std::move(r));
            work->reset();
          });
        });
      },
      token, std::move(req));
}

StringResponse json_response(unsigned version, bool keep_alive, int status, std::string body) {
  StringResponse res{static_cast<http::status>(status), version};
  res.set(http::field::server, "parleyd");
  res.set(http::field::content_type, "application/json");
  res.set(http::field::cache_control, "no-store");
  res.keep_alive(keep_alive);
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

std::string error_json(const char* code, const char* message) {
  return std::string("{\"error\":{\"code\":\"") + code + "\",\"message\":\"" + message + "\"}}";
}

template <class Body>
http::message_generator serve_file(const http::request<Body>& req, const std::string& root) {
  std::string_view target(req.target().data(), req.target().size());
  std::string_view path = target.substr(0, target.find('?'));
  auto file = resolve_static(root, path);
  if (file) {
    http::file_body::value_type body;
    beast::error_code ec;
    body.open(file->path.c_str(), beast::file_mode::scan, ec);
    if (!ec) {
      http::response<http::file_body> res{http::status::ok, req.version()};
      res.set(http::field::server, "parleyd");
      res.set(http::field::content_type, file->content_type);
      res.set(http::field::cache_control,
              file->immutable ? "public, max-age=31536000, immutable" : "no-cache");
      res.set("X-Content-Type-Options", "nosniff");
      res.keep_alive(req.keep_alive());
      res.body() = std::move(body);
      res.prepare_payload();
      if (req.method() == http::verb::head) {
        http::response<http::empty_body> head{http::status::ok, req.version()};
        head.base() = res.base();
        return head;
      }
      return res;
    }
  }
  return json_response(req.version(), req.keep_alive(), 404, error_json("not_found", "no such file"));
}

bool is_api_path(std::string_view path) {
  return path.rfind("/api/", 0) == 0 || path == "/healthz" || path == "/readyz" || path == "/metrics";
}

}  // namespace

template <class Stream>
asio::awaitable<void> serve_http(Stream stream, Shared& shared, std::string remote_address) {
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(shared.options.http_body_max_bytes);
    parser.header_limit(16 * 1024);
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30));
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, kAwait);
    if (ec == http::error::body_limit) {
      auto res = json_response(11, false, 413, error_json("payload_too_large", "request body above 64 KiB"));
      co_await http::async_write(stream, res, kAwait);
      break;
    }
    if (ec) break;
    http::request<http::string_body> req = parser.release();
    std::string_view target(req.target().data(), req.target().size());
    std::string_view path = target.substr(0, target.find('?'));

    if (websocket::is_upgrade(req)) {
      std::string_view origin(req[http::field::origin].data(), req[http::field::origin].size());
      std::string_view host(req[http::field::host].data(), req[http::field::host].size());
      int status = 0;
      std::string body;
      if (path != "/api/v1/ws") {
        status = 404;
        body = error_json("not_found", "no such route");
      } else if (!shared.api->origin_allowed(origin, host)) {
        status = 403;
        body = error_json("forbidden", "origin not allowed");
      }
      if (status) {
        auto res = json_response(req.version(), false, status, std::move(body));
        co_await http::async_write(stream, res, kAwait);
        break;
      }
      std::string auth(req[http::field::authorization]);
      std::string bearer = auth.rfind("Bearer ", 0) == 0 ? auth.substr(7) : std::string();
      beast::get_lowest_layer(stream).expires_never();
      auto session = std::make_shared<WsSession<Stream>>(std::move(stream), shared);
      // The session runs as its own coroutine so that this one — its read buffer and
      // parser — is freed now instead of living as long as the connection.
      auto ex = session->executor();
      asio::co_spawn(ex, session->run(std::move(req), std::move(bearer)), asio::detached);
      co_return;
    }

    bool keep_alive = req.keep_alive();
    if (is_api_path(path)) {
      api::HttpRequest ar;
      ar.method = std::string(req.method_string());
      ar.path = std::string(path);
      if (auto q = target.find('?'); q != std::string_view::npos) ar.query = std::string(target.substr(q + 1));
      ar.authorization = std::string(req[http::field::authorization]);
      ar.body = std::move(req.body());
      ar.remote_address = remote_address;
      api::HttpResponse r = co_await async_api(*shared.api, std::move(ar), asio::use_awaitable);
      auto res = json_response(req.version(), keep_alive, r.status, std::move(r.body));
      if (path == "/metrics") res.set(http::field::content_type, "text/plain; version=0.0.4");
      if (r.retry_after_s > 0) res.set(http::field::retry_after, std::to_string(r.retry_after_s));
      auto [wec, wn] = co_await http::async_write(stream, res, kAwait);
      if (wec || !keep_alive) break;
      continue;
    }
    if (req.method() != http::verb::get && req.method() != http::verb::head) {
      auto res = json_response(req.version(), false, 405, error_json("method_not_allowed", "static files take GET"));
      co_await http::async_write(stream, res, kAwait);
      break;
    }
    auto [wec, wn] = co_await beast::async_write(stream, serve_file(req, shared.options.web_root), kAwait);
    if (wec || !keep_alive) break;
  }
  beast::error_code ignored;
  beast::get_lowest_layer(stream).socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
}

template asio::awaitable<void> serve_http<beast::tcp_stream>(beast::tcp_stream, Shared&, std::string);
template asio::awaitable<void> serve_http<beast::ssl_stream<beast::tcp_stream>>(
    beast::ssl_stream<beast::tcp_stream>, Shared&, std::string);

}  // namespace parley::net
