// Pushes for calls (docs/protocol.md, "Push notifications", calls): a call that rings for a
// device with no WebSocket here is pushed at high urgency, living as long as it rings; if it
// ends unanswered, a withdraw with the same tag follows where the push went.
#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "server/push/delivery.h"

namespace parley::push {

namespace json = boost::json;

namespace {

std::string call_tag(const store::CallRecord& c) { return "call" + c.id; }

}  // namespace

json::object gateway_call(const json::object& c, const store::PushSubscriptionRecord& s, int64_t ttl_s) {
  json::object n{{"event_id", c.at("tag")},
                 {"type", c.at("type")},
                 {"call_id", c.at("call_id")},
                 {"conversation_id", c.at("conversation_id")},
                 {"prio", "high"},
                 {"devices", json::array{json::object{{"app_id", s.app_id},
                                                      {"pushkey", s.endpoint},
                                                      {"pushkey_ts", s.created_at / 1000}}}}};
  if (c.contains("media")) n["media"] = c.at("media");
  if (ttl_s > 0) n["ttl_s"] = ttl_s;
  if (c.contains("caller")) {
    n["sender"] = c.at("caller").at("username");
    n["sender_display_name"] = c.at("caller").at("display_name");
  }
  return n;
}

std::vector<Delivery::Planned> Delivery::examine_call(const Job& job) {
  std::vector<Planned> out;
  const store::CallRecord& call = *job.call;
  const int64_t now = now_ms();
  auto targets = store_.push_targets({call.callee_id}, now);
  if (!targets) {
    spdlog::warn("push: reading registrations failed: {}", targets.error().message);
    return out;
  }
  if (targets->empty()) return out;
  json::object content;
  if (job.changed) {
    content = {{"type", "withdraw"},
               {"tag", call_tag(call)},
               {"call_id", call.id},
               {"conversation_id", call.conversation_id}};
  } else {
    auto caller = store_.find_user(call.caller_id);
    if (!caller || !*caller) return out;
    content = {{"type", "call"},
               {"tag", call_tag(call)},
               {"call_id", call.id},
               {"conversation_id", call.conversation_id},
               {"media", call.media},
               {"ts", call.started_at}};
    // The preview setting hides who is calling, as it hides who wrote.
    auto preview = store_.notification_preview(call.callee_id);
    if (preview && *preview && **preview == "full")
      content["caller"] = json::object{
          {"id", (*caller)->id}, {"username", (*caller)->username}, {"display_name", (*caller)->display_name}};
  }
  for (const auto& s : *targets) {
    if (s.kind == "gateway" && options_.gateway_url.empty()) continue;
    // A connected device rings through its WebSocket (call_incoming); a withdraw goes
    // wherever a push may have gone.
    if (!job.changed && connected_ && connected_(s.user_id, s.session_id)) continue;
    out.push_back(Planned{s, content, 0, true, job.ttl_s});
  }
  return out;
}

void Delivery::place_call(Planned p, bool withdraw, int64_t now) {
  const Key key{p.subscription.id, -p.content.at("conversation_id").as_int64()};
  auto it = slots_.find(key);
  if (withdraw) {
    if (it == slots_.end()) return;
    Slot& slot = it->second;
    const bool about_this = slot.content.contains("tag") && slot.content.at("tag") == p.content.at("tag");
    if (about_this && slot.sent_seq != 1) {
      slot.content = {};  // never shown: nothing to withdraw
      return;
    }
    // Nothing shown and nothing on its way: nothing to withdraw.
    if (!slot.in_flight && (slot.sent_seq != 1 || slot.last_sent == 0)) return;
    slot.content = std::move(p.content);
    slot.seq = 2;  // a withdraw: the slot no longer holds a shown call
    slot.ttl_s = 0;
    slot.attempts = 0;
    slot.due = now;  // at once: the ring is over
    return;
  }
  if (it == slots_.end()) {
    if (slots_.size() >= options_.max_slots) {
      metrics_.push_failed.add();
      return;
    }
    it = slots_.emplace(key, Slot{}).first;
  }
  Slot& slot = it->second;
  slot.subscription = std::move(p.subscription);
  slot.content = std::move(p.content);
  slot.seq = 1;  // a ringing call (sent_seq 1 once it went through)
  slot.direct = true;
  slot.ttl_s = p.ttl_s;
  slot.attempts = 0;
  slot.due = now;  // a call does not wait for the collapse window
}

}  // namespace parley::push
