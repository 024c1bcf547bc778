#include "server/chat/rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <functional>

namespace parley::chat {

RateLimiter::RateLimiter(double rate_per_sec, double burst)
    : rate_per_ms_(rate_per_sec / 1000.0), burst_(std::max(1.0, burst)) {}

double RateLimiter::refill(const Bucket& b, int64_t now_ms) const {
  double elapsed = static_cast<double>(std::max<int64_t>(0, now_ms - b.updated_ms));
  return std::min(burst_, b.tokens + elapsed * rate_per_ms_);
}

void RateLimiter::sweep(Shard& shard, int64_t now_ms) {
  for (auto it = shard.buckets.begin(); it != shard.buckets.end();) {
    if (refill(it->second, now_ms) >= burst_)
      it = shard.buckets.erase(it);
    else
      ++it;
  }
  // When many keys are genuinely busy, sweeping again on the next call would make every
  // call O(keys): wait until the map has doubled, so sweeping stays O(1) amortised.
  shard.sweep_at = std::max(kSweepAbove, shard.buckets.size() * 2);
}

int64_t RateLimiter::acquire(std::string_view key, int64_t now_ms, double tokens) {
  if (rate_per_ms_ <= 0 || tokens <= 0) return 0;
  const double want = std::min(tokens, burst_);
  Shard& shard = shards_[std::hash<std::string_view>{}(key) % kShards];
  std::lock_guard lock(shard.mu);
  if (shard.buckets.size() > shard.sweep_at) sweep(shard, now_ms);
  auto [it, inserted] = shard.buckets.try_emplace(std::string(key), Bucket{burst_, now_ms});
  Bucket& b = it->second;
  b.tokens = refill(b, now_ms);
  b.updated_ms = now_ms;
  if (b.tokens >= want) {
    b.tokens -= want;
    return 0;
  }
  return static_cast<int64_t>(std::ceil((want - b.tokens) / rate_per_ms_));
}

}  // namespace parley::chat
