#include "server/bus/local_bus.h"

#include <algorithm>

namespace parley::bus {

void LocalBus::subscribe(int64_t user_id, const std::shared_ptr<Subscriber>& subscriber) {
  Shard& s = shard_for(user_id);
  std::lock_guard lock(s.mu);
  s.devices[user_id].push_back(
      Device{subscriber->connection_id(), subscriber->session_id(), subscriber});
}

void LocalBus::unsubscribe(int64_t user_id, uint64_t connection_id) {
  Shard& s = shard_for(user_id);
  std::lock_guard lock(s.mu);
  auto it = s.devices.find(user_id);
  if (it == s.devices.end()) return;
  auto& v = it->second;
  v.erase(std::remove_if(v.begin(), v.end(),
                         [&](const Device& d) { return d.connection_id == connection_id; }),
          v.end());
  if (v.empty()) s.devices.erase(it);
}

std::size_t LocalBus::publish(const Envelope& envelope) {
  // Collect strong references under the lock, deliver outside it: deliver() may take the
  // subscriber's own locks, and we never hold two.
  std::vector<std::shared_ptr<Subscriber>> targets;
  for (int64_t user_id : envelope.user_ids) {
    Shard& s = shard_for(user_id);
    std::lock_guard lock(s.mu);
    auto it = s.devices.find(user_id);
    if (it == s.devices.end()) continue;
    for (const Device& d : it->second) {
      const bool listed = std::find(envelope.session_ids.begin(), envelope.session_ids.end(),
                                    d.session_id) != envelope.session_ids.end();
      if (envelope.kind == Envelope::Kind::kFrame) {
        if (d.connection_id == envelope.exclude_connection) continue;
        if (envelope.exclude_session != 0 && d.session_id == envelope.exclude_session) continue;
        if (!envelope.session_ids.empty() && !listed) continue;
      }
      if (envelope.kind == Envelope::Kind::kRevokeSessions && !listed) continue;
      if (auto sub = d.subscriber.lock()) targets.push_back(std::move(sub));
    }
  }
  for (auto& sub : targets) {
    if (envelope.kind == Envelope::Kind::kFrame)
      sub->deliver(envelope.frame);
    else
      sub->revoke();
  }
  return targets.size();
}

std::size_t LocalBus::deliver_all(const std::shared_ptr<const std::string>& frame) {
  std::size_t n = 0;
  for (Shard& s : shards_) {
    std::vector<std::shared_ptr<Subscriber>> targets;
    {
      std::lock_guard lock(s.mu);
      for (const auto& [user, devices] : s.devices)
        for (const Device& d : devices)
          if (auto sub = d.subscriber.lock()) targets.push_back(std::move(sub));
    }
    for (auto& sub : targets) sub->deliver(frame);
    n += targets.size();
  }
  return n;
}

bool LocalBus::has_devices(int64_t user_id) const {
  const Shard& s = shard_for(user_id);
  std::lock_guard lock(s.mu);
  return s.devices.count(user_id) > 0;
}

std::size_t LocalBus::subscriber_count() const {
  std::size_t n = 0;
  for (const Shard& s : shards_) {
    std::lock_guard lock(s.mu);
    for (const auto& [user, devices] : s.devices) n += devices.size();
  }
  return n;
}

}  // namespace parley::bus
