// The NATS bus between two "nodes" (two NatsBus instances) through a real nats-server.
#include "server/bus/nats_bus.h"

#include <chrono>
#include <functional>
#include <thread>

#include <gtest/gtest.h>

#include "server/bus/nats_test_server.h"

namespace parley::bus {
namespace {

using test::eventually;
using test::free_port;
using test::NatsServer;

using namespace std::chrono_literals;

class FakeDevice : public Subscriber {
 public:
  FakeDevice(uint64_t conn, int64_t session) : conn_(conn), session_(session) {}
  uint64_t connection_id() const override { return conn_; }
  int64_t session_id() const override { return session_; }
  void deliver(const std::shared_ptr<const std::string>& frame) override {
    std::lock_guard lock(mu_);
    frames_.push_back(*frame);
  }
  void revoke() override {
    std::lock_guard lock(mu_);
    ++revoked_;
  }
  std::vector<std::string> frames() const {
    std::lock_guard lock(mu_);
    return frames_;
  }
  int revoked() const {
    std::lock_guard lock(mu_);
    return revoked_;
  }

 private:
  uint64_t conn_;
  int64_t session_;
  mutable std::mutex mu_;
  std::vector<std::string> frames_;
  int revoked_ = 0;
};

class NatsBusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<NatsServer>(free_port());
    ASSERT_TRUE(server_->running()) << "nats-server is not installed (scripts/install-deps.sh --test)";
    a_ = open_node();
    b_ = open_node();
    ASSERT_TRUE(a_ && b_);
  }

  std::unique_ptr<NatsBus> open_node(int64_t hold_ms = HoldBackOptions{}.hold_ms) {
    std::unique_ptr<NatsBus> bus;
    eventually([&] {  // the server may still be starting
      HoldBackOptions order;
      order.hold_ms = hold_ms;
      auto opened = NatsBus::open(NatsBusOptions{{server_->url()}, "test", 1 << 16, 50, order});
      if (opened) bus = std::move(opened).value();
      return bus != nullptr;
    });
    return bus;
  }

  static Envelope frame_to(std::vector<int64_t> users, uint64_t exclude, std::string text) {
    Envelope e;
    e.user_ids = std::move(users);
    e.exclude_connection = exclude;
    e.frame = std::make_shared<const std::string>(std::move(text));
    return e;
  }

  // A message event of conversation 30 whose frame is its seq.
  static Envelope message_to(int64_t user, int64_t seq) {
    Envelope e = frame_to({user}, 0, std::to_string(seq));
    e.conversation_id = 30;
    e.seq = seq;
    return e;
  }

  static bool holds(const NatsBus& bus, int n) {
    return bus.metrics_text().find("parley_bus_order_held " + std::to_string(n) + "\n") != std::string::npos;
  }

  std::unique_ptr<NatsServer> server_;
  std::unique_ptr<NatsBus> a_, b_;
};

// The hold is a minute here so that no deadline can pass while the test runs.
TEST_F(NatsBusTest, AMessageFromAnotherNodeWaitsForTheEarlierSeqCommittedHere) {
  auto a = open_node(60000), b = open_node(60000);
  ASSERT_TRUE(a && b);
  auto device = std::make_shared<FakeDevice>(1, 1);
  b->subscribe(5, device);
  ASSERT_TRUE(b->flush(10000));
  b->publish(message_to(5, 9));
  a->publish(message_to(5, 11));  // seq 10 is being committed on b
  ASSERT_TRUE(eventually([&] { return holds(*b, 1); }));
  EXPECT_EQ(device->frames(), std::vector<std::string>{"9"});
  b->publish(message_to(5, 10));
  EXPECT_EQ(device->frames(), (std::vector<std::string>{"9", "10", "11"}));
  EXPECT_TRUE(holds(*b, 0));
}

