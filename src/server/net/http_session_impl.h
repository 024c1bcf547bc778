// The definition of serve_http (internal to net/): included only by http_session_tcp.cc and
// http_session_tls.cc, which instantiate it for a plain stream (beast::tcp_stream) and for
// TLS (AnyStream, so that Beast's operations are compiled for one more stream type only,
// not for the TLS stream's layers). The WebSocket
// session is instantiated in ws_session_tcp.cc / ws_session_tls.cc (start_ws_session), so
// the four heaviest instantiations of the server compile in parallel.
#pragma once

#include "server/net/http_session.h"

#include <type_traits>
#include <optional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "server/net/await.h"
#include "server/net/security_headers.h"
#include "server/net/static_files.h"
#include "server/net/ws_start.h"

namespace parley::net {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;

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

// The same bridge for the upload calls of the Api.
template <class Token>
auto async_begin_upload(api::Api& api, api::HttpRequest req, Token&& token) {
  return asio::async_initiate<Token, void(std::unique_ptr<api::UploadSink>, api::HttpResponse)>(
      [&api](auto handler, api::HttpRequest req) {
        using Handler = decltype(handler);
        auto h = std::make_shared<Handler>(std::move(handler));
        auto work = std::make_shared<asio::executor_work_guard<asio::any_io_executor>>(
            asio::get_associated_executor(*h));
        api.begin_upload(std::move(req), [h, work](std::unique_ptr<api::UploadSink> sink,
                                                   api::HttpResponse r) {
          auto ex = asio::get_associated_executor(*h);
          asio::post(ex, [h, work, sink = std::move(sink), r = std::move(r)]() mutable {
            std::move (*h)(std::move(sink), std::move(r));
            work->reset();
          });
        });
      },
      token, std::move(req));
}

template <class Token>
auto async_finish_upload(api::Api& api, std::unique_ptr<api::UploadSink> sink, Token&& token) {
  return asio::async_initiate<Token, void(api::HttpResponse)>(
      [&api](auto handler, std::unique_ptr<api::UploadSink> sink) {
        using Handler = decltype(handler);
        auto h = std::make_shared<Handler>(std::move(handler));
        auto work = std::make_shared<asio::executor_work_guard<asio::any_io_executor>>(
            asio::get_associated_executor(*h));
        api.finish_upload(std::move(sink), [h, work](api::HttpResponse r) {
          auto ex = asio::get_associated_executor(*h);
          asio::post(ex, [h, work, r = std::move(r)]() mutable {
            std::move (*h)(std::move(r));
            work->reset();
          });
        });
      },
      token, std::move(sink));
}

StringResponse json_response(unsigned version, bool keep_alive, int status, std::string body) {
  StringResponse res{static_cast<http::status>(status), version};
  res.set(http::field::server, "parleyd");
  res.set(http::field::content_type, "application/json");
  res.set(http::field::cache_control, "no-store");
  set_security_headers(res, false);
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
    auto accept = req.find(http::field::accept_encoding);
    *file = negotiate_static(std::move(*file),
                             parse_accept_encoding(accept == req.end() ? std::string_view{}
                                                                       : std::string_view(accept->value())));
    auto inm = req.find(http::field::if_none_match);
    if (inm != req.end() && etag_matches(std::string_view(inm->value()), file->etag)) {
      http::response<http::empty_body> res{http::status::not_modified, req.version()};
      res.set(http::field::server, "parleyd");
      res.set(http::field::etag, file->etag);
      res.set(http::field::vary, "Accept-Encoding");
      res.set(http::field::cache_control,
              file->immutable ? "public, max-age=31536000, immutable" : "no-cache");
      set_security_headers(res, true);
      res.keep_alive(req.keep_alive());
      return res;
    }
    http::file_body::value_type body;
    beast::error_code ec;
    body.open(file->path.c_str(), beast::file_mode::scan, ec);
    if (!ec) {
      http::response<http::file_body> res{http::status::ok, req.version()};
      res.set(http::field::server, "parleyd");
      res.set(http::field::content_type, file->content_type);
      res.set(http::field::cache_control,
              file->immutable ? "public, max-age=31536000, immutable" : "no-cache");
      if (!file->encoding.empty()) res.set(http::field::content_encoding, file->encoding);
      if (!file->etag.empty()) res.set(http::field::etag, file->etag);
      res.set(http::field::vary, "Accept-Encoding");
      set_security_headers(res, true);
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
  auto missing = json_response(req.version(), req.keep_alive(), 404, error_json("not_found", "no such file"));
  if (req.method() == http::verb::head) {
    http::response<http::empty_body> head{http::status::not_found, req.version()};
    head.base() = missing.base();
    return head;
  }
  return missing;
}

bool is_api_path(std::string_view path) {
  return path.rfind("/api/", 0) == 0 || path.rfind("/media/", 0) == 0 || path.rfind("/admin/", 0) == 0 ||
         path == "/healthz" ||
         path == "/readyz" || path == "/metrics";
}

// Whether a read of a request head failed on bytes that are not an HTTP request (rather than
// on the connection: closed, reset, timed out).
bool is_malformed_request(const beast::error_code& ec) {
  using E = http::error;
  for (E e : {E::bad_line_ending, E::bad_method, E::bad_target, E::bad_version, E::bad_field, E::bad_value,
              E::bad_content_length, E::bad_transfer_encoding, E::bad_obs_fold, E::multiple_content_length})
    if (ec == e) return true;
  return false;
}

constexpr std::size_t kChunkBytes = 64 * 1024;

// Writes an Api answer; a streamed body (an image) goes out in chunks read from its
// source, so no response holds a whole image in memory. The answer to a HEAD request is
// the header alone (RFC 9110: it has no content, whatever its status). True when the
// connection may carry another request.
template <class Stream>
asio::awaitable<bool> write_api_response(Stream& stream, unsigned version, bool keep_alive,
                                         api::HttpResponse r, std::string_view path, bool head = false) {
  if (r.stream && !head) {
    http::response<http::buffer_body> res{static_cast<http::status>(r.status), version};
    res.set(http::field::server, "parleyd");
    res.set(http::field::content_type, r.content_type);
    set_security_headers(res, false);
    for (const auto& [name, value] : r.headers) res.set(name, value);
    res.keep_alive(keep_alive);
    res.content_length(r.stream_length);
    res.body().data = nullptr;
    res.body().more = true;
    http::response_serializer<http::buffer_body> sr{res};
    auto [hec, hn] = co_await http::async_write_header(stream, sr, kAwait);
    if (hec) co_return false;
    std::vector<char> chunk(kChunkBytes);
    uint64_t at = r.stream_offset, left = r.stream_length;
    do {
      std::size_t got = 0;
      if (left > 0) {
        auto n = r.stream->read(at, chunk.data(), static_cast<std::size_t>(std::min<uint64_t>(left, chunk.size())));
        // The length is promised in the header: a short read can only cut the connection.
        if (!n || *n == 0) co_return false;
        got = *n;
      }
      at += got;
      left -= got;
      res.body().data = got ? chunk.data() : nullptr;
      res.body().size = got;
      res.body().more = left > 0;
      auto [wec, wn] = co_await http::async_write(stream, sr, kAwait);
      if (wec == http::error::need_buffer) wec = {};
      if (wec) co_return false;
    } while (!sr.is_done());
    co_return keep_alive;
  }
  auto res = json_response(version, keep_alive, r.status, std::move(r.body));
  if (path == "/metrics" && r.status == 200) res.set(http::field::content_type, "text/plain; version=0.0.4");
  if (!r.content_type.empty()) res.set(http::field::content_type, r.content_type);
  for (const auto& [name, value] : r.headers) res.set(name, value);
  if (r.retry_after_s > 0) res.set(http::field::retry_after, std::to_string(r.retry_after_s));
  if (head) {
    if (r.stream) res.content_length(r.stream_length);
    http::response<http::empty_body> header{res.result(), version};
    header.base() = res.base();
    auto [wec, wn] = co_await http::async_write(stream, header, kAwait);
    co_return !wec && keep_alive;
  }
  auto [wec, wn] = co_await http::async_write(stream, res, kAwait);
  co_return !wec && keep_alive;
}

// How requests on a connection of this stream type arrived (api::OriginPolicy compares a
// browser's Origin with it).
template <class Stream>
api::Arrival arrival_of(Stream& stream) {
  beast::error_code ec;
  auto local = beast::get_lowest_layer(stream).socket().local_endpoint(ec);
  return api::Arrival{!std::is_same_v<Stream, beast::tcp_stream>, ec ? uint16_t{0} : local.port()};
}

template <class Head>
api::HttpRequest api_request(const Head& req, const std::string& remote_address, api::Arrival arrival) {
  std::string_view target(req.target().data(), req.target().size());
  api::HttpRequest ar;
  ar.method = std::string(req.method_string());
  ar.path = std::string(target.substr(0, target.find('?')));
  if (auto q = target.find('?'); q != std::string_view::npos) ar.query = std::string(target.substr(q + 1));
  ar.authorization = std::string(req[http::field::authorization]);
  ar.range = std::string(req[http::field::range]);
  ar.if_none_match = std::string(req[http::field::if_none_match]);
  ar.content_type = std::string(req[http::field::content_type]);
  ar.origin = std::string(req[http::field::origin]);
  ar.host = std::string(req[http::field::host]);
  ar.request_id = std::string(req["X-Request-Id"]);
  ar.tls = arrival.tls;
  ar.local_port = arrival.port;
  ar.remote_address = remote_address;
  return ar;
}

// After refusing a body that is still arriving, reads and discards what the client keeps
// sending for a short while (2 s, 8 MiB at most) before the connection closes: closing on
// unread data makes the kernel send a reset, which can destroy the refusal before the
// client has read it.
template <class Stream>
asio::awaitable<void> drain_briefly(Stream& stream) {
  beast::error_code ignored;
  beast::get_lowest_layer(stream).socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
  std::vector<char> sink(kChunkBytes);
  for (std::size_t total = 0; total < (8u << 20);) {
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(sink), kAwait);
    if (ec) break;
    total += n;
  }
}

// An upload route: authenticate from the head, then move the body to the Api's sink
// chunk by chunk as it arrives, never holding it whole. A body over the limit is cut
// off with 413 (a declared Content-Length before a byte is read) and the connection
// closed; the sink, and everything it received, is dropped. True when the connection
// may carry another request.
template <class Stream>
asio::awaitable<bool> serve_upload(Stream& stream, beast::flat_buffer& buffer,
                                   http::request_parser<http::empty_body>& head, Shared& shared,
                                   const std::string& remote_address, api::Arrival arrival) {
  const auto& h = head.get();
  const unsigned version = h.version();
  const bool keep_alive = h.keep_alive();
  const uint64_t limit = shared.api->upload_limit();
  std::string path = std::string(h.target().substr(0, h.target().find('?')));
  auto too_large = [&]() {
    return json_response(version, false, 413,
                         error_json("payload_too_large", "the upload is above the size limit"));
  };
  if (head.content_length() && *head.content_length() > limit) {
    auto res = too_large();
    auto [wec, wn] = co_await http::async_write(stream, res, kAwait);
    // A response that closes the connection completes with end_of_stream.
    if (!wec || wec == http::error::end_of_stream) co_await drain_briefly(stream);
    co_return false;
  }
  auto [sink, refusal] = co_await async_begin_upload(*shared.api, api_request(h, remote_address, arrival),
                                                     asio::use_awaitable);
  if (!sink) {
    // The body was not read, so the connection cannot carry another request.
    co_await write_api_response(stream, version, false, std::move(refusal), path);
    co_await drain_briefly(stream);
    co_return false;
  }
  if (beast::iequals(h[http::field::expect], "100-continue")) {
    http::response<http::empty_body> go_on{http::status::continue_, version};
    auto [cec, cn] = co_await http::async_write(stream, go_on, kAwait);
    if (cec) co_return false;
  }
  http::request_parser<http::buffer_body> body{std::move(head)};
  body.body_limit(limit);
  std::vector<char> chunk(kChunkBytes);
  while (!body.is_done()) {
    body.get().body().data = chunk.data();
    body.get().body().size = chunk.size();
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30));
    auto [ec, n] = co_await http::async_read(stream, buffer, body, kAwait);
    if (ec == http::error::need_buffer) ec = {};
    if (ec == http::error::body_limit) {
      sink.reset();
      auto res = too_large();
      auto [wec, wn] = co_await http::async_write(stream, res, kAwait);
      // A response that closes the connection completes with end_of_stream.
    if (!wec || wec == http::error::end_of_stream) co_await drain_briefly(stream);
      co_return false;
    }
    if (ec) co_return false;
    std::size_t got = chunk.size() - body.get().body().size;
    if (got == 0) continue;
    if (Status s = sink->write(std::string_view(chunk.data(), got)); !s) {
      sink.reset();
      api::HttpResponse r;
      r.status = errc_http_status(s.error().code);
      r.body = error_json(std::string(errc_name(s.error().code)).c_str(),
                          s.error().code == Errc::kPayloadTooLarge ? "the upload is above the size limit"
                                                                   : "the upload could not be stored");
      r.error = s.error().code;
      co_await write_api_response(stream, version, false, std::move(r), path);
      co_return false;
    }
  }
  beast::get_lowest_layer(stream).expires_never();
  api::HttpResponse r = co_await async_finish_upload(*shared.api, std::move(sink), asio::use_awaitable);
  co_return co_await write_api_response(stream, version, keep_alive, std::move(r), path);
}

}  // namespace

