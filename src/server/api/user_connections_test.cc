// The per-account connection registry: the cap, and the session transitions it reports
// (the first connection of a session, its last one gone, evictions included).
#include "server/api/user_connections.h"

#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

namespace parley::api {
namespace {

class NullConnection : public WsConnection {
 public:
  explicit NullConnection(uint64_t id) : id_(id) {}
  uint64_t id() const override { return id_; }
  void send(std::shared_ptr<const std::string>) override {}
  void send_event(std::shared_ptr<const std::string>) override {}
  void close(uint16_t, std::string) override {}
  void post(std::function<void()> fn) override { fn(); }
  void on_authenticated() override {}
  std::size_t queued_bytes() const override { return 0; }

 private:
  uint64_t id_;
};

using Transition = std::tuple<int64_t, int64_t, bool>;

class UserConnectionsTest : public ::testing::Test {
 protected:
  explicit UserConnectionsTest(std::size_t cap = 2) : connections_(cap) {
    connections_.set_session_listener([this](int64_t u, int64_t s, bool on) { seen_.emplace_back(u, s, on); });
  }
  std::vector<std::shared_ptr<WsConnection>> add(int64_t user, int64_t session, uint64_t id) {
    auto c = std::make_shared<NullConnection>(id);
    kept_.push_back(c);
    return connections_.add(user, session, id, c);
  }
  UserConnections connections_;
  std::vector<std::shared_ptr<WsConnection>> kept_;
  std::vector<Transition> seen_;
};

TEST_F(UserConnectionsTest, ASessionIsReportedConnectedOnceAndGoneWithItsLastConnection) {
  add(1, 10, 100);
  add(1, 10, 101);  // the same device twice
  EXPECT_EQ(seen_, (std::vector<Transition>{{1, 10, true}}));
  EXPECT_TRUE(connections_.session_connected(1, 10));
  connections_.remove(1, 100);
  EXPECT_EQ(seen_.size(), 1u) << "one connection of the session is still open";
  EXPECT_TRUE(connections_.session_connected(1, 10));
  connections_.remove(1, 101);
  EXPECT_EQ(seen_.back(), (Transition{1, 10, false}));
  EXPECT_FALSE(connections_.session_connected(1, 10));
  connections_.remove(1, 101);  // again: nothing
  connections_.remove(2, 999);  // unknown
  EXPECT_EQ(seen_.size(), 2u);
}

TEST_F(UserConnectionsTest, AnEvictedConnectionEndsItsSessionAndItsCloseChangesNothingMore) {
  add(1, 10, 100);
  add(1, 11, 101);
  auto evicted = add(1, 12, 102);  // beyond the cap of 2: the oldest goes
  ASSERT_EQ(evicted.size(), 1u);
  EXPECT_EQ(evicted[0]->id(), 100u);
  EXPECT_EQ(seen_, (std::vector<Transition>{{1, 10, true}, {1, 11, true}, {1, 12, true}, {1, 10, false}}));
  EXPECT_FALSE(connections_.session_connected(1, 10));
  connections_.remove(1, 100);  // the evicted socket's close arrives later
  EXPECT_EQ(seen_.size(), 4u);
  EXPECT_EQ(connections_.count(1), 2u);
}

}  // namespace
}  // namespace parley::api
