// HTTP routes for groups (docs/protocol.md, "Groups").
#include "protocol/json_fields.h"
#include "server/api/api.h"
#include "server/api/http_reply.h"
#include "server/api/wire.h"

namespace parley::api {

namespace json = boost::json;

namespace {

// Reads an optional array of ids ("<key>_ids") and/or usernames ("<key>_usernames").
Result<std::vector<int64_t>> user_list(chat::ChatService& chat, const json::object& body,
                                       const std::string& prefix) {
  std::vector<int64_t> ids;
  if (auto* v = body.if_contains(prefix + "_ids")) {
    if (!v->is_array()) return Error::make(Errc::kBadRequest, "field '" + prefix + "_ids' must be an array of integers");
    for (const auto& x : v->as_array()) {
      if (!x.is_int64() || x.as_int64() < 1)
        return Error::make(Errc::kBadRequest, "field '" + prefix + "_ids' must be an array of integers");
      ids.push_back(x.as_int64());
    }
  }
  if (auto* v = body.if_contains(prefix + "_usernames")) {
    if (!v->is_array()) return Error::make(Errc::kBadRequest, "field '" + prefix + "_usernames' must be an array of strings");
    std::vector<std::string> names;
    for (const auto& x : v->as_array()) {
      if (!x.is_string()) return Error::make(Errc::kBadRequest, "field '" + prefix + "_usernames' must be an array of strings");
      names.emplace_back(x.as_string().c_str());
    }
    auto resolved = chat.user_ids(names);
    if (!resolved) return resolved.error();
    ids.insert(ids.end(), resolved->begin(), resolved->end());
  }
  if (ids.size() > 1024) return Error::make(Errc::kInvalidArgument, "too many users in one request");
  return ids;
}

}  // namespace

bool Api::route_groups(const chat::Principal& who, HttpRequest& req,
                       const std::vector<std::string_view>& seg, HttpDone& done) {
  const std::string& m = req.method;
  auto fail = [&](const Error& e) { done(error_response(e)); };
  int64_t viewer = who.user.id;
  auto conversation_reply = [done, viewer](int status) {
    return [done, viewer, status](Result<store::ConversationRecord> r) {
      if (!r) return done(error_response(r.error()));
      done(json_response(status, {{"conversation", wire::conversation(*r, viewer)}}));
    };
  };
  auto empty_ok = [done](Result<chat::Done> r) {
    if (!r) return done(error_response(r.error()));
    done(json_response(200, json::object{}));
  };

  if (seg.size() == 1 && seg[0] == "groups") {
    if (m != "POST") {
      fail(method_not_allowed());
      return true;
    }
    auto body = protocol::parse_object(req.body);
    if (!body) return fail(body.error()), true;
    auto name = protocol::required_string(*body, "name");
    if (!name) return fail(name.error()), true;
    auto description = protocol::optional_string(*body, "description");
    if (!description) return fail(description.error()), true;
    auto members = user_list(chat_, *body, "member");
    if (!members) return fail(members.error()), true;
    chat_.create_group(who, std::move(*name), description->value_or(""), std::move(*members),
                       conversation_reply(201));
    return true;
  }
  if (seg.size() < 2 || seg[0] != "conversations") return false;
  auto conv = protocol::parse_int(seg[1], "conversation id", 1);
  if (!conv) return fail(Error::make(Errc::kNotFound, "no such conversation")), true;

  if (seg.size() == 2 && m == "PATCH") {
    auto body = protocol::parse_object(req.body);
    if (!body) return fail(body.error()), true;
    auto name = protocol::optional_string(*body, "name");
    if (!name) return fail(name.error()), true;
    auto description = protocol::optional_string(*body, "description");
    if (!description) return fail(description.error()), true;
    chat_.update_group(who, *conv, std::move(*name), std::move(*description), conversation_reply(200));
    return true;
  }
  if (seg.size() == 3 && seg[2] == "leave") {
    if (m != "POST") return fail(method_not_allowed()), true;
    chat_.leave_group(who, *conv, empty_ok);
    return true;
  }
  if (seg.size() == 3 && seg[2] == "members") {
    if (m == "GET") {
      auto members = chat_.group_members(who, *conv);
      if (!members) return fail(members.error()), true;
      json::array a;
      for (const auto& x : *members) a.push_back(wire::member(x));
      done(json_response(200, {{"members", std::move(a)}}));
      return true;
    }
    if (m != "POST") return fail(method_not_allowed()), true;
    auto body = protocol::parse_object(req.body);
    if (!body) return fail(body.error()), true;
    auto users = user_list(chat_, *body, "user");
    if (!users) return fail(users.error()), true;
    chat_.add_members(who, *conv, std::move(*users), conversation_reply(200));
    return true;
  }
  if (seg.size() == 4 && seg[2] == "members") {
    auto uid = protocol::parse_int(seg[3], "user id", 1);
    if (!uid) return fail(Error::make(Errc::kNotFound, "that user is not a member")), true;
    if (m == "DELETE") {
      chat_.remove_member(who, *conv, *uid, empty_ok);
      return true;
    }
    if (m != "PATCH") return fail(method_not_allowed()), true;
    auto body = protocol::parse_object(req.body);
    if (!body) return fail(body.error()), true;
    auto role = protocol::required_string(*body, "role");
    if (!role) return fail(role.error()), true;
    chat_.set_member_role(who, *conv, *uid, std::move(*role), empty_ok);
    return true;
  }
  if (seg.size() == 5 && seg[2] == "messages" && seg[4] == "receipts") {
    if (m != "GET") return fail(method_not_allowed()), true;
    auto seq = protocol::parse_int(seg[3], "seq", 1);
    if (!seq) return fail(seq.error()), true;
    auto receipts = chat_.message_receipts(who, *conv, *seq);
    if (!receipts) return fail(receipts.error()), true;
    json::array a;
    for (const auto& r : *receipts) {
      json::object o{{"user", wire::user(r.user)}};
      o["delivered_at"] = r.delivered_at ? json::value(*r.delivered_at) : json::value(nullptr);
      o["read_at"] = r.read_at ? json::value(*r.read_at) : json::value(nullptr);
      a.push_back(std::move(o));
    }
    done(json_response(200, {{"receipts", std::move(a)}}));
    return true;
  }
  return false;
}

}  // namespace parley::api
