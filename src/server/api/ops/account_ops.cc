// Accounts and sessions (docs/protocol.md, "Accounts and sessions"): register, login,
// logout, sessions, the user's own record, finding users.
#include "common/address_key.h"
#include "common/clock.h"
#include "common/version.h"
#include "server/api/ops/requests.h"
#include "server/api/ops/table.h"
#include "server/api/wire.h"

namespace parley::api::ops {

namespace json = boost::json;

namespace {

json::object login_body(const chat::LoginResult& r) {
  return {{"user", wire::user(r.user)},
          {"token", r.token},
          {"session_id", r.session_id},
          {"expires_at", r.expires_at}};
}

// The per-address limit of register and login; an error when it is exhausted. Counted
// under address_key(): an IPv6 client's whole /64 shares one bucket.
Status admit_address(chat::RateLimiter& limiter, const std::string& address) {
  if (int64_t wait = limiter.acquire(address_key(address), steady_ms()); wait > 0) {
    Error e = Error::make(Errc::kRateLimited, "too many attempts from this address");
    e.retry_after_ms = wait;
    return e;
  }
  return Status();
}

struct Register {
  struct Request {
    chat::RegisterRequest fields;
  };
  static Result<Request> parse(const Args& a) {
    PARLEY_ARG(auto username, a.required_string("username"));
    PARLEY_ARG(auto password, a.required_string("password"));
    PARLEY_ARG(auto device, a.optional_string("device_name"));
    PARLEY_ARG(auto display, a.required_string("display_name"));
    return Request{{std::move(username), std::move(display), std::move(password), device.value_or("")}};
  }
  static void run(const Call& c, Request r, Reply reply) {
    if (Status s = admit_address(c.services->register_limiter, c.remote_address); !s) return reply(s.error());
    c.services->chat.register_user(
        std::move(r.fields),
        replying<chat::LoginResult>(std::move(reply), [](const auto& x) { return ok(login_body(x), 201); }));
  }
};

struct Login {
  struct Request {
    std::string username, password, device_name;
  };
  static Result<Request> parse(const Args& a) {
    PARLEY_ARG(auto username, a.required_string("username"));
    PARLEY_ARG(auto password, a.required_string("password"));
    PARLEY_ARG(auto device, a.optional_string("device_name"));
    return Request{std::move(username), std::move(password), device.value_or("")};
  }
  static void run(const Call& c, Request r, Reply reply) {
    if (Status s = admit_address(c.services->login_limiter, c.remote_address); !s) return reply(s.error());
    c.services->chat.login(
        std::move(r.username), std::move(r.password), std::move(r.device_name),
        replying<chat::LoginResult>(std::move(reply), [](const auto& x) { return ok(login_body(x)); }));
  }
};

struct Logout : NoFields {
  static void run(const Call& c, Request, Reply reply) {
    c.services->chat.logout(c.who, replying<chat::Done>(std::move(reply), [](const auto&) { return ok(); }));
  }
};

struct LogoutOthers : NoFields {
  static void run(const Call& c, Request, Reply reply) {
    c.services->chat.logout_others(c.who, replying<int64_t>(std::move(reply), [](int64_t n) {
                                     return ok({{"revoked", n}});
                                   }));
  }
};

struct Sessions : NoFields {
  static void run(const Call& c, Request, Reply reply) {
    auto s = c.services->chat.sessions(c.who);
    if (!s) return reply(s.error());
    json::array a;
    for (const auto& x : *s)
      a.push_back(json::object{{"id", x.id},
                               {"device_name", x.device_name},
                               {"created_at", x.created_at},
                               {"expires_at", x.expires_at},
                               {"current", x.id == c.who.session_id}});
    reply(ok({{"sessions", std::move(a)}}));
  }
};

struct RevokeSession {
  struct Request {
    int64_t session_id;
  };
  static Result<Request> parse(const Args& a) {
    PARLEY_ARG(auto id, a.required_int("session_id", 1));
    return Request{id};
  }
  static void run(const Call& c, Request r, Reply reply) {
    c.services->chat.revoke_session(c.who, r.session_id,
                                    replying<chat::Done>(std::move(reply), [](const auto&) { return ok(); }));
  }
};

// Over the WebSocket the answer may not arrive: the deletion ends this device's session
// too, and its socket closes with session_revoked (docs/protocol.md, "Deleting an account").
struct DeleteAccount {
  struct Request {
    std::string password;
  };
  static Result<Request> parse(const Args& a) {
    PARLEY_ARG(auto password, a.required_string("password"));
    return Request{std::move(password)};
  }
  static void run(const Call& c, Request r, Reply reply) {
    // A password check like login's, and as costly: counted under the login limit, so a
    // stolen token cannot be used to guess the password faster than logins can.
    if (Status s = admit_address(c.services->login_limiter, c.remote_address); !s) return reply(s.error());
    c.services->chat.delete_account(c.who, std::move(r.password),
                                    replying<chat::Done>(std::move(reply), [](const auto&) { return ok(); }));
  }
};

struct Me : NoFields {
  static void run(const Call& c, Request, Reply reply) { reply(ok({{"user", wire::user(c.who.user)}})); }
};

struct FindUser {
  struct Request {
    std::string username;
  };
  static Result<Request> parse(const Args& a) {
    PARLEY_ARG(auto name, a.required_string("username"));
    return Request{std::move(name)};
  }
  static void run(const Call& c, Request r, Reply reply) {
    auto u = c.services->chat.find_user(r.username);
    if (!u) return reply(u.error());
    reply(ok({{"user", wire::user(*u)}}));
  }
};

struct SearchUsers {
  struct Request {
    std::string prefix;
    int limit;
  };
  static Result<Request> parse(const Args& a) {
    PARLEY_ARG(auto prefix, a.required_string("prefix"));
    PARLEY_ARG(auto limit, a.optional_int("limit", 1, 50));
    return Request{std::move(prefix), static_cast<int>(limit.value_or(20))};
  }
  static void run(const Call& c, Request r, Reply reply) {
    auto users = c.services->chat.search_users(r.prefix, r.limit);
    if (!users) return reply(users.error());
    json::array a;
    for (const auto& u : *users) a.push_back(wire::user(u));
    reply(ok({{"users", std::move(a)}}));
  }
};

struct Version {
  struct Request {};
  static Result<Request> parse(const Args&) { return Request{}; }
  static void run(const Call&, Request, Reply reply) {
    reply(ok({{"version", build_version()}, {"commit", build_commit()}}));
  }
};

}  // namespace

void add_account_ops(std::vector<Operation>& ops) {
  ops.push_back({"version", "", "", "GET", "/api/v1/version", Runs::kIoThread, Body::kNone, Bucket::kNone,
                 false, parser<Version>()});
  ops.push_back({"register", "", "", "POST", "/api/v1/register", Runs::kWorker, Body::kRequired,
                 Bucket::kNone, false, parser<Register>()});
  ops.push_back({"login", "", "", "POST", "/api/v1/login", Runs::kWorker, Body::kRequired, Bucket::kNone,
                 false, parser<Login>()});
  ops.push_back({"logout", "", "", "POST", "/api/v1/logout", Runs::kCommitter, Body::kNone, Bucket::kOther,
                 true, parser<Logout>()});
  ops.push_back({"logout_others", "", "", "POST", "/api/v1/logout-others", Runs::kCommitter, Body::kNone,
                 Bucket::kOther, true, parser<LogoutOthers>()});
  ops.push_back({"sessions", "", "", "GET", "/api/v1/sessions", Runs::kWorker, Body::kNone, Bucket::kOther,
                 true, parser<Sessions>()});
  ops.push_back({"revoke_session", "", "", "DELETE", "/api/v1/sessions/{session_id}", Runs::kCommitter,
                 Body::kNone, Bucket::kOther, true, parser<RevokeSession>()});
  ops.push_back({"delete_account", "delete_account", "ok", "POST", "/api/v1/me/delete", Runs::kWorker,
                 Body::kRequired, Bucket::kOther, true, parser<DeleteAccount>()});
  ops.push_back(
      {"me", "", "", "GET", "/api/v1/me", Runs::kIoThread, Body::kNone, Bucket::kOther, true, parser<Me>()});
  ops.push_back({"find_user", "", "", "GET", "/api/v1/users/{username}", Runs::kWorker, Body::kNone,
                 Bucket::kOther, true, parser<FindUser>()});
  ops.push_back({"search_users", "", "", "GET", "/api/v1/users", Runs::kWorker, Body::kNone, Bucket::kOther,
                 true, parser<SearchUsers>()});
}

}  // namespace parley::api::ops