TEST_F(NatsBusTest, ANodeWithoutHoldBackSendsTheEarlierFormatWhichIsDeliveredAtOnce) {
  auto old = open_node(0), b = open_node(60000);
  ASSERT_TRUE(old && b);
  auto device = std::make_shared<FakeDevice>(1, 1);
  b->subscribe(5, device);
  ASSERT_TRUE(b->flush(10000));
  b->publish(message_to(5, 9));
  old->publish(message_to(5, 11));
  ASSERT_TRUE(eventually([&] { return device->frames().size() == 2; }));
  EXPECT_EQ(device->frames(), (std::vector<std::string>{"9", "11"}));
  EXPECT_EQ(b->stats().received_invalid, 0u);
  EXPECT_TRUE(holds(*b, 0));
}

TEST_F(NatsBusTest, AFrameReachesTheUsersDevicesOnBothNodesExactlyOnce) {
  auto on_a = std::make_shared<FakeDevice>(1, 10), sender = std::make_shared<FakeDevice>(2, 11);
  auto on_b = std::make_shared<FakeDevice>(1, 12);  // same connection id: ids are per node
  a_->subscribe(7, on_a);
  a_->subscribe(7, sender);
  b_->subscribe(7, on_b);
  ASSERT_TRUE(b_->flush(10000));  // B's interest is known to the server
  EXPECT_EQ(a_->publish(frame_to({7, 8}, 2, "hello")), 1u);  // local: on_a only
  ASSERT_TRUE(eventually([&] { return on_b->frames().size() == 1; }));
  // A round trip through both nodes: anything still travelling has arrived.
  ASSERT_TRUE(a_->flush(10000));
  ASSERT_TRUE(b_->flush(10000));
  EXPECT_EQ(on_a->frames(), std::vector<std::string>{"hello"});
  EXPECT_EQ(on_b->frames(), std::vector<std::string>{"hello"});
  EXPECT_TRUE(sender->frames().empty());
  EXPECT_EQ(a_->stats().received, 0u);  // no echo of its own publication
  EXPECT_EQ(b_->stats().received, 1u);
  EXPECT_EQ(a_->stats().published, 2u);  // one per recipient user
}

TEST_F(NatsBusTest, FramesFromOneNodeArriveInPublishingOrder) {
  auto on_b = std::make_shared<FakeDevice>(1, 1);
  b_->subscribe(5, on_b);
  ASSERT_TRUE(b_->flush(10000));
  constexpr int kFrames = 2000;
  for (int i = 0; i < kFrames; ++i) a_->publish(frame_to({5}, 0, std::to_string(i)));
  ASSERT_TRUE(eventually([&] { return on_b->frames().size() == kFrames; }));
  auto frames = on_b->frames();
  for (int i = 0; i < kFrames; ++i) ASSERT_EQ(frames[static_cast<std::size_t>(i)], std::to_string(i));
}

TEST_F(NatsBusTest, RevocationClosesOnlyTheNamedSessionsOnTheOtherNode) {
  auto s1 = std::make_shared<FakeDevice>(1, 100), s2 = std::make_shared<FakeDevice>(2, 200);
  b_->subscribe(9, s1);
  b_->subscribe(9, s2);
  ASSERT_TRUE(b_->flush(10000));
  Envelope e;
  e.kind = Envelope::Kind::kRevokeSessions;
  e.user_ids = {9};
  e.session_ids = {100};
  EXPECT_EQ(a_->publish(e), 0u);
  ASSERT_TRUE(eventually([&] { return s1->revoked() == 1; }));
  ASSERT_TRUE(a_->flush(10000));
  ASSERT_TRUE(b_->flush(10000));
  EXPECT_EQ(s2->revoked(), 0);
}

TEST_F(NatsBusTest, ANodeStopsReceivingAUserWhenItsLastDeviceLeaves) {
  auto d1 = std::make_shared<FakeDevice>(1, 1), d2 = std::make_shared<FakeDevice>(2, 2);
  b_->subscribe(3, d1);
  b_->subscribe(3, d2);
  ASSERT_TRUE(eventually([&] { return b_->stats().user_subscriptions == 1; }));
  b_->unsubscribe(3, 1);
  ASSERT_TRUE(b_->flush(10000));
  EXPECT_EQ(b_->stats().user_subscriptions, 1u);  // d2 still there
  b_->unsubscribe(3, 2);
  ASSERT_TRUE(b_->flush(10000));
  EXPECT_EQ(b_->stats().user_subscriptions, 0u);
  a_->publish(frame_to({3}, 0, "nobody"));
  ASSERT_TRUE(a_->flush(10000));
  ASSERT_TRUE(b_->flush(10000));
  EXPECT_EQ(b_->stats().received, 0u);
}

