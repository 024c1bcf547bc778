// HTTP routes of docs/protocol.md. Every request runs on the Worker (it may read the
// store or hash a password); writes complete on the committer thread.
#include <boost/json/serialize.hpp>

#include "common/clock.h"
#include "protocol/json_fields.h"
#include "server/api/api.h"
#include "server/api/query.h"
#include "server/api/http_reply.h"
#include "server/api/wire.h"

namespace parley::api {

namespace json = boost::json;

namespace {

Error route_not_found() { return Error::make(Errc::kNotFound, "no such route"); }

// POST /api/v1/conversations/{id}/messages: limited by the send limit, not the one for
// other requests.
bool is_message_send(const HttpRequest& req) {
  if (req.method != "POST") return false;
  std::vector<std::string_view> seg = split_path(req.path);
  return seg.size() == 5 && seg[0] == "api" && seg[1] == "v1" && seg[2] == "conversations" &&
         seg[4] == "messages";
}

std::string bearer_token(std::string_view authorization) {
  constexpr std::string_view kPrefix = "Bearer ";
  if (authorization.size() > kPrefix.size() && authorization.substr(0, kPrefix.size()) == kPrefix)
    return std::string(authorization.substr(kPrefix.size()));
  return {};
}

json::object login_body(const chat::LoginResult& r) {
  return {{"user", wire::user(r.user)},
          {"token", r.token},
          {"session_id", r.session_id},
          {"expires_at", r.expires_at}};
}

}  // namespace

Api::Api(chat::ChatService& chat, bus::Bus& bus, Worker& worker, Metrics& metrics,
         chat::PresenceTracker& presence, PresenceHub& hub, media::MediaService& media,
         ApiOptions options)
    : chat_(chat),
      bus_(bus),
      worker_(worker),
      metrics_(metrics),
      presence_(presence),
      hub_(hub),
      media_(media),
      options_(std::move(options)),
      register_limiter_(options_.register_per_min / 60.0, options_.register_burst),
      login_limiter_(options_.login_per_min / 60.0, options_.login_burst),
      typing_limiter_(1.0, 3.0) {}

void Api::handle_http(HttpRequest request, HttpDone done) {
  metrics_.http_requests.add();
  // Wrap `done` so that every error answer is counted once, whoever produced it.
  HttpDone counted = [this, done = std::move(done)](HttpResponse r) {
    if (r.error) {
      metrics_.count_error(*r.error);
      if (*r.error == Errc::kRateLimited) metrics_.rate_limited.add();
    }
    done(std::move(r));
  };
  worker_.post([this, request = std::move(request), done = std::move(counted)]() mutable {
    route(request, done);
  });
}

void Api::route(HttpRequest& req, HttpDone& done) {
  const std::string& path = req.path;
  if (path == "/healthz") {
    if (req.method != "GET") return done(error_response(method_not_allowed()));
    return done(json_response(200, {{"status", "ok"}}));
  }
  if (path == "/readyz") {
    if (!ready()) return done(error_response(Error::make(Errc::kUnavailable, "not ready")));
    return done(json_response(200, {{"status", "ready"}}));
  }
  if (path == "/metrics") {
    // Behind a reverse proxy the peer is the proxy: see docs/protocol.md.
    if (!options_.metrics_allow.contains(req.remote_address))
      return done(error_response(Error::make(Errc::kForbidden, "this address may not read metrics")));
    std::string text = metrics_.render(bus_.subscriber_count());
    const store::StoreStats stats = chat_.store_stats();
    text += "# HELP parley_store_erase_purges_total Purges of erased message text from the search index and WAL.\n"
            "# TYPE parley_store_erase_purges_total counter\n"
            "parley_store_erase_purges_total " + std::to_string(stats.erase_purges) + "\n"
            "# HELP parley_store_erase_pending Whether a delete for everyone awaits its purge (0/1).\n"
            "# TYPE parley_store_erase_pending gauge\n"
            "parley_store_erase_pending " + std::to_string(stats.erase_pending ? 1 : 0) + "\n";
    return done(HttpResponse{200, std::move(text), 0, std::nullopt});
  }
  if (path.rfind("/api/", 0) == 0)
    if (Status s = check_cross_site(req, true); !s) return done(error_response(s.error()));
  if (path == "/api/v1/register" || path == "/api/v1/login") {
    if (req.method != "POST") return done(error_response(method_not_allowed()));
    bool is_register = path == "/api/v1/register";
    auto& limiter = is_register ? register_limiter_ : login_limiter_;
    if (int64_t wait = limiter.acquire(req.remote_address, steady_ms()); wait > 0) {
      Error e = Error::make(Errc::kRateLimited, "too many attempts from this address");
      e.retry_after_ms = wait;
      return done(error_response(e));
    }
    auto body = protocol::parse_object(req.body);
    if (!body) return done(error_response(body.error()));
    auto username = protocol::required_string(*body, "username");
    if (!username) return done(error_response(username.error()));
    auto password = protocol::required_string(*body, "password");
    if (!password) return done(error_response(password.error()));
    auto device = protocol::optional_string(*body, "device_name");
    if (!device) return done(error_response(device.error()));
    auto finish = [done, status = is_register ? 201 : 200](Result<chat::LoginResult> r) {
      if (!r) return done(error_response(r.error()));
      done(json_response(status, login_body(*r)));
    };
    if (!is_register)
      return chat_.login(std::move(*username), std::move(*password), device->value_or(""), finish);
    auto display = protocol::required_string(*body, "display_name");
    if (!display) return done(error_response(display.error()));
    return chat_.register_user(chat::RegisterRequest{std::move(*username), std::move(*display),
                                                     std::move(*password), device->value_or("")},
                               finish);
  }
  if (path.rfind("/media/", 0) == 0) return route_signed_media(req, done);
  if (path.rfind("/api/", 0) != 0) return done(error_response(route_not_found()));

  auto who = chat_.authenticate(bearer_token(req.authorization));
  if (!who) return done(error_response(who.error()));
  // Sending a message has its own limit; every other authenticated request is counted.
  if (!is_message_send(req))
    if (Status admitted = chat_.admit_request(*who); !admitted) return done(error_response(admitted.error()));
  route_authenticated(*who, req, done);
}

void Api::route_authenticated(const chat::Principal& who, HttpRequest& req, HttpDone& done) {
  std::vector<std::string_view> seg = split_path(req.path);  // {"api","v1",...}
  if (seg.size() < 3 || seg[0] != "api" || seg[1] != "v1") return done(error_response(route_not_found()));
  seg.erase(seg.begin(), seg.begin() + 2);
  const std::string& m = req.method;
  Query q(req.query);
  auto fail = [&](const Error& e) { done(error_response(e)); };
  auto empty_ok = [done](Result<chat::Done> r) {
    if (!r) return done(error_response(r.error()));
    done(json_response(200, json::object{}));
  };

  if (seg.size() == 1 && seg[0] == "logout") {
    if (m != "POST") return fail(method_not_allowed());
    return chat_.logout(who, empty_ok);
  }
  if (seg.size() == 1 && seg[0] == "logout-others") {
    if (m != "POST") return fail(method_not_allowed());
    return chat_.logout_others(who, [done](Result<int64_t> r) {
      if (!r) return done(error_response(r.error()));
      done(json_response(200, {{"revoked", *r}}));
    });
  }
  if (seg[0] == "sessions" && seg.size() <= 2) {
    if (seg.size() == 1) {
      if (m != "GET") return fail(method_not_allowed());
      auto s = chat_.sessions(who);
      if (!s) return fail(s.error());
      json::array a;
      for (const auto& x : *s)
        a.push_back(json::object{{"id", x.id},
                                 {"device_name", x.device_name},
                                 {"created_at", x.created_at},
                                 {"expires_at", x.expires_at},
                                 {"current", x.id == who.session_id}});
      return done(json_response(200, {{"sessions", std::move(a)}}));
    }
    if (m != "DELETE") return fail(method_not_allowed());
    auto id = protocol::parse_int(seg[1], "session id", 1);
    if (!id) return fail(Error::make(Errc::kNotFound, "no such live session"));
    return chat_.revoke_session(who, *id, empty_ok);
  }
  if (seg.size() == 1 && seg[0] == "me") {
    if (m != "GET") return fail(method_not_allowed());
    return done(json_response(200, {{"user", wire::user(who.user)}}));
  }
  if (seg.size() == 2 && seg[0] == "users") {
    if (m != "GET") return fail(method_not_allowed());
    auto u = chat_.find_user(percent_decode(seg[1]));
    if (!u) return fail(u.error());
    return done(json_response(200, {{"user", wire::user(*u)}}));
  }
  if (seg.size() == 1 && seg[0] == "sync") {
    if (m != "GET") return fail(method_not_allowed());
    auto since = q.get_int("since", 0, 0);
    if (!since) return fail(since.error());
    auto limit = q.get_int("limit", 100, 1, 200);
    if (!limit) return fail(limit.error());
    auto page = chat_.sync(who, *since, static_cast<int>(*limit));
    if (!page) return fail(page.error());
    return done(json_response(200, {{"version", page->version},
                                    {"has_more", page->has_more},
                                    {"conversations", wire::conversations(page->conversations, who.user.id)}}));
  }
  if (route_edits(who, req, seg, done)) return;
  if (route_groups(who, req, seg, done)) return;
  if (route_social(who, req, seg, done)) return;
  if (route_media(who, req, seg, done)) return;
  if (seg[0] != "conversations") return fail(route_not_found());

  if (seg.size() == 1) {
    if (m == "GET") {
      auto limit = q.get_int("limit", 50, 1, 200);
      if (!limit) return fail(limit.error());
      std::optional<int64_t> before;
      if (q.has("before")) {
        auto b = q.get_int("before", 0, 0);
        if (!b) return fail(b.error());
        before = *b;
      }
      auto page = chat_.conversations(who, before, static_cast<int>(*limit));
      if (!page) return fail(page.error());
      return done(json_response(200, {{"conversations", wire::conversations(page->items, who.user.id)},
                                      {"has_more", page->has_more}}));
    }
    if (m != "POST") return fail(method_not_allowed());
    auto body = protocol::parse_object(req.body);
    if (!body) return fail(body.error());
    auto peer_id = protocol::optional_int(*body, "peer_id", 1);
    if (!peer_id) return fail(peer_id.error());
    auto peer_name = protocol::optional_string(*body, "peer_username");
    if (!peer_name) return fail(peer_name.error());
    int64_t viewer = who.user.id;
    return chat_.open_direct(who, *peer_id, *peer_name, [done, viewer](Result<store::DirectOutcome> r) {
      if (!r) return done(error_response(r.error()));
      done(json_response(r->created ? 201 : 200,
                         {{"conversation", wire::conversation(r->conversation, viewer)},
                          {"created", r->created}}));
    });
  }

  auto conv_id = protocol::parse_int(seg[1], "conversation id", 1);
  if (!conv_id) return fail(Error::make(Errc::kNotFound, "no such conversation"));
  if (seg.size() == 2) {
    if (m != "GET") return fail(method_not_allowed());
    auto c = chat_.conversation(who, *conv_id);
    if (!c) return fail(c.error());
    return done(json_response(200, {{"conversation", wire::conversation(*c, who.user.id)}}));
  }
  if (seg.size() == 3 && seg[2] == "messages") {
    if (m == "GET") {
      store::HistoryQuery hq;
      hq.conversation_id = *conv_id;
      auto limit = q.get_int("limit", 50, 1, 200);
      if (!limit) return fail(limit.error());
      hq.limit = static_cast<int>(*limit);
      if (q.has("before")) {
        auto b = q.get_int("before", 0, 0);
        if (!b) return fail(b.error());
        hq.before = *b;
      }
      if (q.has("after")) {
        auto a = q.get_int("after", 0, 0);
        if (!a) return fail(a.error());
        hq.after = *a;
      }
      auto page = chat_.history(who, hq);
      if (!page) return fail(page.error());
      return done(json_response(200, {{"messages", wire::messages(page->items)},
                                      {"has_more", page->has_more}}));
    }
    if (m != "POST") return fail(method_not_allowed());
    auto body = protocol::parse_object(req.body);
    if (!body) return fail(body.error());
    auto client_id = protocol::required_string(*body, "client_id");
    if (!client_id) return fail(client_id.error());
    auto media_id = protocol::optional_string(*body, "media_id");
    if (!media_id) return fail(media_id.error());
    // With a photo the text is its caption and may be left out.
    auto text = protocol::optional_string(*body, "text");
    if (text && !text->has_value() && !media_id->has_value())
      text = Error::make(Errc::kBadRequest, "field 'text' is required");
    if (!text) return fail(text.error());
    return chat_.send(who, chat::SendRequest{*conv_id, std::move(*client_id), text->value_or(""),
                                             media_id->value_or("")}, 0,
                      [done](Result<store::AppendOutcome> r) {
                        if (!r) return done(error_response(r.error()));
                        done(json_response(200, {{"message", wire::message(r->message)},
                                                 {"duplicate", r->duplicate}}));
                      });
  }
  if (seg.size() == 3 && seg[2] == "receipts") {
    if (m != "POST") return fail(method_not_allowed());
    auto body = protocol::parse_object(req.body);
    if (!body) return fail(body.error());
    auto delivered = protocol::optional_int(*body, "delivered_seq", 1);
    if (!delivered) return fail(delivered.error());
    auto read = protocol::optional_int(*body, "read_seq", 1);
    if (!read) return fail(read.error());
    if (!delivered->has_value() && !read->has_value())
      return fail(Error::make(Errc::kBadRequest, "delivered_seq or read_seq is required"));
    return chat_.mark(who, *conv_id, delivered->value_or(0), read->value_or(0),
                      [done](Result<store::ReceiptOutcome> r) {
                        if (!r) return done(error_response(r.error()));
                        done(json_response(200, json::object{}));
                      });
  }
  return fail(route_not_found());
}

}  // namespace parley::api
