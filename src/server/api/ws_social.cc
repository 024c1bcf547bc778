// WsChannel: presence subscriptions and typing indicators (docs/protocol.md, "Presence"
// and "Typing").
#include <algorithm>

#include "common/clock.h"
#include "protocol/json_fields.h"
#include "server/api/wire.h"
#include "server/api/ws_channel.h"

namespace parley::api {

namespace json = boost::json;

namespace {

constexpr std::size_t kMaxPresenceTargets = 256;
constexpr int64_t kTypingExpiresMs = 6000;

Error bad(std::string message) { return Error::make(Errc::kBadRequest, std::move(message)); }

}  // namespace

void WsChannel::subscribe_presence(json::object& f, json::value id) {
  auto* v = f.if_contains("user_ids");
  if (!v || !v->is_array()) return send_error(id, bad("field 'user_ids' must be an array of integers"));
  std::vector<int64_t> targets;
  for (const auto& x : v->as_array()) {
    if (!x.is_int64() || x.as_int64() < 1) return send_error(id, bad("field 'user_ids' must be an array of integers"));
    targets.push_back(x.as_int64());
  }
  std::sort(targets.begin(), targets.end());
  targets.erase(std::unique(targets.begin(), targets.end()), targets.end());
  if (targets.size() > kMaxPresenceTargets)
    return send_error(id, Error::make(Errc::kInvalidArgument, "at most 256 users per subscription"));
  if (!begin_request(id)) return;
  auto self = shared_from_this();
  chat::Principal who = *principal_;
  api_.worker().post([self, who, id, targets = std::move(targets)] {
    Api& api = self->api_;
    auto fail = [&](const Error& e) {
      self->end_request();
      self->send_error(id, e);
    };
    // A stranger learns nothing: users the viewer may not see are left out silently.
    auto grants = api.chat().presence_grants(who, targets);
    if (!grants) return fail(grants.error());
    std::vector<int64_t> allowed;
    for (const auto& g : *grants) allowed.push_back(g.user_id);
    auto states = api.presence().states(allowed);
    if (!states) return fail(states.error());
    std::vector<PresenceHub::Watch> watches;
    json::array users;
    for (const auto& g : *grants) {
      watches.push_back({g.user_id, g.target_hides, g.viewer_hides});
      const chat::PresenceState& st = (*states)[g.user_id];
      json::object u{{"user_id", g.user_id}, {"online", st.online}};
      u["last_seen"] = (g.show_last_seen && st.last_seen) ? json::value(*st.last_seen) : json::value(nullptr);
      users.push_back(std::move(u));
    }
    api.presence_hub().set(self, who.user.id, std::move(watches));
    self->end_request();
    self->send_json({{"type", "presence_subscribed"}, {"id", id}, {"users", std::move(users)}});
  });
}

void WsChannel::typing(json::object& f, json::value id) {
  auto conv = protocol::required_int(f, "conversation_id", 1);
  if (!conv) return send_error(id, conv.error());
  auto state = protocol::required_string(f, "state");
  if (!state) return send_error(id, state.error());
  if (*state != "start" && *state != "stop")
    return send_error(id, Error::make(Errc::kInvalidArgument, "state must be 'start' or 'stop'"));
  auto ok = [&] {
    if (!id.is_null()) send_json({{"type", "ok"}, {"id", id}});
  };
  const chat::Principal& who = *principal_;
  std::string key = std::to_string(who.user.id) + ":" + std::to_string(*conv);
  if (api_.typing_limiter().acquire(key, steady_ms()) > 0) return ok();  // dropped: documented
  if (!begin_request(id)) return;
  auto self = shared_from_this();
  api_.worker().post([self, who, id, conv = *conv, start = *state == "start"] {
    Api& api = self->api_;
    auto recipients = api.chat().typing_recipients(who, conv);
    self->end_request();
    if (!recipients) return self->send_error(id, recipients.error());
    if (!recipients->empty()) {
      bus::Envelope e;
      e.user_ids = std::move(*recipients);
      e.frame = wire::frame({{"type", "typing"},
                             {"conversation_id", conv},
                             {"user_id", who.user.id},
                             {"state", start ? "start" : "stop"},
                             {"expires_ms", kTypingExpiresMs}});
      api.bus().publish(e);
    }
    if (!id.is_null()) self->send_json({{"type", "ok"}, {"id", id}});
  });
}

}  // namespace parley::api
