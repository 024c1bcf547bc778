// The network front: accepts TCP (optionally TLS) connections, speaks HTTP/1.1 and
// WebSocket with Boost.Beast, serves the web client's static files, and hands requests
// and frames to the Api. This folder is the only place that includes Beast or Asio.
//
// Threads: `io_threads` run the event loop; every connection lives on its own strand.
// A separate pool of `worker_threads` runs the Api's blocking work (store reads,
// password hashing); the domain's committer has its own thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/result.h"
#include "server/api/address_list.h"
#include "server/api/api.h"

namespace parley::net {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  int io_threads = 2;
  int worker_threads = 2;
  std::string web_root;            // static files of the web client; empty: none
  std::string tls_cert_file;       // PEM; both set: serve HTTPS/WSS only
  std::string tls_key_file;
  int64_t ws_idle_timeout_ms = 40000;  // ping after half of it silent, close after all of it
  int64_t ws_auth_timeout_ms = 10000;
  std::size_t ws_queue_max_frames = 1024;
  std::size_t ws_queue_max_bytes = 8u << 20;
  // Bytes queued for all WebSocket clients together; 0: no limit. A frame that would take
  // the total over it first cuts the connections holding the most queued bytes (the one it
  // is for, if that one holds the most), as ws_queue_max_bytes does for one connection.
  std::size_t ws_queued_bytes_budget = 256u << 20;
  std::size_t ws_frame_max_bytes = 64u << 10;
  std::size_t http_body_max_bytes = 64u << 10;
  // Connection limits (docs/protocol.md, "Connection limits"). At start the soft limit on
  // open descriptors is raised to the hard one; connections may use all of them but
  // fd_reserve. max_connections lowers that further (0: no lower cap). A connection beyond
  // a cap is closed at accept; at the server-wide cap the oldest idle connection (no
  // request in progress, not authenticated) is closed instead, if there is one.
  std::size_t max_connections = 0;
  std::size_t max_connections_per_address = 1024;  // 0: no limit
  std::size_t fd_reserve = 128;
  // Peers that announce each connection's client with a PROXY protocol header (v1 or v2,
  // src/server/net/proxy_header.h) before anything else: from a listed peer, the header
  // must arrive within kProxyHeaderTimeout, and the address it names replaces the peer's
  // for every per-address limit and list; without a valid header the connection is closed.
  // From any other peer a PROXY header is just bytes (HTTP answers 400). Empty: nobody.
  api::AddressList trusted_proxies;
};

class Server {
 public:
  // `make_api` is called once with the worker pool the Api must use.
  Server(ServerOptions options);
  ~Server();

  // The pool where blocking work runs; give it to the Api.
  api::Worker& worker();

  // Binds the listening socket (port 0 picks a free one). Errors: kInternal with the
  // reason (address in use, bad certificate...).
  Status start(api::Api& api);

  // The bound port (after start).
  uint16_t port() const;

  // Runs until SIGINT/SIGTERM, then shuts down gracefully: stops accepting, reports not
  // ready, calls `drain` (the domain commits what it has queued), closes WebSockets with
  // 1001 after their queued frames, and returns.
  void run(const std::function<void()>& drain);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley::net
