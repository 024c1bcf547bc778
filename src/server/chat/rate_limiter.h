// Token-bucket rate limiting keyed by a string (a user id, a client address...).
// Thread-safe; sharded so that unrelated keys rarely contend. Memory is bounded: buckets
// that have refilled completely carry no information and are swept out.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace parley::chat {

class RateLimiter {
 public:
  // `rate_per_sec` tokens are added per second up to `burst`. A rate <= 0 disables limiting.
  RateLimiter(double rate_per_sec, double burst);

  // Takes one token for `key` at monotonic time `now_ms`. Returns 0 when allowed, else the
  // milliseconds until a token will be available (nothing is taken then).
  int64_t acquire(std::string_view key, int64_t now_ms) { return acquire(key, now_ms, 1.0); }
  // Takes `tokens` at once (all or none; more than the burst counts as the burst).
  int64_t acquire(std::string_view key, int64_t now_ms, double tokens);

 private:
  struct Bucket {
    double tokens;
    int64_t updated_ms;
  };
  struct Shard {
    std::mutex mu;
    std::unordered_map<std::string, Bucket> buckets;  // guarded by mu
    std::size_t sweep_at = kSweepAbove;                // guarded by mu
  };
  static constexpr std::size_t kShards = 16;
  static constexpr std::size_t kSweepAbove = 4096;  // per shard

  double refill(const Bucket& b, int64_t now_ms) const;
  void sweep(Shard& shard, int64_t now_ms);

  const double rate_per_ms_;
  const double burst_;
  std::array<Shard, kShards> shards_;
};

}  // namespace parley::chat
