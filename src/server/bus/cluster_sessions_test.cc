// Sessions connected across nodes (cluster_sessions.h) through a real nats-server: two
// ClusterSessions, and a hand-driven "node" publishing raw messages to make the losses and
// silences a healthy network will not produce on demand.
#include "server/bus/cluster_sessions.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <set>

#include <gtest/gtest.h>

#include "server/bus/nats_test_server.h"
#include "server/bus/presence_wire.h"

namespace parley::bus {
namespace {

using test::eventually;
using test::free_port;
using test::NatsServer;

// Records what a ClusterSessions reports gone.
struct GoneLog {
  std::mutex mu;
  std::set<int64_t> sessions;
  bool has(int64_t s) {
    std::lock_guard lock(mu);
    return sessions.count(s) > 0;
  }
};

class ClusterSessionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<NatsServer>(free_port());
    ASSERT_TRUE(server_->running()) << "nats-server is not installed (scripts/install-deps.sh --test)";
    a_bus_ = open_bus();
    b_bus_ = open_bus();
    raw_ = open_bus();
    ASSERT_TRUE(a_bus_ && b_bus_ && raw_);
    a_ = std::make_unique<ClusterSessions>(*a_bus_);
    b_ = std::make_unique<ClusterSessions>(*b_bus_);
    b_->on_gone = [this](int64_t, int64_t session) {
      std::lock_guard lock(gone_.mu);
      gone_.sessions.insert(session);
    };
    ASSERT_TRUE(a_->start().ok());
    ASSERT_TRUE(b_->start().ok());
    // Subscriptions reach the server asynchronously: wait until both nodes' are there.
    ASSERT_TRUE(a_bus_->flush(10000));
    ASSERT_TRUE(b_bus_->flush(10000));
  }

  std::unique_ptr<NatsBus> open_bus() {
    std::unique_ptr<NatsBus> bus;
    eventually([&] {
      auto opened = NatsBus::open(NatsBusOptions{{server_->url()}, "test", 1 << 16, 50, {}});
      if (opened) bus = std::move(opened).value();
      return bus != nullptr;
    });
    return bus;
  }

  // Messages of a node that exists only in this test (id kFake), in the documented layout.
  static constexpr uint64_t kFake = 0xfeedULL;
  void fake_change(uint64_t seq, int64_t user, int64_t session, bool connected) {
    std::string m = wire::header(kFake);
    wire::put64(m, seq);
    wire::put64(m, static_cast<uint64_t>(user));
    wire::put64(m, static_cast<uint64_t>(session));
    m.push_back(connected ? 1 : 0);
    raw_->publish_raw("parley.sessions.change", std::move(m));
  }
  void fake_heartbeat(uint64_t seq, uint64_t count, uint64_t sum) {
    std::string m = wire::header(kFake);
    wire::put64(m, seq);
    wire::put64(m, count);
    wire::put64(m, sum);
    raw_->publish_raw("parley.sessions.hb", std::move(m));
  }

  std::unique_ptr<NatsServer> server_;
  std::unique_ptr<NatsBus> a_bus_, b_bus_, raw_;
  std::unique_ptr<ClusterSessions> a_, b_;
  GoneLog gone_;
};

TEST_F(ClusterSessionsTest, ASessionConnectedOnOneNodeIsKnownOnTheOtherUntilItCloses) {
  a_->on_local(1, 10, true);
  a_->on_local(1, 10, true);  // a second connection of the same session: no new state
  ASSERT_TRUE(eventually([&] { return b_->connected_elsewhere(10); }));
  EXPECT_FALSE(a_->connected_elsewhere(10)) << "a node's own sessions are not 'elsewhere'";
  EXPECT_FALSE(b_->connected_elsewhere(11));
  a_->on_local(1, 10, false);
  ASSERT_TRUE(eventually([&] { return gone_.has(10); }));
  EXPECT_FALSE(b_->connected_elsewhere(10));
  EXPECT_EQ(b_->remote_count(), 0u);
}

