// 1:1 calls (docs/protocol.md, "Calls"): the call record, who may do what in which state,
// the ring timeout and the longest call, and the call history message. Media never passes
// through the server: it only keeps the record and relays signalling (offer, answer, ICE
// candidates) between the two devices in the call.
//
// Every state change is one write op through the committer whose store update is
// conditional on the state it leaves (WriteTxn::answer_call, end_call), so of two racing
// changes, even from two processes on one database, exactly one happens; the history
// message is appended in the transaction of the change to "ended", so it exists exactly once.
//
// A device is a session (the `session_id` of `ready`). The caller's device is the one that
// started the call; the callee's is the one that accepted (or declined) it. Besides, this
// process remembers which of its connections started or accepted a call, so that the
// connection closing ends it (connection_closed).
//
// Threading: the request methods (start, accept, decline, hangup) only validate and queue a
// write: call them from any thread (an I/O strand is fine); their callbacks and the
// CallListener run on the committer's finisher thread. ice, get and ringing_for read the
// store: call them from a worker. A timer thread of its own ends calls at their deadlines.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/json/object.hpp>

#include "server/chat/committer.h"
#include "server/chat/rate_limiter.h"
#include "server/chat/service.h"

namespace parley::chat {

struct CallLimits {
  int64_t ring_timeout_ms = 45'000;         // ringing this long: no_answer
  int64_t max_duration_ms = 14'400'000;     // active this long: completed
  double start_per_min = 10;                // call_start per user, all devices (burst as many)
  std::size_t max_sdp_bytes = 32 * 1024;    // an offer or an answer
  std::size_t max_candidate_bytes = 1024;   // the candidate string of one ICE candidate
  std::size_t max_sdp_mid_bytes = 256;
  int max_ice_per_device = 100;             // call_ice per device per call
  // At start-up, end the calls a previous run left active (`disconnected`): right when this
  // process is the only one using the store (the embedded store); with several processes
  // on one database they are left to their other node, or to the longest call.
  bool end_active_at_start = true;
};

// One ICE candidate as RTCIceCandidateInit carries it.
struct IceCandidate {
  std::string candidate;               // 0..max_candidate_bytes
  std::optional<std::string> sdp_mid;  // null allowed
  std::optional<int64_t> sdp_mline_index;
};

// Told about calls after their changes commit, on the committer's finisher thread
// (on_call_ice: on the calling thread). The API turns these into events for the right devices (api/call_events.h).
class CallListener {
 public:
  virtual ~CallListener() = default;
  // A call started ringing (never a withheld one): every device of the callee.
  virtual void on_call_ringing(const store::CallRecord& call, const std::string& offer_sdp) = 0;
  // call.callee_session accepted: the answer goes to the caller's device; the callee's other
  // devices stop ringing (answered_elsewhere).
  virtual void on_call_accepted(const store::CallRecord& call, const std::string& answer_sdp) = 0;
  // The call ended, leaving state `from` ("ringing" or "active"). `actor_session`: the device
  // whose request ended it (it has the answer; 0 when the server ended it).
  virtual void on_call_ended(const store::CallRecord& call, std::string_view from, int64_t actor_session) = 0;
  // A candidate from `from_user`'s device, for the other party's device(s).
  virtual void on_call_ice(const store::CallRecord& call, int64_t from_user, const IceCandidate& candidate) = 0;
  // A call to someone rang and ended unanswered (push: withdraw its notification).
  virtual void on_call_withdrawn(const store::CallRecord&) {}
};

// The call object of docs/protocol.md; `end_reason` replaces the stored one when not empty
// (a callee's other devices see answered_elsewhere / declined_elsewhere).
boost::json::object call_json(const store::CallRecord& call, std::string_view end_reason = {});

// The "call" system event of a call that ended (docs/protocol.md, "Call history").
boost::json::object call_history_event(const store::CallRecord& call);

class CallService {
 public:
  CallService(store::Store& store, Committer& committer, Notifier& notifier, CallListener& listener,
              CallLimits limits);
  ~CallService();  // stop()s

