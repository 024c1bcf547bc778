// Who is online, and since when they were last seen. A user is online while at least one
// of their devices holds an authenticated connection (connections that stop answering
// keep-alives are closed by the network layer, which reports them here).
//
// Cheap by design:
//  - a user whose last device disconnects is announced offline only after
//    `offline_grace_ms`; if a device comes back within it, nothing is announced at all,
//    so a device flapping on a bad network produces no storm;
//  - last seen is written to the store at most once per `last_seen_write_ms` per user
//    (the newest value wins; the in-memory value is always current);
//  - announcements go to a listener that forwards them only to subscribers.
// Thread-safe. A timer thread handles grace periods and deferred writes (at most
// kMinScanIntervalMs late).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "server/chat/committer.h"
#include "server/store/store.h"

namespace parley::chat {

struct PresenceOptions {
  int64_t offline_grace_ms = 5000;
  int64_t last_seen_write_ms = 60000;
  // Several nodes: whether the user has a device online on another node (states() then
  // says online). Unset on a single node. Must be thread-safe and must not block.
  std::function<bool(int64_t)> online_elsewhere;
};

class PresenceListener {
 public:
  virtual ~PresenceListener() = default;
  // A user came online (last_seen empty) or went offline (last_seen = when). Called from
  // the tracker's threads, never under its lock.
  virtual void on_presence(int64_t user_id, bool online, std::optional<int64_t> last_seen) = 0;
};

struct PresenceState {
  bool online = false;
  std::optional<int64_t> last_seen;
};

class PresenceTracker {
 public:
  PresenceTracker(store::Store& store, Committer& committer, PresenceListener& listener,
                  PresenceOptions options);
  ~PresenceTracker();  // stop()s

  // A device of the user authenticated / went away.
  void connected(int64_t user_id);
  void disconnected(int64_t user_id);

  // Current state of each user: online, or offline with the last-seen time (from memory,
  // else from the store). Unknown users are left out.
  Result<std::unordered_map<int64_t, PresenceState>> states(const std::vector<int64_t>& user_ids);

  // Writes pending last-seen values and stops the timer thread. Idempotent.
  void stop();

 private:
  struct User {
    int devices = 0;
    bool announced_online = false;
    std::optional<int64_t> last_seen;        // when the last device left
    std::optional<int64_t> offline_at_steady;  // grace deadline (steady clock ms)
    int64_t last_write_steady = INT64_MIN / 2;
    bool write_pending = false;
  };

  void run();
  void write_last_seen(int64_t user_id, int64_t ts);
  std::optional<int64_t> unwritten_last_seen(int64_t user_id);

  store::Store& store_;
  Committer& committer_;
  PresenceListener& listener_;
  const PresenceOptions options_;

  // Last-seen values handed to the committer and not yet committed, by user: (writes in
  // flight, the newest value). states() answers from here for a user no longer in users_, so
  // a forgotten entry never falls back to a store that does not hold its value yet (with
  // last_seen_write_ms 0 an entry is forgotten right after its write is submitted). Shared
  // with the writes' callbacks, which run on the committer's side and may outlive the tracker.
  // Lock order: mu_, then Unwritten::mu.
  struct Unwritten {
    std::mutex mu;
    std::unordered_map<int64_t, std::pair<int, int64_t>> by_user;
  };
  const std::shared_ptr<Unwritten> unwritten_ = std::make_shared<Unwritten>();

  std::mutex mu_;
  std::condition_variable cv_;
  std::unordered_map<int64_t, User> users_;  // guarded by mu_
  bool stopping_ = false;                     // guarded by mu_
  // Guarded by mu_: when run() wakes next (steady ms), and the earliest grace deadline set
  // since its last scan began. A scan costs O(users), so disconnected() wakes run() only
  // for a deadline earlier than the planned wake-up, and scans are at least
  // kMinScanIntervalMs apart: a storm of disconnects costs a few scans, not one each.
  int64_t wake_at_ = INT64_MAX;
  int64_t earliest_new_ = INT64_MAX;
  static constexpr int64_t kMinScanIntervalMs = 100;
  std::thread timer_;
};

}  // namespace parley::chat
