#include "server/bus/local_bus.h"

#include <gtest/gtest.h>

namespace parley::bus {
namespace {

class FakeDevice : public Subscriber {
 public:
  FakeDevice(uint64_t conn, int64_t session) : conn_(conn), session_(session) {}
  uint64_t connection_id() const override { return conn_; }
  int64_t session_id() const override { return session_; }
  void deliver(const std::shared_ptr<const std::string>& frame) override { frames.push_back(frame); }
  void revoke() override { ++revoked; }
  std::vector<std::shared_ptr<const std::string>> frames;
  int revoked = 0;

 private:
  uint64_t conn_;
  int64_t session_;
};

Envelope frame_to(std::vector<int64_t> users, uint64_t exclude, std::string text) {
  Envelope e;
  e.user_ids = std::move(users);
  e.exclude_connection = exclude;
  e.frame = std::make_shared<const std::string>(std::move(text));
  return e;
}

TEST(LocalBus, DeliversOneSharedFrameToEveryDeviceOfEveryRecipientExceptTheSender) {
  LocalBus bus;
  auto a1 = std::make_shared<FakeDevice>(1, 10), a2 = std::make_shared<FakeDevice>(2, 11);
  auto b1 = std::make_shared<FakeDevice>(3, 20), c1 = std::make_shared<FakeDevice>(4, 30);
  bus.subscribe(100, a1);
  bus.subscribe(100, a2);
  bus.subscribe(200, b1);
  bus.subscribe(300, c1);
  bus.publish(frame_to({100, 200}, 1, "m"));
  EXPECT_TRUE(a1->frames.empty());
  ASSERT_EQ(a2->frames.size(), 1u);
  ASSERT_EQ(b1->frames.size(), 1u);
  EXPECT_EQ(a2->frames[0].get(), b1->frames[0].get());  // encoded once, shared
  EXPECT_TRUE(c1->frames.empty());
}

TEST(LocalBus, UnsubscribedAndDestroyedDevicesReceiveNothing) {
  LocalBus bus;
  auto a1 = std::make_shared<FakeDevice>(1, 10);
  bus.subscribe(100, a1);
  {
    auto gone = std::make_shared<FakeDevice>(2, 11);
    bus.subscribe(100, gone);
  }
  bus.unsubscribe(100, 1);
  bus.publish(frame_to({100}, 0, "m"));
  EXPECT_TRUE(a1->frames.empty());
  EXPECT_EQ(bus.subscriber_count(), 1u);  // the destroyed one lingers until unsubscribed
}

TEST(LocalBus, RevokeReachesOnlyTheNamedSessions) {
  LocalBus bus;
  auto a1 = std::make_shared<FakeDevice>(1, 10), a2 = std::make_shared<FakeDevice>(2, 11);
  bus.subscribe(100, a1);
  bus.subscribe(100, a2);
  Envelope e;
  e.kind = Envelope::Kind::kRevokeSessions;
  e.user_ids = {100};
  e.session_ids = {11};
  bus.publish(e);
  EXPECT_EQ(a1->revoked, 0);
  EXPECT_EQ(a2->revoked, 1);
}

TEST(LocalBus, ASessionFrameReachesOnlyTheListedSessionsAndNeverTheExcludedOne) {
  LocalBus bus;
  auto a1 = std::make_shared<FakeDevice>(1, 10), a2 = std::make_shared<FakeDevice>(2, 11);
  auto a3 = std::make_shared<FakeDevice>(3, 12);
  bus.subscribe(100, a1);
  bus.subscribe(100, a2);
  bus.subscribe(100, a3);
  Envelope only = frame_to({100}, 0, "only");
  only.session_ids = {11};
  EXPECT_EQ(bus.publish(only), 1u);
  Envelope except = frame_to({100}, 0, "except");
  except.exclude_session = 11;
  EXPECT_EQ(bus.publish(except), 2u);
  EXPECT_EQ(a1->frames.size(), 1u);
  EXPECT_EQ(a3->frames.size(), 1u);
  ASSERT_EQ(a2->frames.size(), 1u);
  EXPECT_EQ(*a2->frames[0], "only");
}

}  // namespace
}  // namespace parley::bus
