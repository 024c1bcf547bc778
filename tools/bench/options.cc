#include "options.h"

#include <charconv>
#include <functional>
#include <vector>

namespace bench {

namespace {

using parley::Errc;
using parley::Error;
using Setter = std::function<bool(Options&, const std::string&)>;

struct Flag {
  const char* name;
  const char* scope;
  const char* help;
  Setter set;
};

template <class T>
Setter number(T Options::*field, T min, T max) {
  return [=](Options& o, const std::string& v) {
    T n{};
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || p != v.data() + v.size() || n < min || n > max) return false;
    o.*field = n;
    return true;
  };
}

Setter boolean(bool Options::*field) {
  return [=](Options& o, const std::string& v) {
    if (v == "true" || v == "1") o.*field = true;
    else if (v == "false" || v == "0") o.*field = false;
    else return false;
    return true;
  };
}

Setter text(std::string Options::*field) {
  return [=](Options& o, const std::string& v) {
    o.*field = v;
    return true;
  };
}

const std::vector<Flag>& flags() {
  static const std::vector<Flag> kFlags = {
      {"server", "all", "HOST:PORT of parleyd or the XMPP server (default 127.0.0.1:8080; a 127/8 or numeric address)",
       [](Options& o, const std::string& v) {
         auto colon = v.rfind(':');
         if (colon == std::string::npos || colon == 0) return false;
         int port = 0;
         auto [p, ec] = std::from_chars(v.data() + colon + 1, v.data() + v.size(), port);
         if (ec != std::errc() || p != v.data() + v.size() || port < 1 || port > 65535) return false;
         o.host = v.substr(0, colon);
         if (o.host == "localhost") o.host = "127.0.0.1";
         o.port = static_cast<uint16_t>(port);
         return true;
       }},
      {"protocol", "all",
       "parley (default), or xmpp: drive an XMPP server over WebSocket (RFC 7395) instead of parleyd; "
       "connections, direct and reconnect only (see XMPP above)",
       [](Options& o, const std::string& v) {
         if (v != "parley" && v != "xmpp") return false;
         o.protocol = v;
         return true;
       }},
      {"xmpp-domain", "xmpp", "XMPP domain of the accounts (default bench.local)", text(&Options::xmpp_domain)},
      {"xmpp-path", "xmpp", "WebSocket request target of the XMPP server (default /ws)", text(&Options::ws_path)},
      {"duration", "all", "seconds of measured load (default 10); reconnect: the catch-up deadline",
       number<double>(&Options::duration_s, 0.1, 86400)},
      {"procs", "all", "worker processes (default 1); worker i binds source address 127.0.0.(2+i)",
       number<int>(&Options::procs, 1, 200)},
      {"threads", "all", "event-loop threads per worker process (default 1)", number<int>(&Options::threads, 1, 64)},
      {"json", "all", "also write the results as JSON to FILE", text(&Options::json_file)},
      {"server-pid", "all", "pid of the server for memory/CPU figures (default: found by the port)",
       number<int64_t>(&Options::server_pid, 1, 1 << 30)},
      {"setup-concurrency", "all", "parallel HTTP setup requests per thread (default 16)",
       number<int>(&Options::setup_concurrency, 1, 1024)},
      {"connect-concurrency", "all", "parallel WebSocket handshakes per thread (default 128)",
       number<int>(&Options::connect_concurrency, 1, 100000)},
      {"prefix", "all", "username prefix, a-z0-9 (default: random, so runs never collide)", text(&Options::prefix)},
      {"bind-source", "all", "bind 127.0.0.(2+worker) as source address (default true)",
       boolean(&Options::bind_source)},
      {"connections", "connections,ping", "authenticated connections to hold, or to ping from (default 1000)",
       number<int64_t>(&Options::connections, 1, 10000000)},
      {"keepalive", "connections", "seconds between application pings per connection (default 15)",
       number<double>(&Options::keepalive_s, 0.1, 3600)},
      {"users", "direct", "users, one connection each (default 100)", number<int64_t>(&Options::users, 2, 10000000)},
      {"rate", "direct,group", "messages/s in total, open loop; 0 = flat out (default 0)",
       number<double>(&Options::rate, 0, 1e8)},
      {"peers", "direct", "conversations per user (default 4)", number<int>(&Options::peers, 1, 1000)},
      {"window", "direct,reconnect,history,group,ping", "sends (pings) in flight per connection when flat out or seeding (default 8)",
       number<int>(&Options::window, 1, 250)},
      {"text-bytes", "direct,group", "message text size (default 64, at least 24)", number<int>(&Options::text_bytes, 24, 16384)},
      {"drain", "direct,reconnect,history,group,ping", "seconds to wait for outstanding acks, deliveries and pongs (default 10)",
       number<double>(&Options::drain_s, 0.1, 3600)},
      {"receipts", "direct,group",
       "direct: recipients answer every message with a delivered receipt; group: members send a read "
       "receipt for their newest message every 100 ms (default false)",
       boolean(&Options::receipts)},
      {"clients", "reconnect", "clients that go away and come back (default 1000)",
       number<int64_t>(&Options::clients, 1, 10000000)},
      {"messages", "reconnect", "messages piled up for each client while it is away (default 50)",
       number<int64_t>(&Options::messages, 1, 1000000)},
      {"senders", "reconnect", "connected users sending the piled-up messages (default 50)",
       number<int64_t>(&Options::senders, 1, 1000000)},
      {"store-messages", "history", "messages to seed before measuring (default 20000; 0 = none)",
       number<int64_t>(&Options::store_messages, 0, 1000000000)},
      {"conversations", "history", "conversations the seeded messages are spread over (default 10)",
       number<int64_t>(&Options::conversations, 1, 1000000)},
      {"queriers", "history", "connections asking for history pages, closed loop (default 8)",
       number<int64_t>(&Options::queriers, 1, 100000)},
      {"page-limit", "history", "messages per history page (default 50)", number<int>(&Options::page_limit, 1, 200)},
      {"search-share", "history",
       "fraction of queries that are full-text searches (default 0); when above 0 the seeded texts are "
       "words from a Zipf-distributed vocabulary and searches ask for one such word",
       number<double>(&Options::search_share, 0, 1)},
      {"search-prefix", "history", "searches also match the word as a prefix, as while typing (true/false, default true)",
       boolean(&Options::search_prefix)},
      {"groups", "group", "groups (default 1); each worker process takes whole groups",
       number<int64_t>(&Options::groups, 1, 1000000)},
      {"group-size", "group", "members per group, creator included (default 100; parleyd allows 256)",
       number<int64_t>(&Options::group_size, 2, 100000)},
      {"group-senders", "group", "members of each group that send (default 0 = all)",
       number<int64_t>(&Options::group_senders, 0, 100000)},
  };
  return kFlags;
}

}  // namespace

