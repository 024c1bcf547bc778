// Reconnection delays: exponential backoff with full jitter, capped, reset on success.
// The n-th consecutive failure (n = 0, 1, ...) waits a uniformly random time in
// [0, min(cap, base * 2^n)], so clients that lost the same server spread out instead of
// returning together. Not thread-safe: one owner (the core's network thread).
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace parley::client {

class Backoff {
 public:
  using Ms = std::chrono::milliseconds;
  static constexpr Ms kDefaultBase{500};
  static constexpr Ms kDefaultCap{30000};

  // `seed` makes the sequence reproducible in tests; 0 seeds from the system's entropy.
  explicit Backoff(Ms base = kDefaultBase, Ms cap = kDefaultCap, uint64_t seed = 0);

  // The delay before the next attempt, and counts the failure that caused it.
  Ms next_delay();
  // The upper bound next_delay() will draw from (for reporting: "retrying within N ms").
  Ms current_bound() const;
  // A connection succeeded: the next failure starts again from `base`.
  void reset() { failures_ = 0; }
  int failures() const { return failures_; }

 private:
  Ms base_;
  Ms cap_;
  int failures_ = 0;
  std::mt19937_64 rng_;
};

}  // namespace parley::client
