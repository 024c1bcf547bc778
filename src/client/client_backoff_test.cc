// Reconnection as a server sees it: a listener that accepts and drops every connection
// records when each attempt arrives; the delays the core announces stay within the
// documented bounds, attempts never come before their delay, a reconnect request resets the
// backoff, and clients dropped together come back spread out.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include <boost/json/serialize.hpp>

#include "client/testing/server_process.h"
#include "client/testing/test_client.h"

namespace parley::client::testing {
namespace {

using Clock = std::chrono::steady_clock;

// Accepts every TCP connection on a loopback port, notes the time and closes it at once.
class DroppingListener {
 public:
  DroppingListener() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    listen(fd_, 128);
    socklen_t len = sizeof addr;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~DroppingListener() {
    stop_ = true;
    thread_.join();
    close(fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<Clock::time_point> accepts() {
    std::lock_guard lock(mu_);
    return accepts_;
  }

 private:
  void run() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      const int c = accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      {
        std::lock_guard lock(mu_);
        accepts_.push_back(Clock::now());
      }
      close(c);
    }
  }

  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::vector<Clock::time_point> accepts_;  // guarded by mu_
};

constexpr int64_t kBase = 50, kCap = 400;

class ClientBackoffTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.start()); }
  // A store logged in as `name`, made against the real server.
  std::string logged_in_store(const std::string& name) {
    const std::string db = server_.scratch() + "/" + name + ".db";
    TestClient c(server_.url(), db);
    c.register_user(name);
    return db;
  }
  ServerProcess server_;
};

Update next_wait(TestClient& c) {
  return c.wait_for([](const Update& u) {
    return str(u, "type") == "connection_state" && str(u, "state") == "waiting";
  });
}

TEST_F(ClientBackoffTest, DelaysStayWithinTheDoublingCappedBoundAndNoAttemptComesEarly) {
  const std::string db = logged_in_store("alice");
  DroppingListener listener;
  // Small bounds, so that the cap is reached within a few attempts.
  TestClient alice(listener.url(), db, {{"reconnect_base_ms", kBase}, {"reconnect_cap_ms", kCap}});
  std::vector<int64_t> delays;
  for (int n = 0; n < 8; ++n) {
    auto u = next_wait(alice);
    ASSERT_EQ(str(u, "type"), "connection_state") << "attempt " << n;
    delays.push_back(num(u, "retry_in_ms"));
  }
  auto accepts = listener.accepts();
  ASSERT_GE(accepts.size(), 8u);
  for (size_t n = 0; n < delays.size(); ++n) {
    const int64_t bound = std::min<int64_t>(kCap, kBase << std::min<size_t>(n, 20));
    EXPECT_GE(delays[n], 0);
    EXPECT_LE(delays[n], bound) << "attempt " << n;
    if (n + 1 < accepts.size()) {
      const auto gap = std::chrono::duration_cast<std::chrono::milliseconds>(accepts[n + 1] - accepts[n]).count();
      EXPECT_GE(gap, delays[n]) << "attempt " << n + 1 << " came before its delay";
    }
  }
  // The app says the network is back: an attempt at once, and the backoff starts over.
  const size_t before = listener.accepts().size();
  alice.call({{"type", "network_changed"}});
  auto u = next_wait(alice);
  EXPECT_LE(num(u, "retry_in_ms"), kBase);
  EXPECT_GT(listener.accepts().size(), before);
}

TEST_F(ClientBackoffTest, ClientsDroppedTogetherComeBackSpreadOut) {
  constexpr int kClients = 16;
  std::vector<std::string> dbs;
  for (int i = 0; i < kClients; ++i) dbs.push_back(logged_in_store("user" + std::to_string(i)));
  DroppingListener listener;
  std::vector<std::unique_ptr<TestClient>> clients;
  for (const auto& db : dbs) {
    clients.push_back(std::make_unique<TestClient>(listener.url(), db,
                                                   Update{{"reconnect_base_ms", 1000}, {"reconnect_cap_ms", 8000}}));
  }
  // After three failures each client waits within [0, 8 s]: full jitter spreads them.
  std::set<int64_t> delays;
  for (auto& c : clients) {
    for (int n = 0; n < 3; ++n) {
      auto u = next_wait(*c);
      ASSERT_EQ(str(u, "type"), "connection_state");
      if (n == 2) delays.insert(num(u, "retry_in_ms"));
    }
  }
  EXPECT_GE(delays.size(), static_cast<size_t>(kClients - 2)) << "delays collide: no jitter";
  EXPECT_LE(*delays.rbegin(), 4000);
}

}  // namespace
}  // namespace parley::client::testing