template <class Stream>
asio::awaitable<void> serve_http(Stream stream, Shared& shared, std::string remote_address,
                                 std::unique_ptr<ConnectionLimits::Ticket> ticket, std::string preread) {
  beast::flat_buffer buffer;
  if (!preread.empty()) {
    buffer.commit(asio::buffer_copy(buffer.prepare(preread.size()), asio::buffer(preread)));
    preread = {};
  }
  const api::Arrival arrival = arrival_of(stream);
  std::optional<SheddableStream<Stream>> sheddable(std::in_place, stream, *ticket);
  for (;;) {
    // The head comes first, so that an upload route can stream its body (serve_upload).
    // No body limit until the route is known; each route then applies its own.
    http::request_parser<http::empty_body> head;
    head.header_limit(16 * 1024);
    head.body_limit(boost::none);
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30));
    // Waiting for a request, the connection may be shed to make room for others.
    ticket->set_idle(true);
    auto [hec, hn] = co_await http::async_read_header(stream, buffer, head, kAwait);
    ticket->set_idle(false);
    auto too_large = [&]() {
      return json_response(11, false, 413, error_json("payload_too_large", "request body above 64 KiB"));
    };
    if (hec == http::error::header_limit) {
      auto res = json_response(11, false, 431,
                               error_json("headers_too_large", "request line and headers above 16 KiB"));
      auto [wec, wn] = co_await http::async_write(stream, res, kAwait);
      if (!wec || wec == http::error::end_of_stream) co_await drain_briefly(stream);
      break;
    }
    if (is_malformed_request(hec)) {
      // Not HTTP (a request line or header that does not parse, such as a PROXY header
      // from a peer that is no trusted proxy): answered, then closed.
      auto res = json_response(11, false, 400, error_json("bad_request", "malformed HTTP request"));
      auto [wec, wn] = co_await http::async_write(stream, res, kAwait);
      if (!wec || wec == http::error::end_of_stream) co_await drain_briefly(stream);
      break;
    }
    if (hec) break;
    {
      const auto& h = head.get();
      std::string_view t(h.target().data(), h.target().size());
      if (shared.api->is_upload(std::string_view(h.method_string().data(), h.method_string().size()),
                                t.substr(0, t.find('?')))) {
        if (!co_await serve_upload(stream, buffer, head, shared, remote_address, arrival)) break;
        continue;
      }
    }
    if (head.content_length() && *head.content_length() > shared.options.http_body_max_bytes) {
      auto res = too_large();
      auto [wec, wn] = co_await http::async_write(stream, res, kAwait);
      if (!wec || wec == http::error::end_of_stream) co_await drain_briefly(stream);
      break;
    }
    http::request_parser<http::string_body> parser{std::move(head)};
    parser.body_limit(shared.options.http_body_max_bytes);
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, kAwait);
    if (ec == http::error::body_limit) {
      auto res = too_large();
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
      } else if (!shared.api->origin_allowed(origin, host, arrival)) {
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
      sheddable.reset();  // the session takes the stream, and sets its own closer
      // The session runs as its own coroutine so that this one — its read buffer and
      // parser — is freed now instead of living as long as the connection.
      start_ws_session(std::move(stream), shared, std::move(ticket), std::move(req), std::move(bearer));
      co_return;
    }

    bool keep_alive = req.keep_alive();
    if (is_api_path(path)) {
      api::HttpRequest ar = api_request(req, remote_address, arrival);
      ar.body = std::move(req.body());
      api::HttpResponse r = co_await async_api(*shared.api, std::move(ar), asio::use_awaitable);
      if (!co_await write_api_response(stream, req.version(), keep_alive, std::move(r), path,
                                       req.method() == http::verb::head))
        break;
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

}  // namespace parley::net
