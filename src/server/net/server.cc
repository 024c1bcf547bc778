#include "server/net/server.h"

#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <thread>
#include <tuple>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <spdlog/spdlog.h>

#include "common/address_key.h"
#include "server/net/any_stream.h"
#include "server/net/http_session.h"
#include "server/net/proxy_header.h"

namespace parley::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

// How long a trusted proxy has to send a connection's PROXY header (haproxy sends it at
// once, with the connection).
constexpr auto kProxyHeaderTimeout = std::chrono::seconds(10);

// The address of a client that a trusted proxy relays without naming it. Not an IP
// address: it matches no allow list, and such clients share one count.
constexpr const char* kUnknownClient = "unknown";

// Raises the soft limit on open descriptors to the hard limit; returns the soft limit in
// force afterwards.
std::size_t raise_descriptor_limit() {
  constexpr rlim_t kCeiling = 1 << 20;  // what "unlimited" is taken to mean
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return 1024;
  rlim_t want = rl.rlim_max == RLIM_INFINITY ? kCeiling : rl.rlim_max;
  if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= want) return static_cast<std::size_t>(std::min(rl.rlim_cur, kCeiling));
  rlimit raised{want, rl.rlim_max};
  if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) return static_cast<std::size_t>(want);
  return static_cast<std::size_t>(rl.rlim_cur);
}

class PoolWorker final : public api::Worker {
 public:
  explicit PoolWorker(int threads) : pool_(static_cast<std::size_t>(threads)) {}
  void post(std::function<void()> fn) override { asio::post(pool_, std::move(fn)); }
  void join() { pool_.join(); }

 private:
  asio::thread_pool pool_;
};

}  // namespace

struct Server::Impl {
  explicit Impl(ServerOptions o)
      : ioc(o.io_threads), worker(o.worker_threads), acceptor(ioc), signals(ioc, SIGINT, SIGTERM),
        tls(ssl::context::tls_server) {
    shared.options = std::move(o);
  }

