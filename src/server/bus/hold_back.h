// One order per conversation on a node of a cluster: the hold-back between the bus and the
// node's devices.
//
// Each node publishes a conversation's messages in commit (= seq) order, but between nodes
// there is no order, so seq 11 committed on one node may reach a third node before seq 10
// committed on another. A HoldBack sits in front of the node's LocalBus and hands each
// recipient user a conversation's ordered envelopes (Envelope::seq > 0) in seq order:
//
//   - the first envelope seen for (conversation, user), seq == last + 1, and a late one
//     (seq <= last) are delivered at once; an in-order stream is never delayed;
//   - one above last + 1 is held until the missing seqs arrive, then the run goes out in
//     seq order; or until it has waited `hold_ms`, then it and every held one below it go
//     out in seq order (the gap may be a message this node never gets: one withheld from
//     this user, or one lost between nodes, which clients repair by seq as before);
//   - an unordered envelope of the conversation (seq == 0, conversation_id != 0: an edit)
//     waits behind whatever is held for that user and goes out right after it; with
//     nothing held it is delivered at once. conversation_id == 0: always at once.
//
// State is per (conversation, recipient user) because the bus carries one stream per user.
// Bounds: `max_held_per_key` envelopes per pair and `max_held` in all (beyond either, the
// pair's held envelopes and the new one go out at once in seq order: counted as overflow);
// `max_keys` pairs remembered, least recently used forgotten first (its held envelopes go
// out). A forgotten pair starts afresh: its next envelope is "first seen". So does a pair
// whose user had no device here for a while (user_left(), then user_arrived()): this node
// received none of the user's events meanwhile, so a jump is no gap to wait for.
//
// Delivery (the `deliver` callback, LocalBus::publish) runs under the lock of the
// conversation's shard, so envelopes of one conversation reach devices in the order
// decided here whichever thread brings them; it must only enqueue. expire() runs on the
// timer thread (start()) or, in tests, when called with an injected clock.
//
// Thread-safety: every public method may be called from any thread.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "server/bus/bus.h"

namespace parley::bus {

struct HoldBackOptions {
  int64_t hold_ms = 500;                // how long a gap is waited for; 0: no hold-back at all
  std::size_t max_held_per_key = 256;   // envelopes held for one (conversation, user)
  std::size_t max_held = 1 << 16;       // envelopes held in all
  std::size_t max_keys = 1 << 17;       // (conversation, user) pairs remembered (LRU)
};

struct HoldBackStats {
  uint64_t held = 0;            // gauge: envelopes waiting now
  uint64_t keys = 0;            // gauge: (conversation, user) pairs remembered
  uint64_t held_total = 0;      // envelopes that had to wait (a gap before them)
  uint64_t filled_total = 0;    // gaps filled: the missing seq arrived in time
  uint64_t expired_total = 0;   // gaps given up: the deadline passed
  uint64_t late_total = 0;      // envelopes at or below the pair's last seq, delivered at once
  uint64_t overflow_total = 0;  // bounds reached: held ones delivered early
  uint64_t evicted_total = 0;   // pairs forgotten to stay within max_keys
};

class HoldBack {
 public:
  // Hands an envelope to local devices, returns how many (LocalBus::publish).
  using Deliver = std::function<std::size_t(const Envelope&)>;
  // Whether the user has devices here; users without are neither tracked nor held.
  using HasDevices = std::function<bool(int64_t user_id)>;
  // Monotonic milliseconds.
  using Clock = std::function<int64_t()>;

  HoldBack(HoldBackOptions options, Deliver deliver, HasDevices has_devices, Clock clock);
  // Stops the timer thread; envelopes still held are delivered (in seq order).
  ~HoldBack();
  HoldBack(const HoldBack&) = delete;
  HoldBack& operator=(const HoldBack&) = delete;

  // Starts the thread that runs expire() at each deadline. Without it, call expire().
  void start();

  // Delivers `e` now or later as described above. Returns the number of devices it (and
  // anything it released) was handed to now; held envelopes count when they go out.
  std::size_t publish(const Envelope& e);

  // The first device of `user_id` arrived on this node / its last one left. Events for the
  // user that this node skipped while it had none are then no reason to wait.
  void user_arrived(int64_t user_id);
  void user_left(int64_t user_id);

  // Delivers what has waited hold_ms by clock(). Returns the number of gaps given up.
  std::size_t expire();

  // The earliest deadline (clock ms) of a held envelope; -1 when none is held.
  int64_t next_deadline() const;

  HoldBackStats stats() const;
  // Prometheus text: parley_bus_order_*.
  std::string metrics_text() const;

 private:
  struct Key {
    int64_t conversation_id;
    int64_t user_id;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const noexcept {
      return std::hash<int64_t>()(k.conversation_id * 1000003 ^ k.user_id);
    }
  };
  struct Held {
    Envelope envelope;               // user_ids = {the pair's user}
    int64_t deadline = 0;
    std::vector<Envelope> followers; // unordered envelopes that arrived after it
  };
  struct State {
    int64_t last = 0;                // highest seq handed out; 0: none yet
    int64_t touched = 0;             // clock when `last` was set
    std::map<int64_t, Held> held;    // by seq, all > last
    std::size_t count = 0;           // held envelopes and their followers
    std::list<Key>::iterator lru;
  };
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<Key, State, KeyHash> states;  // guarded by mu
    std::list<Key> lru;                              // guarded by mu: most recent first
  };
  struct Deadline {
    int64_t at;
    Key key;
    int64_t seq;
  };
  enum class Step { kNow, kHandled };  // kHandled: held, or queued in `after` by step()
  static constexpr std::size_t kShards = 64;

  Shard& shard_for(int64_t conversation_id) {
    return shards_[static_cast<uint64_t>(conversation_id) % kShards];
  }
  // These run with the shard's lock held.
  State& state_for(Shard& sh, const Key& key, std::vector<Envelope>& after);
  void pop_front(State& st, std::vector<Envelope>& out);
  Step step(Shard& sh, const Key& key, const Envelope& e, std::vector<Envelope>& after);
  void release_run(State& st, std::vector<Envelope>& out);
  void release_upto(State& st, int64_t seq, std::vector<Envelope>& out);
  std::size_t deliver_all(const std::vector<Envelope>& out);
  // Whether the user's first device arrived after `since` (takes users_mu_).
  bool came_back(int64_t user_id, int64_t since) const;
  void run_timer();

  // Constant after construction.
  const HoldBackOptions options_;
  const std::size_t keys_per_shard_;
  const Deliver deliver_;
  const HasDevices has_devices_;
  const Clock clock_;

  std::array<Shard, kShards> shards_;

  mutable std::mutex users_mu_;                  // after a shard's mu when both are held
  std::unordered_map<int64_t, int64_t> arrived_;  // guarded by users_mu_: user -> clock of
                                                  // its first device's arrival, while here

  mutable std::mutex timer_mu_;       // after a shard's mu when both are held
  std::condition_variable timer_cv_;
  std::deque<Deadline> deadlines_;    // guarded by timer_mu_: one per held envelope, by time
  bool stopping_ = false;             // guarded by timer_mu_

  std::atomic<uint64_t> held_{0}, keys_{0}, held_total_{0}, filled_total_{0}, expired_total_{0},
      late_total_{0}, overflow_total_{0}, evicted_total_{0};

  std::thread thread_;  // last: started once everything above exists
};

}  // namespace parley::bus
