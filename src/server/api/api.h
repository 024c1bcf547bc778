// The API: HTTP routes and WebSocket frames of docs/protocol.md mapped onto the domain.
// Transport-agnostic: net/ feeds it requests and frames through transport.h. Every
// operation is defined once in ops/ (ops/table.h); HTTP (http_routes.cc) and the WebSocket
// (ws_channel.cc) only wrap it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
#include <memory>
#include <string>
#include <vector>

#include "common/metrics.h"
#include "server/api/address_list.h"
#include "server/api/ops/operation.h"
#include "server/api/origin.h"
#include "server/api/presence_hub.h"
#include "server/api/request_log.h"
#include "server/chat/presence.h"
#include "server/api/transport.h"
#include "server/api/user_connections.h"
#include "server/bus/bus.h"
#include "server/chat/rate_limiter.h"
#include "server/chat/service.h"
#include "server/media/media_service.h"

namespace parley::api {

struct ApiOptions {
  OriginPolicy origins;        // which browser pages may change state or open WebSockets
  AddressList metrics_allow;   // peers that may read /metrics (default: none)
  AddressList admin_allow;     // peers that may use /admin/v1 (default: none)
  std::string admin_token;     // the admin API's bearer token; empty: no admin API
  double register_per_min = 10, register_burst = 10;
  double login_per_min = 20, login_burst = 20;
  std::size_t max_inflight_per_connection = 256;
  std::size_t max_ws_per_user = 32;  // authenticated WebSockets per account; 0: no limit
  // A request (a frame with a reply) on a connection that holds more queued, unread bytes
  // than this is refused with rate_limited instead of adding its reply; 0: never.
  std::size_t busy_queued_bytes = 1u << 20;
  // The same for the sum over all of an account's connections; 0: never.
  std::size_t busy_queued_bytes_per_user = 8u << 20;
};

class Api {
 public:
  Api(chat::ChatService& chat, bus::Bus& bus, Worker& worker, Metrics& metrics,
      chat::PresenceTracker& presence, PresenceHub& hub, media::MediaService& media,
      ApiOptions options);

  // Answers one HTTP request (healthz, readyz, metrics and everything under /api/).
  // `done` is called exactly once, from any thread. Thread-safe.
  void handle_http(HttpRequest request, HttpDone done);

  // ---- streamed uploads (media_routes.cc) ----------------------------------------------
  // An upload route takes its body as a stream: after reading the head, net/ asks
  // is_upload; if so it calls begin_upload, feeds the body (at most upload_limit() bytes)
  // to the sink as it arrives, and calls finish_upload once it is complete. Thread-safe.
  bool is_upload(std::string_view method, std::string_view path) const;
  uint64_t upload_limit() const;
  // Authenticates the head (on a worker). `done` gets a sink to go on with, or a null sink
  // and the answer to send. Called exactly once, from any thread.
  using UploadStarted = std::function<void(std::unique_ptr<UploadSink>, HttpResponse)>;
  void begin_upload(HttpRequest head, UploadStarted done);
  // The whole body has arrived: process it and answer (`done` exactly once, any thread).
  void finish_upload(std::unique_ptr<UploadSink> sink, HttpDone done);

  // Whether a WebSocket upgrade from `origin` (may be empty: no Origin header) to a
  // server addressed as `host` (the Host header), arrived as `arrival`, may proceed
  // (OriginPolicy::allows). Thread-safe.
  bool origin_allowed(std::string_view origin, std::string_view host, Arrival arrival) const;

  // The handler of a newly upgraded connection. A non-empty `bearer_token` (from the
  // upgrade's Authorization header) authenticates it at once; otherwise the first frame
  // must be `auth`. Call on the connection's strand.
  std::shared_ptr<WsHandler> open_ws(const std::shared_ptr<WsConnection>& connection,
                                     std::string bearer_token);

  // Readiness for /readyz; false while starting and once shutdown begins.
  void set_ready(bool ready) { ready_.store(ready); }
  bool ready() const { return ready_.load(); }

