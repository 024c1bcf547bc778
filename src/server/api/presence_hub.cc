#include "server/api/presence_hub.h"

#include "server/api/wire.h"

namespace parley::api {

std::shared_ptr<const std::string> presence_frame(int64_t user_id, bool online,
                                                  std::optional<int64_t> last_seen) {
  boost::json::object o{{"type", "presence"}, {"user_id", user_id}, {"online", online}};
  o["last_seen"] = last_seen ? boost::json::value(*last_seen) : boost::json::value(nullptr);
  return wire::frame(o);
}

void PresenceHub::set(const std::shared_ptr<bus::Subscriber>& watcher, std::vector<Watch> watches) {
  uint64_t id = watcher->connection_id();
  std::lock_guard lock(mu_);
  for (int64_t old : by_watcher_[id]) {
    auto it = by_target_.find(old);
    if (it == by_target_.end()) continue;
    it->second.erase(id);
    if (it->second.empty()) by_target_.erase(it);
  }
  std::vector<int64_t>& targets = by_watcher_[id];
  targets.clear();
  for (const Watch& w : watches) {
    by_target_[w.target][id] = Watcher{watcher, w.show_last_seen};
    targets.push_back(w.target);
  }
  if (targets.empty()) by_watcher_.erase(id);
}

void PresenceHub::drop(uint64_t watcher_id) {
  std::lock_guard lock(mu_);
  auto it = by_watcher_.find(watcher_id);
  if (it == by_watcher_.end()) return;
  for (int64_t t : it->second) {
    auto jt = by_target_.find(t);
    if (jt == by_target_.end()) continue;
    jt->second.erase(watcher_id);
    if (jt->second.empty()) by_target_.erase(jt);
  }
  by_watcher_.erase(it);
}

void PresenceHub::on_presence(int64_t user_id, bool online, std::optional<int64_t> last_seen) {
  metrics_.presence_changes.add();
  std::vector<std::pair<std::shared_ptr<bus::Subscriber>, bool>> targets;
  {
    std::lock_guard lock(mu_);
    auto it = by_target_.find(user_id);
    if (it == by_target_.end()) return;
    for (auto& [id, w] : it->second)
      if (auto s = w.subscriber.lock()) targets.emplace_back(std::move(s), w.show_last_seen);
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
