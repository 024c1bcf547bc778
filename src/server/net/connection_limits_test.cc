#include "server/net/connection_limits.h"

#include <vector>

#include <gtest/gtest.h>

namespace parley::net {
namespace {

using Ticket = std::unique_ptr<ConnectionLimits::Ticket>;

TEST(ConnectionLimits, RefusesAnAddressAtItsCapButNotOthers) {
  ConnectionLimits limits({.max_total = 0, .max_per_address = 2});
  auto a = limits.admit("10.0.0.1"), b = limits.admit("10.0.0.1");
  ASSERT_TRUE(a.ticket && b.ticket);
  auto c = limits.admit("10.0.0.1");
  EXPECT_FALSE(c.ticket);
  EXPECT_EQ(c.refusal, ConnectionLimits::Refusal::kAddressFull);
  EXPECT_TRUE(limits.admit("10.0.0.2").ticket);
  a.ticket.reset();
  EXPECT_TRUE(limits.admit("10.0.0.1").ticket);
}

TEST(ConnectionLimits, AtTheCapTheOldestIdleConnectionMakesRoom) {
  ConnectionLimits limits({.max_total = 3, .max_per_address = 0});
  std::vector<int> closed;
  std::vector<Ticket> t;
  for (int i = 0; i < 3; ++i) {
    t.push_back(limits.admit("a").ticket);
    t.back()->set_closer([&closed, i] { closed.push_back(i); });
  }
  t[0]->set_idle(false);  // authenticated: never shed
  t[1]->set_idle(false);  // busy with a request...
  t[1]->set_idle(true);   // ...and idle again: now younger than t[2]
  auto d = limits.admit("b");
  ASSERT_TRUE(d.ticket);
  EXPECT_TRUE(d.shed_one);
  EXPECT_EQ(closed, std::vector<int>{2});
  EXPECT_TRUE(t[2]->shed());
  EXPECT_EQ(limits.open(), 3u);
  t[2].reset();  // a shed ticket frees nothing twice
  EXPECT_EQ(limits.open(), 3u);
  d.ticket->set_idle(false);
  ASSERT_TRUE(limits.admit("c").ticket);  // sheds t[1], the only idle one left
  EXPECT_EQ(closed, (std::vector<int>{2, 1}));
}

TEST(ConnectionLimits, RefusesWhenNothingIsIdle) {
  ConnectionLimits limits({.max_total = 1, .max_per_address = 0});
  auto a = limits.admit("a");
  a.ticket->set_idle(false);
  auto b = limits.admit("b");
  EXPECT_FALSE(b.ticket);
  EXPECT_EQ(b.refusal, ConnectionLimits::Refusal::kServerFull);
  EXPECT_FALSE(limits.shed_oldest_idle());
}

TEST(ConnectionLimits, AConnectionShedBeforeItHasACloserIsClosedWhenItGetsOne) {
  ConnectionLimits limits({.max_total = 1, .max_per_address = 0});
  auto a = limits.admit("a");
  ASSERT_TRUE(limits.admit("b").ticket);
  bool closed = false;
  a.ticket->set_closer([&] { closed = true; });
  EXPECT_TRUE(closed);
}

TEST(ConnectionLimits, AnUnaddressedConnectionCountsOnlyTowardTheTotalUntilItGetsAnAddress) {
  ConnectionLimits limits({.max_total = 4, .max_per_address = 1});
  // Two connections from the same proxy, neither counted under its address.
  auto p1 = limits.admit_unaddressed(), p2 = limits.admit_unaddressed();
  ASSERT_TRUE(p1.ticket && p2.ticket);
  EXPECT_EQ(limits.open(), 2u);
  EXPECT_TRUE(p1.ticket->set_address("198.51.100.1"));
  // The claimed address is now full: a second claim, and a direct connection, are refused.
  EXPECT_FALSE(p2.ticket->set_address("198.51.100.1"));
  EXPECT_EQ(limits.admit("198.51.100.1").refusal, ConnectionLimits::Refusal::kAddressFull);
  EXPECT_TRUE(p2.ticket->set_address("198.51.100.2"));
  // Moving to another address frees the first one.
  EXPECT_TRUE(p1.ticket->set_address("198.51.100.3"));
  EXPECT_TRUE(limits.admit("198.51.100.1").ticket);
  p2.ticket.reset();
  EXPECT_TRUE(limits.admit("198.51.100.2").ticket);
  EXPECT_EQ(limits.open(), 1u);  // p1 alone: the other tickets were dropped
}

TEST(ConnectionLimits, UnaddressedConnectionsAreShedLikeOthers) {
  ConnectionLimits limits({.max_total = 1, .max_per_address = 0});
  auto p = limits.admit_unaddressed();
  auto a = limits.admit("a");
  ASSERT_TRUE(a.ticket);
  EXPECT_TRUE(a.shed_one);
  EXPECT_TRUE(p.ticket->shed());
  EXPECT_FALSE(p.ticket->set_address("b"));
  EXPECT_EQ(limits.open(), 1u);
}

TEST(ConnectionLimits, TicketsMayOutliveTheLimits) {
  Ticket t;
  {
    ConnectionLimits limits({});
    t = limits.admit("a").ticket;
  }
  t->set_idle(false);
  t.reset();
}

}  // namespace
}  // namespace parley::net
