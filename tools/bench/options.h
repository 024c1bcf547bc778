// Command line of parley-bench: one scenario name, then --option value pairs.
// parse_options() never exits; it returns an error message for bad input.
#pragma once

#include <cstdint>
#include <string>

#include "common/result.h"

namespace bench {

struct Options {
  std::string scenario;  // connections, direct, reconnect, history, group
  // common
  std::string protocol = "parley";  // parley, or xmpp (a peer such as ejabberd)
  std::string xmpp_domain = "bench.local";
  std::string ws_path = "/ws";  // xmpp: WebSocket request target
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  double duration_s = 10;
  int procs = 1;
  int threads = 1;
  std::string json_file;
  int64_t server_pid = 0;  // 0: find the process listening on --server's port
  int setup_concurrency = 16;
  int connect_concurrency = 128;
  std::string prefix;  // username prefix; random when empty
  bool bind_source = true;  // bind 127.0.0.(2+worker) when the server is on 127/8
  // connections
  int64_t connections = 1000;
  double keepalive_s = 15;
  // direct
  int64_t users = 100;
  double rate = 0;  // messages/s in total; 0 = flat out
  int peers = 4;
  int window = 8;
  int text_bytes = 64;
  double drain_s = 10;
  bool receipts = false;
  // reconnect
  int64_t clients = 1000;
  int64_t messages = 50;
  int64_t senders = 50;
  // history
  int64_t store_messages = 20000;
  int64_t conversations = 10;
  int64_t queriers = 8;
  int page_limit = 50;
  double search_share = 0;
  bool search_prefix = true;  // history: searches match the word as a prefix too  // history: fraction of queries that are searches (seeds words)
  // group
  int64_t groups = 1;
  int64_t group_size = 100;
  int64_t group_senders = 0;  // senders per group; 0 = every member
  bool help = false;
};

parley::Result<Options> parse_options(int argc, char** argv);
std::string usage();

}  // namespace bench
