#include "server/admin_cli.h"

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <unistd.h>

#include "server/config.h"
#include "server/data_dir_lock.h"
#include "server/net/http_client.h"
#include "server/store/postgres/pg_store.h"
#include "server/store/sqlite/backup.h"

namespace parley {

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr const char* kUsage =
    "usage: parleyd admin [--config FILE] [--OPTION VALUE]... COMMAND [ARG]...\n"
    "\n"
    "Options are parleyd's (--data-dir, --listen, --admin-token-file, ...): give the running\n"
    "server's, or the same --config. Commands on accounts ask the running server:\n"
    "  stats                           totals and connected devices\n"
    "  users [PREFIX]                  up to 50 users whose username starts with PREFIX\n"
    "  user USERNAME                   one user: disabled or not, live sessions (devices)\n"
    "  create-user USERNAME NAME       new account; the password is read from standard input\n"
    "  set-password USERNAME           new password from standard input; ends every session\n"
    "  disable USERNAME                refuse logins and end every session at once\n"
    "  delete-user USERNAME            delete the account as its user would (no undo)\n"
    "  enable USERNAME                 allow logins again\n"
    "  revoke-sessions USERNAME        end every session (devices log in again)\n"
    "On the files (embedded store):\n"
    "  backup DEST                     consistent copy of DATA_DIR into the new directory DEST,\n"
    "                                  while the server runs\n"
    "  restore SRC                     replace DATA_DIR with a backup; the server must be stopped\n";

int admin_usage() {
  std::fputs(kUsage, stderr);
  return 2;
}

// The first line of standard input, without its newline (a password: never an argument,
// which other users of the machine could read in the process list).
std::string read_secret_line() {
  if (::isatty(STDIN_FILENO)) std::fputs("password: ", stderr);
  std::string line;
  std::getline(std::cin, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

std::string url_segment(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

class AdminClient {
 public:
  explicit AdminClient(const Config& c) : config_(c) {}

  // Prints the answer's JSON on standard output; an error answer on standard error.
  int call(const std::string& method, const std::string& target, const json::object* body = nullptr) {
    net::ClientRequest r;
    if (!endpoint(r)) return 2;
    auto token = read_token();
    if (!token) {
      std::fprintf(stderr, "parleyd admin: %s\n", token.error().message.c_str());
      return 1;
    }
    r.bearer = *token;
    r.method = method;
    r.target = target;
    if (body) r.body = json::serialize(*body);
    auto answer = net::http_call(r);
    if (!answer) {
      std::fprintf(stderr, "parleyd admin: %s (is parleyd running with this configuration?)\n",
                   answer.error().message.c_str());
      return 1;
    }
    if (answer->status >= 200 && answer->status < 300) {
      std::printf("%s\n", answer->body.c_str());
      return 0;
    }
    std::fprintf(stderr, "parleyd admin: HTTP %d %s\n", answer->status, answer->body.c_str());
    return 1;
  }

 private:
  bool endpoint(net::ClientRequest& r) {
    const std::string& listen = config_.listen;
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos) {
      std::fprintf(stderr, "parleyd admin: --listen wants HOST:PORT, got '%s'\n", listen.c_str());
      return false;
    }
    std::string host = listen.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
    // A server listening on every address is reached on loopback.
    if (host == "0.0.0.0" || host.empty()) host = "127.0.0.1";
    if (host == "::") host = "::1";
    r.host = host;
    try {
      r.port = static_cast<uint16_t>(std::stoi(listen.substr(colon + 1)));
    } catch (...) {
      std::fprintf(stderr, "parleyd admin: bad port in --listen '%s'\n", listen.c_str());
      return false;
    }
    r.tls = !config_.tls_cert.empty();
    return true;
  }

  Result<std::string> read_token() {
    const std::string path = config_.admin_token_file.empty()
                                 ? (fs::path(config_.data_dir) / "admin.token").string()
                                 : config_.admin_token_file;
    std::FILE* f = std::fopen(path.c_str(), "r");
    if (!f) return Error::make(Errc::kNotFound, "cannot read the admin token " + path + " (run as the server's user)");
    char buf[128] = {};
    const std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    std::string token(buf, n);
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) token.pop_back();
    if (token.empty()) return Error::make(Errc::kInvalidArgument, path + " is empty");
    return token;
  }

  const Config& config_;
};

Status copy_media(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  if (!fs::exists(from, ec)) return Status();
  for (auto it = fs::recursive_directory_iterator(from, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    const fs::path rel = fs::relative(it->path(), from, ec);
    if (rel.begin() != rel.end() && rel.begin()->string() == "staging") {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;  // uploads in progress: not part of any message
    }
    const fs::path dest = to / rel;
    if (it->is_directory(ec)) {
      fs::create_directories(dest, ec);
    } else if (it->is_regular_file(ec) && !fs::exists(dest)) {
      fs::copy_file(it->path(), dest, ec);
    }
    if (ec) return Error::make(Errc::kInternal, "copying " + it->path().string() + ": " + ec.message());
  }
  if (ec) return Error::make(Errc::kInternal, "reading " + from.string() + ": " + ec.message());
  return Status();
}

int backup(const Config& c, const std::string& dest) {
  if (store::is_pg_uri(c.store)) {
    std::fputs("parleyd admin backup: the store is PostgreSQL: back it up with pg_dump or a base backup "
               "(docs/operations.md); DATA_DIR/media is copied by this command only for the embedded store\n",
               stderr);
    return 2;
  }
  std::error_code ec;
  if (fs::exists(dest, ec)) {
    std::fprintf(stderr, "parleyd admin backup: %s already exists\n", dest.c_str());
    return 1;
  }
  fs::create_directories(fs::path(dest) / "media", ec);
  if (ec) {
    std::fprintf(stderr, "parleyd admin backup: cannot create %s: %s\n", dest.c_str(), ec.message().c_str());
    return 1;
  }
  const fs::path data(c.data_dir);
  // Photos before and after the database: a blob is written before the row that names it,
  // so the second pass brings every blob the snapshot can refer to.
  Status s = copy_media(data / "media", fs::path(dest) / "media");
  if (s) s = store::backup_sqlite_database((data / "parley.db").string(), (fs::path(dest) / "parley.db").string());
  if (s) s = copy_media(data / "media", fs::path(dest) / "media");
  if (!s) {
    std::fprintf(stderr, "parleyd admin backup: %s\n", s.error().message.c_str());
    return 1;
  }
  std::printf("{\"backup\":\"%s\"}\n", dest.c_str());
  return 0;
}

int restore(const Config& c, const std::string& src) {
  if (store::is_pg_uri(c.store)) {
    std::fputs("parleyd admin restore: the store is PostgreSQL: restore it with pg_restore\n", stderr);
    return 2;
  }
  std::error_code ec;
  const fs::path from(src), data(c.data_dir);
  if (!fs::is_regular_file(from / "parley.db", ec)) {
    std::fprintf(stderr, "parleyd admin restore: %s holds no parley.db\n", src.c_str());
    return 1;
  }
  fs::create_directories(data, ec);
  auto lock = DataDirLock::acquire(c.data_dir);
  if (!lock) {
    std::fprintf(stderr, "parleyd admin restore: %s (stop the server first)\n", lock.error().message.c_str());
    return 1;
  }
  // The old files move aside (never deleted by this command), then the backup is copied in.
  const std::string stamp = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                               std::chrono::system_clock::now().time_since_epoch())
                                               .count());
  const fs::path aside = data / ("replaced-" + stamp);
  fs::create_directories(aside, ec);
  for (const char* name : {"parley.db", "parley.db-wal", "parley.db-shm", "media"}) {
    if (fs::exists(data / name, ec)) fs::rename(data / name, aside / name, ec);
    if (ec) {
      std::fprintf(stderr, "parleyd admin restore: moving %s aside: %s\n", name, ec.message().c_str());
      return 1;
    }
  }
  fs::copy_file(from / "parley.db", data / "parley.db", ec);
  Status s = ec ? Status(Error::make(Errc::kInternal, "copying parley.db: " + ec.message())) : Status();
  if (s) {
    fs::create_directories(data / "media", ec);
    s = copy_media(from / "media", data / "media");
  }
  if (!s) {
    std::fprintf(stderr, "parleyd admin restore: %s (the previous files are in %s)\n", s.error().message.c_str(),
                 aside.c_str());
    return 1;
  }
  std::printf("{\"restored\":\"%s\",\"previous_files\":\"%s\"}\n", src.c_str(), aside.c_str());
  return 0;
}

}  // namespace

