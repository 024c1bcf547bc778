#include "client/engine.h"

#include <boost/json/serialize.hpp>

#include "client/json_util.h"
#include "protocol/json_fields.h"

namespace parley::client {

namespace json = boost::json;

void Engine::set_connection_state(const std::string& state, int64_t retry_in_ms) {
  json::object u{{"type", "connection_state"}, {"state", state}};
  if (retry_in_ms >= 0) u["retry_in_ms"] = retry_in_ms;
  emit(std::move(u));
}

void Engine::connect() {
  if (stopping_ || token_.empty() || ws_) return;
  set_connection_state("connecting");
  WsConnection::Handlers handlers;
  // The connection object outlives none of these captures: the engine owns it and closes it
  // before destruction, and callbacks stop after on_closed.
  handlers.on_open = [this] { on_open(); };
  handlers.on_frame = [this](std::string frame) { on_frame(frame); };
  handlers.on_closed = [this](int code, std::string reason) { on_closed(code, reason); };
  ws_ = WsConnection::connect(io_, server_, token_, std::move(handlers));
}

void Engine::on_open() {
  // Authenticated by header: the server's first frame is "ready" (handled in on_frame).
}

void Engine::on_frame(const std::string& text) {
  auto parsed = protocol::parse_object(text);
  if (!parsed) return;  // the server speaks JSON; a broken frame is dropped, not fatal
  const json::object& frame = *parsed;
  const std::string type = string_field(frame, "type");
  if (const json::value* id = frame.if_contains("id"); id && id->is_int64()) {
    auto it = in_flight_.find(id->as_int64());
    if (it != in_flight_.end()) {
      FrameDone done = std::move(it->second);
      in_flight_.erase(it);
      done(frame);
    }
    return;
  }
  if (type == "ready") {
    ready_ = true;
    backoff_.reset();
    if (const json::value* user = frame.if_contains("user"); user && user->is_object()) {
      (void)store_->put_user(user_from_json(user->as_object()));
    }
    set_connection_state("ready");
    pump_outbox();
    sync();
    return;
  }
  apply_event(type, frame);
}

void Engine::request(json::object frame, FrameDone done) {
  if (!ready_ || !ws_) {
    done(error_object(Error::make(Errc::kUnavailable, "not connected")));
    return;
  }
  const int64_t id = next_frame_id_++;
  frame["id"] = id;
  in_flight_.emplace(id, std::move(done));
  ws_->send(json::serialize(frame));
}

void Engine::on_closed(int code, const std::string& reason) {
  ws_.reset();
  ready_ = false;
  syncing_ = false;
  resync_ = false;
  // Requests without an answer fail now; their owners retry after the next connect.
  auto pending = std::move(in_flight_);
  in_flight_.clear();
  for (auto& [id, done] : pending) {
    done(error_object(Error::make(Errc::kUnavailable, "connection lost: " + reason)));
  }
  if (stopping_) return;
  if (code == 4001) {
    // The session was revoked or expired: only logging in again helps.
    token_.clear();
    (void)store_->set_setting("token", "");
    set_connection_state("logged_out");
    emit({{"type", "authorization_state"}, {"state", "logged_out"}});
    return;
  }
  if (code == 4009) {
    // Another connection of this account replaced us; reconnecting would take turns with it.
    replaced_ = true;
    set_connection_state("replaced");
    return;
  }
  schedule_reconnect();
}

void Engine::schedule_reconnect() {
  if (stopping_ || replaced_ || token_.empty()) return;
  const auto delay = backoff_.next_delay();
  set_connection_state("waiting", delay.count());
  reconnect_timer_.expires_after(delay);
  reconnect_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    connect();
  });
}

void Engine::shutdown() {
  stopping_ = true;
  reconnect_timer_.cancel();
  outbox_timer_.cancel();
  if (ws_) ws_->close();
}

}  // namespace parley::client
