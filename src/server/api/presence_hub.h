// Presence subscriptions: which connected devices are looking at which users (the open
// chat, the visible rows of the chat list). A presence change is sent only to them —
// never to every contact or conversation partner — so its cost is the number of people
// looking at that moment. Indexed both ways (target -> watchers, watcher -> targets) so
// that replacing a device's subscriptions or dropping a device is cheap.
// Thread-safe.
#pragma once

#include <functional>
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
    bool target_hides = false;  // the target hides their last seen
    bool viewer_hides = false;  // the watching user hides theirs (then sees nobody's)
  };

  // Replaces everything `watcher` (a device of user `viewer_id`) looks at. The watcher is
  // held weakly.
  void set(const std::shared_ptr<bus::Subscriber>& watcher, int64_t viewer_id,
           std::vector<Watch> watches);
  // Forgets the watcher (its connection closed).
  void drop(uint64_t watcher_id);
  // A user turned hiding their last seen on or off: applies at once to every watch of
  // them and by them, so later events follow the new setting.
  void privacy_changed(int64_t user_id, bool hides);
  // `a` blocked `b`: neither sees the other's presence any more, so the watches between
  // them (either way) end now rather than at the next subscription.
  void blocked(int64_t a, int64_t b);

  // Several nodes: blocked() and privacy_changed() also hand the change to the relay, which
  // has the other nodes call apply_*() (bus/cluster_presence.h). Set before serving.
  struct Relay {
    std::function<void(int64_t, int64_t)> blocked;
    std::function<void(int64_t, bool)> privacy_changed;
  };
  void set_relay(Relay relay) { relay_ = std::move(relay); }
  // The same changes made on another node: applied here only.
  void apply_blocked(int64_t a, int64_t b);
  void apply_privacy_changed(int64_t user_id, bool hides);

  // chat::PresenceListener: sends {"type":"presence",...} to the target's watchers.
  void on_presence(int64_t user_id, bool online, std::optional<int64_t> last_seen) override;

 private:
  struct Watcher {
    std::weak_ptr<bus::Subscriber> subscriber;
    int64_t viewer_id = 0;
    bool target_hides = false;
    bool viewer_hides = false;
    bool show_last_seen() const { return !target_hides && !viewer_hides; }
  };
  struct Watching {
    int64_t viewer_id = 0;
    std::vector<int64_t> targets;
  };
  void unwatch(uint64_t watcher_id, int64_t target);  // mu_ held

  mutable std::mutex mu_;
  std::unordered_map<int64_t, std::unordered_map<uint64_t, Watcher>> by_target_;  // guarded by mu_
  std::unordered_map<uint64_t, Watching> by_watcher_;                             // guarded by mu_
  Metrics& metrics_;
  Relay relay_;  // constant once serving
};

// The presence frame of one user, as one watcher may see it.
std::shared_ptr<const std::string> presence_frame(int64_t user_id, bool online,
                                                  std::optional<int64_t> last_seen);

}  // namespace parley::api
