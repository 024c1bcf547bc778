// Push notifications: registrations, mute and the notification preview (docs/protocol.md,
// "Push notifications").
#include "server/api/ops/requests.h"
#include "server/api/ops/table.h"
#include "server/api/wire.h"
#include "server/push/push_api.h"

namespace parley::api::ops {

namespace json = boost::json;

namespace {

Error push_off() { return Error::make(Errc::kUnavailable, "push notifications are not enabled on this server"); }

json::object subscription_json(const store::PushSubscriptionRecord& s) {
  json::object o{{"id", s.id}, {"kind", s.kind}, {"created_at", s.created_at}};
  if (s.kind == "webpush") {
    o["endpoint"] = s.endpoint;  // the keys are the device's; they are not echoed
  } else {
    o["app_id"] = s.app_id;
    o["pushkey"] = s.endpoint;
  }
  return o;
}

struct PushConfig : NoFields {
  static void run(const Call& c, Request, Reply reply) {
    const push::PushApi* p = c.services->push;
    if (!p) return reply(push_off());
    const auto& policy = p->registrations.policy();
    reply(ok({{"vapid_public_key", p->vapid_public_key},
              {"gateway", policy.gateway_configured},
              {"max_per_session", policy.limits.per_session},
              {"max_per_user", policy.limits.per_user}}));
  }
};

struct PushSubscribe {
  using Request = push::NewRegistration;
  static Result<Request> parse(const Args& a) {
    PARLEY_ARG(auto kind, a.required_string("kind"));
    PARLEY_ARG(auto endpoint, a.optional_string("endpoint"));
    PARLEY_ARG(auto p256dh, a.optional_string("p256dh"));
    PARLEY_ARG(auto auth, a.optional_string("auth"));
    PARLEY_ARG(auto app_id, a.optional_string("app_id"));
    PARLEY_ARG(auto pushkey, a.optional_string("pushkey"));
    return Request{std::move(kind), endpoint.value_or(""), p256dh.value_or(""), auth.value_or(""),
                   app_id.value_or(""), pushkey.value_or("")};
  }
  static void run(const Call& c, Request r, Reply reply) {
    if (!c.services->push) return reply(push_off());
    c.services->push->registrations.subscribe(
        c.who, std::move(r), replying<store::PushSubscriptionRecord>(std::move(reply), [](const auto& s) {
          return ok({{"subscription", subscription_json(s)}}, 201);
        }));
  }
};

struct Subscriptions : NoFields {
  static void run(const Call& c, Request, Reply reply) {
    if (!c.services->push) return reply(push_off());
    auto list = c.services->push->registrations.list(c.who);
    if (!list) return reply(list.error());
    json::array a;
    for (const auto& s : *list) a.push_back(subscription_json(s));
    reply(ok({{"subscriptions", std::move(a)}}));
  }
};

struct Unsubscribe {
  struct Request {
    int64_t id;
  };
  static Result<Request> parse(const Args& a) {
    PARLEY_ARG(int64_t id, a.required_int("subscription_id", 1));
    return Request{id};
  }
  static void run(const Call& c, Request r, Reply reply) {
    if (!c.services->push) return reply(push_off());
    c.services->push->registrations.unsubscribe(
        c.who, r.id, replying<chat::Done>(std::move(reply), [](const auto&) { return ok(); }));
  }
};

struct Mute {
  struct Request {
    int64_t conversation_id;
    std::string duration;
  };
  static Result<Request> parse(const Args& a) {
    PARLEY_ARG(int64_t conversation_id, a.required_int("conversation_id", 1));
    PARLEY_ARG(auto duration, a.required_string("duration"));
    return Request{conversation_id, std::move(duration)};
  }
  static void run(const Call& c, Request r, Reply reply) {
    if (!c.services->push) return reply(push_off());
    bus::Bus& bus = c.services->bus;
    const int64_t me = c.who.user.id, conversation = r.conversation_id;
    const uint64_t origin = c.connection_id;
    c.services->push->preferences.mute(
        c.who, r.conversation_id, r.duration,
        [&bus, me, conversation, origin, reply = std::move(reply)](Result<int64_t> until) {
          if (!until) return reply(until.error());
          // The user's other connected devices learn it at once; the others by sync.
          bus::Envelope e;
          e.user_ids = {me};
          e.exclude_connection = origin;
          e.frame = wire::frame({{"type", "muted"}, {"conversation_id", conversation}, {"muted_until", *until}});
          bus.publish(e);
          reply(ok({{"conversation_id", conversation}, {"muted_until", *until}}));
        });
  }
};

struct NotificationSettings : NoFields {
  static void run(const Call& c, Request, Reply reply) {
    if (!c.services->push) return reply(push_off());
    auto preview = c.services->push->preferences.preview(c.who);
    if (!preview) return reply(preview.error());
    reply(ok({{"preview", *preview}}));
  }
};

struct SetNotificationSettings {
  struct Request {
    std::string preview;
  };
  static Result<Request> parse(const Args& a) {
    PARLEY_ARG(auto preview, a.required_string("preview"));
    return Request{std::move(preview)};
  }
  static void run(const Call& c, Request r, Reply reply) {
    if (!c.services->push) return reply(push_off());
    std::string preview = r.preview;
    c.services->push->preferences.set_preview(
        c.who, std::move(r.preview),
        replying<chat::Done>(std::move(reply), [preview](const auto&) { return ok({{"preview", preview}}); }));
  }
};

}  // namespace

void add_push_ops(std::vector<Operation>& ops) {
  const auto add = [&ops](std::string_view name, std::string_view frame, std::string_view answer,
                          std::string_view method, std::string_view path, Runs runs, Body body, auto parse) {
    ops.push_back({name, frame, answer, method, path, runs, body, Bucket::kOther, true, std::move(parse)});
  };
  add("push_config", "push_config", "push_config", "GET", "/api/v1/push/config", Runs::kIoThread, Body::kNone,
      parser<PushConfig>());
  add("push_subscribe", "push_subscribe", "push_subscription", "POST", "/api/v1/push/subscriptions",
      Runs::kCommitter, Body::kRequired, parser<PushSubscribe>());
  add("push_subscriptions", "push_subscriptions", "push_subscriptions", "GET", "/api/v1/push/subscriptions",
      Runs::kWorker, Body::kNone, parser<Subscriptions>());
  add("push_unsubscribe", "push_unsubscribe", "ok", "DELETE", "/api/v1/push/subscriptions/{subscription_id}",
      Runs::kCommitter, Body::kNone, parser<Unsubscribe>());
  add("mute", "mute", "muted", "PUT", "/api/v1/conversations/{conversation_id}/mute", Runs::kCommitter,
      Body::kRequired, parser<Mute>());
  add("notification_settings", "notification_settings", "notification_settings", "GET",
      "/api/v1/me/notifications", Runs::kWorker, Body::kNone, parser<NotificationSettings>());
  add("set_notification_settings", "set_notification_settings", "notification_settings", "PATCH",
      "/api/v1/me/notifications", Runs::kCommitter, Body::kRequired, parser<SetNotificationSettings>());
}

}  // namespace parley::api::ops
