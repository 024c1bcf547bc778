#include "server/bus/hold_back.h"

#include <chrono>
#include <limits>

#include "common/metrics.h"

namespace parley::bus {

namespace {

constexpr int64_t kAll = std::numeric_limits<int64_t>::max();

// Comparisons are written `seq - 1 == last` (seq >= 1), never `last + 1`: a node may send
// any seq up to INT64_MAX, and overflowing `last + 1` would be undefined.
Envelope for_user(const Envelope& e, int64_t user_id) {
  Envelope c = e;
  c.user_ids = {user_id};
  return c;
}

}  // namespace

HoldBack::HoldBack(HoldBackOptions options, Deliver deliver, HasDevices has_devices, Clock clock)
    : options_(options),
      keys_per_shard_(std::max<std::size_t>(1, options.max_keys / kShards)),
      deliver_(std::move(deliver)),
      has_devices_(std::move(has_devices)),
      clock_(std::move(clock)) {}

HoldBack::~HoldBack() {
  {
    std::lock_guard lock(timer_mu_);
    stopping_ = true;
  }
  timer_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  // What is still held goes out in order rather than vanishing.
  for (Shard& sh : shards_) {
    std::lock_guard lock(sh.mu);
    std::vector<Envelope> out;
    for (auto& [key, st] : sh.states) release_upto(st, kAll, out);
    deliver_all(out);
  }
}

void HoldBack::start() {
  if (options_.hold_ms > 0 && !thread_.joinable()) thread_ = std::thread([this] { run_timer(); });
}

std::size_t HoldBack::publish(const Envelope& e) {
  if (options_.hold_ms <= 0 || e.kind != Envelope::Kind::kFrame || e.conversation_id == 0) return deliver_(e);
  Shard& sh = shard_for(e.conversation_id);
  // Held across delivery: the order decided here is the order devices see.
  std::lock_guard lock(sh.mu);
  std::vector<Envelope> after;
  std::vector<int64_t> now;
  now.reserve(e.user_ids.size());
  bool all_now = true;
  for (int64_t user : e.user_ids) {
    if (has_devices_ && !has_devices_(user)) continue;  // nobody here to order for
    if (step(sh, Key{e.conversation_id, user}, e, after) == Step::kNow)
      now.push_back(user);
    else
      all_now = false;
  }
  std::size_t n = 0;
  if (all_now) {
    n += deliver_(e);  // the common case: one envelope, as without a hold-back
  } else if (!now.empty()) {
    Envelope c = e;
    c.user_ids = std::move(now);
    n += deliver_(c);
  }
  return n + deliver_all(after);
}

HoldBack::State& HoldBack::state_for(Shard& sh, const Key& key, std::vector<Envelope>& after) {
  if (auto it = sh.states.find(key); it != sh.states.end()) {
    sh.lru.splice(sh.lru.begin(), sh.lru, it->second.lru);
    return it->second;
  }
  if (sh.states.size() >= keys_per_shard_ && !sh.lru.empty()) {
    auto victim = sh.states.find(sh.lru.back());
    release_upto(victim->second, kAll, after);
    sh.states.erase(victim);
    sh.lru.pop_back();
    evicted_total_.fetch_add(1, std::memory_order_relaxed);
    keys_.fetch_sub(1, std::memory_order_relaxed);
  }
  sh.lru.push_front(key);
  State& st = sh.states[key];
  st.lru = sh.lru.begin();
  keys_.fetch_add(1, std::memory_order_relaxed);
  return st;
}

HoldBack::Step HoldBack::step(Shard& sh, const Key& key, const Envelope& e, std::vector<Envelope>& after) {
  State& st = state_for(sh, key, after);
  const bool full = st.count >= options_.max_held_per_key || held_.load() >= options_.max_held;
  if (e.seq == 0) {  // an edit or the like: keep it behind what it may refer to
    if (st.held.empty()) return Step::kNow;
    if (full) {
      overflow_total_.fetch_add(1, std::memory_order_relaxed);
      release_upto(st, kAll, after);
      after.push_back(for_user(e, key.user_id));
      return Step::kHandled;
    }
    std::prev(st.held.end())->second.followers.push_back(for_user(e, key.user_id));
    ++st.count;
    held_.fetch_add(1, std::memory_order_relaxed);
    return Step::kHandled;
  }
  const int64_t now = clock_();
  // The user away from this node in between: the jump is events it did not receive here.
  const bool fresh =
      st.last == 0 || (st.held.empty() && e.seq - 1 > st.last && came_back(key.user_id, st.touched));
  if (fresh || e.seq - 1 == st.last) {
    st.last = e.seq;
    st.touched = now;
    if (!st.held.empty() && st.held.begin()->first - 1 == st.last) {
      filled_total_.fetch_add(1, std::memory_order_relaxed);
      release_run(st, after);
    }
    return Step::kNow;
  }
  if (e.seq <= st.last || st.held.count(e.seq)) {
    late_total_.fetch_add(1, std::memory_order_relaxed);
    return Step::kNow;
  }
  if (full) {
    // Everything held goes out with it, in seq order: the bound costs order, never loss.
    overflow_total_.fetch_add(1, std::memory_order_relaxed);
    st.held.emplace(e.seq, Held{for_user(e, key.user_id), 0, {}});
    ++st.count;
    held_.fetch_add(1, std::memory_order_relaxed);
    release_upto(st, kAll, after);
    return Step::kHandled;
  }
  const int64_t deadline = now + options_.hold_ms;
  st.held.emplace(e.seq, Held{for_user(e, key.user_id), deadline, {}});
  ++st.count;
  held_.fetch_add(1, std::memory_order_relaxed);
  held_total_.fetch_add(1, std::memory_order_relaxed);
  {
    std::lock_guard lock(timer_mu_);
    const bool was_empty = deadlines_.empty();
    deadlines_.push_back(Deadline{deadline, key, e.seq});
    if (was_empty) timer_cv_.notify_one();
  }
  return Step::kHandled;
}

void HoldBack::user_arrived(int64_t user_id) {
  const int64_t now = clock_();
  std::lock_guard lock(users_mu_);
  arrived_[user_id] = now;
}

void HoldBack::user_left(int64_t user_id) {
  std::lock_guard lock(users_mu_);
  arrived_.erase(user_id);
}

bool HoldBack::came_back(int64_t user_id, int64_t since) const {
  std::lock_guard lock(users_mu_);
  auto it = arrived_.find(user_id);
  return it != arrived_.end() && it->second > since;
}

void HoldBack::pop_front(State& st, std::vector<Envelope>& out) {
  auto node = st.held.extract(st.held.begin());
  Held& h = node.mapped();
  st.last = std::max(st.last, node.key());
  st.touched = clock_();
  const std::size_t n = 1 + h.followers.size();
  out.push_back(std::move(h.envelope));
  for (Envelope& f : h.followers) out.push_back(std::move(f));
  st.count -= n;
  held_.fetch_sub(n, std::memory_order_relaxed);
}

void HoldBack::release_upto(State& st, int64_t seq, std::vector<Envelope>& out) {
  while (!st.held.empty() && st.held.begin()->first <= seq) pop_front(st, out);
  release_run(st, out);
}

void HoldBack::release_run(State& st, std::vector<Envelope>& out) {
  while (!st.held.empty() && st.held.begin()->first - 1 <= st.last) pop_front(st, out);
}

std::size_t HoldBack::deliver_all(const std::vector<Envelope>& out) {
  std::size_t n = 0;
  for (const Envelope& e : out) n += deliver_(e);
  return n;
}

std::size_t HoldBack::expire() {
  const int64_t now = clock_();
  std::vector<Deadline> due;
  {
    std::lock_guard lock(timer_mu_);
    while (!deadlines_.empty() && deadlines_.front().at <= now) {
      due.push_back(deadlines_.front());
      deadlines_.pop_front();
    }
  }
  std::size_t gaps = 0;
  for (const Deadline& d : due) {
    Shard& sh = shard_for(d.key.conversation_id);
    std::lock_guard lock(sh.mu);
    auto it = sh.states.find(d.key);
    // Gone already: released by its gap filling, an earlier expiry, a bound or eviction.
    if (it == sh.states.end() || !it->second.held.count(d.seq)) continue;
    std::vector<Envelope> out;
    release_upto(it->second, d.seq, out);
    ++gaps;
    expired_total_.fetch_add(1, std::memory_order_relaxed);
    deliver_all(out);
  }
  return gaps;
}

int64_t HoldBack::next_deadline() const {
  std::lock_guard lock(timer_mu_);
  return deadlines_.empty() ? -1 : deadlines_.front().at;
}

void HoldBack::run_timer() {
  std::unique_lock lock(timer_mu_);
  while (!stopping_) {
    if (deadlines_.empty()) {
      timer_cv_.wait(lock);
      continue;
    }
    const int64_t wait = deadlines_.front().at - clock_();
    if (wait > 0) {
      timer_cv_.wait_for(lock, std::chrono::milliseconds(wait));
      continue;
    }
    lock.unlock();
    expire();
    lock.lock();
  }
}

HoldBackStats HoldBack::stats() const {
  HoldBackStats s;
  s.held = held_.load();
  s.keys = keys_.load();
  s.held_total = held_total_.load();
  s.filled_total = filled_total_.load();
  s.expired_total = expired_total_.load();
  s.late_total = late_total_.load();
  s.overflow_total = overflow_total_.load();
  s.evicted_total = evicted_total_.load();
  return s;
}

std::string HoldBack::metrics_text() const {
  const HoldBackStats s = stats();
  std::string out;
  auto add = [&out](const char* name, const char* type, const char* help, uint64_t v) {
    append_metric(out, name, type, help, v);
  };
  add("parley_bus_order_held", "gauge", "Message events waiting for an earlier seq of their conversation.", s.held);
  add("parley_bus_order_keys", "gauge", "(conversation, user) pairs whose last delivered seq is remembered.", s.keys);
  add("parley_bus_order_held_total", "counter", "Message events that waited for an earlier seq.", s.held_total);
  add("parley_bus_order_filled_total", "counter", "Gaps filled: the missing seq arrived before the deadline.",
      s.filled_total);
  add("parley_bus_order_expired_total", "counter",
      "Gaps given up at the deadline: the waiting events were delivered without the missing seq.", s.expired_total);
  add("parley_bus_order_late_total", "counter",
      "Message events at or below the seq already delivered, delivered at once.", s.late_total);
  add("parley_bus_order_overflow_total", "counter", "Held events delivered early: a bound on held events was reached.",
      s.overflow_total);
  add("parley_bus_order_evicted_total", "counter", "Pairs forgotten (least recently used) to stay within the bound.",
      s.evicted_total);
  return out;
}

}  // namespace parley::bus