std::string usage() {
  std::string u =
      "parley-bench - load generator for parleyd\n\n"
      "usage: parley-bench SCENARIO [--OPTION VALUE]...\n\n"
      "Scenarios:\n"
      "  connections  N authenticated idle WebSockets held with keep-alives for --duration;\n"
      "               reports parleyd's resident memory per connection (VmRSS before/after)\n"
      "               and its CPU use while holding them.\n"
      "  direct       --users users, each in --peers 1:1 conversations, send messages to random\n"
      "               peers at --rate msgs/s in total (open loop: latency counts from the\n"
      "               scheduled send time) or flat out (--rate 0, --window sends in flight per\n"
      "               connection); reports delivered msgs/s, ack latency and send-to-receive\n"
      "               latency (p50/p90/p99/p99.9/max).\n"
      "  reconnect    --clients clients go away while --messages messages pile up for each,\n"
      "               then all reconnect at once, sync and fetch history after their cursor;\n"
      "               reports the time until every client has everything.\n"
      "  history      seeds --store-messages messages over --conversations conversations, then\n"
      "               --queriers connections fetch random history pages (before=S) for\n"
      "               --duration; reports page latency p50/p99. With --search-share S, that\n"
      "               share of the queries are searches for a random vocabulary word (checked:\n"
      "               every hit is in the querier's conversation and highlights the word).\n"
      "  group        --groups groups of --group-size members, every member connected; the\n"
      "               creation's system messages are checked first. --group-senders members per\n"
      "               group send at --rate msgs/s in total (open loop) or flat out (--rate 0,\n"
      "               --window in flight per sender); reports deliveries/s (messages x\n"
      "               recipients), ack and send-to-receive latency, `receipts` frames with\n"
      "               --receipts. Checks every member but the sender gets each message once.\n"
      "  ping         --connections connections each keep --window application pings in flight\n"
      "               for --duration (no store, no fan-out): what reading a frame, dispatching\n"
      "               it and writing one answer costs; reports pings answered/s, the round\n"
      "               trip p50/p99 and the server's CPU per answer.\n\n"
      "Every scenario checks that each acknowledged message reaches each recipient exactly once\n"
      "and in seq order; a loss, duplicate, reordering, dropped connection or unexpected error\n"
      "is reported and makes the exit status 1.\n\n"
      "Benchmark the server started with\n"
      "  --insecure-fast-password-hashing true --rate-register-per-min 1000000\n"
      "  --rate-login-per-min 1000000 --rate-send-per-sec 0 --rate-other-per-sec 0\n"
      "  --rate-group-create-per-min 0 --rate-group-add-per-min 0 --max-connections-per-address 0\n"
      "so that account setup, the per-user buckets and the per-address connection cap\n"
      "(every bench connection comes from one address) are not what is measured.\n\n"
      "XMPP (--protocol xmpp), for side-by-side runs against ejabberd (bench/peers/ejabberd):\n"
      "  the bench registers its accounts in-band (XEP-0077), logs in with SASL PLAIN, binds a\n"
      "  resource and sends initial presence. Messages are <message type='chat'> stanzas to the\n"
      "  peer's bare JID. \"Acknowledged\" means the server's XEP-0198 stream-management answer\n"
      "  <a h='N'/> to the <r/> sent after each message: the server's session process has\n"
      "  routed it (handed it to the recipient's session, or stored it offline). Each message\n"
      "  carries its conversation and a per-sender seq in its id, so the exactly-once and order\n"
      "  checks are the same as against parleyd. connections: logged-in idle sessions with\n"
      "  XEP-0199 pings; direct: as above, --receipts makes messages ask for XEP-0184 receipts\n"
      "  and recipients send them; reconnect: the --clients have never been online, the messages\n"
      "  go to ejabberd's offline store, and each client's catch-up is login + presence until\n"
      "  every message arrived.\n\n"
      "Options (scope in brackets):\n";
  for (const auto& f : flags()) {
    std::string line = std::string("  --") + f.name + " V";
    if (line.size() < 26) line.resize(26, ' ');
    u += line + "[" + f.scope + "] " + f.help + "\n";
  }
  u += "  --help                  this text\n";
  return u;
}

