#include "client/backoff.h"

#include <gtest/gtest.h>

#include <set>

namespace parley::client {
namespace {

using Ms = Backoff::Ms;

TEST(Backoff, BoundDoublesFromBaseUpToTheCap) {
  Backoff b(Ms(500), Ms(30000), 1);
  const int64_t expected[] = {500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000};
  for (int64_t bound : expected) {
    EXPECT_EQ(b.current_bound().count(), bound);
    (void)b.next_delay();
  }
}

TEST(Backoff, EveryDelayLiesBetweenZeroAndItsBound) {
  Backoff b(Ms(100), Ms(5000), 7);
  for (int i = 0; i < 200; ++i) {
    const Ms bound = b.current_bound();
    const Ms d = b.next_delay();
    EXPECT_GE(d.count(), 0);
    EXPECT_LE(d.count(), bound.count());
  }
}

TEST(Backoff, ResetStartsAgainFromTheBase) {
  Backoff b(Ms(500), Ms(30000), 3);
  for (int i = 0; i < 5; ++i) (void)b.next_delay();
  EXPECT_EQ(b.current_bound().count(), 16000);
  b.reset();
  EXPECT_EQ(b.current_bound().count(), 500);
  EXPECT_EQ(b.failures(), 0);
}

TEST(Backoff, ClientsWithDifferentSeedsSpreadOutAfterTheSameFailure) {
  // Full jitter: 100 clients failing together at the cap pick many different delays.
  std::set<int64_t> delays;
  for (uint64_t seed = 1; seed <= 100; ++seed) {
    Backoff b(Ms(500), Ms(30000), seed);
    for (int i = 0; i < 6; ++i) (void)b.next_delay();
    delays.insert(b.next_delay().count());
  }
  EXPECT_GT(delays.size(), 90u);
}

TEST(Backoff, HugeFailureCountsStayAtTheCap) {
  Backoff b(Ms(1), Ms(1000), 5);
  for (int i = 0; i < 10000; ++i) (void)b.next_delay();
  EXPECT_EQ(b.current_bound().count(), 1000);
}

}  // namespace
}  // namespace parley::client
