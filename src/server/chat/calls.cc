// CallService: the rules of 1:1 calls (calls.h). The call object and the history message
// are in call_history.cc.
#include "server/chat/calls.h"

#include <sodium.h>

#include <algorithm>

#include <boost/json/serialize.hpp>

#include "common/clock.h"
#include "common/hex.h"
#include "server/chat/withheld.h"

namespace parley::chat {

namespace {

Error no_such_call() { return Error::make(Errc::kNotFound, "no such call"); }

Error conflict(const store::CallRecord& call, std::string message) {
  Error e = Error::make(Errc::kConflict, std::move(message));
  e.call_json = boost::json::serialize(call_json(call));
  return e;
}

std::string new_call_id() {
  unsigned char bytes[16];
  randombytes_buf(bytes, sizeof bytes);
  return to_hex(bytes);
}

// A call id as the protocol gives them: 32 lower-case hex digits. Anything else names no call.
bool valid_call_id(std::string_view id) {
  return id.size() == 32 &&
         std::all_of(id.begin(), id.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

Status check_sdp(std::string_view sdp, std::size_t max) {
  if (sdp.empty()) return Error::make(Errc::kInvalidArgument, "sdp must not be empty");
  if (sdp.size() > max)
    return Error::make(Errc::kInvalidArgument, "sdp must be at most " + std::to_string(max) + " bytes");
  return {};
}

// The call as `user_id` may know it: nullopt when they are not a party, and for the callee
// when it was withheld from them (it never rang for them).
std::optional<store::CallRecord> as_party(std::optional<store::CallRecord> call, int64_t user_id) {
  if (!call) return std::nullopt;
  if (call->caller_id != user_id && call->callee_id != user_id) return std::nullopt;
  if (call->withheld && call->callee_id == user_id) return std::nullopt;
  return call;
}

// Inside the transaction: the call leaves `from` for ended/`reason` and its history message
// is appended. Result: whether it changed, the call after, and the message.
struct EndInTxn {
  bool changed = false;
  store::CallRecord call;
  std::string from;
  store::AppendOutcome history;
};

Result<EndInTxn> end_in_txn(store::WriteTxn& txn, const std::string& call_id, const std::string& from,
                            const std::string& reason, int64_t callee_session) {
  EndInTxn out;
  auto current = txn.call(call_id);
  if (!current) return current.error();
  if (!*current) return no_such_call();
  out.call = std::move(**current);
  out.from = from.empty() ? out.call.state : from;
  if (out.from == "ended") return out;
  auto changed = txn.end_call(call_id, out.from, reason, callee_session, now_ms());
  if (!changed) return changed.error();
  if (!*changed) return out;
  auto after = txn.call(call_id);
  if (!after) return after.error();
  out.call = std::move(**after);
  out.changed = true;
  store::NewMessage m;
  m.conversation_id = out.call.conversation_id;
  m.sender_id = out.call.caller_id;
  m.client_id = "call-" + out.call.id;
  m.kind = "system";
  m.text = boost::json::serialize(call_history_event(out.call));
  m.ts = *out.call.ended_at;
  auto appended = txn.append_message(m);
  if (!appended) return appended.error();
  out.history = std::move(*appended);
  if (out.call.withheld && !out.history.duplicate)
    if (Status s = withhold(txn, out.history); !s) return s.error();
  return out;
}

}  // namespace

struct CallService::Ended {
  EndInTxn e;
};

CallService::CallService(store::Store& store, Committer& committer, Notifier& notifier, CallListener& listener,
                         CallLimits limits)
    : store_(store),
      committer_(committer),
      notifier_(notifier),
      listener_(listener),
      limits_(limits),
      start_limiter_(limits.start_per_min / 60.0, std::max(1.0, limits.start_per_min)) {}

CallService::~CallService() { stop(); }

Status CallService::start() {
  auto open = store_.open_calls();
  if (!open) return open.error();
  const int64_t now = now_ms(), steady = steady_ms();
  for (const auto& c : *open) {
    if (c.state == "ringing") {
      const int64_t left = c.started_at + limits_.ring_timeout_ms - now;
      if (left <= 0)
        end(c.id, "ringing", "no_answer", 0, nullptr);
      else
        arm(steady + left, c.id, "ringing", "no_answer");
    } else if (c.state == "active") {
      if (limits_.end_active_at_start) {
        end(c.id, "active", "disconnected", 0, nullptr);
        continue;
      }
      const int64_t left = c.answered_at.value_or(now) + limits_.max_duration_ms - now;
      arm(steady + std::max<int64_t>(left, 0), c.id, "active", "completed");
    }
  }
  std::lock_guard lock(mu_);
  if (!started_ && !stopping_) {
    started_ = true;
    timer_thread_ = std::thread([this] { run_timers(); });
  }
  return {};
}

void CallService::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (timer_thread_.joinable()) timer_thread_.join();
}

void CallService::arm(int64_t deadline, std::string call_id, std::string from, std::string reason) {
  {
    std::lock_guard lock(mu_);
    timers_.emplace(deadline, Timer{std::move(call_id), std::move(from), std::move(reason)});
  }
  cv_.notify_all();
}

void CallService::run_timers() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (timers_.empty()) {
      cv_.wait(lock);
      continue;
    }
    const int64_t now = steady_ms();
    auto first = timers_.begin();
    if (first->first > now) {
      cv_.wait_for(lock, std::chrono::milliseconds(first->first - now));
      continue;
    }
    Timer t = std::move(first->second);
    timers_.erase(first);
    lock.unlock();
    // A call that changed state meanwhile is left alone by the conditional update.
    end(std::move(t.call_id), std::move(t.from), std::move(t.reason), 0, nullptr);
    lock.lock();
  }
}

