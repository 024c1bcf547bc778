// parleyd: wires the layers together and runs until SIGTERM/SIGINT.
#include <cstdio>
#include <filesystem>
#include <atomic>
#include <fstream>
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include <spdlog/spdlog.h>

#include "common/hex.h"
#include "common/logging.h"
#include "common/metrics.h"
#include "common/version.h"
#include "server/api/api.h"
#include "server/api/call_events.h"
#include "server/api/presence_hub.h"
#include "server/chat/presence.h"
#include "server/bus/cluster_presence.h"
#include "server/bus/cluster_sessions.h"
#include "server/bus/local_bus.h"
#include "server/bus/nats_bus.h"
#include "server/chat/calls.h"
#include "server/chat/service.h"
#include "server/admin_cli.h"
#include "server/config.h"
#include "server/data_dir_lock.h"
#include "server/media/fs_media_store.h"
#include "server/media/image_processor.h"
#include "server/media/media_service.h"
#include "server/net/send_batch.h"
#include "server/net/server.h"
#include "server/push/delivery.h"
#include "server/push/https_client.h"
#include "server/push/notifier.h"
#include "server/push/preferences.h"
#include "server/push/push_api.h"
#include "server/push/registrations.h"
#include "server/push/vapid.h"
#include "server/store/postgres/import_sqlite.h"
#include "server/store/postgres/pg_store.h"
#include "server/store/sqlite/sqlite_store.h"

#if defined(__SANITIZE_ADDRESS__)
// LeakSanitizer (the ASan build) would fail every exit on what libvips and GLib keep for
// the life of the process (type registrations, thread pools, caches): not ours, not leaks.
extern "C" const char* __lsan_default_suppressions() {
  return "leak:libvips.so\nleak:libglib-2.0.so\nleak:libgobject-2.0.so\nleak:libgio-2.0.so\n"
         "leak:libgmodule-2.0.so\nleak:libheif.so\nleak:libfontconfig.so\n";
}
#endif

namespace {

// "host:port" or "[v6]:port".
bool split_listen(const std::string& listen, std::string& host, uint16_t& port) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) return false;
  host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  try {
    int p = std::stoi(listen.substr(colon + 1));
    if (p < 0 || p > 65535) return false;
    port = static_cast<uint16_t>(p);
  } catch (...) {
    return false;
  }
  return !host.empty();
}

// The configured store: the embedded SQLite file in data_dir, or PostgreSQL. nullopt
// (logged) when it cannot be opened.
std::optional<std::unique_ptr<parley::store::Store>> open_store(const parley::Config& c) {
  using namespace parley;
  if (store::is_pg_uri(c.store)) {
    store::PgOptions pg;
    pg.uri = c.store;
    pg.reader_connections = static_cast<int>(c.store_connections);
    pg.erase_purge_delay_ms = static_cast<int>(c.erase_purge_delay_ms);
    auto opened = store::open_pg_store(pg);
    if (!opened) {
      // The URI may hold a password: name the store, not the string.
      spdlog::critical("cannot open the PostgreSQL store: {}", opened.error().message);
      return std::nullopt;
    }
    spdlog::info("store: PostgreSQL");
    return std::move(opened).value();
  }
  store::SqliteOptions sqlite;
  sqlite.path = (std::filesystem::path(c.data_dir) / "parley.db").string();
  sqlite.erase_purge_delay_ms = static_cast<int>(c.erase_purge_delay_ms);
  sqlite.flush_after_commit = c.sqlite_flush_after_commit;
  auto opened = store::open_sqlite_store(sqlite);
  if (!opened) {
    spdlog::critical("cannot open {}: {}", sqlite.path, opened.error().message);
    return std::nullopt;
  }
  return std::move(opened).value();
}

