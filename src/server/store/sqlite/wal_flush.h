// Durability of the SQLite store's commits when COMMIT does not flush (the default).
//
// The writer runs with synchronous=NORMAL: its COMMIT writes the batch's WAL frames to the
// file and publishes them to readers, without waiting for the disk. A WAL database stays
// consistent after a power loss in that mode (SQLite flushes the WAL before every
// checkpoint and the database file after it; recovery keeps the frames whose checksum chain
// is whole), but the last commits may be lost. WalFlush closes that gap: nothing of a
// commit leaves the store (the committer's acks and events, any read that could see it)
// before an fdatasync of the WAL that began after its COMMIT returned has succeeded. So
// the committer applies the next batch while the last one is being flushed, instead of
// waiting for the flush inside COMMIT.
//
// Commits are counted twice: `started` just before COMMIT, `returned` once it returned
// (failed or not). A reader's snapshot taken at any moment holds at most the `started`
// commits read after it; a flush that starts at `returned` = r makes the first r commits
// durable. Thread-safe: the writer counts, the committer's finisher and readers flush.
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>

#include "common/result.h"

namespace parley::store::sqlite {

class WalFlush {
 public:
  // Opens the WAL of the writer's main database (it exists once the writer has read the
  // database in WAL mode), flushes it (what an earlier process committed without flushing
  // is read from now on) and flushes the data directory, so the WAL's name is durable.
  static Result<std::unique_ptr<WalFlush>> open(sqlite3* writer);
  ~WalFlush();
  WalFlush(const WalFlush&) = delete;
  WalFlush& operator=(const WalFlush&) = delete;

  // The writer, around each COMMIT.
  void commit_starting() { started_.fetch_add(1, std::memory_order_seq_cst); }
  void commit_returned();

  // An upper bound of the commits a snapshot taken before this call may hold.
  uint64_t visible_bound() const { return started_.load(std::memory_order_seq_cst); }

  // Returns once the first `bound` commits are durable: at once when they are, otherwise
  // after a flush that covers them (one running now, or one this call runs, beside flushes
  // running that began before those commits returned). A failed flush
  // fails this and every later call: after a failed fdatasync the kernel may have dropped
  // the pages it could not write, so a retry proves nothing.
  Status wait_durable(uint64_t bound);
  // wait_durable() for every commit that has returned.
  Status flush_returned();

  uint64_t flushes() const { return flushes_.load(std::memory_order_relaxed); }
  uint64_t flush_us() const { return flush_us_.load(std::memory_order_relaxed); }

 private:
  explicit WalFlush(int fd) : fd_(fd) {}

  const int fd_;
  std::atomic<uint64_t> started_{0};
  std::atomic<uint64_t> durable_{0};  // written under mu_, read without it on the fast path
  std::mutex mu_;
  std::condition_variable cv_;  // a COMMIT returned, or a flush ended
  uint64_t returned_ = 0;       // guarded by mu_
  uint64_t covering_ = 0;       // guarded by mu_: the most any flush begun so far covers
  bool failed_ = false;         // guarded by mu_
  std::atomic<uint64_t> flushes_{0};
  std::atomic<uint64_t> flush_us_{0};
};

}  // namespace parley::store::sqlite
