// ping: what the transport alone costs. N authenticated connections each keep --window
// application pings in flight for --duration, every pong answered by the next ping. A ping
// touches no store and reaches no other connection, so the pongs per second and the
// server's CPU per pong are the price of reading one frame, parsing and dispatching it and
// writing one answer: the floor under every other scenario (a direct message is one frame
// in and two out), on this machine, with the client beside the server.
#include <atomic>
#include <deque>
#include <string>
#include <thread>

#include "scenarios.h"
#include "setup.h"

namespace bench {

namespace {

struct PingConn {
  std::shared_ptr<WsConn> conn;
  std::deque<uint64_t> sent_ns;  // pings in flight, oldest first (answers come in order)
  uint64_t counter = 0;
};

std::string ping_frame(uint64_t n) { return R"({"type":"ping","id":")" + std::to_string(n) + R"("})"; }

}  // namespace

void ping_worker(WorkerContext& ctx) {
  const Options& opt = ctx.opt;
  Runtime rt(opt.threads);
  Stats setup_stats;
  const std::size_t n = static_cast<std::size_t>(ctx.share(opt.connections));
  std::vector<PingConn> conns(n);
  bool ok = true;

  auto accounts = register_accounts(rt, ctx.target, ctx.base, n, opt.setup_concurrency);
  if (!accounts) ok = false, fail_setup(setup_stats, accounts.error().message);
  if (ok) {
    std::vector<std::string> tokens;
    for (const auto& a : *accounts) tokens.push_back(a.token);
    auto c = connect_all(rt, ctx.target, tokens, opt.connect_concurrency, nullptr);
    if (!c) ok = false, fail_setup(setup_stats, c.error().message);
    else
      for (std::size_t i = 0; i < n; ++i) conns[i].conn = (*c)[i];
  }
  ctx.link.barrier("connected");

  std::atomic<bool> running{true};
  const uint64_t deadline = now_ns() + static_cast<uint64_t>(opt.duration_s * 1e9);
  if (ok) {
    rt.run_all([&](Shard& shard) -> asio::awaitable<void> {
      for (std::size_t i = static_cast<std::size_t>(shard.index); i < n; i += rt.shards().size()) {
        PingConn& pc = conns[i];
        pc.conn->start(
            [&pc, &shard, &running, deadline](std::string_view f) {
              if (f.find(R"("pong")") == std::string_view::npos) return;
              if (pc.sent_ns.empty()) {
                shard.stats.error("a pong for no ping");
                return;
              }
              const uint64_t now = now_ns();
              const uint64_t sent = pc.sent_ns.front();
              pc.sent_ns.pop_front();
              if (now <= deadline) {
                shard.stats.add("pongs_in_window");
                shard.stats.hist("rtt_us").record((now - sent) / 1000);
              }
              shard.stats.add("pongs");
              if (running.load(std::memory_order_relaxed) && now < deadline) {
                pc.sent_ns.push_back(now_ns());
                pc.conn->send(ping_frame(++pc.counter));
                shard.stats.add("pings");
              }
            },
            [&shard, &running, i](const std::string& why) {
              if (running.load()) shard.stats.error("connection " + std::to_string(i) + " dropped: " + why);
            });
        for (int w = 0; w < opt.window; ++w) {
          pc.sent_ns.push_back(now_ns());
          pc.conn->send(ping_frame(++pc.counter));
          shard.stats.add("pings");
        }
      }
      co_return;
    });
  }
  std::this_thread::sleep_for(std::chrono::nanoseconds(static_cast<int64_t>(opt.duration_s * 1e9)));
  ctx.link.barrier("sent");
  // No new pings; the ones in flight are answered (for up to --drain seconds) before the
  // connections close.
  running = false;
  const uint64_t drain_until = now_ns() + static_cast<uint64_t>(opt.drain_s * 1e9);
  rt.run_all([&](Shard& shard) -> asio::awaitable<void> {
    const std::size_t step = rt.shards().size();
    auto waiting = [&] {
      for (std::size_t i = static_cast<std::size_t>(shard.index); i < n; i += step)
        if (conns[i].conn && conns[i].conn->open() && !conns[i].sent_ns.empty()) return true;
      return false;
    };
    while (waiting() && now_ns() < drain_until) co_await sleep_for(std::chrono::milliseconds(10));
    for (std::size_t i = static_cast<std::size_t>(shard.index); i < n; i += step)
      if (conns[i].conn && conns[i].conn->open()) conns[i].conn->close();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  rt.run_all([&](Shard& shard) -> asio::awaitable<void> {
    for (std::size_t i = static_cast<std::size_t>(shard.index); i < n; i += rt.shards().size())
      if (conns[i].conn) conns[i].conn->detach();
    co_return;
  });
  Stats stats = rt.merged_stats();
  stats.merge(setup_stats);
  if (stats.get("pongs") < stats.get("pings"))
    stats.error("pings unanswered: " + std::to_string(stats.get("pings") - stats.get("pongs")));
  stats.add("connections", static_cast<double>(n));
  ctx.link.send_result(stats);
}

void ping_report(const Options& opt, const RunResult& run, Report& report) {
  const Stats& s = run.stats;
  report.value("connections", "connections", s.get("connections"), "", 0);
  report.note("flat out: " + std::to_string(opt.window) + " pings in flight per connection");
  const double per_s = s.get("pongs_in_window") / opt.duration_s;
  report.value("pongs_per_s", "pings answered", per_s, "/s", 0);
  if (s.hists.count("rtt_us")) report.latency("rtt", "ping round trip", s.hists.at("rtt_us"));
  report_server_between(run, "connected", "sent", report);
  const BarrierSample* a = run.at("connected");
  const BarrierSample* b = run.at("sent");
  if (a && b && a->server.ok && b->server.ok && per_s > 0) {
    const double cores = (b->server.cpu_s - a->server.cpu_s) / (b->t_s - a->t_s);
    report.value("server_cpu_us_per_pong", "server CPU per ping answered", cores * 1e6 / per_s, "us", 2);
  }
}

}  // namespace bench
