// Group commit. Every write of the domain becomes a PendingOp queued here; one thread
// takes whatever has accumulated (up to batch_max ops), runs it as one store transaction,
// and then finishes each op in order. While one batch is being fsynced the next one fills
// up, so throughput does not depend on one fsync per message and nothing waits for a
// timer. Ops are finished in commit order, which is what keeps events of one conversation
// in seq order on every connection.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "server/store/store.h"

namespace parley::chat {

template <class T>
using Callback = std::function<void(Result<T>)>;

// The value of a write that has nothing to return.
struct Done {};

// A write waiting to be committed. apply() runs inside the transaction; finish() runs on
// the committer thread after the commit (or its failure), in queue order.
class PendingOp : public store::WriteOp {
 public:
  virtual void finish(const Status& commit) = 0;
};

// A PendingOp from a function of the transaction and a completion callback.
template <class T, class ApplyFn>
class FunctionOp final : public PendingOp {
 public:
  FunctionOp(ApplyFn apply, Callback<T> done) : apply_(std::move(apply)), done_(std::move(done)) {}
  // An error result undoes the op's writes (store::WriteOp): an operation of the domain
  // commits completely or not at all, whatever it wrote before it failed.
  Status apply(store::WriteTxn& txn) override {
    result_.emplace(apply_(txn));
    if (!result_->ok()) return result_->error();
    return {};
  }
  void finish(const Status& commit) override {
    if (!commit.ok())
      done_(commit.error());
    else
      done_(std::move(*result_));
  }

 private:
  ApplyFn apply_;
  Callback<T> done_;
  std::optional<Result<T>> result_;
};

template <class T, class ApplyFn>
std::unique_ptr<PendingOp> make_op(ApplyFn apply, Callback<T> done) {
  return std::make_unique<FunctionOp<T, ApplyFn>>(std::move(apply), std::move(done));
}

struct CommitterStats {
  uint64_t batches = 0;
  uint64_t ops = 0;
  uint64_t failed_batches = 0;
  uint64_t rejected_ops = 0;  // queue full or stopped
  uint64_t commit_us_total = 0;
  uint64_t max_batch = 0;
};

class Committer {
 public:
  // `queue_limit` bounds the ops waiting (beyond it submit() refuses with kUnavailable).
  Committer(store::Store& store, std::size_t queue_limit, std::size_t batch_max);
  ~Committer();  // stop()s

  // Queues an op. When the queue is full or stopping, finishes the op at once with
  // kUnavailable on the calling thread. Thread-safe.
  void submit(std::unique_ptr<PendingOp> op);

  // Stops accepting, commits and finishes everything queued, joins the thread. Idempotent.
  void stop();

  CommitterStats stats() const;
  // Called after every batch with (batch size, commit microseconds); set before use.
  std::function<void(std::size_t, uint64_t)> on_batch;

 private:
  void run();

  store::Store& store_;
  const std::size_t queue_limit_;
  const std::size_t batch_max_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<PendingOp>> queue_;  // guarded by mu_
  bool stopping_ = false;                          // guarded by mu_
  CommitterStats stats_;                           // guarded by mu_
  std::thread thread_;
};

}  // namespace parley::chat
