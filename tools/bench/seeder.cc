#include "seeder.h"

#include <algorithm>
#include <unordered_map>

#include "frames.h"

namespace bench {

namespace json = boost::json;

namespace {

struct JobState {
  std::vector<SendFrame> frames;
  std::size_t next = 0, total = 0, acked = 0;
  uint64_t counter = 0;
  std::unordered_map<uint64_t, uint64_t> pending;  // counter -> send time
  bool closed = false;
};

}  // namespace

double run_seed_jobs(Runtime& rt, std::vector<SeedJob>& jobs, int window, int text_bytes, double timeout_s,
                     Ledger& ledger, bool words) {
  std::vector<JobState> states(jobs.size());
  std::vector<Ledger> shard_ledgers(rt.shards().size());
  uint64_t start = now_ns();
  uint64_t deadline = start + static_cast<uint64_t>(timeout_s * 1e9);
  std::size_t shards = rt.shards().size();
  rt.run_all([&](Shard& shard) -> asio::awaitable<void> {
    Ledger& led = shard_ledgers[static_cast<std::size_t>(shard.index)];
    std::vector<std::size_t> mine;
    for (std::size_t i = static_cast<std::size_t>(shard.index); i < jobs.size(); i += shards) mine.push_back(i);
    for (std::size_t i : mine) {
      SeedJob& job = jobs[i];
      JobState& st = states[i];
      for (int64_t c : job.conversations) st.frames.emplace_back(c, text_bytes, words);
      st.total = job.conversations.size() * static_cast<std::size_t>(job.per_conversation);
      // Messages go round-robin over the job's conversations.
      auto send_next = [&job, &st] {
        if (st.next >= st.total) return;
        std::size_t k = st.next++;
        uint64_t n = ++st.counter;
        uint64_t t = now_ns();
        st.pending.emplace(n, t);
        job.conn->send(st.frames[k % st.frames.size()].make(n, t));
      };
      job.conn->start(
          [&job, &st, &shard, &led, send_next](std::string_view f) {
            unsigned char buf[8192];
            json::monotonic_resource mr(buf, sizeof buf);
            json::value v;
            if (!parse_frame(f, mr, v)) return;
            const json::object& o = v.get_object();
            std::string_view type = str_field(o, "type");
            if (type != "ack" && type != "error") return;
            uint64_t n = o.contains("id") ? answer_counter(o.at("id")) : UINT64_MAX;
            auto it = st.pending.find(n);
            if (it == st.pending.end()) return shard.stats.error("seeding: answer for nothing: " + std::string(f.substr(0, 120)));
            if (type == "error") {
              shard.stats.error("seeding: " + std::string(f.substr(0, 160)));
            } else if (const json::object* m = obj_field(o, "message")) {
              shard.stats.hist("seed_ack_us").record((now_ns() - it->second) / 1000);
              led.acked.push_back({int_field(*m, "conversation_id"), int_field(*m, "seq"), job.user_id});
              ++st.acked;
            }
            st.pending.erase(it);
            send_next();
          },
          [&st, &shard](const std::string& why) {
            st.closed = true;
            if (!why.empty()) shard.stats.error("seeding connection dropped: " + why);
          });
      for (int w = 0; w < window; ++w) send_next();
    }
    for (;;) {
      bool busy = false;
      for (std::size_t i : mine) busy = busy || (!states[i].closed && (states[i].next < states[i].total || !states[i].pending.empty()));
      if (!busy || now_ns() > deadline) break;
      co_await sleep_for(std::chrono::milliseconds(2));
    }
    for (std::size_t i : mine) {
      if (states[i].acked < states[i].total)
        shard.stats.error("seeding: " + std::to_string(states[i].total - states[i].acked) + " messages not acknowledged");
      shard.stats.add("seeded", static_cast<double>(states[i].acked));
      jobs[i].conn->close();
    }
    co_await sleep_for(std::chrono::milliseconds(100));
  });
  double took = static_cast<double>(now_ns() - start) / 1e9;
  for (auto& l : shard_ledgers) ledger.merge(std::move(l));
  return took;
}

void check_contiguous_acks(Ledger& ledger, Stats& stats) {
  auto& a = ledger.acked;
  std::sort(a.begin(), a.end(), [](const LedgerEntry& x, const LedgerEntry& y) {
    return x.conversation != y.conversation ? x.conversation < y.conversation : x.seq < y.seq;
  });
  for (std::size_t i = 0; i < a.size(); ++i) {
    bool first = i == 0 || a[i - 1].conversation != a[i].conversation;
    int64_t expect = first ? 1 : a[i - 1].seq + 1;
    if (a[i].seq != expect) {
      stats.add(a[i].seq < expect ? "seq_reused" : "seq_gaps");
      stats.error("conversation " + std::to_string(a[i].conversation) + ": ack seq " + std::to_string(a[i].seq) +
                  ", expected " + std::to_string(expect));
    }
  }
}

}  // namespace bench