TEST_F(NatsBusTest, AfterARestartOfTheServerDevicesAreToldToSyncAndRoutingResumes) {
  auto on_a = std::make_shared<FakeDevice>(1, 1), on_b = std::make_shared<FakeDevice>(1, 2);
  a_->subscribe(6, on_a);
  b_->subscribe(4, on_b);
  ASSERT_TRUE(b_->flush(10000));
  a_->publish(frame_to({4}, 0, "before"));
  ASSERT_TRUE(eventually([&] { return on_b->frames().size() == 1; }));
  server_->stop();
  ASSERT_TRUE(eventually([&] { return !a_->stats().connected && !b_->stats().connected; }));
  server_->start();
  ASSERT_TRUE(eventually([&] { return a_->stats().connected && b_->stats().connected; }));
  EXPECT_GE(b_->stats().reconnects, 1u);
  const std::string resync = R"({"type":"resync"})";
  // Every local device of both nodes hears it; user 4 (A published to it just before the
  // disconnection) also hears it from A, through the bus.
  ASSERT_TRUE(eventually([&] { return on_a->frames().size() == 1; }));
  EXPECT_EQ(on_a->frames()[0], resync);
  ASSERT_TRUE(eventually([&] { return on_b->frames().size() >= 2; }));
  EXPECT_EQ(on_b->frames()[1], resync);
  // The subscription was replayed on reconnect: a publication after it arrives.
  ASSERT_TRUE(b_->flush(10000));
  a_->publish(frame_to({4}, 0, "after"));
  ASSERT_TRUE(eventually([&] { return !on_b->frames().empty() && on_b->frames().back() == "after"; }));
  for (std::size_t i = 1; i + 1 < on_b->frames().size(); ++i) EXPECT_EQ(on_b->frames()[i], resync);
  EXPECT_NE(a_->metrics_text().find("parley_bus_reconnects_total 1"), std::string::npos);
  EXPECT_GE(a_->stats().resyncs, 2u);  // on_a locally, user 4 remotely
}

TEST(NatsBusAuth, ConnectsWithTheCredentialsInItsUrlAndNotWithout) {
  const int port = free_port();
  NatsServer server(port, {"--user", "parley", "--pass", "secret"});
  ASSERT_TRUE(server.running());
  const std::string with = "nats://parley:secret@127.0.0.1:" + std::to_string(port);
  std::unique_ptr<NatsBus> bus;
  ASSERT_TRUE(eventually([&] {
    auto opened = NatsBus::open(NatsBusOptions{{with}, "test", 1024, 50, {}});
    if (opened) bus = std::move(opened).value();
    return bus != nullptr;
  }));
  auto refused = NatsBus::open(NatsBusOptions{{server.url()}, "test", 1024, 50, {}});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::kUnavailable);
}

TEST(ParseNatsServers, AcceptsAListAndRefusesGarbage) {
  auto ok = parse_nats_servers("nats://a:4222, b:4223,nats://127.0.0.1:1");
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, (std::vector<std::string>{"nats://a:4222", "nats://b:4223", "nats://127.0.0.1:1"}));
  auto creds = parse_nats_servers("nats://parley:secret@a:4222,tok@b:1");
  ASSERT_TRUE(creds);
  EXPECT_EQ(*creds, (std::vector<std::string>{"nats://parley:secret@a:4222", "nats://tok@b:1"}));
  for (const char* bad : {"", "nats://", "nats://a", "a:b", "a:99999", "nats://@a:1", "a:1,,b:2", "http://a:1"})
    EXPECT_FALSE(parse_nats_servers(bad)) << bad;
}

}  // namespace
}  // namespace parley::bus
