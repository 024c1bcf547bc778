// The call object and the call history message (docs/protocol.md, "Calls", "Call history").
#include "server/chat/calls.h"

namespace parley::chat {

namespace json = boost::json;

json::object call_json(const store::CallRecord& c, std::string_view end_reason) {
  json::object o{{"call_id", c.id},
                 {"conversation_id", c.conversation_id},
                 {"caller_id", c.caller_id},
                 {"callee_id", c.callee_id},
                 {"media", c.media},
                 {"state", c.state},
                 {"started_at", c.started_at}};
  o["answered_at"] = c.answered_at ? json::value(*c.answered_at) : json::value(nullptr);
  o["ended_at"] = c.ended_at ? json::value(*c.ended_at) : json::value(nullptr);
  if (!end_reason.empty())
    o["end_reason"] = end_reason;
  else if (c.state == "ended")
    o["end_reason"] = c.end_reason;
  else
    o["end_reason"] = nullptr;
  return o;
}

json::object call_history_event(const store::CallRecord& c) {
  // What the two people saw: answered is completed (however it ended); otherwise the reason,
  // with a ring nobody answered (no answer, or a device that went away) as missed.
  std::string outcome;
  int64_t duration = 0;
  if (c.answered_at) {
    outcome = "completed";
    duration = std::max<int64_t>(0, c.ended_at.value_or(*c.answered_at) - *c.answered_at);
  } else if (c.end_reason == "declined" || c.end_reason == "busy" || c.end_reason == "cancelled") {
    outcome = c.end_reason;
  } else {
    outcome = "missed";
  }
  return {{"event", "call"},
          {"actor_id", c.caller_id},
          {"call", json::object{{"call_id", c.id}, {"media", c.media}, {"outcome", outcome}, {"duration_ms", duration}}}};
}

}  // namespace parley::chat
