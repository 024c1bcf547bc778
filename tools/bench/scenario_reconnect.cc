// reconnect: --clients users learn their sync cursor and go away; --senders users pile up
// --messages messages for each of them; then every client reconnects at once, syncs from
// its cursor and fetches history after its highest seq, page by page. Reports the time
// until every client has every message, and checks each got each exactly once, in order.
#include <algorithm>
#include <thread>

#include <boost/json.hpp>

#include "frames.h"
#include "ledger.h"
#include "rpc.h"
#include "scenarios.h"
#include "seeder.h"
#include "setup.h"

namespace bench {

namespace json = boost::json;

namespace {

// Initial sync cursor of each account (HTTP sync from 0 to the end).
parley::Result<std::vector<int64_t>> initial_cursors(Runtime& rt, const Target& target, const std::vector<Account>& accounts,
                                                     std::size_t from, int concurrency) {
  std::vector<int64_t> out(accounts.size() - from);
  std::vector<std::string> errors(rt.shards().size());
  std::atomic<std::size_t> next{0};
  rt.run_all([&](Shard& shard) -> asio::awaitable<void> {
    std::vector<std::unique_ptr<HttpClient>> clients;
    for (int i = 0; i < concurrency; ++i) clients.push_back(std::make_unique<HttpClient>(shard.io.get_executor(), target));
    co_await parallel_for(static_cast<std::size_t>(concurrency), concurrency, [&](std::size_t lane) -> asio::awaitable<void> {
      for (std::size_t i = next++; i < out.size(); i = next++) {
        int64_t since = 0;
        for (int page = 0; page < 1000; ++page) {
          auto r = co_await http_call(*clients[lane], "GET", "/api/v1/sync?limit=200&since=" + std::to_string(since), "",
                                      accounts[from + i].token);
          if (!r) {
            errors[shard.index] = "sync: " + r.error().message;
            co_return;
          }
          since = r->at("version").to_number<int64_t>();
          if (!r->at("has_more").as_bool()) break;
        }
        out[i] = since;
      }
    });
  });
  for (const auto& e : errors)
    if (!e.empty()) return make_error(e);
  return out;
}

struct Client {
  std::string token;
  int64_t id = 0;
  int64_t cursor = 0;
  OrderCheck order;
  int64_t events = 0;
};

// One client coming back: connect, sync (all pages), history after its highest seq.
asio::awaitable<void> catch_up(Shard& shard, const Target& target, Client& c, uint64_t t0, uint64_t deadline,
                               Ledger& led) {
  auto left = [deadline] { return std::chrono::nanoseconds(static_cast<int64_t>(deadline - std::min(deadline, now_ns()))); };
  auto conn = WsConn::make(shard.io.get_executor(), target);
  auto ready = co_await conn->connect(c.token, std::chrono::duration_cast<std::chrono::milliseconds>(left()));
  if (!ready) co_return shard.stats.error("reconnect: " + ready.error().message);
  Rpc rpc(conn, [&c](const json::object&) { ++c.events; });
  bool dropped = false;
  rpc.start([&dropped](const std::string& why) { dropped = !why.empty(); });
  int64_t since = c.cursor;
  std::vector<std::pair<int64_t, int64_t>> changed;  // conversation, last_seq
  for (int page = 0; page < 1000; ++page) {
    auto r = co_await rpc.call(R"({"type":"sync","limit":200,"since":)" + std::to_string(since) + "}", left());
    if (!r) co_return shard.stats.error("sync: " + r.error().message);
    for (const auto& cv : r->at("conversations").as_array())
      changed.emplace_back(cv.at("id").to_number<int64_t>(), cv.at("last_seq").to_number<int64_t>());
    since = r->at("version").to_number<int64_t>();
    if (!r->at("has_more").as_bool()) break;
  }
  for (auto [conv, last_seq] : changed) {
    int64_t have = c.order.last(conv);
    while (have < last_seq) {
      auto r = co_await rpc.call(R"({"type":"history","limit":200,"conversation_id":)" + std::to_string(conv) +
                                     R"(,"after":)" + std::to_string(have) + "}",
                                 left());
      if (!r) co_return shard.stats.error("history: " + r.error().message);
      const auto& msgs = r->at("messages").as_array();
      for (const auto& m : msgs) {
        int64_t seq = m.at("seq").to_number<int64_t>();
        if (c.order.observe(conv, seq, shard.stats)) have = seq;
        if (m.at("sender_id").to_number<int64_t>() != c.id) led.received.push_back({conv, seq, c.id});
      }
      if (!r->at("has_more").as_bool() || msgs.empty()) break;
    }
  }
  uint64_t took = now_ns() - t0;
  shard.stats.hist("catchup_us").record(took / 1000);
  shard.stats.set_max("max_catchup_s", static_cast<double>(took) / 1e9);
  shard.stats.add("caught_up");
  c.cursor = since;
  if (dropped) shard.stats.error("reconnected client dropped during catch-up");
  conn->close();
  co_await sleep_for(std::chrono::milliseconds(50));
}

}  // namespace

void reconnect_worker(WorkerContext& ctx) {
  const Options& opt = ctx.opt;
  Runtime rt(opt.threads);
  Stats setup_stats;
  std::size_t k = static_cast<std::size_t>(std::max<int64_t>(1, ctx.share(opt.clients)));
  std::size_t s = static_cast<std::size_t>(std::clamp<int64_t>(ctx.share(opt.senders), 1, static_cast<int64_t>(k)));
  bool ok = true;
  std::vector<Client> clients(k);
  std::vector<SeedJob> jobs(s);
  Ledger ledger;

  auto accounts = register_accounts(rt, ctx.target, ctx.base, s + k, opt.setup_concurrency);
  if (!accounts) ok = false, fail_setup(setup_stats, accounts.error().message);
  if (ok) {
    std::vector<std::pair<std::size_t, std::size_t>> pairs;
    for (std::size_t r = 0; r < k; ++r) pairs.emplace_back(r % s, s + r);
    auto convs = create_conversations(rt, ctx.target, *accounts, pairs, opt.setup_concurrency);
    if (!convs) ok = false, fail_setup(setup_stats, convs.error().message);
    auto cursors = ok ? initial_cursors(rt, ctx.target, *accounts, s, opt.setup_concurrency)
                      : parley::Result<std::vector<int64_t>>(make_error("skipped"));
    if (ok && !cursors) ok = false, fail_setup(setup_stats, cursors.error().message);
    for (std::size_t r = 0; ok && r < k; ++r) {
      clients[r] = Client{(*accounts)[s + r].token, (*accounts)[s + r].id, (*cursors)[r], {}, 0};
      jobs[r % s].conversations.push_back((*convs)[r]);
    }
  }
  if (ok) {
    std::vector<std::string> tokens;
    for (std::size_t i = 0; i < s; ++i) tokens.push_back((*accounts)[i].token);
    auto conns = connect_all(rt, ctx.target, tokens, opt.connect_concurrency, nullptr);
    if (!conns) ok = false, fail_setup(setup_stats, conns.error().message);
    for (std::size_t i = 0; ok && i < s; ++i) {
      jobs[i].conn = (*conns)[i];
      jobs[i].user_id = (*accounts)[i].id;
      jobs[i].per_conversation = opt.messages;
    }
  }
  ctx.link.barrier("ready");
  if (ok) {
    double took = run_seed_jobs(rt, jobs, opt.window, 64, opt.drain_s + 600, ledger);
    setup_stats.set_max("max_pile_s", took);
  }
  ctx.link.barrier("piled");

  uint64_t t0 = now_ns();
  uint64_t deadline = t0 + static_cast<uint64_t>(opt.duration_s * 1e9);
  std::vector<Ledger> shard_ledgers(rt.shards().size());
  if (ok) {
    std::size_t shards = rt.shards().size();
    rt.run_all([&](Shard& shard) -> asio::awaitable<void> {
      std::vector<std::size_t> mine;
      for (std::size_t i = static_cast<std::size_t>(shard.index); i < k; i += shards) mine.push_back(i);
      // All at once: every client of this shard starts its catch-up now.
      co_await parallel_for(mine.size(), static_cast<int>(mine.size()), [&](std::size_t j) -> asio::awaitable<void> {
        co_await catch_up(shard, ctx.target, clients[mine[j]], t0, deadline, shard_ledgers[static_cast<std::size_t>(shard.index)]);
      });
    });
  }
  ctx.link.barrier("synced");
  Stats stats = rt.merged_stats();
  stats.merge(setup_stats);
  for (auto& l : shard_ledgers) ledger.merge(std::move(l));
  check_ledger(ledger, stats);
  int64_t events = 0;
  for (const auto& c : clients) events += c.events;
  stats.add("live_events", static_cast<double>(events));
  stats.add("clients", static_cast<double>(k));
  stats.add("senders", static_cast<double>(s));
  ctx.link.send_result(stats);
}

void reconnect_report(const Options& opt, const RunResult& run, Report& report) {
  const Stats& s = run.stats;
  report.value("clients", "clients reconnecting at once", s.get("clients"), "", 0);
  report.value("messages_each", "messages piled up for each", static_cast<double>(opt.messages), "", 0);
  report.value("pile_seconds", "time to pile them up", s.get("max_pile_s"), "s", 2);
  report.value("caught_up", "clients that caught up", s.get("caught_up"), "", 0);
  const BarrierSample* a = run.at("piled");
  const BarrierSample* b = run.at("synced");
  report.value("all_synced_seconds", "time until every client has everything", s.get("max_catchup_s"), "s", 3);
  if (s.hists.count("catchup_us")) report.latency("catchup", "per-client catch-up time", s.hists.at("catchup_us"));
  if (a && b && s.get("max_catchup_s") > 0)
    report.value("messages_fetched_per_s", "messages fetched per second",
                 s.get("delivered") / s.get("max_catchup_s"), "msgs/s", 0);
  report.value("acked_total", "acknowledged", s.get("acked"), "", 0);
  report.value("delivered_total", "fetched after reconnecting", s.get("delivered"), "", 0);
  report.value("lost", "lost", s.get("lost"), "", 0);
  report.value("duplicates", "duplicates", s.get("duplicates"), "", 0);
  report.value("out_of_order", "out of order", s.get("out_of_order"), "", 0);
  report_server_between(run, "piled", "synced", report);
}

}  // namespace bench