int run_admin(int argc, char** argv) {
  // argv: parleyd admin [--opt value | --opt=value]... COMMAND ARGS...
  int i = 2;
  while (i < argc && std::string(argv[i]).rfind("--", 0) == 0) {
    const std::string arg = argv[i];
    if (arg == "--help") return std::fputs(kUsage, stdout), 0;
    i += arg.find('=') != std::string::npos ? 1 : 2;
  }
  if (i >= argc) return admin_usage();
  std::vector<char*> options{argv[0]};
  for (int k = 2; k < i; ++k) options.push_back(argv[k]);
  auto config = load_config(static_cast<int>(options.size()), options.data());
  if (!config) {
    std::fprintf(stderr, "parleyd admin: %s\n", config.error().message.c_str());
    return 2;
  }
  const std::string command = argv[i];
  std::vector<std::string> args(argv + i + 1, argv + argc);
  AdminClient admin(*config);
  auto want = [&](std::size_t n) { return args.size() == n; };

  if (command == "stats" && want(0)) return admin.call("GET", "/admin/v1/stats");
  if (command == "users" && args.size() <= 1)
    return admin.call("GET", "/admin/v1/users" + (args.empty() ? std::string() : "?prefix=" + url_segment(args[0])));
  if (command == "user" && want(1)) return admin.call("GET", "/admin/v1/users/" + url_segment(args[0]));
  if (command == "create-user" && want(2)) {
    json::object body{{"username", args[0]}, {"display_name", args[1]}, {"password", read_secret_line()}};
    return admin.call("POST", "/admin/v1/users", &body);
  }
  if (command == "set-password" && want(1)) {
    json::object body{{"password", read_secret_line()}};
    return admin.call("PUT", "/admin/v1/users/" + url_segment(args[0]) + "/password", &body);
  }
  if ((command == "disable" || command == "enable") && want(1))
    return admin.call("POST", "/admin/v1/users/" + url_segment(args[0]) + "/" + command);
  if (command == "delete-user" && want(1))
    return admin.call("DELETE", "/admin/v1/users/" + url_segment(args[0]));
  if (command == "revoke-sessions" && want(1))
    return admin.call("DELETE", "/admin/v1/users/" + url_segment(args[0]) + "/sessions");
  if (command == "backup" && want(1)) return backup(*config, args[0]);
  if (command == "restore" && want(1)) return restore(*config, args[0]);
  return admin_usage();
}

}  // namespace parley
