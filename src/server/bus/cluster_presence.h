// Presence across parleyd nodes. Each node's PresenceTracker knows only its own devices;
// this listener sits between it and the node's PresenceHub and adds what the other nodes
// know, over the NATS bus:
//
//  - every local transition (a user's first device here came online / the last one left,
//    after the tracker's grace period) is published on parley.presence.change;
//  - every node keeps, for every user online on another node, the set of those nodes, and
//    tells its hub only about *cluster-wide* transitions: offline only when no node holds
//    the user any more;
//  - a node asks the others for their online users when it starts or reconnects
//    (parley.presence.hello -> parley.presence.snap.<node>);
//  - nodes heartbeat every kHeartbeatMs; a node silent for kNodeTimeoutMs, or that says
//    goodbye when it stops, is dead: its users go offline (unless online elsewhere), with
//    the time it was last heard from as their last seen. So when a node dies, its users
//    are shown offline within kNodeTimeoutMs + kHeartbeatMs.
//
// Cost: every node holds the set of users online anywhere (about 40 bytes each) and
// receives every node's transitions; see docs/architecture.md, "The cluster bus".
// Thread-safe: handlers run on the NATS delivery thread, the tracker calls from its own.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/result.h"
#include "server/bus/nats_bus.h"
#include "server/chat/presence.h"

namespace parley::bus {

class ClusterPresence final : public chat::PresenceListener {
 public:
  static constexpr int64_t kHeartbeatMs = 1000;
  static constexpr int64_t kNodeTimeoutMs = 5000;

  // `downstream` (the node's PresenceHub) gets the cluster-wide transitions.
  ClusterPresence(NatsBus& bus, chat::PresenceListener& downstream);
  ~ClusterPresence() override;  // stop()s

  // Subscribes, asks the other nodes for their online users and starts heartbeating.
  Status start();
  // Says goodbye (the others drop this node's users at once), unsubscribes, stops the
  // heartbeat thread. Idempotent.
  void stop();

  // chat::PresenceListener: a transition of this node's devices.
  void on_presence(int64_t user_id, bool online, std::optional<int64_t> last_seen) override;

  // Whether a device of the user is online on another live node.
  bool online_elsewhere(int64_t user_id) const;

  // Prometheus text: users online on this node, and (user, node) pairs known online on
  // the other live nodes (a user on two other nodes counts twice).
  std::string metrics_text() const;

  // Changes that end or alter presence watches (a block, hiding last seen), made on this
  // node: published so that the other nodes apply them to their watches too.
  void publish_blocked(int64_t a, int64_t b);
  void publish_privacy_changed(int64_t user_id, bool hides);
  // Where the other nodes' such changes go (the node's PresenceHub). Set before start().
  std::function<void(int64_t, int64_t)> on_remote_blocked;
  std::function<void(int64_t, bool)> on_remote_privacy_changed;

 private:
  struct Node {
    int64_t last_heard_steady = 0;
    std::unordered_set<int64_t> users;  // online there
  };
  using Announcements = std::vector<std::pair<int64_t, std::optional<int64_t>>>;  // user, last seen if offline

  bool online(int64_t user_id) const;  // mu_ held
  bool heard(uint64_t node);  // mu_ held; true when the node was not known (alive) before
  void set_remote(uint64_t node, int64_t user, bool on, std::optional<int64_t> last_seen, Announcements& out);  // mu_ held
  void drop_node(uint64_t node, int64_t last_seen, Announcements& out);  // mu_ held
  void announce(const Announcements& out);

  void on_change(std::string_view bytes);
  void on_heartbeat(std::string_view bytes);
  void on_hello(std::string_view bytes);
  void on_snapshot(std::string_view bytes);
  void on_bye(std::string_view bytes);
  void on_block(std::string_view bytes);
  void on_privacy(std::string_view bytes);
  void send_hello();
  void run();

  NatsBus& bus_;
  chat::PresenceListener& downstream_;
  const uint64_t self_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::unordered_set<int64_t> local_online_;                   // guarded by mu_
  std::unordered_map<int64_t, std::vector<uint64_t>> remote_;  // guarded by mu_: user -> nodes
  std::unordered_map<uint64_t, Node> nodes_;                    // guarded by mu_
  bool stopping_ = false;                                       // guarded by mu_
  std::vector<uint64_t> subscriptions_;
  std::thread thread_;
};

}  // namespace parley::bus
