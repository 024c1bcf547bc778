// The phases the two `direct` scenarios (parleyd's WebSocket and XMPP) share after setup:
// send (open loop at --rate msgs/s in total, or flat out with --window sends in flight per
// connection), drain (until every send is acknowledged and every acknowledged message
// delivered, or --drain), and close (what was never acknowledged is an error). What differs
// per protocol — how a message is sent, what its acknowledgement and delivery look like —
// sits behind DirectTransport.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <random>
#include <utility>
#include <vector>

#include "ledger.h"
#include "scenarios.h"

namespace bench {

// One shard's share of the users and what its connections saw.
struct DirectShard {
  Ledger ledger;
  std::vector<std::size_t> users;  // indices of the users on this shard
};

// The state the phases share with a transport's callbacks.
struct DirectState {
  std::vector<DirectShard> shards;
  uint64_t deadline_ns = 0;                       // end of the send phase
  std::atomic<bool> sending{false};               // flat out: acks refill the window while set
  std::atomic<int64_t> acked{0}, delivered{0};    // drain ends once delivered catches up
  std::atomic<bool> connected_phase_over{false};  // dropped connections stop being errors
};

// A protocol's side of the direct scenario. Every call happens on the user's shard.
class DirectTransport {
 public:
  virtual ~DirectTransport() = default;
  // Starts handling user `i`'s incoming traffic (acks, deliveries); `rng` lives for the run.
  virtual void start(std::size_t i, Shard& shard, DirectShard& st, std::mt19937_64& rng) = 0;
  // Sends one message from user `i` to a random peer, due at `scheduled` (ns).
  virtual void send_one(std::size_t i, Shard& shard, uint64_t scheduled, std::mt19937_64& rng) = 0;
  // Whether user `i` may send now (its connection is open and not backlogged).
  virtual bool can_send(std::size_t i) const = 0;
  // Sends of user `i` not acknowledged yet.
  virtual std::size_t unacknowledged(std::size_t i) const = 0;
  // Closes user `i`'s connection; release() follows once every close had time to finish.
  virtual void close(std::size_t i) = 0;
  virtual void release(std::size_t) {}
};

// The 1:1 pairs of `n` users: each user with the next peers/2 users (mod n), each pair once.
std::vector<std::pair<std::size_t, std::size_t>> direct_pairs(std::size_t n, int peers);

// A connection's close handler for user `i`: an error while the phases run, then nothing.
std::function<void(const std::string&)> report_drop(const DirectState& state, Shard& shard, std::size_t i);

// Splits `users` over the runtime's shards; with !ok, none.
void assign_shards(DirectState& state, Runtime& rt, std::size_t users, bool ok);

// Runs the send, drain and close phases (passing the "connected", "sent" and "drained"
// barriers; with !ok it only waits them out) and returns the shards' stats merged with
// `setup`, the ledger checked.
Stats run_direct_phases(WorkerContext& ctx, Runtime& rt, DirectState& state, DirectTransport& t, bool ok,
                        Stats setup);

}  // namespace bench