// `parleyd migrate --from DATA_DIR --to postgresql://...` (postgres/import_sqlite.h):
// prints a line per table copied, then per table the rows and checksums of both sides.
// Exit status 0 when every table matches, 1 when not, 2 on a usage error.
int run_migrate(int argc, char** argv) {
  std::string from;
  std::string to;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--from") from = argv[i + 1];
    if (flag == "--to") to = argv[i + 1];
  }
  if (from.empty() || !parley::store::is_pg_uri(to) || argc != 6) {
    std::fputs("usage: parleyd migrate --from DATA_DIR --to postgresql://USER@HOST:PORT/DB\n",
               stderr);
    return 2;
  }
  auto report = parley::store::import_sqlite(
      from, to, [](const std::string& line) { std::printf("%s\n", line.c_str()); });
  if (!report) {
    std::fprintf(stderr, "parleyd migrate: %s\n", report.error().message.c_str());
    return 1;
  }
  std::printf("%-16s %12s %12s  %s\n", "table", "source rows", "target rows", "checksum");
  for (const auto& t : report->tables) {
    std::printf("%-16s %12lld %12lld  %s %s\n", t.table.c_str(),
                static_cast<long long>(t.source_rows), static_cast<long long>(t.target_rows),
                t.target_checksum.substr(0, 16).c_str(), t.matches() ? "ok" : "MISMATCH");
  }
  std::printf(report->verified() ? "verified: the copy matches\n" : "the copy does NOT match\n");
  return report->verified() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace parley;
  if (argc > 1 && std::string(argv[1]) == "migrate") return run_migrate(argc, argv);
  if (argc > 1 && std::string(argv[1]) == "admin") return run_admin(argc, argv);
  auto config = load_config(argc, argv);
  if (!config) {
    std::fprintf(stderr, "parleyd: %s\n", config.error().message.c_str());
    return 2;
  }
  if (config->help) {
    std::fputs(usage().c_str(), stdout);
    return 0;
  }
  if (config->version) {
    std::printf("parleyd %s (commit %s)\n", build_version(), build_commit());
    return 0;
  }
  const Config& c = *config;
  if (Status s = configure_logging(c.log_level, c.log_format); !s) {
    std::fprintf(stderr, "parleyd: %s\n", s.error().message.c_str());
    return 2;
  }
  chat::init_crypto();

  net::ServerOptions so;
  if (!split_listen(c.listen, so.host, so.port)) {
    std::fprintf(stderr, "parleyd: --listen wants HOST:PORT, got '%s'\n", c.listen.c_str());
    return 2;
  }
  auto origins = api::OriginPolicy::make(c.public_origins, c.allowed_origins);
  if (!origins) {
    std::fprintf(stderr, "parleyd: %s\n", origins.error().message.c_str());
    return 2;
  }
  auto metrics_allow = api::AddressList::parse(c.metrics_allow);
  if (!metrics_allow) {
    std::fprintf(stderr, "parleyd: --metrics-allow: %s\n", metrics_allow.error().message.c_str());
    return 2;
  }
  auto admin_allow = api::AddressList::parse(c.admin_allow);
  if (!admin_allow) {
    std::fprintf(stderr, "parleyd: --admin-allow: %s\n", admin_allow.error().message.c_str());
    return 2;
  }
  auto trusted_proxies = api::AddressList::parse(c.trusted_proxies);
  if (!trusted_proxies) {
    std::fprintf(stderr, "parleyd: --trusted-proxies: %s\n", trusted_proxies.error().message.c_str());
    return 2;
  }
  Result<std::vector<std::string>> nats_servers = std::vector<std::string>{};
  if (c.bus != "local") nats_servers = bus::parse_nats_servers(c.bus);
  if (!nats_servers) {
    std::fprintf(stderr, "parleyd: --bus: %s\n", nats_servers.error().message.c_str());
    return 2;
  }
  so.io_threads = static_cast<int>(c.io_threads);
  so.worker_threads = static_cast<int>(c.worker_threads);
  so.web_root = c.web_root;
  so.tls_cert_file = c.tls_cert;
  so.tls_key_file = c.tls_key;
  so.ws_idle_timeout_ms = c.ws_idle_timeout_ms;
  so.ws_auth_timeout_ms = c.ws_auth_timeout_ms;
  so.max_connections = static_cast<std::size_t>(c.max_connections);
  so.max_connections_per_address = static_cast<std::size_t>(c.max_connections_per_address);
  so.fd_reserve = static_cast<std::size_t>(c.fd_reserve);
  so.trusted_proxies = std::move(*trusted_proxies);
  if (!c.trusted_proxies.empty())
    spdlog::info("connections from {} must start with a PROXY header naming the client", c.trusted_proxies);
  so.ws_queue_max_bytes = static_cast<std::size_t>(c.ws_queue_max_bytes);
  so.ws_queued_bytes_budget = static_cast<std::size_t>(c.ws_queued_bytes_budget);

  std::error_code ec;
  std::filesystem::create_directories(c.data_dir, ec);
  if (ec) {
    spdlog::critical("cannot create data directory {}: {}", c.data_dir, ec.message());
    return 1;
  }
  // One server per embedded data directory (the lock dies with the process).
  std::optional<DataDirLock> data_lock;
  if (!store::is_pg_uri(c.store)) {
    auto lock = DataDirLock::acquire(c.data_dir);
    if (!lock) {
      spdlog::critical("{}", lock.error().message);
      return 1;
    }
    data_lock.emplace(std::move(*lock));
  }
  auto db = open_store(c);
  if (!db) return 1;

  Metrics metrics;
  std::unique_ptr<bus::Bus> bus_owner;
  bus::NatsBus* nats = nullptr;  // set when the bus is NATS
  if (c.bus == "local") {
    bus_owner = std::make_unique<bus::LocalBus>();
  } else {
    bus::NatsBusOptions bo;
    bo.servers = *nats_servers;
    bo.order.hold_ms = c.bus_hold_ms;
    auto opened = bus::NatsBus::open(bo);
    if (!opened) {
      spdlog::critical("{}", opened.error().message);
      return 1;
    }
    spdlog::info("bus: NATS ({} server{}), node {:016x}", bo.servers.size(), bo.servers.size() == 1 ? "" : "s",
                 (*opened)->node_id());
    nats = opened->get();
    bus_owner = std::move(opened).value();
  }
  bus::Bus& bus = *bus_owner;
  api::EventPublisher publisher(bus, metrics);
  net::Server server(so);

  chat::ChatLimits limits;
  limits.send_per_sec = c.rate_send_per_sec;
  limits.send_burst = c.rate_send_burst;
  limits.other_per_sec = c.rate_other_per_sec;
  limits.other_burst = c.rate_other_burst;
  limits.group_create_per_min = c.rate_group_create_per_min;
  limits.group_create_burst = c.rate_group_create_burst;
  limits.group_add_per_min = c.rate_group_add_per_min;
  limits.group_add_burst = c.rate_group_add_burst;
  limits.session_ttl_ms = static_cast<int64_t>(c.session_ttl_days * 24 * 3600 * 1000);
  limits.commit_batch_max = static_cast<std::size_t>(c.commit_batch_max);
  limits.max_group_members = static_cast<std::size_t>(c.max_group_members);
  limits.edit_window_ms = c.edit_window_sec * 1000;
  limits.delete_window_ms = c.delete_window_sec * 1000;
  if (c.insecure_fast_password_hashing) {
    limits.password_strength = chat::HashStrength::kBenchmark;
    spdlog::warn("insecure fast password hashing is on: for benchmarks only");
  }
  // Push notifications: the VAPID key, the HTTPS client and the delivery thread, which hears
  // of messages through a notifier placed in front of the event publisher.
  std::optional<push::Vapid> vapid;
  std::unique_ptr<push::HttpsClient> push_client;
  if (c.push_enabled) {
    auto v = c.push_vapid_private_key.empty()
                 ? push::Vapid::load_or_create(c.data_dir, c.push_vapid_subject)
                 : push::Vapid::from_private_base64url(c.push_vapid_private_key, c.push_vapid_subject);
    if (!v) {
      spdlog::critical("push: the VAPID key: {}", v.error().message);
      return 1;
    }
    vapid.emplace(std::move(*v));
    push::HttpsClientOptions ho;
    ho.ca_file = c.push_ca_file;
    ho.timeout = std::chrono::milliseconds(c.push_timeout_ms);
    ho.allow_private_addresses = c.push_allow_private_endpoints;
    if (c.push_allow_private_endpoints || c.push_allow_insecure_loopback)
      spdlog::warn("push: endpoints may reach loopback/private addresses or use http: for tests only");
    auto client = push::HttpsClient::make(ho);
    if (!client) {
      spdlog::critical("push: {}", client.error().message);
      return 1;
    }
    push_client = std::move(*client);
  }
  push::PushNotifier push_notifier(publisher);
  chat::Notifier* notifier = vapid ? static_cast<chat::Notifier*>(&push_notifier) : &publisher;
  chat::ChatService chat(**db, *notifier, limits);
  chat.committer().on_batch = [&metrics](std::size_t n, uint64_t us) {
    metrics.commit_batch_size.observe(static_cast<double>(n));
    metrics.commit_seconds.observe(static_cast<double>(us) / 1e6);
  };
  // One node: a committed batch's answers and events reach each connection in one post
  // (net/send_batch.h). The finisher is then the only thread that hands a conversation's
  // ordered events to connections, so holding them to the batch's end reorders nothing.
  // Not in a cluster: there the hold-back (bus/hold_back.h) decides a conversation's order
  // as it hands each event over, and the bus thread hands over later seqs from other nodes
  // directly; a batch posting the finisher's share at its end would put them behind those
  // (tests/cluster/order.test.mjs caught it).
  if (nats == nullptr)
    chat.committer().around_finish = [](const std::function<void()>& finish_batch) {
      net::SendBatch batch;
      finish_batch();
    };

  api::ApiOptions ao;
  ao.origins = std::move(*origins);
  ao.metrics_allow = std::move(*metrics_allow);
  ao.admin_allow = std::move(*admin_allow);
  {
    // The admin API's token: a 256-bit secret in a 0600 file (parleyd admin reads it).
    const std::string path = c.admin_token_file.empty()
                                 ? (std::filesystem::path(c.data_dir) / "admin.token").string()
                                 : c.admin_token_file;
    auto secret = media::load_or_create_signing_key(path);
    if (!secret) {
      spdlog::critical("admin token: {}", secret.error().message);
      return 1;
    }
    ao.admin_token = to_hex(*secret);
  }
  ao.max_ws_per_user = static_cast<std::size_t>(c.max_websockets_per_user);
  ao.busy_queued_bytes = static_cast<std::size_t>(c.ws_busy_queued_bytes);
  ao.busy_queued_bytes_per_user = static_cast<std::size_t>(c.ws_busy_queued_bytes_per_user);
  ao.max_inflight_per_connection = static_cast<std::size_t>(c.ws_max_inflight);
  ao.register_per_min = c.rate_register_per_min;
  ao.register_burst = std::max(1.0, std::min(c.rate_register_per_min, 10.0));
  ao.login_per_min = c.rate_login_per_min;
  ao.login_burst = std::max(1.0, std::min(c.rate_login_per_min, 20.0));
  media::init_image_processing(argv[0], 1);
  std::string media_dir =
      c.media_dir.empty() ? (std::filesystem::path(c.data_dir) / "media").string() : c.media_dir;
  auto blobs = media::open_fs_media_store(media_dir);
  if (!blobs) {
    spdlog::critical("cannot open the media store in {}: {}", media_dir, blobs.error().message);
    return 1;
  }
  media::MediaOptions mo;
  mo.max_upload_bytes = static_cast<uint64_t>(c.max_upload_bytes);
  mo.max_file_bytes = static_cast<uint64_t>(c.media_max_file_bytes);
  mo.limits.max_pixels = c.media_max_pixels;
  mo.threads = static_cast<int>(c.media_threads);
  mo.uploads_per_user = static_cast<int>(c.media_uploads_per_user);
  mo.uploads_per_min = c.rate_upload_per_min;
  mo.unreferenced_ttl_ms = c.media_unreferenced_ttl_s * 1000;
  mo.gc_interval_ms = c.media_gc_interval_ms;
  mo.link_ttl_s = c.media_link_ttl_s;
  mo.max_video_bytes = static_cast<uint64_t>(c.video_max_bytes);
  mo.video_limits.max_duration_ms = c.video_max_duration_s * 1000;
  mo.video_limits.max_long_side = c.video_max_long_side;
  mo.video_limits.max_short_side = c.video_max_short_side;
  mo.video_tools.ffprobe = c.ffmpeg_dir + "/ffprobe";
  mo.video_tools.ffmpeg = c.ffmpeg_dir + "/ffmpeg";
  mo.video_tools.sandbox.timeout_ms = c.video_timeout_s * 1000;
  mo.video_tools.sandbox.cpu_seconds = c.video_timeout_s;
  mo.video_tools.sandbox.address_space_bytes = c.video_memory_mib << 20;
  mo.videos_enabled = media::video_tools_available(mo.video_tools);
  if (!mo.videos_enabled)
    spdlog::warn("media: {} or {} does not run; video uploads are refused (unsupported_media) "
                 "until they do (looked for every 10 s)",
                 mo.video_tools.ffprobe, mo.video_tools.ffmpeg);
  if (!c.media_signing_key.empty()) {
    if (!media::parse_key(c.media_signing_key, mo.signing_key)) {
      std::fprintf(stderr, "parleyd: --media-signing-key wants 64 hex digits\n");
      return 2;
    }
  } else {
    auto key = media::load_or_create_signing_key(media_dir + "/signing.key");
    if (!key) {
      spdlog::critical("{}", key.error().message);
      return 1;
    }
    mo.signing_key = *key;
  }
  media::MediaService media_service(**db, chat.committer(), **blobs, mo);
  media_service.on_processed = [&metrics](double s) { metrics.media_processing_seconds.observe(s); };

  api::PresenceHub presence_hub(metrics);
  chat::PresenceOptions po;
  po.offline_grace_ms = c.presence_offline_grace_ms;
  po.last_seen_write_ms = c.presence_last_seen_write_ms;
  // Several nodes: presence goes through the cluster's view (bus/cluster_presence.h).
  std::unique_ptr<bus::ClusterPresence> cluster_presence;
  chat::PresenceListener* presence_listener = &presence_hub;
  if (nats) {
    cluster_presence = std::make_unique<bus::ClusterPresence>(*nats, presence_hub);
    cluster_presence->on_remote_blocked = [&presence_hub](int64_t a, int64_t b) { presence_hub.apply_blocked(a, b); };
    cluster_presence->on_remote_privacy_changed = [&presence_hub](int64_t u, bool h) {
      presence_hub.apply_privacy_changed(u, h);
    };
    presence_hub.set_relay({[cp = cluster_presence.get()](int64_t a, int64_t b) { cp->publish_blocked(a, b); },
                            [cp = cluster_presence.get()](int64_t u, bool h) { cp->publish_privacy_changed(u, h); }});
    if (Status s = cluster_presence->start(); !s) {
      spdlog::critical("cluster presence: {}", s.error().message);
      return 1;
    }
    po.online_elsewhere = [cp = cluster_presence.get()](int64_t user) { return cp->online_elsewhere(user); };
    nats->add_metrics_source([cp = cluster_presence.get()] { return cp->metrics_text(); });
    presence_listener = cluster_presence.get();
  }
  chat::PresenceTracker presence(**db, chat.committer(), *presence_listener, po);
  api::Api api(chat, bus, server.worker(), metrics, presence, presence_hub, media_service, ao);

  // Several nodes: which sessions are connected where, so that a device connected to
  // another node gets no push either (bus/cluster_sessions.h).
  std::unique_ptr<bus::ClusterSessions> cluster_sessions;
  std::atomic<push::Delivery*> held_pushes{nullptr};  // told of sessions gone elsewhere
  if (nats) {
    cluster_sessions = std::make_unique<bus::ClusterSessions>(*nats);
    cluster_sessions->on_gone = [&held_pushes](int64_t, int64_t session) {
      if (push::Delivery* d = held_pushes.load()) d->session_gone(session);
    };
    if (Status s = cluster_sessions->start(); !s) {
      spdlog::critical("cluster sessions: {}", s.error().message);
      return 1;
    }
    nats->add_metrics_source([cs = cluster_sessions.get()] { return cs->metrics_text(); });
    api.user_connections().set_session_listener([cs = cluster_sessions.get()](int64_t u, int64_t s, bool on) {
      cs->on_local(u, s, on);
    });
  }

  std::optional<push::Registrations> registrations;
  std::optional<push::Preferences> preferences;
  std::optional<push::PushApi> push_api;
  std::optional<push::Delivery> delivery;
  if (vapid) {
    push::RegistrationPolicy policy;
    policy.allow_insecure_loopback = c.push_allow_insecure_loopback;
    policy.gateway_configured = !c.push_gateway_url.empty();
    policy.limits.per_session = static_cast<int>(c.push_max_per_session);
    policy.limits.per_user = static_cast<int>(c.push_max_per_user);
    registrations.emplace(**db, chat.committer(), policy);
    preferences.emplace(**db, chat.committer());
    push_api.emplace(push::PushApi{*registrations, *preferences, vapid->public_key()});
    api.services().push = &*push_api;
    push::DeliveryOptions dopt;
    dopt.collapse_ms = c.push_collapse_ms;
    dopt.max_attempts = static_cast<int>(c.push_max_attempts);
    dopt.retry_base_ms = c.push_retry_base_ms;
    dopt.ttl_s = c.push_ttl_s;
    dopt.gateway_url = c.push_gateway_url;
    dopt.hold_ms = 2 * (bus::ClusterSessions::kNodeTimeoutMs + bus::ClusterSessions::kHeartbeatMs);
    api::UserConnections& connections = api.user_connections();
    delivery.emplace(**db, chat.committer(), *vapid, *push_client, metrics,
                     [&connections, cs = cluster_sessions.get()](int64_t user, int64_t session) {
                       using Where = push::Delivery::Where;
                       if (connections.session_connected(user, session)) return Where::kHere;
                       if (cs && cs->connected_elsewhere(session)) return Where::kElsewhere;
                       return Where::kNowhere;
                     },
                     dopt);
    held_pushes.store(&*delivery);
    push_notifier.attach(&*delivery);
    spdlog::info("push: VAPID public key {}", vapid->public_key());
  }

  // Calls: the domain's rules, their events on the bus.
  push_notifier.set_call_ttl_s(c.call_ring_timeout_s);
  api::CallEvents call_events(bus, vapid ? &push_notifier : nullptr);
  chat::CallLimits call_limits;
  call_limits.ring_timeout_ms = c.call_ring_timeout_s * 1000;
  call_limits.max_duration_ms = c.call_max_duration_s * 1000;
  call_limits.start_per_min = c.rate_call_per_min;
  // Only the embedded store is sure to be this process's alone (several processes may share
  // a PostgreSQL database, and with it each other's calls).
  call_limits.end_active_at_start = !store::is_pg_uri(c.store);
  chat::CallService calls(**db, chat.committer(), *notifier, call_events, call_limits);
  if (Status s = calls.start(); !s) {
    spdlog::critical("calls: {}", s.error().message);
    return 1;
  }
  api.services().calls = &calls;
  api::IceConfig ice;
  ice.stun_urls = c.stun_urls;
  ice.turn_urls = c.turn_urls;
  ice.ttl_s = c.turn_ttl_s;
  if (!c.turn_secret_file.empty()) {
    std::ifstream in(c.turn_secret_file);
    std::getline(in, ice.secret);
    while (!ice.secret.empty() && (ice.secret.back() == '\r' || ice.secret.back() == ' ')) ice.secret.pop_back();
    if (!in && ice.secret.empty()) {
      spdlog::critical("cannot read the TURN secret from {}", c.turn_secret_file);
      return 2;
    }
  }
  if (Status s = api::validate(ice); !s) {
    spdlog::critical("{}", s.error().message);
    return 2;
  }
  api.services().ice = &ice;

  if (Status s = server.start(api); !s) {
    spdlog::critical("{}", s.error().message);
    return 1;
  }
  api.set_ready(true);
  spdlog::info("parleyd {} (commit {}) listening on {}://{}:{} (data in {}, web client from {})",
               build_version(), build_commit(), so.tls_cert_file.empty() ? "http" : "https", so.host, server.port(), c.data_dir,
               c.web_root.empty() ? "nowhere" : c.web_root);
  server.run([&chat, &calls, &publisher, &presence, &media_service, &push_notifier, &delivery, &cluster_presence,
              &cluster_sessions, &held_pushes] {
    calls.stop();          // no more timeouts; open calls are swept at the next start
    media_service.stop();  // its commits go through chat's committer, stopped next
    presence.stop();  // queues the last-seen writes, which chat.stop() then commits
    if (cluster_presence) cluster_presence->stop();  // the other nodes drop our users now
    if (cluster_sessions) cluster_sessions->stop();  // ... and our sessions (they push to them)
    chat.stop();
    publisher.stop();  // flush coalesced receipts before connections close
    push_notifier.attach(nullptr);
    held_pushes.store(nullptr);
    if (delivery) delivery->stop();  // pending pushes are dropped (docs/protocol.md)
  });
  spdlog::info("parleyd stopped");
  return 0;
}
