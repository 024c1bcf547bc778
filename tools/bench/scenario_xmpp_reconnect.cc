// reconnect against an XMPP server: --clients accounts that have never been online get
// --messages messages each from --senders connected users (acknowledged by stream
// management, so they sit in the server's offline store); then every client logs in at once
// and sends initial presence, upon which the server delivers what it stored. A client has
// caught up when every message acknowledged for it has arrived. Reports like the parleyd
// version (reconnect_report); the ledger checks each message arrived once and in order.
#include <algorithm>
#include <thread>

#include "ledger.h"
#include "scenarios.h"
#include "xmpp_setup.h"

namespace bench {

namespace {

struct Client {
  std::string name;
  int64_t id = 0;               // 1-based over senders and clients
  int64_t expected = 0;         // messages acknowledged for this client
  int64_t got = 0;
  uint64_t done_ns = 0;
  OrderCheck order;
};

// One sender piling up messages for its clients (conversation = client index).
struct Sender {
  XmppSession* session = nullptr;
  int64_t id = 0;
  std::vector<std::size_t> clients;
  std::size_t next = 0;  // next message, round-robin over clients: client = next % n, seq = next / n + 1
  std::deque<std::pair<uint64_t, std::size_t>> pending;  // stanza number, message index; at most --window
  std::size_t acked = 0;
};

asio::awaitable<void> pile(Shard& shard, Sender& s, std::vector<Client>& clients, const std::vector<std::string>& jids,
                           const Options& opt, uint64_t deadline, Ledger& led) {
  std::size_t total = s.clients.size() * static_cast<std::size_t>(opt.messages);
  auto fill = [&] {
    while (s.next < total && s.pending.size() < static_cast<std::size_t>(opt.window)) {
      std::size_t c = s.clients[s.next % s.clients.size()];
      std::size_t seq = s.next / s.clients.size() + 1;
      uint64_t n = s.session->send_stanza("<message xmlns='jabber:client' type='chat' to='" + jids[c] + "' id='" +
                                          std::to_string(c) + "." + std::to_string(seq) +
                                          "'><body>piled while away</body></message>");
      s.session->request_ack();
      s.pending.emplace_back(n, s.next++);
    }
  };
  // Woken by the callbacks below when the last ack arrives or the session ends; no polling,
  // which with thousands of coroutines would take the CPU the server needs.
  asio::steady_timer wake(shard.io.get_executor());
  s.session->on_ack([&](uint64_t h) {
    while (!s.pending.empty() && s.pending.front().first <= h) {
      std::size_t m = s.pending.front().second;
      std::size_t c = s.clients[m % s.clients.size()];
      led.acked.push_back({static_cast<int64_t>(c), static_cast<int64_t>(m / s.clients.size() + 1), s.id});
      ++clients[c].expected;
      ++s.acked;
      s.pending.pop_front();
    }
    fill();
    if (s.acked == total) wake.cancel();
  });
  s.session->on_stanza(
      [&shard](const Stanza& st) {
        if (st.name == "message" && st.attr("type") == "error")
          shard.stats.error("error stanza while piling: " + std::string(st.frame.substr(0, 200)));
      },
      [&shard, &wake](const std::string& why) {
        if (!why.empty()) shard.stats.error("sender dropped: " + why);
        wake.cancel();
      });
  fill();
  while (s.acked < total && s.session->open() && now_ns() < deadline) {
    wake.expires_after(std::chrono::seconds(1));
    co_await wake.async_wait(kAwait);
  }
  if (s.acked < total) shard.stats.error("sender: " + std::to_string(total - s.acked) + " messages never acknowledged");
  // The session outlives this coroutine: nothing of its frame may stay in the callbacks.
  s.session->on_ack(nullptr);
  s.session->on_stanza([](const Stanza&) {},
                       [&shard](const std::string& why) {
                         if (!why.empty()) shard.stats.error("sender dropped: " + why);
                       });
}

// One client coming back: login, presence, then every stored message.
asio::awaitable<void> catch_up(Shard& shard, const Target& target, const XmppEndpoint& ep, Client& c, uint64_t t0,
                               uint64_t deadline, Ledger& led) {
  auto left = [deadline] { return std::chrono::nanoseconds(static_cast<int64_t>(deadline - std::min(deadline, now_ns()))); };
  XmppSession s(shard.io.get_executor(), target, ep);
  const XmppLogin login{c.name, kXmppPassword, false, true};  // named: see xmpp_connect_all
  auto r = co_await s.login(login, left());
  if (!r) co_return shard.stats.error("reconnect: " + r.error().message);
  bool dropped = false;
  asio::steady_timer wake(shard.io.get_executor());  // woken when done or closed, as in pile()
  s.on_stanza(
      [&](const Stanza& st) {
        if (st.name != "message") return;
        if (st.attr("type") == "error") return shard.stats.error("error stanza: " + std::string(st.frame.substr(0, 200)));
        std::string_view id = st.attr("id");
        auto dot = id.find('.');
        uint64_t conv = dot == std::string_view::npos ? UINT64_MAX : parse_decimal(id.substr(0, dot));
        uint64_t seq = dot == std::string_view::npos ? UINT64_MAX : parse_decimal(id.substr(dot + 1));
        if (conv == UINT64_MAX || seq == UINT64_MAX)
          return shard.stats.error("message without a bench id: " + std::string(st.frame.substr(0, 160)));
        led.received.push_back({static_cast<int64_t>(conv), static_cast<int64_t>(seq), c.id});
        c.order.observe(static_cast<int64_t>(conv), static_cast<int64_t>(seq), shard.stats);
        if (++c.got == c.expected) {
          c.done_ns = now_ns();
          wake.cancel();
        }
      },
      [&dropped, &wake](const std::string& why) {
        dropped = !why.empty();
        wake.cancel();
      });
  if (c.expected == 0) c.done_ns = now_ns();
  while (c.done_ns == 0 && s.open() && now_ns() < deadline) {
    wake.expires_after(std::chrono::seconds(1));
    co_await wake.async_wait(kAwait);
  }
  if (c.done_ns != 0) {
    uint64_t took = c.done_ns - t0;
    shard.stats.hist("catchup_us").record(took / 1000);
    shard.stats.set_max("max_catchup_s", static_cast<double>(took) / 1e9);
    shard.stats.add("caught_up");
  }
  // Duplicates would arrive after the last expected message; give them a moment.
  co_await sleep_for(std::chrono::milliseconds(300));
  if (dropped) shard.stats.error("reconnected client dropped during catch-up");
  s.close();
  for (int k = 0; k < 100 && s.open(); ++k) co_await sleep_for(std::chrono::milliseconds(10));
}

}  // namespace

void xmpp_reconnect_worker(WorkerContext& ctx) {
  const Options& opt = ctx.opt;
  const XmppEndpoint ep = xmpp_endpoint(opt);
  Runtime rt(opt.threads);
  Stats setup_stats;
  std::size_t k = static_cast<std::size_t>(std::max<int64_t>(1, ctx.share(opt.clients)));
  std::size_t s = static_cast<std::size_t>(std::clamp<int64_t>(ctx.share(opt.senders), 1, static_cast<int64_t>(k)));
  bool ok = true;
  auto names = xmpp_usernames(ctx.base, 0, s + k);
  std::vector<Client> clients(k);
  std::vector<std::string> jids(k);
  std::vector<Sender> senders(s);
  std::vector<std::unique_ptr<XmppSession>> sessions;
  Ledger ledger;
  for (std::size_t r = 0; r < k; ++r) {
    clients[r].name = names[s + r];
    clients[r].id = static_cast<int64_t>(s + r + 1);
    jids[r] = xmpp_bare_jid(names[s + r], ep);
    senders[r % s].clients.push_back(r);
  }

  if (auto r = register_xmpp_accounts(rt, ctx.target, ep, names, opt.setup_concurrency, 50); !r)
    ok = false, fail_setup(setup_stats, r.error().message);
  if (ok) {
    auto c = xmpp_connect_all(rt, ctx.target, ep, std::vector<std::string>(names.begin(), names.begin() + s), true,
                              opt.connect_concurrency, nullptr);
    if (!c) ok = false, fail_setup(setup_stats, c.error().message);
    else sessions = std::move(*c);
    for (std::size_t i = 0; ok && i < s; ++i) {
      senders[i].session = sessions[i].get();
      senders[i].id = static_cast<int64_t>(i + 1);
    }
  }
  ctx.link.barrier("ready");
  std::vector<Ledger> shard_ledgers(rt.shards().size());
  if (ok) {
    uint64_t t0 = now_ns();
    uint64_t deadline = t0 + static_cast<uint64_t>((opt.drain_s + 600) * 1e9);
    std::size_t shards = rt.shards().size();
    rt.run_all([&](Shard& shard) -> asio::awaitable<void> {
      std::vector<std::size_t> mine;
      for (std::size_t i = static_cast<std::size_t>(shard.index); i < s; i += shards) mine.push_back(i);
      co_await parallel_for(mine.size(), static_cast<int>(mine.size()), [&](std::size_t j) -> asio::awaitable<void> {
        co_await pile(shard, senders[mine[j]], clients, jids, opt, deadline,
                      shard_ledgers[static_cast<std::size_t>(shard.index)]);
      });
    });
    setup_stats.set_max("max_pile_s", static_cast<double>(now_ns() - t0) / 1e9);
  }
  ctx.link.barrier("piled");

  uint64_t t0 = now_ns();
  uint64_t deadline = t0 + static_cast<uint64_t>(opt.duration_s * 1e9);
  if (ok) {
    std::size_t shards = rt.shards().size();
    rt.run_all([&](Shard& shard) -> asio::awaitable<void> {
      std::vector<std::size_t> mine;
      for (std::size_t i = static_cast<std::size_t>(shard.index); i < k; i += shards) mine.push_back(i);
      co_await parallel_for(mine.size(), static_cast<int>(mine.size()), [&](std::size_t j) -> asio::awaitable<void> {
        co_await catch_up(shard, ctx.target, ep, clients[mine[j]], t0, deadline,
                          shard_ledgers[static_cast<std::size_t>(shard.index)]);
      });
    });
  }
  ctx.link.barrier("synced");
  rt.run_all([&](Shard& shard) -> asio::awaitable<void> {
    for (std::size_t i = static_cast<std::size_t>(shard.index); i < sessions.size(); i += rt.shards().size())
      sessions[i]->close();
    co_await sleep_for(std::chrono::milliseconds(200));
    for (std::size_t i = static_cast<std::size_t>(shard.index); i < sessions.size(); i += rt.shards().size())
      sessions[i].reset();
  });
  Stats stats = rt.merged_stats();
  stats.merge(setup_stats);
  for (auto& l : shard_ledgers) ledger.merge(std::move(l));
  check_ledger(ledger, stats);
  stats.add("clients", static_cast<double>(k));
  stats.add("senders", static_cast<double>(s));
  ctx.link.send_result(stats);
}

}  // namespace bench
