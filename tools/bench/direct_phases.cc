#include "direct_phases.h"

#include <algorithm>
#include <memory>
#include <set>
#include <thread>

namespace bench {

namespace {

// Open loop: this shard's share of --rate, at scheduled instants, to random users.
asio::awaitable<void> pace(DirectState& state, DirectTransport& t, Shard& shard, DirectShard& st, double rate,
                           std::mt19937_64& rng) {
  uint64_t start = now_ns();
  uint64_t k = 0;
  double interval = 1e9 / rate;
  while (now_ns() < state.deadline_ns) {
    // Sends k = 0, 1, ... are due at start + k * interval: those up to now are floor(elapsed / interval) + 1.
    uint64_t due = static_cast<uint64_t>(static_cast<double>(now_ns() - start) / interval) + 1;
    for (; k < due; ++k) {
      uint64_t scheduled = start + static_cast<uint64_t>(static_cast<double>(k) * interval);
      if (scheduled >= state.deadline_ns) break;
      std::size_t i = st.users[rng() % st.users.size()];
      if (!t.can_send(i)) {
        shard.stats.add("skipped_backlogged");
        continue;
      }
      t.send_one(i, shard, scheduled, rng);
    }
    co_await sleep_for(std::chrono::microseconds(500));
  }
}

}  // namespace

std::vector<std::pair<std::size_t, std::size_t>> direct_pairs(std::size_t n, int peers) {
  std::vector<std::pair<std::size_t, std::size_t>> pairs;
  std::set<std::pair<std::size_t, std::size_t>> seen;
  const int half = std::max(1, peers / 2);
  for (std::size_t i = 0; i < n; ++i)
    for (int d = 1; d <= half; ++d) {
      std::size_t j = (i + static_cast<std::size_t>(d)) % n;
      auto p = std::minmax(i, j);
      if (i != j && seen.insert(p).second) pairs.push_back(p);
    }
  return pairs;
}

std::function<void(const std::string&)> report_drop(const DirectState& state, Shard& shard, std::size_t i) {
  return [&state, &shard, i](const std::string& why) {
    if (!state.connected_phase_over.load())
      shard.stats.error("connection of user " + std::to_string(i) + " dropped: " + why);
  };
}

void assign_shards(DirectState& state, Runtime& rt, std::size_t users, bool ok) {
  state.shards.resize(rt.shards().size());
  for (std::size_t i = 0; ok && i < users; ++i) state.shards[i % state.shards.size()].users.push_back(i);
}

Stats run_direct_phases(WorkerContext& ctx, Runtime& rt, DirectState& state, DirectTransport& t, bool ok,
                        Stats setup) {
  const Options& opt = ctx.opt;
  ctx.link.barrier("connected");

  state.deadline_ns = now_ns() + static_cast<uint64_t>(opt.duration_s * 1e9);
  state.sending = true;
  if (ok) {
    double shard_rate = opt.rate / static_cast<double>(opt.procs * opt.threads);
    rt.run_all([&](Shard& shard) -> asio::awaitable<void> {
      DirectShard& st = state.shards[static_cast<std::size_t>(shard.index)];
      auto rng =
          std::make_shared<std::mt19937_64>(static_cast<uint64_t>(ctx.link.index() * 1000 + shard.index + 1));
      for (std::size_t i : st.users) t.start(i, shard, st, *rng);
      if (opt.rate == 0) {
        for (std::size_t i : st.users)
          for (int w = 0; w < opt.window; ++w) t.send_one(i, shard, now_ns(), *rng);
        co_await sleep_for(
            std::chrono::nanoseconds(state.deadline_ns - std::min(state.deadline_ns, now_ns())));
      } else if (!st.users.empty()) {
        co_await pace(state, t, shard, st, shard_rate, *rng);
      }
    });
  } else {
    std::this_thread::sleep_for(std::chrono::nanoseconds(static_cast<int64_t>(opt.duration_s * 1e9)));
  }
  state.sending = false;
  ctx.link.barrier("sent");

  // Drain: every pending ack, and every acked message delivered (or the drain deadline).
  uint64_t drain_end = now_ns() + static_cast<uint64_t>(opt.drain_s * 1e9);
  rt.run_all([&](Shard& shard) -> asio::awaitable<void> {
    DirectShard& st = state.shards[static_cast<std::size_t>(shard.index)];
    while (now_ns() < drain_end) {
      bool pending = false;
      for (std::size_t i : st.users) pending = pending || t.unacknowledged(i) > 0;
      if (!pending && state.acked.load() <= state.delivered.load()) break;
      co_await sleep_for(std::chrono::milliseconds(5));
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // late duplicates show up here
  ctx.link.barrier("drained");
  state.connected_phase_over = true;
  rt.run_all([&](Shard& shard) -> asio::awaitable<void> {
    DirectShard& st = state.shards[static_cast<std::size_t>(shard.index)];
    for (std::size_t i : st.users) {
      const std::size_t left = t.unacknowledged(i);
      if (left > 0)
        shard.stats.error("user " + std::to_string(i) + ": " + std::to_string(left) +
                          " sends never acknowledged");
      shard.stats.add("unacknowledged", static_cast<double>(left));
      t.close(i);
    }
    co_await sleep_for(std::chrono::milliseconds(300));
    for (std::size_t i : st.users) t.release(i);
  });
  Stats stats = rt.merged_stats();
  stats.merge(setup);
  Ledger all;
  for (auto& st : state.shards) all.merge(std::move(st.ledger));
  check_ledger(all, stats);
  return stats;
}

}  // namespace bench
