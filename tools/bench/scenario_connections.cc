// connections: N authenticated idle WebSockets held for --duration with application pings;
// the parent samples parleyd's VmRSS before and after connecting, and its CPU time over the
// hold period.
#include <cstdio>
#include <random>
#include <thread>

#include <boost/json.hpp>

#include "scenarios.h"
#include "setup.h"

namespace bench {

namespace {

constexpr const char* kPing = R"({"type":"ping"})";

}  // namespace

void connections_worker(WorkerContext& ctx) {
  const Options& opt = ctx.opt;
  Runtime rt(opt.threads);
  Stats setup_stats;
  std::size_t n = static_cast<std::size_t>(ctx.share(opt.connections));
  std::vector<std::shared_ptr<WsConn>> conns;
  bool ok = true;

  auto accounts = register_accounts(rt, ctx.target, ctx.base, n, opt.setup_concurrency);
  if (!accounts) ok = false, fail_setup(setup_stats, accounts.error().message);
  ctx.link.barrier("registered");

  std::atomic<bool> holding{true};
  if (ok) {
    std::vector<std::string> tokens;
    for (const auto& a : *accounts) tokens.push_back(a.token);
    uint64_t t0 = now_ns();
    // Each connection reads from the moment it is ready: opening tens of thousands can take
    // longer than the server's idle timeout, and a real client answers pings meanwhile.
    auto read_at_once = [&holding](Shard& shard, std::size_t i, WsConn& conn) {
      shard.stats.add("connections");
      conn.start(
          [&shard](std::string_view f) {
            if (f.find(R"("pong")") != std::string_view::npos) shard.stats.add("pongs");
          },
          [&shard, &holding, i](const std::string& why) {
            if (holding.load()) shard.stats.error("connection " + std::to_string(i) + " dropped: " + why);
          });
    };
    auto c = connect_all(rt, ctx.target, tokens, opt.connect_concurrency, "connect_us", read_at_once);
    setup_stats.set_max("max_connect_s", static_cast<double>(now_ns() - t0) / 1e9);
    if (!c) ok = false, fail_setup(setup_stats, c.error().message);
    else conns = std::move(*c);
  }
  if (ok) {
    std::size_t shards = rt.shards().size();
    uint64_t deadline = now_ns() + static_cast<uint64_t>(opt.duration_s * 1e9);
    rt.run_all([&](Shard& shard) -> asio::awaitable<void> {
      std::mt19937_64 rng(static_cast<uint64_t>(shard.index) * 7919 + 1);
      for (std::size_t i = static_cast<std::size_t>(shard.index); i < conns.size(); i += shards) {
        auto& conn = conns[i];
        // Each connection pings every --keepalive seconds, at a random phase.
        auto first = std::chrono::nanoseconds(static_cast<int64_t>(
            std::uniform_real_distribution<double>(0, opt.keepalive_s)(rng) * 1e9));
        asio::co_spawn(
            shard.io,
            [conn, first, deadline, &shard, &opt]() -> asio::awaitable<void> {
              co_await sleep_for(first);
              while (now_ns() + 500'000'000 < deadline && conn->open()) {
                conn->send(kPing);
                shard.stats.add("pings");
                co_await sleep_for(std::chrono::nanoseconds(static_cast<int64_t>(opt.keepalive_s * 1e9)));
              }
            },
            asio::detached);
      }
      co_return;
    });
  }
  ctx.link.barrier("connected");
  std::this_thread::sleep_for(std::chrono::nanoseconds(static_cast<int64_t>(opt.duration_s * 1e9)));
  ctx.link.barrier("held");
  holding = false;

  rt.run_all([&](Shard& shard) -> asio::awaitable<void> {
    for (std::size_t i = static_cast<std::size_t>(shard.index); i < conns.size(); i += rt.shards().size())
      if (conns[i]->open()) conns[i]->close();
    for (int tries = 0; tries < 500; ++tries) {
      bool any = false;
      for (std::size_t i = static_cast<std::size_t>(shard.index); i < conns.size(); i += rt.shards().size())
        any = any || conns[i]->open();
      if (!any) break;
      co_await sleep_for(std::chrono::milliseconds(10));
    }
  });
  Stats stats = rt.merged_stats();
  stats.merge(setup_stats);
  if (stats.get("pongs") + 1 < stats.get("pings") * 0.99)
    stats.error("pings unanswered: " + std::to_string(stats.get("pings") - stats.get("pongs")));
  ctx.link.send_result(stats);
}

void connections_report(const Options& opt, const RunResult& run, Report& report) {
  const Stats& s = run.stats;
  report.value("connections", "connections held", s.get("connections"), "", 0);
  report.value("procs", "client processes", opt.procs, "", 0);
  report.value("connect_seconds", "time to open them all", s.get("max_connect_s"), "s", 2);
  if (s.hists.count("connect_us")) report.latency("connect_latency", "connect + upgrade + ready", s.hists.at("connect_us"));
  report.value("pings", "application pings answered", s.get("pongs"), "", 0);
  const BarrierSample* before = run.at("registered");
  const BarrierSample* after = run.at("connected");
  const BarrierSample* held = run.at("held");
  if (before && after && held && before->server.ok && after->server.ok && held->server.ok && s.get("connections") > 0) {
    double n = s.get("connections");
    report.value("server_rss_before_mib", "server RSS before connecting", before->server.rss_kb / 1024.0, "MiB");
    report.value("server_rss_after_mib", "server RSS with all connected", after->server.rss_kb / 1024.0, "MiB");
    report.value("server_rss_held_mib", "server RSS at the end of the hold", held->server.rss_kb / 1024.0, "MiB");
    report.value("server_kib_per_connection", "server memory per connection",
                 static_cast<double>(std::max(after->server.rss_kb, held->server.rss_kb) - before->server.rss_kb) / n,
                 "KiB");
    double cpu = (held->server.cpu_s - after->server.cpu_s) / (held->t_s - after->t_s);
    report.value("server_cpu_cores_hold", "server CPU while holding (cores busy)", cpu, "", 4);
    report.value("server_cpu_us_per_conn_s", "server CPU per connection-second", cpu * 1e6 / n, "us", 3);
  } else {
    report.note("server memory/CPU: not available (give --server-pid)");
  }
}

}  // namespace bench
