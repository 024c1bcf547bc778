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
// Commits are numbered, and counted twice: `started` just before COMMIT, `returned` once
// it returned (failed or not); a flush that starts at `returned` = r makes the commits
// numbered up to r durable. Each commit writes its number (next_commit()) into the
// database (meta 'commit'), so a reader learns from its own snapshot exactly which commits
// it holds, and never waits for one that it cannot see (visible_bound() is only an upper
// bound: it counts a COMMIT still writing).
//
// Under a steady stream of commits nearly every snapshot holds one not yet flushed, so a
// read of one conversation's rows, or of one user's, waits only for the commits that
// touched them: before COMMIT the writer marks each conversation and user its commit
// changes (or every one, touch_all()), and such a read's bound is the last commit that
// marked its scope, if its snapshot holds that commit. Marks share slots (scopes hashed
// into kSlots): a shared slot only makes a read wait for more.
//
// Thread-safe: the writer counts and marks, the committer's finisher and readers flush.
#pragma once

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <cstddef>
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
  // `committed`: the number of the last commit, as the database records it; numbering
  // goes on from there, and every commit up to it counts as durable once open() returns.
  static Result<std::unique_ptr<WalFlush>> open(sqlite3* writer, uint64_t committed = 0);
  ~WalFlush();
  WalFlush(const WalFlush&) = delete;
  WalFlush& operator=(const WalFlush&) = delete;

  // The writer: the number of the commit it prepares (it writes it into the transaction),
  // then around its COMMIT.
  uint64_t next_commit() const { return started_.load(std::memory_order_relaxed) + 1; }
  void commit_starting() { started_.fetch_add(1, std::memory_order_seq_cst); }
  void commit_returned();

  // What a scoped read depends on: the rows of one conversation or of one user.
  enum class Scope : uint64_t { kConversation = 0, kUser = 1 };
  // The writer, inside the transaction of commit next_commit(): it changes rows that a
  // read of that scope may return, or that any scoped read may.
  void touch(Scope scope, int64_t id) { slot(scope, id).store(next_commit(), std::memory_order_seq_cst); }
  void touch_all() { touched_all_.store(next_commit(), std::memory_order_seq_cst); }
  // For a read of one scope whose snapshot holds the commits up to `visible`, called after
  // it took its snapshot: the last of them it must wait for.
  uint64_t scoped_bound(uint64_t visible, Scope scope, int64_t id) const {
    const uint64_t touched = std::max(touched_all_.load(std::memory_order_seq_cst),
                                      slot(scope, id).load(std::memory_order_seq_cst));
    return std::min(visible, touched);
  }

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
  WalFlush(int fd, uint64_t committed)
      : fd_(fd), started_(committed), durable_(committed), returned_(committed), covering_(committed) {}

  static constexpr std::size_t kSlots = 4096;

  // Ids are dense: conversations on even slots, users on odd ones.
  static std::size_t index(Scope scope, int64_t id) {
    return (static_cast<uint64_t>(id) * 2 + static_cast<uint64_t>(scope)) % kSlots;
  }
  std::atomic<uint64_t>& slot(Scope scope, int64_t id) { return touched_[index(scope, id)]; }
  const std::atomic<uint64_t>& slot(Scope scope, int64_t id) const { return touched_[index(scope, id)]; }

  const int fd_;
  std::atomic<uint64_t> started_{0};
  // The last commit that marked each slot, and all of them (0: none since open, whose
  // flush made every earlier commit durable).
  std::array<std::atomic<uint64_t>, kSlots> touched_{};
  std::atomic<uint64_t> touched_all_{0};
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
