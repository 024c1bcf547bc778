// parleyd's configuration: defaults, then a TOML file (--config FILE or PARLEY_CONFIG),
// then PARLEY_* environment variables, then command-line flags; later ones win.
// Every option has all three spellings: flag --rate-send-per-sec, environment
// PARLEY_RATE_SEND_PER_SEC, TOML key rate_send_per_sec.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"

namespace parley {

struct Config {
  std::string listen = "127.0.0.1:8080";
  std::string data_dir = "data";
  // "sqlite" (the embedded store in data_dir, the default) or a PostgreSQL URI
  // (postgresql://USER@HOST:PORT/DB; several hosts and target_session_attrs=read-write
  // for failover). Media blobs stay in data_dir either way.
  std::string store = "sqlite";
  int64_t store_connections = 8;  // PostgreSQL: reader connections per process
  // "local" (events reach only this process's devices, the default) or the NATS cluster
  // that carries them between nodes: nats://HOST:PORT[,HOST:PORT...] (src/server/bus).
  std::string bus = "local";
  // NATS bus: how long a node holds a conversation's message event back waiting for an
  // earlier seq from another node (src/server/bus/hold_back.h); 0: no hold-back.
  int64_t bus_hold_ms = 500;
  std::string web_root = "web/dist";
  std::vector<std::string> public_origins;   // where the web client is served from
  std::vector<std::string> allowed_origins;  // other origins whose pages may use the server
  std::string metrics_allow = "127.0.0.0/8,::1";
  std::string admin_allow = "127.0.0.0/8,::1";  // who may use the admin API (/admin/v1)
  // Peers whose connections start with a PROXY protocol header naming the real client
  // (docs/protocol.md, "Client addresses behind a proxy"); empty: nobody.
  std::string trusted_proxies;
  std::string admin_token_file;  // empty: DATA_DIR/admin.token, created at first start
  std::string tls_cert;
  std::string tls_key;
  int64_t io_threads = 2;
  int64_t worker_threads = 2;
  std::string log_level = "info";
  std::string log_format = "text";  // "text" or "json" (one object per line)
  double session_ttl_days = 30;  // fractions allowed (tests use seconds)
  double rate_register_per_min = 10;
  double rate_login_per_min = 20;
  double rate_send_per_sec = 30;
  double rate_send_burst = 60;
  double rate_other_per_sec = 100;
  double rate_other_burst = 1000;
  double rate_group_create_per_min = 5;
  double rate_group_create_burst = 10;
  double rate_group_add_per_min = 60;
  double rate_group_add_burst = 256;
  int64_t ws_idle_timeout_ms = 40000;
  int64_t ws_auth_timeout_ms = 10000;
  int64_t max_connections = 0;  // 0: descriptors minus fd_reserve
  int64_t max_connections_per_address = 1024;
  int64_t fd_reserve = 128;
  int64_t max_websockets_per_user = 32;
  int64_t ws_queue_max_bytes = 8LL << 20;
  int64_t ws_queued_bytes_budget = 256LL << 20;
  int64_t ws_busy_queued_bytes = 1LL << 20;
  int64_t ws_busy_queued_bytes_per_user = 8LL << 20;
  int64_t ws_max_inflight = 256;
  int64_t commit_batch_max = 1024;
  int64_t max_group_members = 256;
  int64_t edit_window_sec = 15 * 60;
  int64_t delete_window_sec = 48 * 3600;
  int64_t erase_purge_delay_ms = 5000;
  bool sqlite_flush_after_commit = true;   // see SqliteOptions::flush_after_commit
  int64_t presence_offline_grace_ms = 5000;
  int64_t presence_last_seen_write_ms = 60000;
  // Photos (src/server/media).
  int64_t max_upload_bytes = 25LL << 20;
  int64_t media_max_file_bytes = 100LL << 20;  // documents (kind "file")
  int64_t media_max_pixels = 40'000'000;
  int64_t media_threads = 1;
  int64_t media_uploads_per_user = 6;  // uploads in progress per user
  double rate_upload_per_min = 30;     // uploads begun per user per minute; 0: unlimited
  int64_t media_unreferenced_ttl_s = 86400;
  int64_t media_gc_interval_ms = 60000;
  int64_t media_link_ttl_s = 600;
  // Videos (media/video.h): checked and remuxed by ffprobe/ffmpeg from ffmpeg_dir.
  int64_t video_max_bytes = 100LL << 20;
  int64_t video_max_duration_s = 300;
  int64_t video_max_long_side = 3840;
  int64_t video_max_short_side = 2160;
  int64_t video_timeout_s = 120;       // wall clock per ffprobe/ffmpeg run (and its CPU seconds)
  int64_t video_memory_mib = 2048;     // address space of each run
  std::string ffmpeg_dir = "/usr/bin";
  // Push notifications (src/server/push; docs/protocol.md, "Push notifications").
  bool push_enabled = true;
  std::string push_vapid_private_key;  // base64url P-256 scalar; empty: DATA_DIR/vapid.pem
  std::string push_vapid_subject;      // "mailto:..." or "https://...": the JWT's sub
  std::string push_gateway_url;        // empty: no gateway registrations
  std::string push_ca_file;            // extra trusted CAs (PEM) for push services and the gateway
  bool push_allow_insecure_loopback = false;  // tests: accept http:// endpoints on loopback
  bool push_allow_private_endpoints = false;  // tests: let endpoints reach loopback/private addresses
  int64_t push_max_per_session = 10;
  int64_t push_max_per_user = 50;
  int64_t push_collapse_ms = 2000;
  int64_t push_max_attempts = 5;
  int64_t push_retry_base_ms = 1000;
  int64_t push_ttl_s = 86400;
  int64_t push_timeout_ms = 10000;
  // Calls (docs/protocol.md, "Calls").
  int64_t call_ring_timeout_s = 45;
  int64_t call_max_duration_s = 14400;
  double rate_call_per_min = 10;  // call_start per user
  std::vector<std::string> stun_urls;  // handed to clients for calls
  std::vector<std::string> turn_urls;  // with credentials from turn_secret_file
  std::string turn_secret_file;        // coturn's static-auth-secret
  int64_t turn_ttl_s = 3600;           // lifetime of TURN credentials
  std::string media_signing_key;  // 64 hex digits; empty: MEDIA_DIR/signing.key
  // Where photo blobs live; empty: DATA_DIR/media. Several nodes share one (a shared
  // file system) so that a photo uploaded through one is served by all.
  std::string media_dir;
  // Benchmarks only: hash new passwords with libsodium's minimum argon2id cost so that
  // thousands of benchmark accounts can be registered quickly. Never for real users.
  bool insecure_fast_password_hashing = false;
  bool help = false;     // --help was given: print usage() and exit
  bool version = false;  // --version was given: print the version and commit, and exit
};

// Builds the configuration from argv and the environment. Errors: kInvalidArgument with
// a sentence naming the bad option.
Result<Config> load_config(int argc, char** argv);

// The text of `parleyd --help`.
std::string usage();

}  // namespace parley
