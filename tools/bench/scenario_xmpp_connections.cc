// connections against an XMPP server: N logged-in sessions (SASL PLAIN, bound resource,
// initial presence) held for --duration, each sending an XEP-0199 ping every --keepalive
// seconds. Reports like the parleyd version (connections_report).
#include <random>
#include <thread>

#include "scenarios.h"
#include "xmpp_setup.h"

namespace bench {

void xmpp_connections_worker(WorkerContext& ctx) {
  const Options& opt = ctx.opt;
  const XmppEndpoint ep = xmpp_endpoint(opt);
  Runtime rt(opt.threads);
  Stats setup_stats;
  std::size_t n = static_cast<std::size_t>(ctx.share(opt.connections));
  auto names = xmpp_usernames(ctx.base, 0, n);
  std::vector<std::unique_ptr<XmppSession>> sessions;
  bool ok = true;

  if (auto r = register_xmpp_accounts(rt, ctx.target, ep, names, opt.setup_concurrency, 50); !r)
    ok = false, fail_setup(setup_stats, r.error().message);
  ctx.link.barrier("registered");

  if (ok) {
    uint64_t t0 = now_ns();
    auto c = xmpp_connect_all(rt, ctx.target, ep, names, false, opt.connect_concurrency, "connect_us");
    setup_stats.set_max("max_connect_s", static_cast<double>(now_ns() - t0) / 1e9);
    if (!c) ok = false, fail_setup(setup_stats, c.error().message);
    else sessions = std::move(*c);
  }
  std::atomic<bool> holding{true};
  const std::string ping =
      "<iq xmlns='jabber:client' type='get' id='ping' to='" + ep.domain + "'><ping xmlns='urn:xmpp:ping'/></iq>";
  if (ok) {
    std::size_t shards = rt.shards().size();
    uint64_t deadline = now_ns() + static_cast<uint64_t>(opt.duration_s * 1e9);
    rt.run_all([&](Shard& shard) -> asio::awaitable<void> {
      std::mt19937_64 rng(static_cast<uint64_t>(shard.index) * 7919 + 1);
      for (std::size_t i = static_cast<std::size_t>(shard.index); i < sessions.size(); i += shards) {
        XmppSession* s = sessions[i].get();
        shard.stats.add("connections");
        s->on_stanza(
            [&shard](const Stanza& st) {
              if (st.name == "iq" && st.attr("id") == "ping") {
                if (st.attr("type") == "result") shard.stats.add("pongs");
                else shard.stats.error("ping answered with " + std::string(st.frame.substr(0, 160)));
              }
            },
            [&shard, &holding, i](const std::string& why) {
              if (holding.load()) shard.stats.error("connection " + std::to_string(i) + " dropped: " + why);
            });
        auto first = std::chrono::nanoseconds(static_cast<int64_t>(
            std::uniform_real_distribution<double>(0, opt.keepalive_s)(rng) * 1e9));
        // The session outlives this coroutine: the hold below ends after its last ping.
        asio::co_spawn(
            shard.io,
            [s, first, deadline, &shard, &opt, &ping]() -> asio::awaitable<void> {
              co_await sleep_for(first);
              while (now_ns() + 500'000'000 < deadline && s->open()) {
                s->send_stanza(ping);
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
    std::size_t shards = rt.shards().size();
    for (std::size_t i = static_cast<std::size_t>(shard.index); i < sessions.size(); i += shards) sessions[i]->close();
    for (int tries = 0; tries < 500; ++tries) {
      bool any = false;
      for (std::size_t i = static_cast<std::size_t>(shard.index); i < sessions.size(); i += shards)
        any = any || sessions[i]->open();
      if (!any) break;
      co_await sleep_for(std::chrono::milliseconds(10));
    }
  });
  Stats stats = rt.merged_stats();
  stats.merge(setup_stats);
  if (stats.get("pongs") + 1 < stats.get("pings") * 0.99)
    stats.error("pings unanswered: " + std::to_string(stats.get("pings") - stats.get("pongs")));
  // Sessions must go on the thread that owns them; the shards are idle now.
  rt.run_all([&](Shard& shard) -> asio::awaitable<void> {
    for (std::size_t i = static_cast<std::size_t>(shard.index); i < sessions.size(); i += rt.shards().size())
      sessions[i].reset();
    co_return;
  });
  ctx.link.send_result(stats);
}

}  // namespace bench
