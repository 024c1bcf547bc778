#include "server/api/ws_channel.h"

#include <boost/json/serialize.hpp>

#include "common/clock.h"
#include "protocol/json_fields.h"
#include "server/api/call_events.h"
#include "server/api/ops/table.h"
#include "server/api/wire.h"

namespace parley::api {

namespace json = boost::json;

namespace {

constexpr int kHeartbeatMs = 20000;

Error bad(std::string message) { return Error::make(Errc::kBadRequest, std::move(message)); }

}  // namespace

std::shared_ptr<WsHandler> Api::open_ws(const std::shared_ptr<WsConnection>& connection,
                                        std::string bearer_token) {
  auto channel = std::make_shared<WsChannel>(*this, connection);
  if (!bearer_token.empty()) channel->authenticate_with(std::move(bearer_token));
  return channel;
}

WsChannel::WsChannel(Api& api, const std::shared_ptr<WsConnection>& connection)
    : api_(api), connection_(connection), connection_id_(connection->id()) {}

void WsChannel::send_json(const json::object& o) {
  if (auto c = connection_.lock()) c->send(wire::frame(o));
}

void WsChannel::send_encoded(std::string_view type, const json::value& id, std::string_view body) {
  // {"type":T,"id":I, then the body's fields: the body is one JSON object.
  std::string text = R"({"type":")";
  text += type;
  text += R"(","id":)";
  text += json::serialize(id);
  if (body.size() > 2) {
    text += ',';
    text.append(body.substr(1));
  } else {
    text += '}';
  }
  if (auto c = connection_.lock()) c->send(std::make_shared<const std::string>(std::move(text)));
}

void WsChannel::send_error(const json::value& id, const Error& e) {
  api_.metrics().count_error(e.code);
  if (e.code == Errc::kRateLimited) api_.metrics().rate_limited.add();
  if (auto c = connection_.lock())
    c->send(std::make_shared<const std::string>(wire::error_frame(id, e)));
}

void WsChannel::authenticate_with(std::string token) { start_auth(std::move(token), std::nullopt); }

void WsChannel::start_auth(std::string token, std::optional<json::value> id) {
  auth_started_ = true;
  auto self = shared_from_this();
  api_.worker().post([self, token = std::move(token), id = std::move(id)]() mutable {
    auto who = self->api_.chat().authenticate(token);
    auto version = who ? self->api_.chat().current_version() : Result<int64_t>(0);
    auto conn = self->connection_.lock();
    if (!conn) return;
    conn->post([self, who = std::move(who), version = std::move(version), id = std::move(id)]() mutable {
      if (self->closed_) return;
      if (!who || !version) {
        const Error& e = !who ? who.error() : version.error();
        self->send_error(id.value_or(nullptr), e);
        if (auto c = self->connection_.lock()) c->close(4001, "unauthenticated");
        return;
      }
      self->principal_ = std::move(*who);
      self->session_id_.store(self->principal_->session_id);
      if (auto c = self->connection_.lock()) {
        c->on_authenticated();
        // Beyond the account's cap its oldest connections give way to this one.
        for (auto& old : self->api_.user_connections().add(self->principal_->user.id,
                                                                     self->principal_->session_id,
                                                                     self->connection_id_, c))
          old->close(4009, "too many connections for this account");
      }
      self->api_.bus().subscribe(self->principal_->user.id, self);
      self->api_.presence().connected(self->principal_->user.id);
      json::object ready{{"type", "ready"},
                         {"user", wire::user(self->principal_->user)},
                         {"session_id", self->principal_->session_id},
                         {"heartbeat_ms", kHeartbeatMs},
                         {"version", *version}};
      // An answer always has the `id` key (null when the auth frame had none).
      if (id) ready["id"] = *id;
      self->send_json(ready);
      self->ring_pending_calls();
    });
  });
}

void WsChannel::on_text(std::string_view text) {
  if (closed_) return;
  auto frame = protocol::parse_object(text);
  if (!frame && !principal_ && !auth_started_) {
    // Before authentication only a well-formed `auth` frame is acceptable.
    send_error(nullptr, Error::make(Errc::kUnauthenticated, "the first frame must be auth"));
    if (auto c = connection_.lock()) c->close(4001, "unauthenticated");
    return;
  }
  if (!frame) return send_error(nullptr, frame.error());
  auto frame_id = protocol::frame_id(*frame);
  if (!frame_id) return send_error(nullptr, frame_id.error());
  json::value id = std::move(*frame_id);
  auto type = protocol::required_string(*frame, "type");
  if (!type) return send_error(id, type.error());

  if (!principal_) {
    if (*type == "auth" && !auth_started_) {
      auto token = protocol::required_string(*frame, "token");
      if (!token) {
        send_error(id, Error::make(Errc::kUnauthenticated, "auth needs a token"));
        if (auto c = connection_.lock()) c->close(4001, "unauthenticated");
        return;
      }
      return start_auth(std::move(*token), id);
    }
    if (auth_started_) return send_error(id, Error::make(Errc::kUnauthenticated, "authentication in progress"));
    send_error(id, Error::make(Errc::kUnauthenticated, "the first frame must be auth"));
    if (auto c = connection_.lock()) c->close(4001, "unauthenticated");
    return;
  }
  if (session_expired()) {
    send_error(id, Error::make(Errc::kUnauthenticated, "the session expired; log in again"));
    if (auto c = connection_.lock()) c->close(4001, "session expired");
    return;
  }
  dispatch(*type, *frame, std::move(id));
}

