// HTTP routes for user search, contacts, blocking and privacy (docs/protocol.md,
// "Contacts, blocking and privacy").
#include "protocol/json_fields.h"
#include "server/api/api.h"
#include "server/api/http_reply.h"
#include "server/api/query.h"
#include "server/api/wire.h"

namespace parley::api {

namespace json = boost::json;

namespace {

json::object contact_json(const store::ContactRecord& c) {
  return {{"user", wire::user(c.user)}, {"nickname", c.nickname}, {"created_at", c.created_at}};
}

json::array users_json(const std::vector<store::UserRecord>& users) {
  json::array a;
  for (const auto& u : users) a.push_back(wire::user(u));
  return a;
}

}  // namespace

bool Api::route_social(const chat::Principal& who, HttpRequest& req,
                       const std::vector<std::string_view>& seg, HttpDone& done) {
  const std::string& m = req.method;
  auto fail = [&](const Error& e) {
    done(error_response(e));
    return true;
  };
  auto empty_ok = [done](Result<chat::Done> r) {
    if (!r) return done(error_response(r.error()));
    done(json_response(200, json::object{}));
  };

  if (seg.size() == 1 && seg[0] == "users") {
    if (m != "GET") return fail(method_not_allowed());
    Query q(req.query);
    auto prefix = q.get("prefix");
    if (!prefix) return fail(Error::make(Errc::kBadRequest, "parameter 'prefix' is required"));
    auto limit = q.get_int("limit", 20, 1, 50);
    if (!limit) return fail(limit.error());
    auto users = chat_.search_users(*prefix, static_cast<int>(*limit));
    if (!users) return fail(users.error());
    done(json_response(200, {{"users", users_json(*users)}}));
    return true;
  }
  if (seg.size() == 2 && seg[0] == "me" && seg[1] == "privacy") {
    auto settings_json = [](const store::PrivacySettings& s) {
      return json::object{{"hide_last_seen", s.hide_last_seen}, {"groups_add", s.groups_add}};
    };
    if (m == "GET") {
      auto settings = chat_.privacy(who);
      if (!settings) return fail(settings.error());
      done(json_response(200, settings_json(*settings)));
      return true;
    }
    if (m != "PATCH") return fail(method_not_allowed());
    auto body = protocol::parse_object(req.body);
    if (!body) return fail(body.error());
    std::optional<bool> hide;
    if (auto* v = body->if_contains("hide_last_seen")) {
      if (!v->is_bool()) return fail(Error::make(Errc::kBadRequest, "field 'hide_last_seen' must be true or false"));
      hide = v->as_bool();
    }
    auto groups_add = protocol::optional_string(*body, "groups_add");
    if (!groups_add) return fail(groups_add.error());
    const int64_t me = who.user.id;
    chat_.set_privacy(who, hide, std::move(*groups_add),
                      [this, me, done, hide, settings_json](Result<store::PrivacySettings> r) {
                        if (r && hide) hub_.privacy_changed(me, *hide);
                        if (!r) return done(error_response(r.error()));
                        done(json_response(200, settings_json(*r)));
                      });
    return true;
  }
  bool contacts = !seg.empty() && seg[0] == "contacts";
  bool blocks = !seg.empty() && seg[0] == "blocks";
  if (!contacts && !blocks) return false;
  if (seg.size() == 1) {
    if (m != "GET") return fail(method_not_allowed());
    if (contacts) {
      auto list = chat_.contacts(who);
      if (!list) return fail(list.error());
      json::array a;
      for (const auto& c : *list) a.push_back(contact_json(c));
      done(json_response(200, {{"contacts", std::move(a)}}));
    } else {
      auto list = chat_.blocked_users(who);
      if (!list) return fail(list.error());
      done(json_response(200, {{"users", users_json(*list)}}));
    }
    return true;
  }
  if (seg.size() != 2) return false;
  auto uid = protocol::parse_int(seg[1], "user id", 1);
  if (!uid) return fail(Error::make(Errc::kNotFound, "no such user"));
  if (m == "DELETE") {
    if (contacts)
      chat_.remove_contact(who, *uid, empty_ok);
    else
      chat_.set_block(who, *uid, false, empty_ok);
    return true;
  }
  if (m != "PUT") return fail(method_not_allowed());
  if (blocks) {
    const int64_t me = who.user.id, other = *uid;
    chat_.set_block(who, other, true, [this, me, other, done](Result<chat::Done> r) {
      if (!r) return done(error_response(r.error()));
      hub_.blocked(me, other);
      done(json_response(200, json::object{}));
    });
    return true;
  }
  std::string nickname;
  if (!req.body.empty()) {
    auto body = protocol::parse_object(req.body);
    if (!body) return fail(body.error());
    auto nick = protocol::optional_string(*body, "nickname");
    if (!nick) return fail(nick.error());
    nickname = nick->value_or("");
  }
  chat_.add_contact(who, *uid, std::move(nickname), [done](Result<store::ContactRecord> r) {
    if (!r) return done(error_response(r.error()));
    done(json_response(200, {{"contact", contact_json(*r)}}));
  });
  return true;
}

}  // namespace parley::api
