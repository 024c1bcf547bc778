#include "server/chat/rate_limiter.h"

#include <gtest/gtest.h>

namespace parley::chat {
namespace {

TEST(RateLimiter, AllowsTheBurstThenRefusesWithTheWaitUntilTheNextToken) {
  RateLimiter limiter(2, 3);  // 2 per second, bursts of 3
  EXPECT_EQ(limiter.acquire("u1", 1000), 0);
  EXPECT_EQ(limiter.acquire("u1", 1000), 0);
  EXPECT_EQ(limiter.acquire("u1", 1000), 0);
  EXPECT_EQ(limiter.acquire("u1", 1000), 500);
  EXPECT_EQ(limiter.acquire("u1", 1500), 0);  // refilled one token
  EXPECT_GT(limiter.acquire("u1", 1500), 0);
}

TEST(RateLimiter, SeveralTokensAreTakenAllOrNone) {
  RateLimiter limiter(1, 4);  // 1 per second, bursts of 4
  EXPECT_EQ(limiter.acquire("u", 0, 3), 0);
  EXPECT_EQ(limiter.acquire("u", 0, 2), 1000);  // one left: nothing taken, wait for one more
  EXPECT_EQ(limiter.acquire("u", 0, 1), 0);     // the one left is still there
  EXPECT_EQ(limiter.acquire("u", 0, 100), 4000);  // beyond the burst counts as the burst
  EXPECT_EQ(limiter.acquire("u", 4000, 100), 0);
}

TEST(RateLimiter, KeysAreIndependent) {
  RateLimiter limiter(1, 1);
  EXPECT_EQ(limiter.acquire("a", 0), 0);
  EXPECT_GT(limiter.acquire("a", 0), 0);
  EXPECT_EQ(limiter.acquire("b", 0), 0);
}

TEST(RateLimiter, ZeroRateDisablesLimiting) {
  RateLimiter limiter(0, 0);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(limiter.acquire("a", 0), 0);
}

TEST(RateLimiter, ManyIdleKeysAreSweptWithoutForgettingBusyOnes) {
  RateLimiter limiter(1, 2);
  EXPECT_EQ(limiter.acquire("busy", 0), 0);
  EXPECT_EQ(limiter.acquire("busy", 0), 0);
  for (int i = 0; i < 100000; ++i) (void)limiter.acquire("k" + std::to_string(i), 0);
  EXPECT_GT(limiter.acquire("busy", 0), 0);  // still limited after sweeps
}

}  // namespace
}  // namespace parley::chat
