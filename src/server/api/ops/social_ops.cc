// Contacts, blocking and privacy (docs/protocol.md, "Contacts, blocking and privacy").
#include "server/api/ops/requests.h"
#include "server/api/ops/table.h"
#include "server/api/wire.h"

namespace parley::api::ops {

namespace json = boost::json;

namespace {

json::object contact_json(const store::ContactRecord& c) {
  return {{"user", wire::user(c.user)}, {"nickname", c.nickname}, {"created_at", c.created_at}};
}

json::object privacy_json(const store::PrivacySettings& s) {
  return {{"hide_last_seen", s.hide_last_seen}, {"groups_add", s.groups_add}};
}

struct Contacts : NoFields {
  static void run(const Call& c, Request, Reply reply) {
    auto list = c.services->chat.contacts(c.who);
    if (!list) return reply(list.error());
    json::array a;
    for (const auto& x : *list) a.push_back(contact_json(x));
    reply(ok({{"contacts", std::move(a)}}));
  }
};

struct PutContact {
  struct Request {
    int64_t user_id;
    std::string nickname;
  };
  static Result<Request> parse(const Args& a) {
    PARLEY_ARG(auto id, a.required_int("user_id", 1));
    PARLEY_ARG(auto nick, a.optional_string("nickname"));
    return Request{id, nick.value_or("")};
  }
  static void run(const Call& c, Request r, Reply reply) {
    c.services->chat.add_contact(c.who, r.user_id, std::move(r.nickname),
                                 replying<store::ContactRecord>(std::move(reply), [](const auto& x) {
                                   return ok({{"contact", contact_json(x)}});
                                 }));
  }
};

struct DeleteContact : ToUser {
  static void run(const Call& c, Request r, Reply reply) {
    c.services->chat.remove_contact(c.who, r.user_id,
                                    replying<chat::Done>(std::move(reply), [](const auto&) { return ok(); }));
  }
};

struct Blocks : NoFields {
  static void run(const Call& c, Request, Reply reply) {
    auto list = c.services->chat.blocked_users(c.who);
    if (!list) return reply(list.error());
    json::array a;
    for (const auto& u : *list) a.push_back(wire::user(u));
    reply(ok({{"users", std::move(a)}}));
  }
};

struct Block : ToUser {
  static void run(const Call& c, Request r, Reply reply) {
    PresenceHub& hub = c.services->hub;
    const int64_t me = c.who.user.id;
    c.services->chat.set_block(c.who, r.user_id, true,
                               [&hub, me, other = r.user_id, reply = std::move(reply)](Result<chat::Done> x) {
                                 if (!x) return reply(x.error());
                                 hub.blocked(me, other);  // watches between the two end at once
                                 reply(ok());
                               });
  }
};

struct Unblock : ToUser {
  static void run(const Call& c, Request r, Reply reply) {
    c.services->chat.set_block(c.who, r.user_id, false,
                               replying<chat::Done>(std::move(reply), [](const auto&) { return ok(); }));
  }
};

struct Privacy : NoFields {
  static void run(const Call& c, Request, Reply reply) {
    auto settings = c.services->chat.privacy(c.who);
    if (!settings) return reply(settings.error());
    reply(ok(privacy_json(*settings)));
  }
};

struct SetPrivacy {
  struct Request {
    std::optional<bool> hide_last_seen;
    std::optional<std::string> groups_add;
  };
  static Result<Request> parse(const Args& a) {
    PARLEY_ARG(auto hide, a.optional_bool("hide_last_seen"));
    PARLEY_ARG(auto groups_add, a.optional_string("groups_add"));
    return Request{hide, std::move(groups_add)};
  }
  static void run(const Call& c, Request r, Reply reply) {
    PresenceHub& hub = c.services->hub;
    const int64_t me = c.who.user.id;
    const std::optional<bool> hide = r.hide_last_seen;
    c.services->chat.set_privacy(
        c.who, hide, std::move(r.groups_add),
        [&hub, me, hide, reply = std::move(reply)](Result<store::PrivacySettings> x) {
          if (!x) return reply(x.error());
          if (hide) hub.privacy_changed(me, *hide);  // open watches follow at once
          reply(ok(privacy_json(*x)));
        });
  }
};

}  // namespace

void add_social_ops(std::vector<Operation>& ops) {
  const auto add = [&ops](std::string_view name, std::string_view method, std::string_view path, Runs runs,
                          Body body, auto parse) {
    ops.push_back({name, "", "", method, path, runs, body, Bucket::kOther, true, std::move(parse)});
  };
  add("contacts", "GET", "/api/v1/contacts", Runs::kWorker, Body::kNone, parser<Contacts>());
  add("put_contact", "PUT", "/api/v1/contacts/{user_id}", Runs::kCommitter, Body::kOptional,
      parser<PutContact>());
  add("delete_contact", "DELETE", "/api/v1/contacts/{user_id}", Runs::kCommitter, Body::kNone,
      parser<DeleteContact>());
  add("blocks", "GET", "/api/v1/blocks", Runs::kWorker, Body::kNone, parser<Blocks>());
  add("block", "PUT", "/api/v1/blocks/{user_id}", Runs::kCommitter, Body::kNone, parser<Block>());
  add("unblock", "DELETE", "/api/v1/blocks/{user_id}", Runs::kCommitter, Body::kNone, parser<Unblock>());
  add("privacy", "GET", "/api/v1/me/privacy", Runs::kWorker, Body::kNone, parser<Privacy>());
  add("set_privacy", "PATCH", "/api/v1/me/privacy", Runs::kCommitter, Body::kRequired, parser<SetPrivacy>());
}

}  // namespace parley::api::ops