void CallService::remember(uint64_t connection, const std::string& call_id) {
  if (connection == 0) return;
  std::lock_guard lock(mu_);
  by_connection_[connection].insert(call_id);
  connections_of_call_.emplace(call_id, connection);
}

void CallService::forget(const std::string& call_id) {
  std::lock_guard lock(mu_);
  auto [first, last] = connections_of_call_.equal_range(call_id);
  for (auto it = first; it != last; ++it) {
    auto conn = by_connection_.find(it->second);
    if (conn == by_connection_.end()) continue;
    conn->second.erase(call_id);
    if (conn->second.empty()) by_connection_.erase(conn);
  }
  connections_of_call_.erase(first, last);
  const std::string prefix = call_id + ":";
  for (auto it = ice_sent_.begin(); it != ice_sent_.end();)
    it = it->first.rfind(prefix, 0) == 0 ? ice_sent_.erase(it) : std::next(it);
}

void CallService::connection_closed(uint64_t connection) {
  std::vector<std::string> calls;
  {
    std::lock_guard lock(mu_);
    auto it = by_connection_.find(connection);
    if (it == by_connection_.end()) return;
    calls.assign(it->second.begin(), it->second.end());
  }
  for (auto& id : calls) end(std::move(id), "", "disconnected", 0, nullptr);
}

void CallService::end(std::string call_id, std::string from, std::string reason, int64_t actor_session,
                      Callback<store::CallRecord> done) {
  // A device that declines is recorded as the callee's device of the call.
  const int64_t callee_session = reason == "declined" ? actor_session : 0;
  committer_.submit(make_op<EndInTxn>(
      [call_id, from, reason, callee_session](store::WriteTxn& txn) {
        return end_in_txn(txn, call_id, from, reason, callee_session);
      },
      Callback<EndInTxn>([this, actor_session, done = std::move(done)](Result<EndInTxn> r) {
        if (!r) {
          if (done) done(r.error());
          return;
        }
        if (r->changed) finish_end(Ended{*r}, actor_session);
        if (!done) return;
        if (!r->changed)
          return done(conflict(r->call, r->call.state == "ended" ? "the call has ended" : "the call is no longer " + r->from));
        done(std::move(r->call));
      })));
}

void CallService::finish_end(const Ended& ended, int64_t actor_session) {
  const EndInTxn& e = ended.e;
  forget(e.call.id);
  if (!e.history.duplicate) notifier_.on_message(e.history, 0);
  if (e.call.end_reason == "busy") return;  // rang nowhere
  listener_.on_call_ended(e.call, e.from, actor_session);
  if (e.from == "ringing" && !e.call.withheld) listener_.on_call_withdrawn(e.call);
}

// ---- requests ------------------------------------------------------------------------

