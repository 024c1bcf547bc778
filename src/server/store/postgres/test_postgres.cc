#include "server/store/postgres/test_postgres.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>

#include "server/store/postgres/conn.h"

namespace parley::store::test {
namespace {

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

Result<TestPostgres*> TestPostgres::instance() {
  static std::mutex mutex;
  static std::unique_ptr<TestPostgres> server;
  static std::string failure;
  std::lock_guard lock(mutex);
  if (server) return server.get();
  if (!failure.empty()) return Error::make(Errc::kUnavailable, failure);
  std::unique_ptr<TestPostgres> made(new TestPostgres());
  if (Status started = made->start(); !started.ok()) {
    failure = started.error().message;
    return started.error();
  }
  server = std::move(made);
  return server.get();
}

Status TestPostgres::start() {
  if (const char* outside = std::getenv("PARLEY_TEST_PG_URI"); outside && *outside) {
    admin_uri_ = outside;
    const auto slash = admin_uri_.rfind('/');
    base_uri_ = admin_uri_.substr(0, slash + 1);
    return Status{};
  }
  const char* bin = std::getenv("PARLEY_PG_BIN");
  bin_ = bin && *bin ? bin : "/usr/lib/postgresql/15/bin";
  if (!std::filesystem::exists(bin_ + "/initdb")) {
    return Error::make(Errc::kUnavailable, "no PostgreSQL in " + bin_ +
                                               " (scripts/install-deps.sh --test installs it)");
  }
  static std::atomic<int> counter{0};
  dir_ = (std::filesystem::temp_directory_path() /
          ("parley-pg-" + std::to_string(::getpid()) + "-" + std::to_string(counter++)))
             .string();
  std::filesystem::remove_all(dir_);
  std::filesystem::create_directories(dir_);
  if (::geteuid() == 0) {
    run_as_ = "runuser -u postgres -- ";
    if (std::system(("chown postgres " + dir_).c_str()) != 0) {
      return Error::make(Errc::kUnavailable, "cannot hand " + dir_ + " to the postgres user");
    }
  }
  const int port = free_port();
  const std::string data = dir_ + "/data";
  const std::string log = dir_ + "/log";
  const std::string initdb = run_as_ + bin_ + "/initdb -D " + data +
                             " -U parley -A trust -E UTF8 --locale=C --no-sync > " + log + " 2>&1";
  if (std::system(initdb.c_str()) != 0) {
    return Error::make(Errc::kUnavailable, "initdb failed: " + read_file(log));
  }
  const std::string options = "-p " + std::to_string(port) + " -k " + dir_ +
                              " -c listen_addresses=127.0.0.1 -c fsync=off"
                              " -c max_connections=200 -c shared_buffers=32MB";
  const std::string start = run_as_ + bin_ + "/pg_ctl -D " + data + " -o \"" + options + "\" -l " +
                            dir_ + "/server.log -w -t 60 start >> " + log + " 2>&1";
  if (std::system(start.c_str()) != 0) {
    return Error::make(Errc::kUnavailable,
                       "pg_ctl start failed: " + read_file(log) + read_file(dir_ + "/server.log"));
  }
  base_uri_ = "postgresql://parley@127.0.0.1:" + std::to_string(port) + "/";
  admin_uri_ = base_uri_ + "postgres";
  return Status{};
}

TestPostgres::~TestPostgres() {
  if (dir_.empty()) return;
  const std::string stop = run_as_ + bin_ + "/pg_ctl -D " + dir_ +
                           "/data -m immediate -w stop"
                           " > /dev/null 2>&1";
  (void)std::system(stop.c_str());
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

Result<std::string> TestPostgres::create_database() {
  static std::atomic<int> counter{0};
  const std::string name =
      "t" + std::to_string(::getpid()) + "_" + std::to_string(counter.fetch_add(1));
  auto admin = pg::Conn::open(admin_uri_);
  if (!admin.ok()) return admin.error();
  if (Status made = (*admin)->exec("CREATE DATABASE " + name); !made.ok()) return made.error();
  return base_uri_ + name;
}

}  // namespace parley::store::test