  asio::awaitable<void> accept_loop() {
    auto await = asio::as_tuple(asio::use_awaitable);
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(asio::make_strand(ioc), await);
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      if (ec) {
        // Out of descriptors (the reserve is spent) or a transient error: free an idle
        // connection's descriptor if there is one, and back off instead of spinning.
        if (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
            ec.value() == ENFILE) {
          if (shared.limits->shed_oldest_idle()) shared.metrics->connections_shed.add();
        }
        spdlog::warn("accept failed: {}", ec.message());
        asio::steady_timer t(ioc, std::chrono::milliseconds(100));
        co_await t.async_wait(await);
        continue;
      }
      beast::error_code ignored;
      std::string remote = socket.remote_endpoint(ignored).address().to_string();
      // A trusted proxy's connection counts under no address until its PROXY header names
      // the client (serve_proxied); any other counts under its peer's address at once.
      const bool proxied = shared.options.trusted_proxies.contains(remote);
      auto admission = proxied ? shared.limits->admit_unaddressed() : shared.limits->admit(address_key(remote));
      if (admission.shed_one) shared.metrics->connections_shed.add();
      if (!admission.ticket) {
        // Closed at once, without reading or answering: the cheapest refusal.
        shared.metrics->connections_refused.add();
        socket.close(ignored);
        continue;
      }
      socket.set_option(tcp::no_delay(true), ignored);
      auto ex = socket.get_executor();
      if (proxied) {
        asio::co_spawn(ex, serve_proxied(beast::tcp_stream(std::move(socket)), std::move(remote),
                                         std::move(admission.ticket)),
                       asio::detached);
      } else {
        asio::co_spawn(ex, serve(beast::tcp_stream(std::move(socket)), std::move(remote),
                                 std::move(admission.ticket), std::string()),
                       asio::detached);
      }
    }
  }

  // Serves a connection whose client is `remote`; `preread` holds bytes that arrived
  // after the PROXY header (the start of the TLS handshake or of the first request).
  asio::awaitable<void> serve(beast::tcp_stream stream, std::string remote,
                              std::unique_ptr<ConnectionLimits::Ticket> ticket, std::string preread) {
    if (use_tls)
      co_await serve_tls(std::move(stream), std::move(remote), std::move(ticket), std::move(preread));
    else
      co_await serve_http(std::move(stream), shared, std::move(remote), std::move(ticket), std::move(preread));
  }

  // A connection from a trusted proxy: reads its PROXY header, counts the connection under
  // the client it names, and serves it as that client's. Closed without an answer when the
  // header is missing, malformed or late, or when the client's address is at its cap.
  asio::awaitable<void> serve_proxied(beast::tcp_stream stream, std::string proxy,
                                      std::unique_ptr<ConnectionLimits::Ticket> ticket) {
    std::string preread;
    Result<ProxyHeader> header = Error::make(Errc::kInternal, "");
    {
      // Waiting for the header, the connection is idle: it may be shed like any other.
      SheddableStream<beast::tcp_stream> sheddable(stream, *ticket);
      header = co_await read_proxy_header(stream, preread);
    }
    if (!header) {
      shared.metrics->proxy_headers_refused.add();
      spdlog::debug("connection from proxy {} closed: {}", proxy, header.error().message);
      co_return;
    }
    std::string client;
    switch (header->source) {
      case ProxyHeader::Source::kClient: client = header->address; break;
      // The proxy's own connection (a health check) is the proxy's.
      case ProxyHeader::Source::kLocal: client = proxy; break;
      // A relayed client the proxy could not name: never the proxy's address, which could
      // be in an allow list (a proxy on loopback would give its clients loopback's rights).
      case ProxyHeader::Source::kUnknown: client = kUnknownClient; break;
    }
    if (!ticket->set_address(address_key(client))) {
      shared.metrics->connections_refused.add();
      co_return;
    }
    co_await serve(std::move(stream), std::move(client), std::move(ticket), std::move(preread));
  }

  // Reads the PROXY header at the start of `stream`, at most kProxyHeaderMaxBytes within
  // kProxyHeaderTimeout; bytes read past it go to `rest`. Errors: kBadRequest (malformed,
  // closed or late).
  asio::awaitable<Result<ProxyHeader>> read_proxy_header(beast::tcp_stream& stream, std::string& rest) {
    std::array<char, kProxyHeaderMaxBytes> buf;
    std::size_t have = 0;
    stream.expires_after(kProxyHeaderTimeout);
    for (;;) {
      auto [ec, n] = co_await stream.async_read_some(asio::buffer(buf.data() + have, buf.size() - have),
                                                     asio::as_tuple(asio::use_awaitable));
      if (ec == beast::error::timeout) co_return Error::make(Errc::kBadRequest, "PROXY header: not sent in time");
      if (ec) co_return Error::make(Errc::kBadRequest, "PROXY header: " + ec.message());
      have += n;
      auto parsed = parse_proxy_header(std::string_view(buf.data(), have));
      if (!parsed) co_return parsed.error();
      if (!*parsed) {
        // parse_proxy_header answers for good once the buffer is full; were it ever to ask
        // for more then, a read of nothing must not spin.
        if (have == buf.size()) co_return Error::make(Errc::kBadRequest, "PROXY header: too long");
        continue;
      }
      ProxyHeader h = std::move(**parsed);
      rest.assign(buf.data() + h.length, have - h.length);
      stream.expires_never();
      co_return h;
    }
  }

  asio::awaitable<void> serve_tls(beast::tcp_stream tcp_stream, std::string remote,
                                  std::unique_ptr<ConnectionLimits::Ticket> ticket, std::string preread) {
    beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp_stream), tls);
    {
      SheddableStream<beast::ssl_stream<beast::tcp_stream>> sheddable(stream, *ticket);
      beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(15));
      beast::error_code ec;
      if (preread.empty()) {
        std::tie(ec) = co_await stream.async_handshake(ssl::stream_base::server, asio::as_tuple(asio::use_awaitable));
      } else {
        // The handshake's first bytes came with the PROXY header.
        std::size_t used = 0;
        std::tie(ec, used) = co_await stream.async_handshake(ssl::stream_base::server, asio::buffer(preread),
                                                             asio::as_tuple(asio::use_awaitable));
      }
      if (ec) co_return;
    }
    co_await serve_http(AnyStream::tls(std::move(stream)), shared, std::move(remote), std::move(ticket),
                        std::string());
  }

  asio::io_context ioc;
  PoolWorker worker;
  tcp::acceptor acceptor;
  asio::signal_set signals;
  ssl::context tls;
  bool use_tls = false;
  Shared shared;
  std::thread drain_thread;
};