  chat::ChatService& chat() { return chat_; }
  bus::Bus& bus() { return bus_; }
  Worker& worker() { return worker_; }
  Metrics& metrics() { return metrics_; }
  chat::PresenceTracker& presence() { return presence_; }
  PresenceHub& presence_hub() { return hub_; }
  // What operations use (ops/operation.h).
  ops::Services& services() { return services_; }
  const ApiOptions& options() const { return options_; }
  UserConnections& user_connections() { return user_connections_; }

 private:
  void route(HttpRequest& request, HttpDone& done);
  // The cross-site request check of a state-changing request (any method but GET and HEAD):
  // its Origin must be allowed (kForbidden), and with `json_body` a body must be declared
  // application/json (kUnsupportedContentType). Reads pass. In origin.cc.
  Status check_cross_site(const HttpRequest& request, bool json_body) const;
  // Image metadata and downloads (media_routes.cc); false when not one of them.
  bool route_media(const chat::Principal& who, HttpRequest& request,
                   const std::vector<std::string_view>& seg, HttpDone& done);
  // GET /api/v1/me/export (export_route.cc); false when not that route.
  bool route_export(const chat::Principal& who, HttpRequest& request,
                    const std::vector<std::string_view>& seg, HttpDone& done);
  // GET /media/{id}/{variant}?u=&e=&s= : downloads by signed link, without a token.
  void route_signed_media(HttpRequest& request, HttpDone& done);
  // /admin/v1/... (admin_routes.cc).
  void route_admin(HttpRequest& request, HttpDone& done);
  bool admin_token_matches(std::string_view authorization) const;

  chat::ChatService& chat_;
  bus::Bus& bus_;
  Worker& worker_;
  Metrics& metrics_;
  chat::PresenceTracker& presence_;
  PresenceHub& hub_;
  media::MediaService& media_;
  const ApiOptions options_;
  chat::RateLimiter register_limiter_;
  chat::RateLimiter login_limiter_;
  chat::RateLimiter typing_limiter_;  // per user and conversation
  chat::RateLimiter export_limiter_;  // per user: data exports (export_route.cc)
  std::mutex exports_mu_;
  std::set<int64_t> exporting_;  // guarded by exports_mu_: users whose export is being written
  ops::Services services_;            // references to the above
  std::atomic<bool> ready_{false};
  RequestLog request_log_;
  UserConnections user_connections_{options_.max_ws_per_user};
};

// The domain's Notifier: encodes each committed change once and publishes it on the bus.
//
// Receipts in groups (more than two members) are coalesced: changes are collected per
// conversation for `receipt_window` and then sent as one `receipts` frame holding the
// latest watermarks of every member that moved, so a 256-member group reading a burst
// costs each device a few frames, not hundreds. Direct conversations get each `receipt`
// at once. A flusher thread does the sending; stop() flushes and joins it.
class EventPublisher final : public chat::Notifier {
 public:
  EventPublisher(bus::Bus& bus, Metrics& metrics,
                 std::chrono::milliseconds receipt_window = std::chrono::milliseconds(250));
  ~EventPublisher() override;
  void stop();

  void on_message(const store::AppendOutcome& outcome, uint64_t origin_connection) override;
  void on_receipt(const store::ReceiptOutcome& outcome) override;
  void on_conversation(const store::ConversationRecord& conversation, int64_t viewer_id) override;
  void on_sessions_revoked(int64_t user_id, const std::vector<int64_t>& session_ids) override;
  void on_message_changed(const store::MessageChange& change) override;
  void on_message_hidden(const store::HideOutcome& outcome) override;
  void on_reaction(const store::ReactionOutcome& outcome) override;
  void on_chat_state(const store::ChatStateOutcome& outcome) override;
  void on_played(const store::PlayOutcome& outcome) override;

 private:
  struct PendingReceipts {
    std::vector<int64_t> member_ids;
    std::map<int64_t, store::ReceiptOutcome> latest;  // by user id
  };
  void flush_loop();
  void publish_receipts(int64_t conversation_id, const PendingReceipts& pending);

  bus::Bus& bus_;
  Metrics& metrics_;
  const std::chrono::milliseconds window_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::unordered_map<int64_t, PendingReceipts> pending_;  // guarded by mu_
  bool stopping_ = false;                                 // guarded by mu_
  std::thread flusher_;
};

}  // namespace parley::api
