#include "server/config.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <functional>

#include <toml++/toml.h>

namespace parley {

namespace {

struct Option {
  const char* name;  // flag spelling without "--"
  const char* help;
  std::function<Status(Config&, const std::string&)> set;
};

Error bad(const std::string& name, const std::string& why) {
  return Error::make(Errc::kInvalidArgument, "option " + name + ": " + why);
}

template <class T>
std::function<Status(Config&, const std::string&)> number(T Config::*field, T min, T max) {
  return [field, min, max](Config& c, const std::string& v) -> Status {
    T n{};
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || p != v.data() + v.size() || n < min || n > max)
      return Error::make(Errc::kInvalidArgument, "'" + v + "' is not a number in range");
    c.*field = n;
    return {};
  };
}

// A comma-separated list; empty entries are dropped.
std::function<Status(Config&, const std::string&)> list(std::vector<std::string> Config::*field) {
  return [field](Config& c, const std::string& v) -> Status {
    (c.*field).clear();
    std::size_t i = 0;
    while (i <= v.size()) {
      std::size_t j = v.find(',', i);
      if (j == std::string::npos) j = v.size();
      std::size_t a = i, b = j;
      while (a < b && v[a] == ' ') ++a;
      while (b > a && v[b - 1] == ' ') --b;
      if (b > a) (c.*field).push_back(v.substr(a, b - a));
      i = j + 1;
    }
    return {};
  };
}

std::function<Status(Config&, const std::string&)> boolean(bool Config::*field) {
  return [field](Config& c, const std::string& v) -> Status {
    if (v == "true" || v == "1") c.*field = true;
    else if (v == "false" || v == "0") c.*field = false;
    else return Error::make(Errc::kInvalidArgument, "'" + v + "' is not true or false");
    return {};
  };
}

std::function<Status(Config&, const std::string&)> text(std::string Config::*field) {
  return [field](Config& c, const std::string& v) -> Status {
    c.*field = v;
    return {};
  };
}

const std::vector<Option>& options() {
  static const std::vector<Option> kOptions = {
      {"listen", "HOST:PORT to listen on (default 127.0.0.1:8080; port 0 picks a free one)", text(&Config::listen)},
      {"data-dir", "directory for the database (parley.db) (default ./data)", text(&Config::data_dir)},
      {"store",
       "where the data lives: sqlite (embedded, in --data-dir; the default) or a PostgreSQL URI "
       "such as postgresql://parley@db:5432/parley",
       [](Config& c, const std::string& v) -> Status {
         const bool pg = v.rfind("postgresql://", 0) == 0 || v.rfind("postgres://", 0) == 0;
         if (v != "sqlite" && !pg) {
           return Error::make(Errc::kInvalidArgument,
                              "store must be \"sqlite\" or a postgresql:// URI");
         }
         c.store = v;
         return {};
       }},
      {"store-connections",
       "PostgreSQL: reader connections per process, besides the one writer (default 8)",
       number<int64_t>(&Config::store_connections, 1, 256)},
      {"bus",
       "how events reach devices on other nodes: local (one process, the default) or "
       "nats://[USER:PASSWORD@]HOST:PORT[,HOST:PORT...] (a NATS cluster shared by every node)",
       [](Config& c, const std::string& v) -> Status {
         if (v != "local" && v.rfind("nats://", 0) != 0)
           return Error::make(Errc::kInvalidArgument, "bus must be \"local\" or nats://HOST:PORT[,...]");
         c.bus = v;
         return {};
       }},
      {"bus-hold-ms",
       "with a NATS bus: how long a message event waits for an earlier seq of its conversation "
       "sent through another node, so devices get each conversation in order (default 500; 0: "
       "no waiting, and no order information sent to other nodes)",
       number<int64_t>(&Config::bus_hold_ms, 0, 10000)},
      {"web-root", "directory of the built web client (default web/dist)", text(&Config::web_root)},
      {"public-origin",
       "comma-separated origins the web client is served from, e.g. https://chat.example.com "
       "(default: none, then only loopback origins)",
       list(&Config::public_origins)},
      {"allowed-origins", "comma-separated other origins whose pages may use the server from a browser",
       list(&Config::allowed_origins)},
      {"metrics-allow", "comma-separated client address ranges (CIDR) that may read /metrics "
       "(default 127.0.0.0/8,::1)", text(&Config::metrics_allow)},
      {"admin-allow", "comma-separated client address ranges (CIDR) that may use the admin API "
       "(default 127.0.0.0/8,::1)", text(&Config::admin_allow)},
      {"trusted-proxies", "comma-separated address ranges (CIDR) of reverse proxies whose connections "
       "start with a PROXY protocol header (v1 or v2) naming the client; the client's address is then "
       "used for every per-address limit and list (default: none)", text(&Config::trusted_proxies)},
      {"admin-token-file", "file holding the admin API's token (default DATA_DIR/admin.token, "
       "created at first start)", text(&Config::admin_token_file)},
      {"tls-cert", "PEM certificate chain; with --tls-key serves HTTPS/WSS", text(&Config::tls_cert)},
      {"tls-key", "PEM private key", text(&Config::tls_key)},
      {"io-threads", "event-loop threads (default 2)", number<int64_t>(&Config::io_threads, 1, 256)},
      {"worker-threads", "threads for store reads and password hashing (default 2)",
       number<int64_t>(&Config::worker_threads, 1, 256)},
      {"log-level", "trace, debug, info, warn, error (default info)", text(&Config::log_level)},
      {"log-format", "text (default) or json: one JSON object per line, for log shippers",
       [](Config& c, const std::string& v) -> Status {
         if (v != "text" && v != "json") return Error::make(Errc::kInvalidArgument, "'" + v + "' is not text or json");
         c.log_format = v;
         return {};
       }},
      {"session-ttl-days", "lifetime of a login in days, fractions allowed (default 30)",
       number<double>(&Config::session_ttl_days, 0.00001, 3650)},
      {"rate-register-per-min", "registrations per client address per minute (default 10)",
       number<double>(&Config::rate_register_per_min, 0, 1e9)},
      {"rate-login-per-min", "logins per client address per minute (default 20)",
       number<double>(&Config::rate_login_per_min, 0, 1e9)},
      {"rate-send-per-sec", "messages per user per second (default 30; 0 = unlimited)",
       number<double>(&Config::rate_send_per_sec, 0, 1e9)},
      {"rate-send-burst", "burst of messages per user (default 60)", number<double>(&Config::rate_send_burst, 1, 1e9)},
      {"rate-other-per-sec", "requests other than sends per user per second, WebSocket and HTTP together (default 100; 0 = unlimited)",
       number<double>(&Config::rate_other_per_sec, 0, 1e9)},
      {"rate-other-burst", "burst of requests other than sends per user (default 1000)",
       number<double>(&Config::rate_other_burst, 1, 1e9)},
      {"rate-group-create-per-min", "groups a user may create per minute (default 5; 0 = unlimited)",
       number<double>(&Config::rate_group_create_per_min, 0, 1e9)},
      {"rate-group-create-burst", "burst of group creations per user (default 10)",
       number<double>(&Config::rate_group_create_burst, 1, 1e9)},
      {"rate-group-add-per-min", "users a user may add to groups per minute, creation included (default 60; 0 = unlimited)",
       number<double>(&Config::rate_group_add_per_min, 0, 1e9)},
      {"rate-group-add-burst", "burst of users added to groups per user (default 256)",
       number<double>(&Config::rate_group_add_burst, 1, 1e9)},
      {"ws-idle-timeout-ms", "close a silent WebSocket after this long; ping at half (default 40000)",
       number<int64_t>(&Config::ws_idle_timeout_ms, 1000, 3600000)},
      {"ws-auth-timeout-ms", "time allowed for the auth frame (default 10000)",
       number<int64_t>(&Config::ws_auth_timeout_ms, 100, 600000)},
      {"max-connections", "most open connections; 0 = descriptor limit minus fd-reserve (default 0)",
       number<int64_t>(&Config::max_connections, 0, 1LL << 30)},
      {"max-connections-per-address", "most open connections from one client address; 0 = no limit (default 1024)",
       number<int64_t>(&Config::max_connections_per_address, 0, 1LL << 30)},
      {"fd-reserve", "descriptors kept free of connections for the store, photos, logs (default 128)",
       number<int64_t>(&Config::fd_reserve, 16, 1LL << 20)},
      {"max-websockets-per-user", "authenticated WebSockets per account; the oldest gets 4009; 0 = no limit (default 32)",
       number<int64_t>(&Config::max_websockets_per_user, 0, 1LL << 20)},
      {"ws-queue-max-bytes", "bytes queued for one WebSocket client before it is cut (default 8388608)",
       number<int64_t>(&Config::ws_queue_max_bytes, 65536, 1LL << 40)},
      {"ws-queued-bytes-budget",
       "bytes queued for all WebSocket clients; beyond it the biggest holders are cut; 0 = no limit (default 268435456)",
       number<int64_t>(&Config::ws_queued_bytes_budget, 0, 1LL << 40)},
      {"ws-busy-queued-bytes",
       "a connection holding more unread bytes gets rate_limited for its requests; 0 = never (default 1048576)",
       number<int64_t>(&Config::ws_busy_queued_bytes, 0, 1LL << 40)},
      {"ws-busy-queued-bytes-per-user",
       "the same over all of an account's WebSockets; 0 = never (default 8388608)",
       number<int64_t>(&Config::ws_busy_queued_bytes_per_user, 0, 1LL << 40)},
      {"ws-max-inflight",
       "requests in flight per WebSocket connection; beyond it rate_limited (default 256)",
       number<int64_t>(&Config::ws_max_inflight, 1, 65536)},
      {"insecure-fast-password-hashing",
       "BENCHMARKS ONLY: weakest argon2id for new accounts (true/false, default false)",
       [](Config& c, const std::string& v) -> Status {
         if (v == "true" || v == "1") c.insecure_fast_password_hashing = true;
         else if (v == "false" || v == "0") c.insecure_fast_password_hashing = false;
         else return Error::make(Errc::kInvalidArgument, "'" + v + "' is not true or false");
         return {};
       }},
      {"max-group-members", "most members a group may have (default 256)",
       number<int64_t>(&Config::max_group_members, 2, 100000)},
      {"edit-window-sec", "a sender may edit a message this long after sending (default 900)",
       number<int64_t>(&Config::edit_window_sec, 0, 365LL * 24 * 3600)},
      {"delete-window-sec", "... and delete it for everyone (default 172800)",
       number<int64_t>(&Config::delete_window_sec, 0, 365LL * 24 * 3600)},
      {"erase-purge-delay-ms",
       "after a delete for everyone, purge the search index and WAL of it within this (default 5000)",
       number<int64_t>(&Config::erase_purge_delay_ms, 0, 3600000)},
      {"sqlite-flush-after-commit",
       "embedded store: flush the WAL after COMMIT, overlapped with the next batch, instead of inside it "
       "(true/false, default true; false: COMMIT flushes, as in releases before; docs/architecture.md, step 5)",
       boolean(&Config::sqlite_flush_after_commit)},
      {"presence-offline-grace-ms", "announce a user offline this long after their last device left (default 5000)",
       number<int64_t>(&Config::presence_offline_grace_ms, 0, 600000)},
      {"presence-last-seen-write-ms", "store a user's last seen at most this often (default 60000)",
       number<int64_t>(&Config::presence_last_seen_write_ms, 0, 3600000)},
      {"commit-batch-max", "most writes in one group commit (default 1024)",
       number<int64_t>(&Config::commit_batch_max, 1, 100000)},
      {"max-upload-bytes", "largest photo upload; larger ones get 413 (default 26214400)",
       number<int64_t>(&Config::max_upload_bytes, 1024, 1LL << 32)},
      {"media-max-file-bytes", "largest document upload; larger ones get 413 (default 104857600)",
       number<int64_t>(&Config::media_max_file_bytes, 1024, 1LL << 36)},
      {"video-max-bytes", "largest video upload; larger ones get 413 (default 104857600)",
       number<int64_t>(&Config::video_max_bytes, 1024, 1LL << 36)},
      {"video-max-duration-s", "longest video; longer ones get 422 video_too_large (default 300)",
       number<int64_t>(&Config::video_max_duration_s, 1, 86400)},
      {"video-max-long-side", "largest video width or height, whichever is longer (default 3840)",
       number<int64_t>(&Config::video_max_long_side, 16, 16384)},
      {"video-max-short-side", "largest video width or height, whichever is shorter (default 2160)",
       number<int64_t>(&Config::video_max_short_side, 16, 16384)},
      {"video-timeout-s", "wall-clock and CPU limit of each ffprobe/ffmpeg run on a video (default 120)",
       number<int64_t>(&Config::video_timeout_s, 1, 3600)},
      {"video-memory-mib", "address-space limit of each ffprobe/ffmpeg run, MiB (default 2048)",
       number<int64_t>(&Config::video_memory_mib, 256, 65536)},
      {"ffmpeg-dir", "directory holding ffmpeg and ffprobe; without them videos are refused (default /usr/bin)",
       text(&Config::ffmpeg_dir)},
      {"media-max-pixels", "largest photo in pixels, checked before decoding (default 40000000)",
       number<int64_t>(&Config::media_max_pixels, 1, 1LL << 31)},
      {"media-threads", "threads processing photos (default 1)",
       number<int64_t>(&Config::media_threads, 1, 64)},
      {"media-uploads-per-user", "photo uploads one user may have in progress; more get 429 (default 6)",
       number<int64_t>(&Config::media_uploads_per_user, 1, 1000)},
      {"rate-upload-per-min", "photo uploads per user per minute, bursts as many (default 30; 0 = unlimited)",
       number<double>(&Config::rate_upload_per_min, 0, 1e9)},
      {"media-unreferenced-ttl-s", "delete uploads no message uses after this long (default 86400)",
       number<int64_t>(&Config::media_unreferenced_ttl_s, 0, 365LL * 86400)},
      {"media-gc-interval-ms", "how often unreferenced uploads are collected (default 60000)",
       number<int64_t>(&Config::media_gc_interval_ms, 100, 86400000)},
      {"media-link-ttl-s", "lifetime of signed photo links (default 600)",
       number<int64_t>(&Config::media_link_ttl_s, 10, 7 * 86400)},
      {"media-signing-key", "64 hex digits signing photo links (default: MEDIA_DIR/signing.key)",
       text(&Config::media_signing_key)},
      {"push-enabled", "push notifications (true/false, default true)", boolean(&Config::push_enabled)},
      {"push-vapid-private-key", "VAPID private key, base64url (default: DATA_DIR/vapid.pem, created once)",
       text(&Config::push_vapid_private_key)},
      {"push-vapid-subject", "VAPID contact, mailto: or https: URL (default: none)", text(&Config::push_vapid_subject)},
      {"push-gateway-url", "push gateway for native apps (default: none)", text(&Config::push_gateway_url)},
      {"push-ca-file", "extra trusted CA certificates (PEM) for push services (default: none)",
       text(&Config::push_ca_file)},
      {"push-allow-insecure-loopback", "TESTS ONLY: accept http:// push endpoints on loopback (default false)",
       boolean(&Config::push_allow_insecure_loopback)},
      {"push-allow-private-endpoints",
       "TESTS ONLY: let Web Push endpoints reach loopback and private addresses (default false)",
       boolean(&Config::push_allow_private_endpoints)},
      {"push-max-per-session", "push registrations per session (default 10)",
       number<int64_t>(&Config::push_max_per_session, 1, 1000)},
      {"push-max-per-user", "push registrations per user (default 50)",
       number<int64_t>(&Config::push_max_per_user, 1, 10000)},
      {"push-collapse-ms", "least time between two pushes for one conversation to one device (default 2000)",
       number<int64_t>(&Config::push_collapse_ms, 0, 3600000)},
      {"push-max-attempts", "attempts per push before giving up (default 5)",
       number<int64_t>(&Config::push_max_attempts, 1, 20)},
      {"push-retry-base-ms", "first retry delay, doubled each time (default 1000)",
       number<int64_t>(&Config::push_retry_base_ms, 1, 3600000)},
      {"push-ttl-s", "TTL of a push at the push service (default 86400)",
       number<int64_t>(&Config::push_ttl_s, 0, 28 * 86400)},
      {"push-timeout-ms", "deadline of one request to a push service (default 10000)",
       number<int64_t>(&Config::push_timeout_ms, 100, 120000)},
      {"call-ring-timeout-s", "a call nobody answers ends (no_answer) after this many seconds (default 45)",
       number<int64_t>(&Config::call_ring_timeout_s, 1, 600)},
      {"call-max-duration-s", "an answered call ends (completed) after this many seconds (default 14400)",
       number<int64_t>(&Config::call_max_duration_s, 1, 7 * 86400)},
      {"rate-call-per-min", "calls a user may start per minute, bursts as many (default 10; 0 = unlimited)",
       number<double>(&Config::rate_call_per_min, 0, 1e9)},
      {"stun-urls", "comma-separated stun:/stuns: URLs handed to clients for calls (default: none)",
       list(&Config::stun_urls)},
      {"turn-urls", "comma-separated turn:/turns: URLs handed to clients for calls, with short-lived "
       "credentials; needs --turn-secret-file (default: none)", list(&Config::turn_urls)},
      {"turn-secret-file", "file holding the secret shared with the TURN server (coturn's static-auth-secret)",
       text(&Config::turn_secret_file)},
      {"turn-ttl-s", "lifetime of the TURN credentials handed out (default 3600)",
       number<int64_t>(&Config::turn_ttl_s, 60, 7 * 86400)},
      {"media-dir", "directory of photo blobs, shared by every node of a cluster (default DATA_DIR/media)",
       text(&Config::media_dir)},
  };
  return kOptions;
}

const Option* find(std::string_view name) {
  for (const auto& o : options())
    if (name == o.name) return &o;
  return nullptr;
}

std::string env_name(const char* name) {
  std::string e = "PARLEY_";
  for (const char* p = name; *p; ++p) e += *p == '-' ? '_' : static_cast<char>(std::toupper(*p));
  return e;
}

std::string toml_key(const char* name) {
  std::string k(name);
  for (char& c : k)
    if (c == '-') c = '_';
  return k;
}

Status apply_toml(Config& c, const std::string& path) {
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return Error::make(Errc::kInvalidArgument,
                       "config file " + path + ": " + std::string(e.description()));
  }
  for (auto&& [key, node] : table) {
    std::string k(key.str());
    const Option* opt = nullptr;
    for (const auto& o : options())
      if (toml_key(o.name) == k) opt = &o;
    if (!opt) return Error::make(Errc::kInvalidArgument, "config file " + path + ": unknown key '" + k + "'");
    std::string value;
    if (auto s = node.value<std::string>()) value = *s;
    else if (auto i = node.value<int64_t>()) value = std::to_string(*i);
    else if (auto d = node.value<double>()) value = std::to_string(*d);
    else if (auto* arr = node.as_array()) {
      for (auto&& item : *arr) {
        if (!value.empty()) value += ',';
        value += item.value_or(std::string());
      }
    } else {
      return Error::make(Errc::kInvalidArgument, "config file " + path + ": bad value for '" + k + "'");
    }
    if (Status s = opt->set(c, value); !s) return bad(opt->name, s.error().message);
  }
  return {};
}

}  // namespace