  // Sweeps the calls a previous run left open (ringing past the timeout: no_answer; younger
  // ones get their timer; active: see CallLimits::end_active_at_start, else the longest-call
  // timer) and starts the timer thread. Call once, before serving.
  Status start();
  // Stops the timer thread (calls keep their state; the next start sweeps them). Idempotent.
  void stop();

  // Starts a call from the caller's device (`who`, on `connection`) in a direct conversation.
  // The result is the call: ringing, or ended `busy` when either party is in a call already.
  // Errors: kNotFound (not a member), kInvalidArgument (a group, media, sdp size),
  // kAccountDeleted, kForbidden (the caller blocked the callee), kRateLimited.
  void start(const Principal& who, uint64_t connection, int64_t conversation_id, std::string media,
             std::string sdp, Callback<store::CallRecord> done);
  // A callee device answers: ringing -> active. Errors: kNotFound (not a party; for the
  // callee, a withheld call too), kConflict (not the callee, or no longer ringing; the error
  // carries the call), kInvalidArgument (sdp size).
  void accept(const Principal& who, uint64_t connection, std::string call_id, std::string sdp,
              Callback<store::CallRecord> done);
  // A callee device declines a ringing call. Errors: as accept.
  void decline(const Principal& who, std::string call_id, Callback<store::CallRecord> done);
  // Ends the call from a device in it: the caller's while ringing (cancelled), a callee
  // device's while ringing (= decline), either device in an active call (completed).
  // Errors: kNotFound, kConflict.
  void hangup(const Principal& who, std::string call_id, Callback<store::CallRecord> done);
  // Relays a candidate to the other party. Errors: kNotFound, kConflict (not a device in the
  // call, or it ended), kInvalidArgument (sizes), kRateLimited (max_ice_per_device). Reads.
  [[nodiscard]] Status ice(const Principal& who, std::string_view call_id, const IceCandidate& candidate);
  // The call, for its two parties only (else kNotFound). Reads.
  Result<store::CallRecord> get(const Principal& who, std::string_view call_id);
  // Calls ringing for the user's devices now (a device that just connected rings too). Reads.
  Result<std::vector<store::CallRecord>> ringing_for(const Principal& who);
  // A connection closed: the calls it started or accepted end `disconnected`. Any thread.
  void connection_closed(uint64_t connection);

  const CallLimits& limits() const { return limits_; }

 private:
  struct Ended;  // calls.cc
  // Queues the end of `call_id`: from `from` ("" = whatever open state it is in) with
  // `reason`. `done` (may be empty) gets the call after it, or kConflict.
  void end(std::string call_id, std::string from, std::string reason, int64_t actor_session,
           Callback<store::CallRecord> done);
  void finish_end(const Ended& ended, int64_t actor_session);
  void arm(int64_t deadline_steady_ms, std::string call_id, std::string from, std::string reason);
  void remember(uint64_t connection, const std::string& call_id);
  void forget(const std::string& call_id);
  void run_timers();

  store::Store& store_;
  Committer& committer_;
  Notifier& notifier_;
  CallListener& listener_;
  const CallLimits limits_;
  RateLimiter start_limiter_;

  struct Timer {
    std::string call_id, from, reason;
  };
  std::mutex mu_;
  std::condition_variable cv_;
  std::multimap<int64_t, Timer> timers_;                            // guarded by mu_
  std::unordered_map<uint64_t, std::set<std::string>> by_connection_;  // guarded by mu_
  std::multimap<std::string, uint64_t> connections_of_call_;         // guarded by mu_
  std::unordered_map<std::string, int> ice_sent_;  // guarded by mu_: "call_id:session" -> count
  bool stopping_ = false;                          // guarded by mu_
  bool started_ = false;                           // guarded by mu_
  std::thread timer_thread_;
};

}  // namespace parley::chat
