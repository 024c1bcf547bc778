// direct: users in 1:1 conversations send messages to random peers, open loop at --rate
// msgs/s in total or flat out (--rate 0, --window sends in flight per connection). Every
// ack and every delivery is recorded for the exactly-once check; latencies count from the
// scheduled send time, so a server that falls behind shows it.
#include <algorithm>
#include <random>
#include <set>
#include <thread>
#include <unordered_map>

#include "direct_phases.h"
#include "frames.h"
#include "ledger.h"
#include "scenarios.h"
#include "setup.h"

namespace bench {

namespace json = boost::json;

namespace {

constexpr int kMaxInFlight = 200;  // the server allows 256 per connection

struct Pending {
  int64_t conversation;
  uint64_t scheduled_ns;
};

struct User {
  std::shared_ptr<WsConn> conn;
  int64_t id = 0;
  std::vector<std::size_t> convs;  // indices into the worker's conversation list
  uint64_t counter = 0;
  int in_flight = 0;
  std::unordered_map<uint64_t, Pending> pending;
  OrderCheck order;
  // Messages of peers this user holds, by (conversation, seq): true when fetched after a
  // `resync` rather than pushed. A late event for a fetched one is not a second delivery.
  std::unordered_map<uint64_t, bool> held;
};

uint64_t held_key(int64_t conv, int64_t seq) {
  return (static_cast<uint64_t>(conv) << 32) ^ static_cast<uint64_t>(seq);
}

struct Run : DirectState {
  explicit Run(const Options& o) : opt(o) {}
  const Options& opt;
  std::vector<User> users;
  std::vector<int64_t> conv_ids;
  std::vector<SendFrame> frames;  // per conversation
};

void send_one(Run& run, User& u, Shard& shard, uint64_t scheduled, std::mt19937_64& rng) {
  std::size_t c = u.convs[rng() % u.convs.size()];
  uint64_t n = ++u.counter;
  u.pending.emplace(n, Pending{run.conv_ids[c], scheduled});
  ++u.in_flight;
  u.conn->send(run.frames[c].make(n, scheduled));
  shard.stats.add("sent");
}

void on_frame(Run& run, User& u, Shard& shard, DirectShard& st, std::mt19937_64& rng, std::string_view f) {
  unsigned char buf[8192];
  json::monotonic_resource mr(buf, sizeof buf);
  json::value v;
  if (!parse_frame(f, mr, v)) {
    shard.stats.error("unparsable frame: " + std::string(f.substr(0, 120)));
    return;
  }
  const json::object& o = v.get_object();
  std::string_view type = str_field(o, "type");
  uint64_t now = now_ns();
  if (type == "ack") {
    uint64_t n = o.contains("id") ? answer_counter(o.at("id")) : UINT64_MAX;
    auto it = u.pending.find(n);
    const json::object* m = obj_field(o, "message");
    if (it == u.pending.end() || !m) {
      shard.stats.error("ack for no pending send: " + std::string(f.substr(0, 120)));
      return;
    }
    if (o.contains("duplicate") && o.at("duplicate").is_bool() && o.at("duplicate").get_bool())
      shard.stats.error("ack marked duplicate for a new client_id");
    shard.stats.hist("ack_us").record((now - it->second.scheduled_ns) / 1000);
    st.ledger.acked.push_back({int_field(*m, "conversation_id"), int_field(*m, "seq"), u.id});
    if (int_field(*m, "conversation_id") != it->second.conversation) shard.stats.error("ack for another conversation");
    if (now <= run.deadline_ns) shard.stats.add("acked_in_window");
    u.pending.erase(it);
    --u.in_flight;
    run.acked.fetch_add(1, std::memory_order_relaxed);
    if (run.opt.rate == 0 && run.sending.load(std::memory_order_relaxed) && now < run.deadline_ns)
      send_one(run, u, shard, now, rng);
  } else if (type == "message") {
    const json::object* m = obj_field(o, "message");
    if (!m) return shard.stats.error("message event without message");
    int64_t conv = int_field(*m, "conversation_id"), seq = int_field(*m, "seq");
    uint64_t stamp = text_stamp(str_field(*m, "text"));
    if (stamp && now >= stamp) shard.stats.hist("e2e_us").record((now - stamp) / 1000);
    auto [h, fresh] = u.held.emplace(held_key(conv, seq), false);
    if (!fresh && h->second) return;  // fetched after a resync already
    st.ledger.received.push_back({conv, seq, u.id});
    u.order.observe(conv, seq, shard.stats);
    if (now <= run.deadline_ns) shard.stats.add("delivered_in_window");
    run.delivered.fetch_add(1, std::memory_order_relaxed);
    if (run.opt.receipts) {
      ++u.in_flight;
      u.conn->send(R"({"type":"delivered","id":1,"conversation_id":)" + std::to_string(conv) +
                   R"(,"seq":)" + std::to_string(seq) + "}");
    }
  } else if (type == "resync") {
    // docs/protocol.md, "Events lost between nodes": the server may have lost events for
    // this device; fetch the newest page of each conversation and keep what is missing.
    shard.stats.add("resyncs");
    for (std::size_t c : u.convs) {
      ++u.in_flight;
      u.conn->send(R"({"type":"history","id":"h","conversation_id":)" + std::to_string(run.conv_ids[c]) +
                   R"(,"limit":200})");
    }
  } else if (type == "history") {
    --u.in_flight;
    const json::value* list = o.if_contains("messages");
    if (!list || !list->is_array()) return shard.stats.error("history answer without messages");
    for (const json::value& mv : list->get_array()) {
      if (!mv.is_object() || int_field(mv.get_object(), "sender_id") == u.id) continue;
      int64_t conv = int_field(mv.get_object(), "conversation_id"), seq = int_field(mv.get_object(), "seq");
      if (!u.held.emplace(held_key(conv, seq), true).second) continue;
      st.ledger.received.push_back({conv, seq, u.id});
      shard.stats.add("recovered");
      run.delivered.fetch_add(1, std::memory_order_relaxed);
    }
  } else if (type == "ok") {
    --u.in_flight;
  } else if (type == "error") {
    uint64_t n = o.contains("id") ? answer_counter(o.at("id")) : UINT64_MAX;
    if (auto it = u.pending.find(n); it != u.pending.end()) {
      u.pending.erase(it);
      --u.in_flight;
    }
    shard.stats.error("error frame: " + std::string(f.substr(0, 160)));
  }
}

// The WebSocket side of the phases: JSON frames, acks by request id.
class WsDirect final : public DirectTransport {
 public:
  explicit WsDirect(Run& run) : run_(run) {}
  void start(std::size_t i, Shard& shard, DirectShard& st, std::mt19937_64& rng) override {
    User& u = run_.users[i];
    Run& run = run_;
    u.conn->start([&run, &u, &shard, &st, &rng](std::string_view f) { on_frame(run, u, shard, st, rng, f); },
                  report_drop(run, shard, i));
  }
  void send_one(std::size_t i, Shard& shard, uint64_t scheduled, std::mt19937_64& rng) override {
    bench::send_one(run_, run_.users[i], shard, scheduled, rng);
  }
  bool can_send(std::size_t i) const override {
    const User& u = run_.users[i];
    return u.in_flight < kMaxInFlight && u.conn->open();
  }
  std::size_t unacknowledged(std::size_t i) const override { return run_.users[i].pending.size(); }
  void close(std::size_t i) override { run_.users[i].conn->close(); }

