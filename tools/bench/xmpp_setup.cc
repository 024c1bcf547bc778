#include "xmpp_setup.h"

#include <atomic>

namespace bench {

XmppEndpoint xmpp_endpoint(const Options& opt) { return XmppEndpoint{opt.xmpp_domain, opt.ws_path}; }

std::vector<std::string> xmpp_usernames(const std::string& base, std::size_t from, std::size_t n) {
  std::vector<std::string> out;
  out.reserve(n);
  for (std::size_t i = from; i < from + n; ++i) out.push_back(base + "u" + std::to_string(i));
  return out;
}

parley::Status register_xmpp_accounts(Runtime& rt, const Target& target, const XmppEndpoint& ep,
                                            const std::vector<std::string>& names, int concurrency, int per_stream) {
  std::vector<std::string> errors(rt.shards().size());
  std::atomic<std::size_t> next{0};
  std::size_t batch = static_cast<std::size_t>(std::max(per_stream, 1));
  rt.run_all([&](Shard& shard) -> asio::awaitable<void> {
    co_await parallel_for(static_cast<std::size_t>(concurrency), concurrency, [&](std::size_t) -> asio::awaitable<void> {
      for (std::size_t i = next.fetch_add(batch); i < names.size() && errors[shard.index].empty();
           i = next.fetch_add(batch)) {
        std::vector<XmppLogin> accounts;
        for (std::size_t k = i; k < std::min(names.size(), i + batch); ++k)
          accounts.push_back(XmppLogin{names[k], kXmppPassword});
        XmppSession s(shard.io.get_executor(), target, ep);
        auto r = co_await s.register_accounts(accounts, std::chrono::seconds(60));
        if (!r) {
          errors[shard.index] = "registration: " + r.error().message;
          co_return;
        }
        // Let the close handshake finish before the session goes away.
        for (int k = 0; k < 100 && s.open(); ++k) co_await sleep_for(std::chrono::milliseconds(10));
      }
    });
  });
  for (const auto& e : errors)
    if (!e.empty()) return make_error(e);
  return parley::Status();
}

parley::Result<std::vector<std::unique_ptr<XmppSession>>> xmpp_connect_all(Runtime& rt, const Target& target,
                                                                           const XmppEndpoint& ep,
                                                                           const std::vector<std::string>& names,
                                                                           bool stream_management, int concurrency,
                                                                           const char* latency_hist) {
  std::vector<std::unique_ptr<XmppSession>> out(names.size());
  std::vector<std::string> errors(rt.shards().size());
  std::size_t shards = rt.shards().size();
  rt.run_all([&](Shard& shard) -> asio::awaitable<void> {
    std::vector<std::size_t> mine;
    for (std::size_t i = static_cast<std::size_t>(shard.index); i < names.size(); i += shards) mine.push_back(i);
    co_await parallel_for(mine.size(), concurrency, [&](std::size_t k) -> asio::awaitable<void> {
      if (!errors[shard.index].empty()) co_return;
      std::size_t i = mine[k];
      auto s = std::make_unique<XmppSession>(shard.io.get_executor(), target, ep);
      uint64_t t0 = now_ns();
      // A named object, not a temporary in the co_await expression: GCC 12 destroys such
      // aggregate temporaries twice.
      const XmppLogin login{names[i], kXmppPassword, stream_management, true};
      auto r = co_await s->login(login, std::chrono::seconds(30));
      if (!r) {
        errors[shard.index] = "login " + std::to_string(i) + ": " + r.error().message;
        co_return;
      }
      if (latency_hist) shard.stats.hist(latency_hist).record((now_ns() - t0) / 1000);
      out[i] = std::move(s);
    });
  });
  for (const auto& e : errors)
    if (!e.empty()) return make_error(e);
  return out;
}

}  // namespace bench
