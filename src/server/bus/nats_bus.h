// The cluster bus: envelopes cross parleyd nodes over NATS (core NATS, at most once).
//
// Routing: every user has a subject, parley.u.<user_id>. A node subscribes to it while it
// holds at least one device of that user and unsubscribes when the last one leaves, so the
// NATS servers' interest graph is the routing table: a publication reaches exactly the
// nodes holding a device of the user, and costs nothing beyond the first server when none
// does. Devices on the publishing node are served directly by an in-process LocalBus,
// never through NATS; the connection is opened with "no echo" and every envelope carries
// its origin node, so a node never delivers its own publication twice.
//
// Blocking: publish() delivers locally and appends the remote part to a bounded queue;
// subscribe()/unsubscribe() only record the change. One thread of the bus talks to NATS
// (publishes, SUB/UNSUB), so no connection strand ever waits for NATS. When the queue is
// full the envelope is not sent to other nodes (counted; clients recover by seq gaps,
// docs/protocol.md). Messages from NATS arrive on the client library's delivery thread,
// which hands them to LocalBus (deliver() only enqueues).
//
// Order: a conversation's message events reach each device in seq order even when they
// were committed on different nodes: everything this node delivers, its own events and
// other nodes', passes one hold-back (hold_back.h) in front of LocalBus. Envelopes carry
// their conversation and seq to other nodes (remote_envelope.h, version 2) only while the
// hold-back is on (options.order.hold_ms > 0), so a cluster can be upgraded from a release
// without it by first running the new one with hold_ms 0 on every node.
//
// Losses: core NATS delivers at most once. What a node can notice, it repairs by telling
// devices to sync ({"type":"resync"}, docs/protocol.md): after a reconnection every local
// device (their node may have missed events meanwhile) and, through the bus, every user it
// published to in the 30 s before the disconnection was noticed (the last 65,536
// recipients at most; those events may have died in the NATS server that went away); on a
// slow-consumer error, the devices of that user. Other losses show up to clients as a seq
// gap.
//
// Thread-safety: every public method may be called from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/result.h"
#include "server/bus/bus.h"
#include "server/bus/hold_back.h"
#include "server/bus/local_bus.h"

namespace parley::bus {

struct NatsBusOptions {
  // nats://HOST:PORT URLs of one NATS cluster; the client fails over between them.
  std::vector<std::string> servers;
  std::string connection_name = "parleyd";
  // Envelopes (one per recipient user) waiting for the bus thread; beyond it they are
  // dropped for other nodes and counted in parley_bus_publish_dropped_total.
  std::size_t queue_max = 1 << 18;
  int reconnect_wait_ms = 200;
  // The per-conversation hold-back in front of this node's devices (hold_back.h).
  HoldBackOptions order;
};

// Counters, exposed in /metrics as parley_bus_*.
struct NatsBusStats {
  uint64_t published = 0;         // NATS messages handed to the client library
  uint64_t publish_dropped = 0;   // not sent: queue full
  uint64_t publish_errors = 0;    // the library refused them (e.g. reconnect buffer full)
  uint64_t received = 0;          // messages from other nodes
  uint64_t received_invalid = 0;  // undecodable messages, ignored
  uint64_t delivered = 0;         // devices handed a frame or a revocation from other nodes
  uint64_t disconnects = 0;
  uint64_t reconnects = 0;
  uint64_t async_errors = 0;      // slow consumer and other asynchronous errors
  uint64_t resyncs = 0;           // resync frames handed to devices (local) or users (remote)
  uint64_t user_subscriptions = 0;  // users this node currently has interest in
  uint64_t queued = 0;
  bool connected = false;
};

class NatsBus final : public Bus {
 public:
  // Connects to the cluster (trying each server). Fails with kUnavailable when none of
  // them answers, kInvalidArgument for an empty server list.
  static Result<std::unique_ptr<NatsBus>> open(NatsBusOptions options);
  // Unsubscribes, flushes what is queued (bounded wait) and closes the connection.
  ~NatsBus() override;

  void subscribe(int64_t user_id, const std::shared_ptr<Subscriber>& subscriber) override;
  void unsubscribe(int64_t user_id, uint64_t connection_id) override;
  // Local devices at once; other nodes through the queue. Returns the local count.
  std::size_t publish(const Envelope& envelope) override;
  std::size_t subscriber_count() const override { return local_.subscriber_count(); }
  std::string metrics_text() const override;