parley::Result<Options> parse_options(int argc, char** argv) {
  Options o;
  int i = 1;
  if (argc > 1 && argv[1][0] != '-') o.scenario = argv[i++];
  for (; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      o.help = true;
      return o;
    }
    if (arg.rfind("--", 0) != 0) return Error::make(Errc::kInvalidArgument, "unexpected argument '" + arg + "'");
    std::string name = arg.substr(2), value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    } else {
      if (i + 1 >= argc) return Error::make(Errc::kInvalidArgument, "option --" + name + " needs a value");
      value = argv[++i];
    }
    const Flag* flag = nullptr;
    for (const auto& f : flags())
      if (name == f.name) flag = &f;
    if (!flag) return Error::make(Errc::kInvalidArgument, "unknown option --" + name + " (see --help)");
    if (!flag->set(o, value)) return Error::make(Errc::kInvalidArgument, "bad value '" + value + "' for --" + name);
  }
  if (o.protocol == "xmpp" && o.scenario != "connections" && o.scenario != "direct" && o.scenario != "reconnect" &&
      !o.scenario.empty())
    return Error::make(Errc::kInvalidArgument, "--protocol xmpp supports connections, direct and reconnect");
  for (char c : o.prefix)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) || o.prefix.size() > 12)
      return Error::make(Errc::kInvalidArgument, "--prefix wants up to 12 characters of a-z0-9");
  return o;
}

}  // namespace bench
