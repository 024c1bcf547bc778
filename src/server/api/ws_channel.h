// One WebSocket device as the API sees it: parses client frames, authenticates, runs the
// operation a frame names (ops/table.h) and wraps its answer with `type` and `id`, and
// receives bus events (as a bus::Subscriber).
// on_text/on_close run on the connection's strand; deliver/revoke and completion
// callbacks arrive from other threads and only enqueue through WsConnection.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include <boost/json/value.hpp>

#include "server/api/api.h"
#include "server/api/transport.h"
#include "server/bus/bus.h"

namespace parley::api {

class WsChannel final : public WsHandler,
                        public bus::Subscriber,
                        public std::enable_shared_from_this<WsChannel> {
 public:
  WsChannel(Api& api, const std::shared_ptr<WsConnection>& connection);

  // Starts header authentication (the upgrade carried a bearer token). Strand only.
  void authenticate_with(std::string token);

  // WsHandler
  void on_text(std::string_view frame) override;
  bool authenticated() const override { return principal_.has_value(); }
  void on_close() override;

  // bus::Subscriber
  uint64_t connection_id() const override { return connection_id_; }
  int64_t session_id() const override { return session_id_.load(); }
  void deliver(const std::shared_ptr<const std::string>& frame) override;
  void revoke() override;

 private:
  // `id` is the auth frame's id (null when it had none); nullopt for the upgrade's
  // Authorization header, whose `ready` answers no frame and so carries no id.
  void start_auth(std::string token, std::optional<boost::json::value> id);
  // Right after `ready`: the calls ringing for this user reach this device too.
  void ring_pending_calls();
  // An authenticated frame: ping, or the operation its type names.
  void dispatch(const std::string& type, const boost::json::object& frame, boost::json::value id);
  void send_error(const boost::json::value& id, const Error& e);
  void send_json(const boost::json::object& o);
  // An answer whose body (one JSON object) is already encoded, as {"type","id",...body}.
  void send_encoded(std::string_view type, const boost::json::value& id, std::string_view body);
  // Bounds the requests in flight, and refuses requests while the connection (or all the
  // account's connections) hold more than ApiOptions::busy_queued_bytes(_per_user) unread;
  // false (and an error sent) when refused.
  bool begin_request(const boost::json::value& id);
  void end_request() { inflight_.fetch_sub(1); }
  // The session's lifetime is over (checked at every client frame and every event).
  bool session_expired() const;

  Api& api_;
  const std::weak_ptr<WsConnection> connection_;
  const uint64_t connection_id_;
  // Strand-only state.
  std::optional<chat::Principal> principal_;
  bool auth_started_ = false;
  bool closed_ = false;
  // Any thread.
  std::atomic<int64_t> session_id_{0};
  std::atomic<std::size_t> inflight_{0};
};

}  // namespace parley::api
