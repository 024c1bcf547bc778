// Presence subscriptions and typing indicators, WebSocket only (docs/protocol.md,
// "Presence and typing").
#include <algorithm>

#include "common/clock.h"
#include "server/api/ops/table.h"
#include "server/api/wire.h"

namespace parley::api::ops {

namespace json = boost::json;

namespace {

constexpr std::size_t kMaxPresenceTargets = 256;
constexpr int64_t kTypingExpiresMs = 6000;

struct Subscribe {
  struct Request {
    std::vector<int64_t> user_ids;  // sorted, unique
  };
  static Result<Request> parse(const Args& a) {
    PARLEY_ARG(auto ids, a.optional_ids("user_ids"));
    if (!ids.has_value())
      return Error::make(Errc::kBadRequest, "field 'user_ids' must be an array of integers");
    std::vector<int64_t> targets = std::move(*ids);
    std::sort(targets.begin(), targets.end());
    targets.erase(std::unique(targets.begin(), targets.end()), targets.end());
    if (targets.size() > kMaxPresenceTargets)
      return Error::make(Errc::kInvalidArgument, "at most 256 users per subscription");
    return Request{std::move(targets)};
  }
  static void run(const Call& c, Request r, Reply reply) {
    Services& s = *c.services;
    // A stranger learns nothing: users the viewer may not see are left out silently.
    auto grants = s.chat.presence_grants(c.who, r.user_ids);
    if (!grants) return reply(grants.error());
    std::vector<int64_t> allowed;
    for (const auto& g : *grants) allowed.push_back(g.user_id);
    auto states = s.presence.states(allowed);
    if (!states) return reply(states.error());
    std::vector<PresenceHub::Watch> watches;
    json::array users;
    for (const auto& g : *grants) {
      watches.push_back({g.user_id, g.target_hides, g.viewer_hides});
      const chat::PresenceState& st = (*states)[g.user_id];
      json::object u{{"user_id", g.user_id}, {"online", st.online}};
      u["last_seen"] = (g.show_last_seen && st.last_seen) ? json::value(*st.last_seen) : json::value(nullptr);
      users.push_back(std::move(u));
    }
    if (c.socket) s.hub.set(c.socket, c.who.user.id, std::move(watches));
    reply(ok({{"users", std::move(users)}}));
  }
};

struct Typing {
  struct Request {
    int64_t conversation_id;
    bool start;
  };
  static Result<Request> parse(const Args& a) {
    PARLEY_ARG(auto conv, a.required_int("conversation_id", 1));
    PARLEY_ARG(auto state, a.required_string("state"));
    if (state != "start" && state != "stop")
      return Error::make(Errc::kInvalidArgument, "state must be 'start' or 'stop'");
    return Request{conv, state == "start"};
  }
  static void run(const Call& c, Request r, Reply reply) {
    Services& s = *c.services;
    const std::string key = std::to_string(c.who.user.id) + ":" + std::to_string(r.conversation_id);
    if (s.typing_limiter.acquire(key, steady_ms()) > 0) return reply(ok());  // dropped: documented
    auto recipients = s.chat.typing_recipients(c.who, r.conversation_id);
    if (!recipients) return reply(recipients.error());
    if (!recipients->empty()) {
      bus::Envelope e;
      e.user_ids = std::move(*recipients);
      e.frame = wire::frame({{"type", "typing"},
                             {"conversation_id", r.conversation_id},
                             {"user_id", c.who.user.id},
                             {"state", r.start ? "start" : "stop"},
                             {"expires_ms", kTypingExpiresMs}});
      s.bus.publish(e);
    }
    reply(ok());
  }
};

}  // namespace

void add_presence_ops(std::vector<Operation>& ops) {
  ops.push_back({"presence_subscribe", "presence_subscribe", "presence_subscribed", "", "", Runs::kWorker,
                 Body::kNone, Bucket::kOther, true, parser<Subscribe>()});
  ops.push_back(
      {"typing", "typing", "ok", "", "", Runs::kWorker, Body::kNone, Bucket::kOther, true, parser<Typing>()});
}

}  // namespace parley::api::ops
