#include "server/push/https_client.h"

#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "server/net/any_stream.h"

namespace parley::push {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t kMaxAnswerBytes = 64 * 1024;

struct Url {
  bool tls = true;
  std::string host;  // without brackets for IPv6
  std::string port;
  std::string target;
};

std::optional<Url> parse_url(const std::string& url) {
  Url u;
  std::string_view rest(url);
  if (rest.rfind("https://", 0) == 0) {
    rest.remove_prefix(8);
  } else if (rest.rfind("http://", 0) == 0) {
    u.tls = false;
    rest.remove_prefix(7);
  } else {
    return std::nullopt;
  }
  const auto slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  u.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (u.target.front() == '?') u.target.insert(u.target.begin(), '/');
  if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;
  if (authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    u.host = std::string(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
    if (!authority.empty() && authority.front() != ':') return std::nullopt;
    u.port = authority.empty() ? "" : std::string(authority.substr(1));
  } else {
    const auto colon = authority.find(':');
    u.host = std::string(authority.substr(0, colon));
    u.port = colon == std::string_view::npos ? "" : std::string(authority.substr(colon + 1));
  }
  if (u.port.empty()) u.port = u.tls ? "443" : "80";
  if (u.host.empty()) return std::nullopt;
  return u;
}

}  // namespace

bool is_public_address(const std::string& text) {
  boost::system::error_code ec;
  auto a = asio::ip::make_address(text, ec);
  if (ec) return false;
  if (a.is_v6() && a.to_v6().is_v4_mapped()) a = asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
  if (a.is_v4()) {
    const uint32_t v = a.to_v4().to_uint();
    const auto in = [v](uint32_t net, int bits) { return (v >> (32 - bits)) == (net >> (32 - bits)); };
    return !(in(0x00000000, 8) || in(0x0A000000, 8) || in(0x7F000000, 8) || in(0xA9FE0000, 16) ||
             in(0xAC100000, 12) || in(0xC0A80000, 16) || in(0x64400000, 10) || in(0xE0000000, 4) ||
             in(0xF0000000, 4));
  }
  const auto v6 = a.to_v6();
  const auto b = v6.to_bytes();
  return !(v6.is_unspecified() || v6.is_loopback() || v6.is_link_local() || v6.is_multicast() ||
           (b[0] & 0xFE) == 0xFC || v6.is_site_local());
}

struct HttpsClient::Impl {
  HttpsClientOptions options;
  asio::io_context ioc{1};
  ssl::context tls{ssl::context::tls_client};
  asio::executor_work_guard<asio::io_context::executor_type> work{ioc.get_executor()};
  std::thread thread;

  template <class Stream>
  asio::awaitable<HttpAnswer> exchange(Stream& stream, const Url& u, const HttpPost& p) {
    http::request<http::string_body> req{http::verb::post, u.target, 11};
    req.set(http::field::host, u.host.find(':') != std::string::npos ? "[" + u.host + "]" : u.host);
    req.set(http::field::user_agent, "parleyd");
    for (const auto& [k, v] : p.headers) req.set(k, v);
    req.body() = p.body;
    req.prepare_payload();
    auto [we, wn] = co_await http::async_write(stream, req, asio::as_tuple(asio::use_awaitable));
    if (we) co_return HttpAnswer{0, {}, "write: " + we.message()};
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxAnswerBytes);
    auto [re, rn] = co_await http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
    if (re) co_return HttpAnswer{0, {}, "read: " + re.message()};
    co_return HttpAnswer{static_cast<int>(parser.get().result_int()), parser.get().body(), {}};
  }

  asio::awaitable<HttpAnswer> run(HttpPost p) {
    auto u = parse_url(p.url);
    if (!u) co_return HttpAnswer{0, {}, "not an absolute http(s) URL"};
    tcp::resolver resolver(ioc);
    beast::tcp_stream tcp_stream(ioc);
    tcp_stream.expires_after(options.timeout);
    auto [e1, endpoints] = co_await resolver.async_resolve(u->host, u->port, asio::as_tuple(asio::use_awaitable));
    if (e1) co_return HttpAnswer{0, {}, "resolve: " + e1.message()};
    std::vector<tcp::endpoint> allowed;
    for (const auto& entry : endpoints)
      if (!p.public_only || options.allow_private_addresses || is_public_address(entry.endpoint().address().to_string()))
        allowed.push_back(entry.endpoint());
    if (allowed.empty()) co_return HttpAnswer{0, {}, "refused: the endpoint's host has no public address"};
    auto [e2, ep] = co_await tcp_stream.async_connect(allowed, asio::as_tuple(asio::use_awaitable));
    if (e2) co_return HttpAnswer{0, {}, "connect: " + e2.message()};
    if (!u->tls) {
      HttpAnswer a = co_await exchange(tcp_stream, *u, p);
      beast::error_code ignored;
      tcp_stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
      co_return a;
    }
    beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp_stream), tls);
    if (!SSL_set_tlsext_host_name(stream.native_handle(), u->host.c_str()))
      co_return HttpAnswer{0, {}, "TLS: cannot set the server name"};
    stream.set_verify_callback(ssl::host_name_verification(u->host));
    auto [e3] = co_await stream.async_handshake(ssl::stream_base::client, asio::as_tuple(asio::use_awaitable));
    if (e3) co_return HttpAnswer{0, {}, "TLS handshake: " + e3.message()};
    // The exchange runs on net::AnyStream, so that Beast's HTTP operations are not compiled
    // through the TLS stream's layers (see net/any_stream.h).
    net::AnyStream secure = net::AnyStream::tls(std::move(stream));
    HttpAnswer a = co_await exchange(secure, *u, p);
    // Closing without waiting for the peer's close_notify: the answer is complete.
    beast::error_code ignored;
    secure.socket().shutdown(tcp::socket::shutdown_both, ignored);
    co_return a;
  }
};

HttpsClient::HttpsClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {
  impl_->thread = std::thread([this] { impl_->ioc.run(); });
}

HttpsClient::~HttpsClient() {
  impl_->work.reset();
  impl_->ioc.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

Result<std::unique_ptr<HttpsClient>> HttpsClient::make(HttpsClientOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  beast::error_code ec;
  impl->tls.set_verify_mode(ssl::verify_peer, ec);
  if (!ec) impl->tls.set_default_verify_paths(ec);
  if (ec) return Error::make(Errc::kInternal, "TLS setup: " + ec.message());
  if (!impl->options.ca_file.empty()) {
    impl->tls.load_verify_file(impl->options.ca_file, ec);
    if (ec) return Error::make(Errc::kInvalidArgument, "push CA file " + impl->options.ca_file + ": " + ec.message());
  }
  return std::unique_ptr<HttpsClient>(new HttpsClient(std::move(impl)));
}

void HttpsClient::post(HttpPost request, std::function<void(HttpAnswer)> done) {
  asio::co_spawn(impl_->ioc, impl_->run(std::move(request)),
                 [done = std::move(done)](std::exception_ptr e, HttpAnswer a) {
                   if (e) a = HttpAnswer{0, {}, "request failed"};
                   done(std::move(a));
                 });
}

}  // namespace parley::push
