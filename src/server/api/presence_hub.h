// Presence subscriptions: which connected devices are looking at which users (the open
// chat, the visible rows of the chat list). A presence change is sent only to them —
// never to every contact or conversation partner — so its cost is the number of people
// looking at that moment. Indexed both ways (target -> watchers, watcher -> targets) so
// that replacing a device's subscriptions or dropping a device is cheap.
// Thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/metrics.h"
#include "server/bus/bus.h"
#include "server/chat/presence.h"

namespace parley::api {

class PresenceHub final : public chat::PresenceListener {
 public:
  explicit PresenceHub(Metrics& metrics) : metrics_(metrics) {}

  struct Watch {
    int64_t target = 0;
    bool show_last_seen = true;  // false when either side hides last seen
  };

  // Replaces everything `watcher` looks at. The watcher is held weakly.
  void set(const std::shared_ptr<bus::Subscriber>& watcher, std::vector<Watch> watches);
  // Forgets the watcher (its connection closed).
  void drop(uint64_t watcher_id);

  // chat::PresenceListener: sends {"type":"presence",...} to the target's watchers.
  void on_presence(int64_t user_id, bool online, std::optional<int64_t> last_seen) override;

 private:
  struct Watcher {
    std::weak_ptr<bus::Subscriber> subscriber;
    bool show_last_seen;
  };
  mutable std::mutex mu_;
  std::unordered_map<int64_t, std::unordered_map<uint64_t, Watcher>> by_target_;  // guarded by mu_
  std::unordered_map<uint64_t, std::vector<int64_t>> by_watcher_;                 // guarded by mu_
  Metrics& metrics_;
};

// The presence frame of one user, as one watcher may see it.
std::shared_ptr<const std::string> presence_frame(int64_t user_id, bool online,
                                                  std::optional<int64_t> last_seen);

}  // namespace parley::api
