#include "server/chat/presence.h"

#include <algorithm>
#include <vector>

#include <spdlog/spdlog.h>

#include "common/clock.h"

namespace parley::chat {

PresenceTracker::PresenceTracker(store::Store& store, Committer& committer,
                                 PresenceListener& listener, PresenceOptions options)
    : store_(store), committer_(committer), listener_(listener), options_(options) {
  timer_ = std::thread([this] { run(); });
}

PresenceTracker::~PresenceTracker() { stop(); }

void PresenceTracker::connected(int64_t user_id) {
  bool announce = false;
  {
    std::lock_guard lock(mu_);
    User& u = users_[user_id];
    ++u.devices;
    u.offline_at_steady.reset();  // back within the grace period: nothing to announce
    if (!u.announced_online) {
      u.announced_online = true;
      announce = true;
    }
  }
  if (announce) listener_.on_presence(user_id, true, std::nullopt);
}

void PresenceTracker::disconnected(int64_t user_id) {
  std::lock_guard lock(mu_);
  auto it = users_.find(user_id);
  if (it == users_.end() || it->second.devices == 0) return;
  User& u = it->second;
  if (--u.devices > 0) return;
  u.last_seen = now_ms();
  const int64_t deadline = steady_ms() + options_.offline_grace_ms;
  u.offline_at_steady = deadline;
  earliest_new_ = std::min(earliest_new_, deadline);
  if (deadline < wake_at_) cv_.notify_one();
}

Result<std::unordered_map<int64_t, PresenceState>> PresenceTracker::states(
    const std::vector<int64_t>& user_ids) {
  std::unordered_map<int64_t, PresenceState> out;
  std::vector<int64_t> ask_store;
  {
    std::lock_guard lock(mu_);
    for (int64_t id : user_ids) {
      auto it = users_.find(id);
      if ((it != users_.end() && it->second.announced_online) ||
          (options_.online_elsewhere && options_.online_elsewhere(id))) {
        out[id] = PresenceState{true, std::nullopt};
      } else if (it != users_.end() && it->second.last_seen) {
        out[id] = PresenceState{false, it->second.last_seen};
      } else if (std::optional<int64_t> ts = unwritten_last_seen(id)) {
        out[id] = PresenceState{false, ts};
      } else {
        ask_store.push_back(id);
      }
    }
  }
  if (ask_store.empty()) return out;
  auto stored = store_.presence(ask_store);
  if (!stored) return stored.error();
  for (const auto& p : *stored) out[p.user_id] = PresenceState{false, p.last_seen_at};
  return out;
}

std::optional<int64_t> PresenceTracker::unwritten_last_seen(int64_t user_id) {
  std::lock_guard lock(unwritten_->mu);
  auto it = unwritten_->by_user.find(user_id);
  if (it == unwritten_->by_user.end()) return std::nullopt;
  return it->second.second;
}

void PresenceTracker::write_last_seen(int64_t user_id, int64_t ts) {
  {
    std::lock_guard lock(unwritten_->mu);
    auto& [in_flight, newest] = unwritten_->by_user[user_id];
    ++in_flight;
    newest = ts;  // submitted in order: the store ends with this one
  }
  committer_.submit(make_op<Done>(
      [user_id, ts](store::WriteTxn& txn) -> Result<Done> {
        if (Status s = txn.set_last_seen(user_id, ts); !s) return s.error();
        return Done{};
      },
      // After the commit (or its failure): readers of the store see the value from now on.
      Callback<Done>([user_id, unwritten = unwritten_](Result<Done> r) {
        if (!r) spdlog::warn("last seen of user {} not stored: {}", user_id, r.error().message);
        std::lock_guard lock(unwritten->mu);
        auto it = unwritten->by_user.find(user_id);
        if (it != unwritten->by_user.end() && --it->second.first == 0) unwritten->by_user.erase(it);
      })));
}

void PresenceTracker::run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    int64_t now = steady_ms();
    int64_t next = now + 60000;
    earliest_new_ = INT64_MAX;  // this scan sees every deadline set so far
    wake_at_ = INT64_MIN;       // scanning: a new deadline is folded in before waiting
    std::vector<std::pair<int64_t, int64_t>> went_offline;  // (user, last seen)
    std::vector<std::pair<int64_t, int64_t>> writes;
    for (auto it = users_.begin(); it != users_.end();) {
      User& u = it->second;
      if (u.offline_at_steady) {
        if (*u.offline_at_steady <= now) {
          u.offline_at_steady.reset();
          u.announced_online = false;
          went_offline.emplace_back(it->first, *u.last_seen);
          u.write_pending = true;
        } else {
          next = std::min(next, *u.offline_at_steady);
        }
      }
      if (u.write_pending) {
        int64_t due = u.last_write_steady + options_.last_seen_write_ms;
        if (due <= now) {
          u.write_pending = false;
          u.last_write_steady = now;
          writes.emplace_back(it->first, *u.last_seen);
        } else {
          next = std::min(next, due);
        }
      }
      // Forget users with nothing left to do, keeping those whose write throttle still
      // matters; memory stays proportional to recently active users.
      bool idle = u.devices == 0 && !u.offline_at_steady && !u.write_pending &&
                  now - u.last_write_steady > options_.last_seen_write_ms;
      it = idle ? users_.erase(it) : std::next(it);
    }
    lock.unlock();
    for (auto [user, ts] : writes) write_last_seen(user, ts);
    for (auto [user, ts] : went_offline) listener_.on_presence(user, false, ts);
    lock.lock();
    if (!went_offline.empty() || !writes.empty()) continue;
    wake_at_ = std::max(std::min(next, earliest_new_), now + kMinScanIntervalMs);
    cv_.wait_for(lock, std::chrono::milliseconds(std::max<int64_t>(1, wake_at_ - steady_ms())));
  }
}

void PresenceTracker::stop() {
  std::vector<std::pair<int64_t, int64_t>> writes;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    for (auto& [id, u] : users_)
      if (u.devices == 0 && (u.write_pending || u.offline_at_steady) && u.last_seen)
        writes.emplace_back(id, *u.last_seen);
    cv_.notify_all();
  }
  if (timer_.joinable()) timer_.join();
  // On shutdown everyone still connected is about to be disconnected: record them as
  // last seen now, so that a restart does not show stale times.
  int64_t now = now_ms();
  {
    std::lock_guard lock(mu_);
    for (auto& [id, u] : users_)
      if (u.devices > 0) writes.emplace_back(id, now);
  }
  for (auto [user, ts] : writes) write_last_seen(user, ts);
}

}  // namespace parley::chat
