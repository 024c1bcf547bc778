// Push delivery: turns committed messages into Web Push and gateway requests
// (docs/protocol.md, "When a push is sent"). The committer's finisher thread only queues; one
// delivery thread examines each message (store reads: who gets a push, with what), keeps one
// slot per (registration, conversation) and sends what is due through an HttpPoster.
//
// Bounded everywhere: at most `max_jobs` messages wait to be examined, `max_slots` slots
// exist and `max_in_flight` requests run at once; beyond the first two, new pushes are
// dropped and counted as failed, so a dead push service costs a fixed amount of memory.
// Nothing is persisted: pushes pending at shutdown are dropped (the messages are not; devices
// learn of them by sync). Only the process that committed a message hears of it
// (chat::Notifier), so in a cluster each push is sent once.
//
// A session connected to another node gets no push, on that node's word (bus/cluster_sessions.h);
// the push is held for `hold_ms` instead. When that node reports the session gone (it closed,
// or the node died), the held pushes are made, unless the message was read or deleted, or the
// session is connected again or signed out meanwhile: a device that left around the commit is
// not missed.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>

#include "common/metrics.h"
#include "server/chat/committer.h"
#include "server/push/http_poster.h"
#include "server/push/vapid.h"
#include "server/store/store.h"

namespace parley::push {

struct DeliveryOptions {
  int64_t collapse_ms = 2000;    // after a push, the next one to the same registration and conversation waits this long
  int max_attempts = 5;          // per push, the first included
  int64_t retry_base_ms = 1000;  // backoff: base, 2 base, 4 base, ...
  int64_t ttl_s = 86400;         // TTL header: how long a push service keeps an undelivered push
  std::size_t max_jobs = 10000;
  std::size_t max_slots = 10000;
  std::size_t max_in_flight = 16;
  std::size_t max_text_bytes = 1000;  // message text in a payload is cut to this
  int64_t hold_ms = 12000;            // how long a push skipped for a device on another node is held
  std::size_t max_held = 10000;       // held pushes, oldest forgotten first
  std::string gateway_url;            // empty: gateway registrations are not notified
};

class Delivery {
 public:
  // Where a session has a WebSocket open (it then gets events, no push).
  enum class Where { kNowhere, kHere, kElsewhere };
  using Connected = std::function<Where(int64_t user_id, int64_t session_id)>;

  Delivery(store::Store& store, chat::Committer& committer, const Vapid& vapid, HttpPoster& poster,
           Metrics& metrics, Connected connected, DeliveryOptions options);
  ~Delivery();  // stop()s

  // A new message was committed. Quick (queues a copy); any thread.
  void on_message(const store::AppendOutcome& outcome);
  // A message was edited or deleted for everyone. Quick; any thread.
  void on_message_changed(const store::MessageChange& change);
  // The session is no longer connected to any other node: pushes held for it are
  // reconsidered. Quick; any thread.
  void session_gone(int64_t session_id);
  // A call started ringing (docs/protocol.md, "Push notifications" / calls): the callee's
  // devices without a WebSocket here get a high-urgency push living `ttl_s` (the ring
  // timeout). Quick; any thread.
  void on_call(const store::CallRecord& call, int64_t ttl_s);
  // That call ended unanswered: where its push went (or waits), a withdraw follows (or it is
  // dropped). Quick; any thread.
  void on_call_withdrawn(const store::CallRecord& call);
  // Stops examining and sending; pending pushes are dropped. Requests in flight finish
  // into nothing. Idempotent.
  void stop();

 private:
  struct Job {
    bool changed = false;  // an edit or deletion rather than a new message
    store::MessageRecord message;
    std::vector<int64_t> member_ids;
    std::optional<store::CallRecord> call;  // a call's push (changed: its withdraw) instead
    int64_t ttl_s = 0;
  };
  struct Key {
    int64_t subscription = 0;
    int64_t conversation = 0;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const {
      return std::hash<int64_t>()(k.subscription) * 31 + std::hash<int64_t>()(k.conversation);
    }
  };
  // One registration's pushes for one conversation.
  struct Slot {
    store::PushSubscriptionRecord subscription;
    boost::json::object content;  // what to send next; empty: nothing waiting
    int64_t seq = 0;              // the message `content` is about
    bool direct = false;          // urgency
    int attempts = 0;             // of `content`
    int64_t due = 0;              // ms since epoch
    bool in_flight = false;
    int64_t last_sent = 0;        // when a push last went through (the collapse window)
    int64_t sent_seq = 0;         // the message the last push that went through was about
    int64_t flight_seq = 0;       // the message the push in flight is about (with in_flight)
    int64_t ttl_s = 0;            // of `content`; 0: options_.ttl_s
  };
  // A push the examination decided on.
  struct Planned {
    store::PushSubscriptionRecord subscription;
    boost::json::object content;
    int64_t seq = 0;
    bool direct = false;
    int64_t user_id = 0;
    bool hold = false;  // the session is connected to another node: hold, do not send
    int64_t ttl_s = 0;
  };

  // A push not sent because its session was connected to another node.
  struct Held {
    Planned planned;
    int64_t held_at = 0;  // ms since epoch
    uint64_t id = 0;      // its place in held_order_
  };

  void loop();
  void reconsider(std::vector<Held> released);
  // A call's push (delivery_calls.cc); its slot is keyed by the negated conversation id, so
  // calls never collapse with messages.
  std::vector<Planned> examine_call(const Job& job);
  void place_call(Planned p, bool withdraw, int64_t now);  // mu_ held
  std::vector<Planned> examine(const Job& job);
  void place(Planned p, bool changed, bool deleted, int64_t now);  // mu_ held
  void hold(Planned p, int64_t now);                               // mu_ held
  void send_due(int64_t now);                                      // mu_ held
  HttpPost request_for(const Slot& slot, int64_t now, bool& ok) const;
  void finished(Key key, boost::json::object content, int64_t seq, HttpAnswer answer);
  void remove_address(const store::PushSubscriptionRecord& s);

  store::Store& store_;
  chat::Committer& committer_;
  const Vapid& vapid_;
  HttpPoster& poster_;
  Metrics& metrics_;
  const Connected connected_;
  const DeliveryOptions options_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;                            // guarded by mu_
  std::unordered_map<Key, Slot, KeyHash> slots_;    // guarded by mu_
  // Guarded by mu_: held pushes per session, oldest first; all of them in the order held
  // (id, session; entries of sessions already released are skipped when reached).
  std::unordered_map<int64_t, std::deque<Held>> held_;
  std::deque<std::pair<uint64_t, int64_t>> held_order_;
  std::size_t held_count_ = 0;
  uint64_t next_held_id_ = 0;
  std::vector<Held> released_;                      // guarded by mu_: to reconsider
  std::size_t in_flight_ = 0;                       // guarded by mu_
  bool stopping_ = false;                           // guarded by mu_
  bool wake_ = false;                               // guarded by mu_: a request finished
  std::thread thread_;
};

}  // namespace parley::push