void CallService::start(const Principal& who, uint64_t connection, int64_t conversation_id, std::string media,
                        std::string sdp, Callback<store::CallRecord> done) {
  if (conversation_id <= 0) return done(Error::make(Errc::kNotFound, "no such conversation"));
  if (media != "audio" && media != "video")
    return done(Error::make(Errc::kInvalidArgument, "media must be \"audio\" or \"video\""));
  if (Status s = check_sdp(sdp, limits_.max_sdp_bytes); !s) return done(s.error());
  if (int64_t wait = start_limiter_.acquire(std::to_string(who.user.id), steady_ms()); wait > 0) {
    Error e = Error::make(Errc::kRateLimited, "too many calls started; try again later");
    e.retry_after_ms = wait;
    return done(e);
  }
  const int64_t me = who.user.id, session = who.session_id;
  const int64_t ring_ms = limits_.ring_timeout_ms, max_ms = limits_.max_duration_ms;
  auto apply = [=, media = std::move(media), sdp = std::move(sdp)](store::WriteTxn& txn) -> Result<EndInTxn> {
    auto conv = txn.conversation(conversation_id, me);
    if (!conv) return conv.error();
    const store::MemberRecord* mine = nullptr;
    const store::MemberRecord* peer = nullptr;
    if (*conv)
      for (const auto& m : (*conv)->members) (m.user.id == me ? mine : peer) = &m;
    if (!*conv || !mine || mine->left_seq) return Error::make(Errc::kNotFound, "no such conversation");
    if ((*conv)->kind != "direct" || !peer)
      return Error::make(Errc::kInvalidArgument, "calls are 1:1: only a direct conversation can be called");
    const int64_t callee = peer->user.id;
    auto deleted = txn.direct_peer_deleted(conversation_id, me);
    if (!deleted) return deleted.error();
    if (*deleted) return account_deleted_error();
    auto i_blocked = txn.blocked_in_direct(conversation_id, callee);
    if (!i_blocked) return i_blocked.error();
    if (*i_blocked) return Error::make(Errc::kForbidden, "you blocked this user; unblock them to call");
    auto withheld = txn.blocked_in_direct(conversation_id, me);
    if (!withheld) return withheld.error();
    const int64_t now = now_ms();
    // A blocked caller learns nothing of the callee, not even that they are in a call.
    auto busy = txn.in_call(me, now - ring_ms, now - max_ms);
    if (busy && !*busy && !*withheld) busy = txn.in_call(callee, now - ring_ms, now - max_ms);
    if (!busy) return busy.error();
    store::CallRecord c;
    c.id = new_call_id();
    c.conversation_id = conversation_id;
    c.caller_id = me;
    c.callee_id = callee;
    c.media = media;
    c.state = "ringing";
    c.started_at = now;
    c.caller_session = session;
    c.withheld = *withheld;
    c.offer_sdp = *busy ? std::string() : sdp;
    if (Status s = txn.insert_call(c); !s) return s.error();
    if (*busy) return end_in_txn(txn, c.id, "ringing", "busy", 0);
    EndInTxn out;
    out.call = std::move(c);
    return out;
  };
  committer_.submit(make_op<EndInTxn>(
      std::move(apply),
      Callback<EndInTxn>([this, connection, ring_ms, done = std::move(done)](Result<EndInTxn> r) {
        if (!r) return done(r.error());
        if (r->changed) {  // busy: created and ended at once
          finish_end(Ended{*r}, r->call.caller_session);
          return done(std::move(r->call));
        }
        const store::CallRecord& c = r->call;
        remember(connection, c.id);
        arm(steady_ms() + ring_ms, c.id, "ringing", "no_answer");
        if (!c.withheld) listener_.on_call_ringing(c, c.offer_sdp);
        store::CallRecord answer = c;
        answer.offer_sdp.clear();
        done(std::move(answer));
      })));
}

void CallService::accept(const Principal& who, uint64_t connection, std::string call_id, std::string sdp,
                         Callback<store::CallRecord> done) {
  if (!valid_call_id(call_id)) return done(no_such_call());
  if (Status s = check_sdp(sdp, limits_.max_sdp_bytes); !s) return done(s.error());
  const int64_t me = who.user.id, session = who.session_id;
  committer_.submit(make_op<store::CallRecord>(
      [me, session, call_id](store::WriteTxn& txn) -> Result<store::CallRecord> {
        auto found = txn.call(call_id);
        if (!found) return found.error();
        auto call = as_party(std::move(*found), me);
        if (!call) return no_such_call();
        if (call->callee_id != me) return conflict(*call, "only the callee can accept a call");
        if (call->state != "ringing") return conflict(*call, "the call is no longer ringing");
        auto changed = txn.answer_call(call_id, session, now_ms());
        if (!changed) return changed.error();
        auto after = txn.call(call_id);
        if (!after) return after.error();
        if (!*changed) return conflict(**after, "the call is no longer ringing");
        return std::move(**after);
      },
      Callback<store::CallRecord>([this, connection, sdp = std::move(sdp), done = std::move(done)](
                                      Result<store::CallRecord> r) {
        if (!r) return done(r.error());
        remember(connection, r->id);
        arm(steady_ms() + limits_.max_duration_ms, r->id, "active", "completed");
        listener_.on_call_accepted(*r, sdp);
        done(std::move(r));
      })));
}

