#include "server/api/call_events.h"

#include "server/api/wire.h"

namespace parley::api {

namespace json = boost::json;

namespace {

std::shared_ptr<const std::string> ended_frame(const store::CallRecord& call, std::string_view reason = {}) {
  return wire::frame({{"type", "call_ended"}, {"call", chat::call_json(call, reason)}});
}

// A frame for some devices of one user: only `sessions` (empty: all), never `exclude`.
void to_devices(bus::Bus& bus, int64_t user_id, std::vector<int64_t> sessions, int64_t exclude,
                std::shared_ptr<const std::string> frame) {
  bus::Envelope e;
  e.user_ids = {user_id};
  e.session_ids = std::move(sessions);
  e.exclude_session = exclude;
  e.frame = std::move(frame);
  bus.publish(e);
}

}  // namespace

std::shared_ptr<const std::string> call_incoming_frame(const store::CallRecord& call, const std::string& sdp) {
  return wire::frame({{"type", "call_incoming"}, {"call", chat::call_json(call)}, {"sdp", sdp}});
}

void CallEvents::on_call_ringing(const store::CallRecord& call, const std::string& offer_sdp) {
  to_devices(bus_, call.callee_id, {}, 0, call_incoming_frame(call, offer_sdp));
  if (next_) next_->on_call_ringing(call, offer_sdp);
}

void CallEvents::on_call_accepted(const store::CallRecord& call, const std::string& answer_sdp) {
  to_devices(bus_, call.caller_id, {call.caller_session}, 0,
             wire::frame({{"type", "call_accepted"}, {"call", chat::call_json(call)}, {"sdp", answer_sdp}}));
  // The callee's other devices stop ringing.
  to_devices(bus_, call.callee_id, {}, call.callee_session, ended_frame(call, "answered_elsewhere"));
  if (next_) next_->on_call_accepted(call, answer_sdp);
}

void CallEvents::on_call_ended(const store::CallRecord& call, std::string_view from, int64_t actor_session) {
  auto frame = ended_frame(call);
  if (call.caller_session != actor_session) to_devices(bus_, call.caller_id, {call.caller_session}, 0, frame);
  if (from == "active") {
    if (call.callee_session != actor_session) to_devices(bus_, call.callee_id, {call.callee_session}, 0, frame);
  } else if (!call.withheld) {
    // Every callee device rang. When one declined, the others learn it was declined there.
    if (call.end_reason == "declined")
      to_devices(bus_, call.callee_id, {}, call.callee_session, ended_frame(call, "declined_elsewhere"));
    else
      to_devices(bus_, call.callee_id, {}, actor_session, frame);
  }
  if (next_) next_->on_call_ended(call, from, actor_session);
}

void CallEvents::on_call_ice(const store::CallRecord& call, int64_t from_user, const chat::IceCandidate& c) {
  json::object candidate{{"candidate", c.candidate}};
  candidate["sdpMid"] = c.sdp_mid ? json::value(*c.sdp_mid) : json::value(nullptr);
  candidate["sdpMLineIndex"] = c.sdp_mline_index ? json::value(*c.sdp_mline_index) : json::value(nullptr);
  auto frame = wire::frame({{"type", "call_ice"}, {"call_id", call.id}, {"candidate", std::move(candidate)}});
  if (from_user == call.callee_id)
    to_devices(bus_, call.caller_id, {call.caller_session}, 0, std::move(frame));
  else if (call.state == "active")
    to_devices(bus_, call.callee_id, {call.callee_session}, 0, std::move(frame));
  else
    to_devices(bus_, call.callee_id, {}, 0, std::move(frame));
}

void CallEvents::on_call_withdrawn(const store::CallRecord& call) {
  if (next_) next_->on_call_withdrawn(call);
}

}  // namespace parley::api
