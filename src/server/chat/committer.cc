#include "server/chat/committer.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <vector>

#include <spdlog/spdlog.h>

#ifdef __linux__
#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace parley::chat {

namespace {

// Names the calling thread, so `top -H` and per-thread CPU figures tell the two apart.
void name_thread(const char* name) {
#ifdef __linux__
  pthread_setname_np(pthread_self(), name);
#else
  (void)name;
#endif
}

// Every commit passes through the committer thread alone, so when the cores are busy the
// time it waits for one is added to every send's latency, while the I/O threads' work is
// spread over several threads. It asks for a priority 5 steps above the process's
// (bench/RESULTS.md: about a quarter less waiting for a core at 5,500 msgs/s). Only where the
// process may raise a priority (root, CAP_SYS_NICE, or RLIMIT_NICE: the packaged unit's
// LimitNICE); elsewhere it keeps the process's.
void raise_priority() {
#ifdef __linux__
  const auto tid = static_cast<id_t>(syscall(SYS_gettid));
  errno = 0;
  const int nice = getpriority(PRIO_PROCESS, tid);
  if (errno != 0) return;
  const int wanted = std::max(nice - 5, -20);
  if (setpriority(PRIO_PROCESS, tid, wanted) == 0) {
    spdlog::debug("committer thread at nice {}", wanted);
  } else {
    spdlog::debug("committer thread stays at nice {}: raising it is not permitted", nice);
  }
#endif
}

}  // namespace

Committer::Committer(store::Store& store, std::size_t queue_limit, std::size_t batch_max,
                     std::size_t handoff_max)
    : Committer([&store](std::span<store::WriteOp* const> ops) { return store.write(ops); }, queue_limit,
                batch_max, handoff_max, [&store] { return store.flush_committed(); }) {}

Committer::Committer(BatchWrite write, std::size_t queue_limit, std::size_t batch_max,
                     std::size_t handoff_max, Flush flush)
    : write_(std::move(write)),
      flush_(std::move(flush)),
      queue_limit_(queue_limit),
      batch_max_(batch_max),
      handoff_max_(std::max<std::size_t>(handoff_max, 1)) {
  finisher_ = std::thread([this] { run_finish(); });
  thread_ = std::thread([this] { run(); });
}

Committer::~Committer() { stop(); }

void Committer::submit(std::unique_ptr<PendingOp> op) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_ && queue_.size() < queue_limit_) {
      queue_.push_back(std::move(op));
      cv_.notify_one();
      return;
    }
    ++stats_.rejected_ops;
  }
  op->finish(Error::make(Errc::kUnavailable, "the server is overloaded or shutting down"));
}

void Committer::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    cv_.notify_one();
  }
  // The committer drains the queue into the hand-off and returns; the finisher then
  // finishes what was handed over and returns.
  if (thread_.joinable()) thread_.join();
  if (finisher_.joinable()) finisher_.join();
}

CommitterStats Committer::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void Committer::run() {
  name_thread("parley-commit");
  raise_priority();
  std::vector<std::unique_ptr<PendingOp>> batch;
  std::vector<store::WriteOp*> raw;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) break;  // stopping and drained
      while (!queue_.empty() && batch.size() < batch_max_) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    raw.clear();
    for (auto& op : batch) raw.push_back(op.get());
    auto start = std::chrono::steady_clock::now();
    Status status = write_(raw);
    auto us = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                        std::chrono::steady_clock::now() - start)
                                        .count());
    if (!status.ok())
      spdlog::error("commit of {} operations failed: {}", batch.size(), status.error().message);
    {
      std::lock_guard lock(mu_);
      ++stats_.batches;
      stats_.ops += batch.size();
      stats_.commit_us_total += us;
      if (batch.size() > stats_.max_batch) stats_.max_batch = batch.size();
      if (!status.ok()) ++stats_.failed_batches;
    }
    if (on_batch) on_batch(batch.size(), us);
    hand_over(Committed{std::move(batch), std::move(status)});
    batch.clear();  // moved from: make it a valid empty vector again
  }
  std::lock_guard lock(handoff_mu_);
  committed_all_ = true;
  handoff_cv_.notify_all();
}

void Committer::hand_over(Committed batch) {
  std::unique_lock lock(handoff_mu_);
  if (handoff_.size() >= handoff_max_) {
    {
      std::lock_guard stats_lock(mu_);
      ++stats_.handoff_waits;
    }
    handoff_cv_.wait(lock, [&] { return handoff_.size() < handoff_max_; });
  }
  handoff_.push_back(std::move(batch));
  handoff_cv_.notify_all();
}

void Committer::run_finish() {
  name_thread("parley-finish");
  std::vector<Committed> batches;
  for (;;) {
    batches.clear();
    {
      std::unique_lock lock(handoff_mu_);
      handoff_cv_.wait(lock, [&] { return committed_all_ || !handoff_.empty(); });
      if (handoff_.empty()) return;  // the committer has returned and all is finished
      while (!handoff_.empty()) {
        batches.push_back(std::move(handoff_.front()));
        handoff_.pop_front();
      }
      handoff_cv_.notify_all();  // room for the committer
    }
    // Nothing of a batch is answered or published before it is durable. When the flush
    // fails, whether the batches are on disk is unknown and cannot be learned (after a
    // failed fdatasync the kernel may have dropped the pages it could not write, so a
    // second one succeeds and proves nothing): "done" could be a lie, and so could
    // "failed". The process stops without answering; on restart the store recovers what
    // reached the disk, and clients resend what was never acknowledged (their client ids
    // make that safe).
    const bool any_committed = std::any_of(batches.begin(), batches.end(),
                                           [](const Committed& b) { return b.status.ok(); });
    if (flush_ && any_committed) {
      if (Status flushed = flush_(); !flushed.ok()) {
        spdlog::critical("stopping: committed writes could not be made durable: {}",
                         flushed.error().message);
        spdlog::shutdown();
        std::abort();
      }
    }
    for (auto& batch : batches) {
      auto finish_batch = [&] {
        for (auto& op : batch.ops) op->finish(batch.status);
      };
      if (around_finish)
        around_finish(finish_batch);
      else
        finish_batch();
    }
  }
}
}  // namespace parley::chat