TEST_F(ClusterSessionsTest, ANodeStartedLaterLearnsTheSessionsAlreadyConnected) {
  for (int64_t s = 100; s < 120; ++s) a_->on_local(2, s, true);
  auto c_bus = open_bus();
  ASSERT_TRUE(c_bus);
  ClusterSessions c(*c_bus);
  ASSERT_TRUE(c.start().ok());
  ASSERT_TRUE(c_bus->flush(10000));
  // c heard none of the announcements: a's digest makes it ask for the whole set.
  ASSERT_TRUE(eventually([&] { return c.remote_count() == 20; }));
  EXPECT_TRUE(c.connected_elsewhere(100));
  EXPECT_TRUE(c.connected_elsewhere(119));
}

TEST_F(ClusterSessionsTest, ALostDisconnectionHealsAndIsReported) {
  // The fake node's snapshot request is answered by the test: "nothing connected at seq 2".
  std::atomic<int> asked{0};
  auto sub = raw_->subscribe_raw(wire::node_subject("parley.sessions.ask.", kFake), [&](std::string_view) {
    ++asked;
    std::string m = wire::header(kFake);
    wire::put64(m, 2);  // seq
    wire::put32(m, 0);  // part
    wire::put32(m, 1);  // parts
    wire::put32(m, 0);  // entries
    raw_->publish_raw(wire::node_subject("parley.sessions.snap.", b_bus_->node_id()), std::move(m));
  });
  ASSERT_TRUE(sub.ok());
  ASSERT_TRUE(raw_->flush(10000));
  fake_change(1, 3, 30, true);
  ASSERT_TRUE(eventually([&] { return b_->connected_elsewhere(30); }));
  // Announcement 2 (session 30 closed) is "lost"; the next digest says seq 2, nothing connected.
  fake_heartbeat(2, 0, 0);
  ASSERT_TRUE(eventually([&] { return gone_.has(30); }));
  EXPECT_FALSE(b_->connected_elsewhere(30));
  EXPECT_GE(asked.load(), 1);
}

TEST_F(ClusterSessionsTest, ASilentNodesSessionsCountAsDisconnectedAfterTheWindow) {
  fake_change(1, 4, 40, true);
  ASSERT_TRUE(eventually([&] { return b_->connected_elsewhere(40); }));
  // The fake node never heartbeats: after kNodeTimeoutMs it is dead.
  ASSERT_TRUE(eventually([&] { return gone_.has(40); }));
  EXPECT_FALSE(b_->connected_elsewhere(40));
}

TEST_F(ClusterSessionsTest, AGoodbyeDropsTheNodesSessionsAtOnce) {
  a_->on_local(5, 50, true);
  ASSERT_TRUE(eventually([&] { return b_->connected_elsewhere(50); }));
  a_->stop();
  ASSERT_TRUE(eventually([&] { return gone_.has(50); }));
}

TEST_F(ClusterSessionsTest, MalformedMessagesChangeNothing) {
  a_->on_local(6, 60, true);
  ASSERT_TRUE(eventually([&] { return b_->connected_elsewhere(60); }));
  std::string truncated = wire::header(kFake);
  wire::put64(truncated, 1);
  wire::put64(truncated, 7);  // no session, no flag
  raw_->publish_raw("parley.sessions.change", truncated);
  raw_->publish_raw("parley.sessions.change", "");
  std::string other_version = wire::header(kFake);
  other_version[0] = 9;
  raw_->publish_raw("parley.sessions.bye", other_version);
  // A snapshot claiming more entries than it carries, and one with part >= parts.
  std::string lying = wire::header(kFake);
  wire::put64(lying, 5);
  wire::put32(lying, 0);
  wire::put32(lying, 1);
  wire::put32(lying, 1000);
  raw_->publish_raw(wire::node_subject("parley.sessions.snap.", b_bus_->node_id()), lying);
  std::string past_end = wire::header(kFake);
  wire::put64(past_end, 5);
  wire::put32(past_end, 3);
  wire::put32(past_end, 1);
  wire::put32(past_end, 0);
  raw_->publish_raw(wire::node_subject("parley.sessions.snap.", b_bus_->node_id()), past_end);
  // A well-formed announcement after them is applied: they were read and ignored.
  fake_change(1, 8, 80, true);
  ASSERT_TRUE(eventually([&] { return b_->connected_elsewhere(80); }));
  EXPECT_TRUE(b_->connected_elsewhere(60));
  EXPECT_FALSE(b_->connected_elsewhere(7));
  EXPECT_EQ(b_->remote_count(), 2u);
}

}  // namespace
}  // namespace parley::bus