Server::Server(ServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Server::~Server() {
  if (impl_->drain_thread.joinable()) impl_->drain_thread.join();
}

api::Worker& Server::worker() { return impl_->worker; }

uint16_t Server::port() const {
  beast::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

Status Server::start(api::Api& api) {
  Impl& m = *impl_;
  m.shared.api = &api;
  m.shared.metrics = &api.metrics();
  const ServerOptions& o = m.shared.options;
  auto fail = [](const std::string& what) { return Error::make(Errc::kInternal, what); };

  if (!o.tls_cert_file.empty() || !o.tls_key_file.empty()) {
    if (o.tls_cert_file.empty() || o.tls_key_file.empty())
      return fail("TLS needs both a certificate and a key file");
    beast::error_code ec;
    m.tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                      ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    m.tls.use_certificate_chain_file(o.tls_cert_file, ec);
    if (ec) return fail("TLS certificate " + o.tls_cert_file + ": " + ec.message());
    m.tls.use_private_key_file(o.tls_key_file, ssl::context::pem, ec);
    if (ec) return fail("TLS key " + o.tls_key_file + ": " + ec.message());
    m.use_tls = true;
  }

  // Connections may use every descriptor but a reserve, which keeps the store, photo files
  // and logs working and lets accept go on (to shed or refuse) when connections are full.
  const std::size_t descriptors = raise_descriptor_limit();
  if (descriptors < o.fd_reserve + 16)
    return fail("the descriptor limit (" + std::to_string(descriptors) + ") leaves no room for connections " +
                "beside the reserve of " + std::to_string(o.fd_reserve) + " (raise ulimit -n or lower --fd-reserve)");
  ConnectionLimits::Limits limits;
  limits.max_total = descriptors - o.fd_reserve;
  if (o.max_connections > 0) limits.max_total = std::min(limits.max_total, o.max_connections);
  limits.max_per_address = o.max_connections_per_address;
  m.shared.limits = std::make_unique<ConnectionLimits>(limits);
  spdlog::info("up to {} connections ({} per client address; descriptor limit {}, reserve {})",
               limits.max_total, limits.max_per_address, descriptors, o.fd_reserve);

  beast::error_code ec;
  auto address = asio::ip::make_address(o.host, ec);
  if (ec) return fail("bad listen address '" + o.host + "': " + ec.message());
  tcp::endpoint endpoint(address, o.port);
  m.acceptor.open(endpoint.protocol(), ec);
  if (!ec) m.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) m.acceptor.bind(endpoint, ec);
  if (!ec) m.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("cannot listen on " + o.host + ":" + std::to_string(o.port) + ": " + ec.message());
  asio::co_spawn(m.ioc, m.accept_loop(), asio::detached);
  return {};
}

void Server::run(const std::function<void()>& drain) {
  Impl& m = *impl_;
  m.signals.async_wait([&m, drain](beast::error_code ec, int signal) {
    if (ec) return;
    spdlog::info("signal {}: shutting down", signal);
    m.shared.api->set_ready(false);
    // From now on WebSockets drop new requests unexecuted (the client resends them after
    // reconnecting elsewhere, sends with their client_id) rather than have them refused
    // half-way through the drain; what is already queued commits and is acknowledged.
    m.shared.draining.store(true);
    beast::error_code ignored;
    m.acceptor.close(ignored);
    // Draining blocks (it waits for the last commits), so it runs off the I/O threads;
    // the acks it completes are still delivered because the I/O threads keep running.
    // The guard keeps run() from returning while the drain is still going, even if no
    // socket operation is pending at that moment.
    auto guard = std::make_shared<asio::executor_work_guard<asio::io_context::executor_type>>(
        m.ioc.get_executor());
    m.drain_thread = std::thread([&m, drain, guard] {
      drain();
      asio::post(m.ioc, [&m, guard] {
        guard->reset();
        m.shared.registry.close_all();
        auto timer = std::make_shared<asio::steady_timer>(m.ioc, std::chrono::seconds(2));
        timer->async_wait([&m, timer](beast::error_code) { m.ioc.stop(); });
      });
    });
  });

  std::vector<std::thread> threads;
  for (int i = 1; i < m.shared.options.io_threads; ++i) threads.emplace_back([&m] { m.ioc.run(); });
  m.ioc.run();
  for (auto& t : threads) t.join();
  if (m.drain_thread.joinable()) m.drain_thread.join();
  m.worker.join();
}

}  // namespace parley::net