void CallService::decline(const Principal& who, std::string call_id, Callback<store::CallRecord> done) {
  if (!valid_call_id(call_id)) return done(no_such_call());
  // Checked on a read first, for the right error; the conditional end decides races.
  auto found = store_.find_call(call_id);
  if (!found) return done(found.error());
  auto call = as_party(std::move(*found), who.user.id);
  if (!call) return done(no_such_call());
  if (call->callee_id != who.user.id) return done(conflict(*call, "only the callee can decline a call"));
  if (call->state != "ringing") return done(conflict(*call, "the call is no longer ringing"));
  end(std::move(call_id), "ringing", "declined", who.session_id, std::move(done));
}

void CallService::hangup(const Principal& who, std::string call_id, Callback<store::CallRecord> done) {
  if (!valid_call_id(call_id)) return done(no_such_call());
  auto found = store_.find_call(call_id);
  if (!found) return done(found.error());
  auto call = as_party(std::move(*found), who.user.id);
  if (!call) return done(no_such_call());
  if (call->state == "ended") return done(conflict(*call, "the call has ended"));
  const bool caller = call->caller_id == who.user.id;
  if (call->state == "ringing") {
    if (!caller) return end(std::move(call_id), "ringing", "declined", who.session_id, std::move(done));
    if (call->caller_session != who.session_id)
      return done(conflict(*call, "the call belongs to another of your devices"));
    return end(std::move(call_id), "ringing", "cancelled", who.session_id, std::move(done));
  }
  const int64_t device = caller ? call->caller_session : call->callee_session;
  if (device != who.session_id) return done(conflict(*call, "the call belongs to another of your devices"));
  end(std::move(call_id), "active", "completed", who.session_id, std::move(done));
}

Status CallService::ice(const Principal& who, std::string_view call_id, const IceCandidate& c) {
  if (c.candidate.size() > limits_.max_candidate_bytes)
    return Error::make(Errc::kInvalidArgument,
                       "candidate must be at most " + std::to_string(limits_.max_candidate_bytes) + " bytes");
  if (c.sdp_mid && c.sdp_mid->size() > limits_.max_sdp_mid_bytes)
    return Error::make(Errc::kInvalidArgument, "sdpMid is too long");
  if (c.sdp_mline_index && (*c.sdp_mline_index < 0 || *c.sdp_mline_index > 65535))
    return Error::make(Errc::kInvalidArgument, "sdpMLineIndex must be in 0..65535");
  if (!valid_call_id(call_id)) return no_such_call();
  auto found = store_.find_call(call_id);
  if (!found) return found.error();
  auto call = as_party(std::move(*found), who.user.id);
  if (!call) return no_such_call();
  const bool caller = call->caller_id == who.user.id;
  const bool in_call = caller ? (call->caller_session == who.session_id && call->state != "ended")
                              : (call->callee_session == who.session_id && call->state == "active");
  if (!in_call) return conflict(*call, "this device is not in the call");
  {
    std::lock_guard lock(mu_);
    // Counters of calls ended elsewhere (another node) are not forgotten here: bound them.
    if (ice_sent_.size() > 100000) ice_sent_.clear();
    int& sent = ice_sent_[call->id + ":" + std::to_string(who.session_id)];
    if (sent >= limits_.max_ice_per_device) {
      Error e = Error::make(Errc::kRateLimited, "at most " + std::to_string(limits_.max_ice_per_device) +
                                                    " ICE candidates per device and call");
      e.retry_after_ms = limits_.max_duration_ms;
      return e;
    }
    ++sent;
  }
  if (caller && call->withheld) return {};  // rings nowhere: nobody to tell
  listener_.on_call_ice(*call, who.user.id, c);
  return {};
}

Result<store::CallRecord> CallService::get(const Principal& who, std::string_view call_id) {
  if (!valid_call_id(call_id)) return no_such_call();
  auto found = store_.find_call(call_id);
  if (!found) return found.error();
  auto call = as_party(std::move(*found), who.user.id);
  if (!call) return no_such_call();
  call->offer_sdp.clear();
  return std::move(*call);
}

Result<std::vector<store::CallRecord>> CallService::ringing_for(const Principal& who) {
  auto calls = store_.ringing_calls(who.user.id);
  if (!calls) return calls.error();
  const int64_t now = now_ms();
  std::vector<store::CallRecord> out;
  for (auto& c : *calls)
    if (!c.withheld && c.started_at + limits_.ring_timeout_ms > now) out.push_back(std::move(c));
  return out;
}

}  // namespace parley::chat
