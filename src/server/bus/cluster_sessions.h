// Which sessions have a WebSocket open on which parleyd node, so that push delivery skips a
// device connected anywhere in the cluster, not only on the node that committed the message
// (docs/protocol.md, "When a push is sent"; docs/architecture.md, "The cluster bus").
//
//  - A node announces each of its sessions' transitions (the first connection of a session
//    here / the last one gone) on parley.sessions.change, numbered by a per-node sequence.
//  - Every second it publishes a digest of its set (that sequence, the count, a sum of the
//    sessions' hashes). A receiver whose view of the node disagrees (a gap in the sequence,
//    a digest that differs) asks that node for its whole set, answered in chunks tagged with
//    the sequence they are valid at: a lost announcement heals within about two heartbeats.
//  - A node silent for kNodeTimeoutMs, or that says goodbye, is dead: its sessions count as
//    disconnected.
// Every session that stops being connected on any other node is reported to `on_gone`
// (delivery then makes the pushes it held back for it; push/delivery.h).
//
// Memory: each node holds the sessions connected on every other node (~150 bytes each), at
// most what those nodes' connection caps allow; a node's set as received is capped at
// kMaxSessionsPerNode. Only parleyd nodes may publish on NATS (docs/operations.md): what
// they say is believed, but malformed messages are dropped.
// Thread-safe: handlers run on the NATS delivery thread, on_local() on any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/result.h"
#include "server/bus/nats_bus.h"

namespace parley::bus {

class ClusterSessions {
 public:
  static constexpr int64_t kHeartbeatMs = 1000;
  static constexpr int64_t kNodeTimeoutMs = 5000;
  static constexpr std::size_t kSnapshotChunk = 8192;  // sessions per snapshot message (128 KiB)
  static constexpr std::size_t kMaxSessionsPerNode = std::size_t{1} << 22;

  explicit ClusterSessions(NatsBus& bus);
  ~ClusterSessions();  // stop()s

  // Called (outside any lock, on the NATS delivery thread or the heartbeat thread) for a
  // session that is no longer connected on any other node. Set before start().
  std::function<void(int64_t user_id, int64_t session_id)> on_gone;

  // Subscribes and starts heartbeating. Fails when NATS refuses the subscriptions.
  Status start();
  // Says goodbye (the others drop this node's sessions at once), stops. Idempotent.
  void stop();

  // A session's first WebSocket on this node opened (`connected`) or its last one closed.
  // Calls for one session must come in the order they happened (the caller's lock).
  void on_local(int64_t user_id, int64_t session_id, bool connected);

  // Whether the session has a WebSocket open on another live node, as far as this node knows.
  bool connected_elsewhere(int64_t session_id) const;

  // Sessions known connected on other nodes; snapshots asked for (heals). For /metrics.
  std::size_t remote_count() const;
  std::string metrics_text() const;

 private:
  struct Node {
    int64_t last_heard_steady = 0;
    uint64_t seq = 0;                                // its last announcement applied here
    std::unordered_map<int64_t, int64_t> sessions;  // session -> user
    uint64_t sum = 0;                                // of hash(session) over `sessions`
    int64_t asked_steady = 0;                        // when a snapshot was last asked for
    // A snapshot being received: its sequence, the next part expected, the entries so far.
    uint64_t snap_seq = 0;
    uint32_t snap_next = 0;
    std::vector<std::pair<int64_t, int64_t>> snap;  // (user, session)
  };
  using Gone = std::vector<std::pair<int64_t, int64_t>>;  // (user, session)

  Node& heard(uint64_t node);                                            // mu_ held
  void add_remote(uint64_t node, Node& n, int64_t user, int64_t session);  // mu_ held
  void remove_remote(uint64_t node, Node& n, int64_t session, Gone& gone); // mu_ held
  void drop_node(uint64_t node, Gone& gone);                             // mu_ held
  bool should_ask(Node& n);                                              // mu_ held
  void ask(uint64_t node);
  void report(const Gone& gone);
  void publish_snapshot(const std::string& subject);  // mu_ held

  void on_change(std::string_view bytes);
  void on_heartbeat(std::string_view bytes);
  void on_ask(std::string_view bytes);
  void on_snapshot(std::string_view bytes);
  void on_bye(std::string_view bytes);
  void run();

  NatsBus& bus_;
  const uint64_t self_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::unordered_map<int64_t, int64_t> local_;                  // guarded by mu_: session -> user
  uint64_t local_seq_ = 0;                                      // guarded by mu_
  uint64_t local_sum_ = 0;                                      // guarded by mu_
  std::unordered_map<uint64_t, Node> nodes_;                    // guarded by mu_
  std::unordered_map<int64_t, std::vector<uint64_t>> remote_;  // guarded by mu_: session -> nodes
  uint64_t asks_ = 0;                                           // guarded by mu_
  bool stopping_ = false;                                       // guarded by mu_
  std::vector<uint64_t> subscriptions_;
  std::thread thread_;
};

}  // namespace parley::bus
