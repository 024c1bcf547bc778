// The operator's API under /admin/v1/ (docs/operations.md), used by `parleyd admin`.
// Reachable only from the addresses in --admin-allow (default: loopback) and only with the
// admin token (--admin-token-file, default DATA_DIR/admin.token), compared in constant time.
// With no token configured the whole prefix answers 404, as if it did not exist.
#include <sodium.h>

#include "common/version.h"
#include "protocol/json_fields.h"
#include "server/api/api.h"
#include "server/api/http_reply.h"
#include "server/api/query.h"
#include "server/api/wire.h"

namespace parley::api {

namespace json = boost::json;

namespace {

Error no_route() { return Error::make(Errc::kNotFound, "no such route"); }

json::object admin_user_body(const chat::ChatService::AdminUser& a) {
  json::array sessions;
  for (const auto& s : a.sessions)
    sessions.push_back(json::object{{"id", s.id},
                                    {"device_name", s.device_name},
                                    {"created_at", s.created_at},
                                    {"expires_at", s.expires_at}});
  json::object body{{"user", wire::user(a.user)}, {"sessions", std::move(sessions)}};
  body["disabled_at"] = a.disabled_at ? json::value(*a.disabled_at) : json::value(nullptr);
  return body;
}

// Answers a write: the number of sessions it revoked.
std::function<void(Result<int64_t>)> revoked_reply(HttpDone done) {
  return [done = std::move(done)](Result<int64_t> r) {
    if (!r) return done(error_response(r.error()));
    done(json_response(200, {{"revoked_sessions", *r}}));
  };
}

}  // namespace

bool Api::admin_token_matches(std::string_view authorization) const {
  const std::string& want = options_.admin_token;
  const std::string got = bearer_token(authorization);
  if (want.empty() || got.size() != want.size()) return false;
  return sodium_memcmp(got.data(), want.data(), want.size()) == 0;
}

void Api::route_admin(HttpRequest& req, HttpDone& done) {
  if (options_.admin_token.empty()) return done(error_response(no_route()));
  if (!options_.admin_allow.contains(req.remote_address))
    return done(error_response(Error::make(Errc::kForbidden, "this address may not use the admin API")));
  if (!admin_token_matches(req.authorization))
    return done(error_response(Error::make(Errc::kUnauthenticated, "missing or wrong admin token")));
  if (Status s = check_cross_site(req, true); !s) return done(error_response(s.error()));

  const std::vector<std::string_view> seg = split_path(req.path);  // {"admin","v1",...}
  if (seg.size() < 3 || seg[1] != "v1") return done(error_response(no_route()));
  const std::string_view m = req.method;
  auto body = [&]() -> Result<json::object> { return protocol::parse_object(req.body); };

  if (seg.size() == 3 && seg[2] == "stats") {
    if (m != "GET") return done(error_response(method_not_allowed()));
    auto counts = chat_.admin_counts();
    if (!counts) return done(error_response(counts.error()));
    return done(json_response(200, {{"version", build_version()},
                                    {"commit", build_commit()},
                                    {"users", counts->users},
                                    {"disabled_users", counts->disabled_users},
                                    {"live_sessions", counts->live_sessions},
                                    {"conversations", counts->conversations},
                                    {"messages", counts->messages},
                                    {"connected_devices", bus_.subscriber_count()}}));
  }
  if (seg.size() < 3 || seg[2] != "users") return done(error_response(no_route()));
  if (seg.size() == 3) {
    if (m == "GET") {
      const Query q(req.query);
      auto limit = q.get_int("limit", 50, 1, 50);
      if (!limit) return done(error_response(limit.error()));
      auto users = chat_.search_users(q.get("prefix").value_or(""), static_cast<int>(*limit));
      if (!users) return done(error_response(users.error()));
      json::array a;
      for (const auto& u : *users) a.push_back(wire::user(u));
      return done(json_response(200, {{"users", std::move(a)}}));
    }
    if (m == "POST") {
      auto o = body();
      if (!o) return done(error_response(o.error()));
      auto username = protocol::required_string(*o, "username");
      if (!username) return done(error_response(username.error()));
      auto display = protocol::required_string(*o, "display_name");
      if (!display) return done(error_response(display.error()));
      auto password = protocol::required_string(*o, "password");
      if (!password) return done(error_response(password.error()));
      return chat_.admin_create_user(std::move(*username), std::move(*display), std::move(*password),
                                     [done](Result<store::UserRecord> r) {
                                       if (!r) return done(error_response(r.error()));
                                       done(json_response(201, {{"user", wire::user(*r)}}));
                                     });
    }
    return done(error_response(method_not_allowed()));
  }
  const std::string username = percent_decode(seg[3]);
  if (seg.size() == 4) {
    if (m == "DELETE") return chat_.admin_delete_user(username, revoked_reply(done));
    if (m != "GET") return done(error_response(method_not_allowed()));
    auto user = chat_.admin_user(username);
    if (!user) return done(error_response(user.error()));
    return done(json_response(200, admin_user_body(*user)));
  }
  if (seg.size() != 5) return done(error_response(no_route()));
  const std::string_view action = seg[4];
  if (action == "password") {
    if (m != "PUT") return done(error_response(method_not_allowed()));
    auto o = body();
    if (!o) return done(error_response(o.error()));
    auto password = protocol::required_string(*o, "password");
    if (!password) return done(error_response(password.error()));
    return chat_.admin_set_password(username, std::move(*password), revoked_reply(done));
  }
  if (action == "disable" || action == "enable") {
    if (m != "POST") return done(error_response(method_not_allowed()));
    return chat_.admin_set_disabled(username, action == "disable", revoked_reply(done));
  }
  if (action == "sessions") {
    if (m != "DELETE") return done(error_response(method_not_allowed()));
    return chat_.admin_revoke_sessions(username, revoked_reply(done));
  }
  done(error_response(no_route()));
}

}  // namespace parley::api
