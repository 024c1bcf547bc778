// Counts a store's committed write() batches and the time their COMMIT alone took
// (StoreStats::commits, commit_finish_us). Thread-safe: the writer adds, /metrics reads.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "server/store/store.h"

namespace parley::store {

class CommitCounter {
 public:
  using Clock = std::chrono::steady_clock;

  // One COMMIT that started at `started` has succeeded now.
  void committed(Clock::time_point started) {
    commits_.fetch_add(1, std::memory_order_relaxed);
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started).count();
    finish_us_.fetch_add(static_cast<uint64_t>(us), std::memory_order_relaxed);
  }

  void fill(StoreStats& stats) const {
    stats.commits = commits_.load(std::memory_order_relaxed);
    stats.commit_finish_us = finish_us_.load(std::memory_order_relaxed);
  }

 private:
  std::atomic<uint64_t> commits_{0};
  std::atomic<uint64_t> finish_us_{0};
};

}  // namespace parley::store