bool WsChannel::session_expired() const {
  return principal_ && principal_->expires_at > 0 && now_ms() >= principal_->expires_at;
}

bool WsChannel::begin_request(const json::value& id) {
  // A client that does not read what it asked for gets no more to not read: the reply
  // would only grow its queue (and the server's memory).
  const std::size_t busy = api_.options().busy_queued_bytes;
  const std::size_t busy_user = api_.options().busy_queued_bytes_per_user;
  auto c = connection_.lock();
  if ((c && busy > 0 && c->queued_bytes() > busy) ||
      (principal_ && busy_user > 0 && api_.user_connections().queued_bytes(principal_->user.id) > busy_user)) {
    Error e = Error::make(Errc::kRateLimited, "too much unread data on this connection or account; read it first");
    e.retry_after_ms = 1000;
    send_error(id, e);
    return false;
  }
  if (inflight_.fetch_add(1) >= api_.options().max_inflight_per_connection) {
    inflight_.fetch_sub(1);
    Error e = Error::make(Errc::kRateLimited, "too many requests in flight on this connection");
    e.retry_after_ms = 100;
    send_error(id, e);
    return false;
  }
  return true;
}

void WsChannel::dispatch(const std::string& type, const json::object& f, json::value id) {
  const ops::Operation* op = ops::find_frame(type);
  // Sends have their own limit (in ChatService::send); every other frame, even one of an
  // unknown type, takes a token from the user's bucket for other requests.
  if (!op || op->bucket != ops::Bucket::kSend)
    if (Status admitted = api_.chat().admit_request(*principal_); !admitted) return send_error(id, admitted.error());
  if (type == "ping") return send_json({{"type", "pong"}, {"id", id}});
  if (type == "auth") return send_error(id, bad("already authenticated"));
  if (!op) return send_error(id, bad("unknown frame type '" + type + "'"));

  auto bound = op->parse(ops::Args(f));
  if (!bound) return send_error(id, bound.error());
  if (!begin_request(id)) return;
  auto self = shared_from_this();
  ops::Call call{&api_.services(), *principal_, connection_id_, self, {}};
  ops::Reply reply = [self, id, answer = op->answer](Result<ops::Answer> r) {
    self->end_request();
    if (!r) return self->send_error(id, r.error());
    if (!r->encoded.empty()) return self->send_encoded(answer, id, r->encoded);
    json::object frame{{"type", answer}, {"id", id}};
    for (auto& field : r->body) frame.insert(std::move(field));
    self->send_json(frame);
  };
  if (op->runs == ops::Runs::kWorker)
    return api_.worker().post([bound = std::move(*bound), call = std::move(call), reply = std::move(reply)] {
      bound(call, reply);
    });
  (*bound)(call, std::move(reply));
}

void WsChannel::ring_pending_calls() {
  chat::CallService* calls = api_.services().calls;
  if (!calls) return;
  // After subscribing: a call that starts meanwhile may arrive twice (clients go by call_id),
  // never not at all.
  auto self = shared_from_this();
  api_.worker().post([self, calls, who = *principal_] {
    auto ringing = calls->ringing_for(who);
    if (!ringing || ringing->empty()) return;
    if (auto c = self->connection_.lock())
      for (const auto& call : *ringing) c->send(call_incoming_frame(call, call.offer_sdp));
  });
}

void WsChannel::on_close() {
  closed_ = true;
  if (!principal_) return;
  if (chat::CallService* calls = api_.services().calls) calls->connection_closed(connection_id_);
  api_.user_connections().remove(principal_->user.id, connection_id_);
  api_.bus().unsubscribe(principal_->user.id, connection_id_);
  api_.presence_hub().drop(connection_id_);
  api_.presence().disconnected(principal_->user.id);
}

void WsChannel::deliver(const std::shared_ptr<const std::string>& frame) {
  auto c = connection_.lock();
  if (!c) return;
  // An expired session gets no more events: the connection ends at the first one (or at
  // the client's next frame, see on_text), as a revoked one does.
  if (session_expired()) return c->close(4001, "session expired");
  c->send_event(frame);
}

void WsChannel::revoke() {
  if (auto c = connection_.lock()) {
    c->send(wire::frame({{"type", "session_revoked"}}));
    c->close(4001, "session revoked");
  }
}

}  // namespace parley::api
