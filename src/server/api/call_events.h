// The events of calls (docs/protocol.md, "Calls"): each call change encoded once and
// published on the bus to exactly the devices the protocol names (bus::Envelope's session
// filter: a call involves one device of the caller and, once answered, one of the callee).
// Thread-safe; called by chat::CallService on the committer's finisher thread (ICE: a worker).
#pragma once

#include "server/bus/bus.h"
#include "server/chat/calls.h"

namespace parley::api {

class CallEvents final : public chat::CallListener {
 public:
  // `next` (may be null) hears of every change after the events went out: push delivery.
  explicit CallEvents(bus::Bus& bus, chat::CallListener* next = nullptr) : bus_(bus), next_(next) {}

  void on_call_ringing(const store::CallRecord& call, const std::string& offer_sdp) override;
  void on_call_accepted(const store::CallRecord& call, const std::string& answer_sdp) override;
  void on_call_ended(const store::CallRecord& call, std::string_view from, int64_t actor_session) override;
  void on_call_ice(const store::CallRecord& call, int64_t from_user, const chat::IceCandidate& candidate) override;
  void on_call_withdrawn(const store::CallRecord& call) override;

 private:
  bus::Bus& bus_;
  chat::CallListener* const next_;
};

// {"type":"call_incoming","call":...,"sdp":...}: what a ringing device gets, live or right
// after `ready`.
std::shared_ptr<const std::string> call_incoming_frame(const store::CallRecord& call, const std::string& sdp);

}  // namespace parley::api
