#include "server/api/presence_hub.h"

#include <algorithm>
#include <utility>

#include "server/api/wire.h"

namespace parley::api {

std::shared_ptr<const std::string> presence_frame(int64_t user_id, bool online,
                                                  std::optional<int64_t> last_seen) {
  boost::json::object o{{"type", "presence"}, {"user_id", user_id}, {"online", online}};
  o["last_seen"] = last_seen ? boost::json::value(*last_seen) : boost::json::value(nullptr);
  return wire::frame(o);
}

void PresenceHub::set(const std::shared_ptr<bus::Subscriber>& watcher, int64_t viewer_id,
                      std::vector<Watch> watches) {
  uint64_t id = watcher->connection_id();
  std::lock_guard lock(mu_);
  Watching& watching = by_watcher_[id];
  for (int64_t old : watching.targets) unwatch(id, old);
  watching.viewer_id = viewer_id;
  watching.targets.clear();
  for (const Watch& w : watches) {
    by_target_[w.target][id] = Watcher{watcher, viewer_id, w.target_hides, w.viewer_hides};
    watching.targets.push_back(w.target);
  }
  if (watching.targets.empty()) by_watcher_.erase(id);
}

void PresenceHub::unwatch(uint64_t watcher_id, int64_t target) {
  auto it = by_target_.find(target);
  if (it == by_target_.end()) return;
  it->second.erase(watcher_id);
  if (it->second.empty()) by_target_.erase(it);
}

void PresenceHub::drop(uint64_t watcher_id) {
  std::lock_guard lock(mu_);
  auto it = by_watcher_.find(watcher_id);
  if (it == by_watcher_.end()) return;
  for (int64_t t : it->second.targets) unwatch(watcher_id, t);
  by_watcher_.erase(it);
}

void PresenceHub::privacy_changed(int64_t user_id, bool hides) {
  apply_privacy_changed(user_id, hides);
  if (relay_.privacy_changed) relay_.privacy_changed(user_id, hides);
}

void PresenceHub::apply_privacy_changed(int64_t user_id, bool hides) {
  std::lock_guard lock(mu_);
  if (auto it = by_target_.find(user_id); it != by_target_.end()) {
    for (auto& [id, w] : it->second) w.target_hides = hides;
  }
  // Rare (a settings change): a scan of the watching devices is fine.
  for (const auto& [id, watching] : by_watcher_) {
    if (watching.viewer_id != user_id) continue;
    for (int64_t t : watching.targets) {
      auto it = by_target_.find(t);
      if (it == by_target_.end()) continue;
      if (auto jt = it->second.find(id); jt != it->second.end()) jt->second.viewer_hides = hides;
    }
  }
}

void PresenceHub::blocked(int64_t a, int64_t b) {
  apply_blocked(a, b);
  if (relay_.blocked) relay_.blocked(a, b);
}

void PresenceHub::apply_blocked(int64_t a, int64_t b) {
  std::lock_guard lock(mu_);
  for (auto [viewer, target] : {std::pair{a, b}, std::pair{b, a}}) {
    auto it = by_target_.find(target);
    if (it == by_target_.end()) continue;
    std::vector<uint64_t> ended;
    for (const auto& [id, w] : it->second)
      if (w.viewer_id == viewer) ended.push_back(id);
    for (uint64_t id : ended) {
      unwatch(id, target);
      if (auto wt = by_watcher_.find(id); wt != by_watcher_.end()) {
        auto& targets = wt->second.targets;
        targets.erase(std::remove(targets.begin(), targets.end(), target), targets.end());
        if (targets.empty()) by_watcher_.erase(wt);
      }
    }
  }
}

void PresenceHub::on_presence(int64_t user_id, bool online, std::optional<int64_t> last_seen) {
  metrics_.presence_changes.add();
  std::vector<std::pair<std::shared_ptr<bus::Subscriber>, bool>> targets;
  {
    std::lock_guard lock(mu_);
    auto it = by_target_.find(user_id);
    if (it == by_target_.end()) return;
    for (auto& [id, w] : it->second)
      if (auto s = w.subscriber.lock()) targets.emplace_back(std::move(s), w.show_last_seen());
  }
  metrics_.presence_frames.add(targets.size());
  // Two encodings at most, each shared by every watcher that gets it.
  std::shared_ptr<const std::string> with, without;
  for (auto& [sub, show] : targets) {
    auto& f = show ? with : without;
    if (!f) f = presence_frame(user_id, online, show ? last_seen : std::nullopt);
    sub->deliver(f);
  }
}


}  // namespace parley::api
