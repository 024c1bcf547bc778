#include "server/net/http_client.h"

#include <chrono>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace parley::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

template <class Stream>
Result<ClientResponse> exchange(Stream& stream, const ClientRequest& r) {
  http::request<http::string_body> req{http::string_to_verb(r.method), r.target, 11};
  req.set(http::field::host, r.host);
  req.set(http::field::user_agent, "parleyd-admin");
  if (!r.bearer.empty()) req.set(http::field::authorization, "Bearer " + r.bearer);
  if (!r.body.empty()) {
    req.set(http::field::content_type, "application/json");
    req.body() = r.body;
  }
  req.prepare_payload();
  beast::error_code ec;
  http::write(stream, req, ec);
  if (ec) return Error::make(Errc::kUnavailable, "sending the request: " + ec.message());
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 << 20);
  http::read(stream, buffer, parser, ec);
  if (ec) return Error::make(Errc::kUnavailable, "reading the answer: " + ec.message());
  return ClientResponse{static_cast<int>(parser.get().result_int()), std::move(parser.get().body())};
}

}  // namespace

Result<ClientResponse> http_call(const ClientRequest& r) {
  asio::io_context io;
  beast::error_code ec;
  asio::ip::tcp::resolver resolver(io);
  auto endpoints = resolver.resolve(r.host, std::to_string(r.port), ec);
  if (ec) return Error::make(Errc::kUnavailable, "resolving " + r.host + ": " + ec.message());
  beast::tcp_stream tcp(io);
  tcp.expires_after(std::chrono::milliseconds(r.timeout_ms));
  tcp.connect(endpoints, ec);
  if (ec) {
    return Error::make(Errc::kUnavailable,
                       "connecting to " + r.host + ":" + std::to_string(r.port) + ": " + ec.message());
  }
  if (!r.tls) return exchange(tcp, r);
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  ctx.set_verify_mode(asio::ssl::verify_none);
  beast::ssl_stream<beast::tcp_stream> tls(std::move(tcp), ctx);
  tls.handshake(asio::ssl::stream_base::client, ec);
  if (ec) return Error::make(Errc::kUnavailable, "TLS handshake: " + ec.message());
  return exchange(tls, r);
}

}  // namespace parley::net