  // Raw subjects, for services beside event delivery (cluster presence). A handler runs
  // on the library's delivery thread and must not block; it gets the message's bytes.
  using RawHandler = std::function<void(std::string_view data)>;
  // Subscribes to `subject` (NATS wildcards allowed) until unsubscribe_raw(). Fails with
  // kUnavailable when the connection is closed for good.
  Result<uint64_t> subscribe_raw(const std::string& subject, RawHandler handler);
  // Ends the subscription and waits until its handler can no longer run. Unknown ids: no-op.
  void unsubscribe_raw(uint64_t id);
  // Queues a publication (never blocks); dropped and counted when the queue is full.
  void publish_raw(std::string subject, std::string bytes);
  // Runs `hook` (on the library's thread, must not block) after every reconnection.
  void add_reconnect_hook(std::function<void()> hook);
  // Appends `source()`'s Prometheus text to metrics_text() (services on raw subjects).
  void add_metrics_source(std::function<std::string()> source);

  NatsBusStats stats() const;
  uint64_t node_id() const { return node_id_; }
  // Blocks until every queued operation has been handed to NATS and the server has
  // acknowledged it (a PING round trip), or timeout_ms passes. For tests and shutdown.
  bool flush(int timeout_ms);

  struct Impl;             // the NATS handles; callbacks from the library reach it
  struct RawSubscription;  // one subscribe_raw()

 private:
  friend struct NatsCallbacks;
  explicit NatsBus(NatsBusOptions options);

  // One unit of work for the bus thread.
  struct Work {
    enum class Kind { kPublish, kInterest, kResync, kPublishRaw };
    Kind kind = Kind::kPublish;
    int64_t user_id = 0;                       // kPublish, kInterest
    std::shared_ptr<const std::string> bytes;  // kPublish: to user_id's subject; kPublishRaw
    std::string subject;                       // kPublishRaw
  };

  void run();
  void enqueue(Work w, bool droppable);
  void reconcile(int64_t user_id);
  void resync_after_reconnect();
  void on_remote(int64_t user_id, const char* data, int len);
  void on_reconnected();
  void on_slow_consumer(int64_t user_id);

  // Constant after construction.
  const NatsBusOptions options_;
  const uint64_t node_id_;
  std::unique_ptr<Impl> impl_;

  LocalBus local_;      // thread-safe itself
  HoldBack hold_back_;  // thread-safe itself; delivers to local_ (destroyed before it)

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Work> queue_;  // guarded by mu_
  bool stopping_ = false;   // guarded by mu_
  uint64_t in_flight_ = 0;  // guarded by mu_: popped, not yet handed to NATS

  // The users published to lately, oldest first (steady ms, user); bounded.
  static constexpr std::size_t kRecentMax = 1 << 16;
  static constexpr int64_t kRecentWindowMs = 30000;
  std::deque<std::pair<int64_t, int64_t>> recent_;  // guarded by mu_
  std::atomic<int64_t> disconnected_at_{0};          // steady ms of the last disconnection

  std::unordered_map<int64_t, void*> subscriptions_;  // bus thread only: user -> natsSubscription*
  std::mutex reconnect_mu_;
  std::vector<std::function<void()>> on_reconnect_;  // guarded by reconnect_mu_
  mutable std::mutex metrics_mu_;
  std::vector<std::function<std::string()>> metrics_sources_;  // guarded by metrics_mu_
  std::mutex raw_mu_;
  uint64_t next_raw_id_ = 1;                                           // guarded by raw_mu_
  std::unordered_map<uint64_t, std::unique_ptr<RawSubscription>> raw_;  // guarded by raw_mu_

  std::atomic<uint64_t> published_{0}, publish_dropped_{0}, publish_errors_{0}, received_{0},
      received_invalid_{0}, delivered_{0}, disconnects_{0}, reconnects_{0}, async_errors_{0}, resyncs_{0},
      user_subscriptions_{0};
  std::atomic<bool> connected_{false};

  std::thread thread_;  // last: started once everything above exists
};

// Splits "nats://h1:4222,h2:4222" (scheme optional after the first) into URLs; an entry
// may carry credentials (USER:PASSWORD@HOST:PORT or TOKEN@HOST:PORT). Fails with
// kInvalidArgument when an entry is empty or not [USERINFO@]HOST:PORT.
Result<std::vector<std::string>> parse_nats_servers(const std::string& spec);

}  // namespace parley::bus