 private:
  Run& run_;
};

}  // namespace

void direct_worker(WorkerContext& ctx) {
  const Options& opt = ctx.opt;
  Runtime rt(opt.threads);
  Stats setup_stats;
  Run run(opt);
  std::size_t n = static_cast<std::size_t>(std::max<int64_t>(2, ctx.share(opt.users)));
  bool ok = true;

  auto accounts = register_accounts(rt, ctx.target, ctx.base, n, opt.setup_concurrency);
  if (!accounts) ok = false, fail_setup(setup_stats, accounts.error().message);
  std::vector<std::pair<std::size_t, std::size_t>> pairs;
  if (ok) {
    pairs = direct_pairs(n, opt.peers);
    auto convs = create_conversations(rt, ctx.target, *accounts, pairs, opt.setup_concurrency);
    if (!convs) ok = false, fail_setup(setup_stats, convs.error().message);
    else run.conv_ids = std::move(*convs);
  }
  if (ok) {
    run.users.resize(n);
    for (std::size_t c = 0; c < pairs.size(); ++c) {
      run.users[pairs[c].first].convs.push_back(c);
      run.users[pairs[c].second].convs.push_back(c);
      run.frames.emplace_back(run.conv_ids[c], opt.text_bytes);
    }
    std::vector<std::string> tokens;
    for (std::size_t i = 0; i < n; ++i) {
      run.users[i].id = (*accounts)[i].id;
      tokens.push_back((*accounts)[i].token);
    }
    auto conns = connect_all(rt, ctx.target, tokens, opt.connect_concurrency, nullptr);
    if (!conns) ok = false, fail_setup(setup_stats, conns.error().message);
    else
      for (std::size_t i = 0; i < n; ++i) run.users[i].conn = (*conns)[i];
  }
  assign_shards(run, rt, n, ok);
  WsDirect transport(run);
  Stats stats = run_direct_phases(ctx, rt, run, transport, ok, std::move(setup_stats));
  stats.add("users", static_cast<double>(run.users.size()));
  stats.add("conversations", static_cast<double>(run.conv_ids.size()));
  ctx.link.send_result(stats);
}

void direct_report(const Options& opt, const RunResult& run, Report& report) {
  const Stats& s = run.stats;
  report.value("users", "users (one connection each)", s.get("users"), "", 0);
  report.value("conversations", "conversations", s.get("conversations"), "", 0);
  if (opt.rate > 0) report.value("target_rate", "target rate (open loop)", opt.rate, "msgs/s", 0);
  else report.note("flat out: " + std::to_string(opt.window) + " sends in flight per connection");
  report.value("sent_per_s", "sent", s.get("sent") / opt.duration_s, "msgs/s", 0);
  report.value("acked_per_s", "acknowledged (in the window)", s.get("acked_in_window") / opt.duration_s, "msgs/s", 0);
  report.value("delivered_per_s", "delivered (in the window)", s.get("delivered_in_window") / opt.duration_s, "msgs/s", 0);
  if (s.get("skipped_backlogged") > 0)
    report.value("skipped_backlogged", "sends skipped (200 in flight on a connection)", s.get("skipped_backlogged"), "", 0);
  if (s.hists.count("ack_us")) report.latency("ack_latency", "ack latency", s.hists.at("ack_us"));
  if (s.hists.count("e2e_us")) report.latency("e2e_latency", "send-to-receive latency", s.hists.at("e2e_us"));
  report.value("acked_total", "acknowledged (total)", s.get("acked"), "", 0);
  report.value("delivered_total", "delivered (total)", s.get("delivered"), "", 0);
  if (s.get("resyncs") > 0) {
    report.value("resyncs", "resync frames (a node lost bus events)", s.get("resyncs"), "", 0);
    report.value("recovered", "messages fetched after a resync", s.get("recovered"), "", 0);
  }
  report.value("lost", "lost", s.get("lost"), "", 0);
  report.value("duplicates", "duplicates", s.get("duplicates"), "", 0);
  report.value("out_of_order", "out of order", s.get("out_of_order"), "", 0);
  report_server_between(run, "connected", "sent", report);
}

}  // namespace bench
