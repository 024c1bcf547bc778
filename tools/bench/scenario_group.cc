// group: --groups groups of --group-size members, one connection per member. The members
// connect first and the groups are created afterwards over HTTP, so the creation's system
// messages (which take the first seqs of each group) arrive live and are checked like any
// other message. Then --group-senders members of each group send, open loop at --rate
// msgs/s in total or flat out (--rate 0, --window sends in flight per sender). Every ack and
// every delivery is recorded: each acknowledged message must reach every other member
// exactly once, in seq order, and never come back to its sender's connection. Latencies
// count from the scheduled send time, as in direct.
//
// Groups are not split over worker processes: worker i creates and drives whole groups
// (its share of --groups), so each worker checks its groups on its own.
#include <algorithm>
#include <random>
#include <thread>
#include <unordered_map>

#include "frames.h"
#include "ledger.h"
#include "scenarios.h"
#include "setup.h"

namespace bench {

namespace json = boost::json;

namespace {

constexpr int kMaxInFlight = 200;  // the server allows 256 per connection
constexpr uint64_t kReadEveryNs = 100'000'000;

struct Member {
  std::shared_ptr<WsConn> conn;
  int64_t id = 0;
  std::size_t group = 0;
  bool sender = false;
  uint64_t counter = 0;
  int in_flight = 0;
  std::unordered_map<uint64_t, uint64_t> pending;  // request counter -> scheduled time
  OrderCheck order;
  int64_t newest = 0;     // highest seq received
  int64_t read_sent = 0;  // highest seq we sent a read receipt for
};

struct Group {
  int64_t id = 0;
  int64_t base = 0;  // seqs taken by the creation's system messages
  std::vector<std::size_t> members;
};

struct ShardState {
  Ledger ledger;
  std::vector<std::size_t> members;  // indices of the members on this shard
  std::vector<std::size_t> senders;  // the senders among them
  uint64_t next_read_ns = 0;
};

struct Run {
  explicit Run(const Options& o) : opt(o) {}
  const Options& opt;
  std::vector<Member> members;
  std::vector<Group> groups;
  std::vector<SendFrame> frames;  // per group
  std::vector<ShardState> shards;
  uint64_t deadline_ns = 0;
  std::atomic<bool> sending{false};
  std::atomic<int64_t> expected_deliveries{0}, deliveries{0}, system_received{0};
  std::atomic<bool> connected_phase_over{false};
};

void send_one(Run& run, Member& u, Shard& shard, uint64_t scheduled) {
  uint64_t n = ++u.counter;
  u.pending.emplace(n, scheduled);
  ++u.in_flight;
  u.conn->send(run.frames[u.group].make(n, scheduled));
  shard.stats.add("sent");
}

void on_frame(Run& run, Member& u, Shard& shard, ShardState& st, std::string_view f) {
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
  if (type == "message") {
    const json::object* m = obj_field(o, "message");
    if (!m) return shard.stats.error("message event without message");
    int64_t conv = int_field(*m, "conversation_id"), seq = int_field(*m, "seq");
    st.ledger.received.push_back({conv, seq, u.id});
    u.order.observe(conv, seq, shard.stats);
    u.newest = std::max(u.newest, seq);
    if (str_field(*m, "kind") == "system") {
      shard.stats.add("system_received");
      run.system_received.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    uint64_t stamp = text_stamp(str_field(*m, "text"));
    if (stamp && now >= stamp) shard.stats.hist("e2e_us").record((now - stamp) / 1000);
    shard.stats.add("deliveries");
    if (now <= run.deadline_ns) shard.stats.add("delivered_in_window");
    run.deliveries.fetch_add(1, std::memory_order_relaxed);
  } else if (type == "ack") {
    uint64_t n = o.contains("id") ? answer_counter(o.at("id")) : UINT64_MAX;
    auto it = u.pending.find(n);
    const json::object* m = obj_field(o, "message");
    if (it == u.pending.end() || !m) {
      shard.stats.error("ack for no pending send: " + std::string(f.substr(0, 120)));
      return;
    }
    if (o.contains("duplicate") && o.at("duplicate").is_bool() && o.at("duplicate").get_bool())
      shard.stats.error("ack marked duplicate for a new client_id");
    const Group& g = run.groups[u.group];
    if (int_field(*m, "conversation_id") != g.id) shard.stats.error("ack for another conversation");
    shard.stats.hist("ack_us").record((now - it->second) / 1000);
    st.ledger.acked.push_back({int_field(*m, "conversation_id"), int_field(*m, "seq"), u.id});
    shard.stats.add("acked_messages");
    if (now <= run.deadline_ns) shard.stats.add("acked_in_window");
    u.pending.erase(it);
    --u.in_flight;
    run.expected_deliveries.fetch_add(static_cast<int64_t>(g.members.size()) - 1, std::memory_order_relaxed);
    if (run.opt.rate == 0 && run.sending.load(std::memory_order_relaxed) && now < run.deadline_ns)
      send_one(run, u, shard, now);
  } else if (type == "receipts") {
    shard.stats.add("receipts_frames");
    if (const json::value* r = o.if_contains("receipts"); r && r->is_array())
      shard.stats.add("receipts_entries", static_cast<double>(r->get_array().size()));
  } else if (type == "receipt") {
    shard.stats.add("receipt_frames");  // the direct-conversation frame: not expected in a group
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

// --receipts: every member reads up to its newest message, at most every 100 ms (as a
// client with the chat open would).
void read_tick(Run& run, Shard& shard, ShardState& st) {
  uint64_t now = now_ns();
  if (!run.opt.receipts || now < st.next_read_ns) return;
  st.next_read_ns = now + kReadEveryNs;
  for (std::size_t i : st.members) {
    Member& u = run.members[i];
    if (u.newest <= u.read_sent || u.in_flight >= kMaxInFlight || !u.conn->open()) continue;
    u.read_sent = u.newest;
    ++u.in_flight;
    u.conn->send(R"({"type":"read","id":1,"conversation_id":)" + std::to_string(run.groups[u.group].id) +
                 R"(,"seq":)" + std::to_string(u.newest) + "}");
    shard.stats.add("reads_sent");
  }
}

// Open loop: this shard's share of --rate, at scheduled instants, from random senders.
asio::awaitable<void> pace(Run& run, Shard& shard, ShardState& st, double rate, std::mt19937_64& rng) {
  uint64_t start = now_ns();
  uint64_t k = 0;
  double interval = 1e9 / rate;
  while (now_ns() < run.deadline_ns) {
    // Sends k = 0, 1, ... are due at start + k * interval: those up to now are floor(elapsed / interval) + 1.
    uint64_t due = static_cast<uint64_t>(static_cast<double>(now_ns() - start) / interval) + 1;
    for (; k < due; ++k) {
      uint64_t scheduled = start + static_cast<uint64_t>(static_cast<double>(k) * interval);
      if (scheduled >= run.deadline_ns) break;
      Member& u = run.members[st.senders[rng() % st.senders.size()]];
      if (u.in_flight >= kMaxInFlight || !u.conn->open()) {
        shard.stats.add("skipped_backlogged");
        continue;
      }
      send_one(run, u, shard, scheduled);
    }
    read_tick(run, shard, st);
    co_await sleep_for(std::chrono::microseconds(500));
  }
}

}  // namespace

void group_worker(WorkerContext& ctx) {
  const Options& opt = ctx.opt;
  Runtime rt(opt.threads);
  Stats setup_stats;
  Run run(opt);
  std::size_t groups = static_cast<std::size_t>(ctx.share(opt.groups));
  std::size_t size = static_cast<std::size_t>(opt.group_size);
  std::size_t senders = opt.group_senders == 0 ? size : std::min(size, static_cast<std::size_t>(opt.group_senders));
  std::size_t n = groups * size;
  bool ok = n > 0;
  run.shards.resize(rt.shards().size());

  // Accounts, then every member connected and reading, then the groups.
  parley::Result<std::vector<Account>> accounts = std::vector<Account>{};
  if (ok) {
    accounts = register_accounts(rt, ctx.target, ctx.base, n, opt.setup_concurrency);
    if (!accounts) ok = false, fail_setup(setup_stats, accounts.error().message);
  }
  if (ok) {
    run.members.resize(n);
    run.groups.resize(groups);
    std::vector<std::string> tokens;
    for (std::size_t i = 0; i < n; ++i) {
      Member& u = run.members[i];
      u.id = (*accounts)[i].id;
      u.group = i / size;
      u.sender = i % size < senders;
      run.groups[u.group].members.push_back(i);
      tokens.push_back((*accounts)[i].token);
    }
    auto conns = connect_all(rt, ctx.target, tokens, opt.connect_concurrency, nullptr);
    if (!conns) ok = false, fail_setup(setup_stats, conns.error().message);
    else
      for (std::size_t i = 0; i < n; ++i) run.members[i].conn = (*conns)[i];
  }
  for (std::size_t i = 0; ok && i < n; ++i) {
    ShardState& st = run.shards[i % run.shards.size()];  // connect_all put connection i there
    st.members.push_back(i);
    if (run.members[i].sender) st.senders.push_back(i);
  }
  std::atomic<int> dropped{0};
  if (ok) {
    rt.run_all([&](Shard& shard) -> asio::awaitable<void> {
      ShardState& st = run.shards[static_cast<std::size_t>(shard.index)];
      for (std::size_t i : st.members) {
        Member& u = run.members[i];
        u.conn->start([&run, &u, &shard, &st](std::string_view f) { on_frame(run, u, shard, st, f); },
                      [&shard, &dropped, &run, i](const std::string& why) {
                        if (!run.connected_phase_over.load()) {
                          shard.stats.error("connection of member " + std::to_string(i) + " dropped: " + why);
                          dropped.fetch_add(1);
                        }
                      });
      }
      co_return;
    });
    std::vector<std::vector<std::size_t>> lists;
    for (const Group& g : run.groups) lists.push_back(g.members);
    auto created = create_groups(rt, ctx.target, *accounts, lists, "bench-" + ctx.base, opt.setup_concurrency);
    if (!created) {
      ok = false, fail_setup(setup_stats, created.error().message);
    } else {
      for (std::size_t g = 0; g < groups; ++g) {
        run.groups[g].id = (*created)[g].id;
        run.groups[g].base = (*created)[g].last_seq;
        run.frames.emplace_back(run.groups[g].id, opt.text_bytes);
      }
    }
  }
  // Wait until the creation's system messages reached every member.
  int64_t system_expected = 0;
  for (const Group& g : run.groups) system_expected += g.base * static_cast<int64_t>(g.members.size());
  uint64_t t_sys = now_ns();
  while (ok && run.system_received.load() < system_expected && now_ns() - t_sys < static_cast<uint64_t>(opt.drain_s * 1e9))
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  setup_stats.add("system_wait_ms", static_cast<double>(now_ns() - t_sys) / 1e6);
  ctx.link.barrier("connected");

  run.deadline_ns = now_ns() + static_cast<uint64_t>(opt.duration_s * 1e9);
  run.sending = true;
  if (ok) {
    double total_senders = static_cast<double>(opt.groups) * static_cast<double>(senders);
    rt.run_all([&](Shard& shard) -> asio::awaitable<void> {
      ShardState& st = run.shards[static_cast<std::size_t>(shard.index)];
      auto rng = std::make_shared<std::mt19937_64>(static_cast<uint64_t>(ctx.link.index() * 1000 + shard.index + 1));
      if (opt.rate == 0) {
        for (std::size_t i : st.senders)
          for (int w = 0; w < opt.window; ++w) send_one(run, run.members[i], shard, now_ns());
        while (now_ns() < run.deadline_ns) {
          uint64_t left = run.deadline_ns - std::min(run.deadline_ns, now_ns());
          co_await sleep_for(std::chrono::nanoseconds(std::min<uint64_t>(left, kReadEveryNs)));
          read_tick(run, shard, st);
        }
      } else if (!st.senders.empty()) {
        double shard_rate = opt.rate * static_cast<double>(st.senders.size()) / total_senders;
        co_await pace(run, shard, st, shard_rate, *rng);
      }
    });
  } else {
    std::this_thread::sleep_for(std::chrono::nanoseconds(static_cast<int64_t>(opt.duration_s * 1e9)));
  }
  run.sending = false;
  ctx.link.barrier("sent");

  // Drain: every pending ack, and every acknowledged message at every other member.
  uint64_t drain_end = now_ns() + static_cast<uint64_t>(opt.drain_s * 1e9);
  rt.run_all([&](Shard& shard) -> asio::awaitable<void> {
    ShardState& st = run.shards[static_cast<std::size_t>(shard.index)];
    while (now_ns() < drain_end) {
      bool pending = false;
      for (std::size_t i : st.members) pending = pending || !run.members[i].pending.empty();
      if (!pending && run.expected_deliveries.load() <= run.deliveries.load()) break;
      co_await sleep_for(std::chrono::milliseconds(5));
    }
  });
  if (now_ns() >= drain_end) setup_stats.add("drain_timed_out");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // late duplicates and receipts show up here
  ctx.link.barrier("drained");
  run.connected_phase_over = true;
  rt.run_all([&](Shard& shard) -> asio::awaitable<void> {
    ShardState& st = run.shards[static_cast<std::size_t>(shard.index)];
    for (std::size_t i : st.members) {
      Member& u = run.members[i];
      if (!u.pending.empty())
        shard.stats.error("member " + std::to_string(i) + ": " + std::to_string(u.pending.size()) +
                          " sends never acknowledged");
      shard.stats.add("unacknowledged", static_cast<double>(u.pending.size()));
      u.conn->close();
    }
    co_await sleep_for(std::chrono::milliseconds(300));
  });
  Stats stats = rt.merged_stats();
  stats.merge(setup_stats);
  Ledger all;
  for (auto& st : run.shards) all.merge(std::move(st.ledger));
  std::unordered_map<int64_t, std::vector<int64_t>> member_ids;
  std::unordered_map<int64_t, int64_t> first_seq;
  for (const Group& g : run.groups) {
    if (g.id == 0) continue;
    for (std::size_t i : g.members) member_ids[g.id].push_back(run.members[i].id);
    first_seq[g.id] = 1;
    for (int64_t s = 1; s <= g.base; ++s) all.acked.push_back({g.id, s, 0});  // system: to every member
  }
  check_group_ledger(all, member_ids, first_seq, stats);
  stats.add("system_expected", static_cast<double>(system_expected));
  stats.add("groups", static_cast<double>(groups));
  stats.add("members", static_cast<double>(n));
  stats.add("senders", static_cast<double>(groups * senders));
  ctx.link.send_result(stats);
}

void group_report(const Options& opt, const RunResult& run, Report& report) {
  const Stats& s = run.stats;
  double members = s.get("members");
  report.value("groups", "groups", s.get("groups"), "", 0);
  report.value("group_size", "members per group (one connection each)", static_cast<double>(opt.group_size), "", 0);
  report.value("senders", "senders (all groups)", s.get("senders"), "", 0);
  if (opt.rate > 0) report.value("target_rate", "target rate (open loop)", opt.rate, "msgs/s", 0);
  else report.note("flat out: " + std::to_string(opt.window) + " sends in flight per sender");
  report.value("sent_per_s", "sent", s.get("sent") / opt.duration_s, "msgs/s", 0);
  report.value("acked_per_s", "acknowledged (in the window)", s.get("acked_in_window") / opt.duration_s, "msgs/s", 0);
  report.value("deliveries_per_s", "deliveries (in the window; msgs x recipients)",
               s.get("delivered_in_window") / opt.duration_s, "/s", 0);
  if (s.get("skipped_backlogged") > 0)
    report.value("skipped_backlogged", "sends skipped (200 in flight on a connection)", s.get("skipped_backlogged"), "", 0);
  if (s.hists.count("ack_us")) report.latency("ack_latency", "ack latency", s.hists.at("ack_us"));
  if (s.hists.count("e2e_us")) report.latency("e2e_latency", "send-to-receive latency", s.hists.at("e2e_us"));
  report.value("system_received", "system messages received (creation)", s.get("system_received"), "", 0);
  report.value("system_expected", "system messages expected (seqs x members)", s.get("system_expected"), "", 0);
  report.value("system_wait_ms", "their arrival after the last creation", s.get("system_wait_ms"), "ms", 0);
  if (opt.receipts) report.value("reads_sent", "read receipts sent", s.get("reads_sent"), "", 0);
  if (members > 0) {
    // The drain and the 250 ms coalescing window follow the sending phase: count over the whole run.
    report.value("receipts_frames", "`receipts` frames received (all members)", s.get("receipts_frames"), "", 0);
    report.value("receipts_frames_per_member_s", "`receipts` frames per member-second",
                 s.get("receipts_frames") / members / opt.duration_s, "", 2);
    report.value("receipts_entries_per_frame", "entries per `receipts` frame",
                 s.get("receipts_frames") > 0 ? s.get("receipts_entries") / s.get("receipts_frames") : 0, "", 1);
  }
  if (s.get("receipt_frames") > 0) report.value("receipt_frames", "single `receipt` frames (unexpected in groups)",
                                                s.get("receipt_frames"), "", 0);
  if (s.get("drain_timed_out") > 0)
    report.note("the drain (--drain) ended with messages still in flight: the lost/gap counts include them");
  report.value("acked_total", "acknowledged (total)", s.get("acked_messages"), "", 0);
  report.value("deliveries_total", "deliveries (total)", s.get("deliveries"), "", 0);
  report.value("lost", "lost (message x member)", s.get("lost"), "", 0);
  report.value("duplicates", "duplicates", s.get("duplicates"), "", 0);
  report.value("out_of_order", "out of order", s.get("out_of_order"), "", 0);
  report.value("delivered_to_sender", "echoed to the sender", s.get("delivered_to_sender"), "", 0);
  report.value("seq_gaps", "seq gaps", s.get("seq_gaps"), "", 0);
  report_server_between(run, "connected", "sent", report);
}

}  // namespace bench