std::string usage() {
  std::string u =
      "parleyd - the Parley messaging server\n\n"
      "usage: parleyd [--config FILE] [--OPTION VALUE]...\n\n"
      "Every option can also be set as environment variable PARLEY_<OPTION> (upper case,\n"
      "'-' as '_') or as key <option> ('-' as '_') in the TOML file. Flags win over the\n"
      "environment, which wins over the file.\n\n"
      "  --config FILE                 TOML configuration file (env PARLEY_CONFIG)\n";
  for (const auto& o : options()) {
    std::string flag = std::string("  --") + o.name + " V";
    flag.resize(std::max<std::size_t>(flag.size() + 1, 32), ' ');
    u += flag + o.help + "\n";
  }
  u += "  --version                     print the version and commit, and exit\n";
  u += "  --help                        this text\n";
  return u;
}

Result<Config> load_config(int argc, char** argv) {
  Config c;
  std::string config_file;
  if (const char* e = std::getenv("PARLEY_CONFIG")) config_file = e;
  std::vector<std::pair<const Option*, std::string>> flags;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      c.help = true;
      return c;
    }
    if (arg == "--version") {
      c.version = true;
      return c;
    }
    if (arg.rfind("--", 0) != 0)
      return Error::make(Errc::kInvalidArgument, "unexpected argument '" + std::string(arg) + "'");
    std::string name(arg.substr(2)), value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    } else {
      if (i + 1 >= argc) return Error::make(Errc::kInvalidArgument, "option --" + name + " needs a value");
      value = argv[++i];
    }
    if (name == "config") {
      config_file = value;
      continue;
    }
    const Option* o = find(name);
    if (!o) return Error::make(Errc::kInvalidArgument, "unknown option --" + name + " (see --help)");
    flags.emplace_back(o, value);
  }
  if (!config_file.empty())
    if (Status s = apply_toml(c, config_file); !s) return s.error();
  for (const auto& o : options())
    if (const char* e = std::getenv(env_name(o.name).c_str()))
      if (Status s = o.set(c, e); !s) return bad(env_name(o.name), s.error().message);
  for (const auto& [o, value] : flags)
    if (Status s = o->set(c, value); !s) return bad(std::string("--") + o->name, s.error().message);
  return c;
}

}  // namespace parley
