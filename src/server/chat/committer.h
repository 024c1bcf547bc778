// Group commit. Every write of the domain becomes a PendingOp queued here; one thread (the
// committer) takes whatever has accumulated (up to batch_max ops), runs it as one store
// transaction, and hands the committed batch to a second thread (the finisher). The
// finisher takes every batch handed over, makes them durable with one flush (the store's
// flush_committed: on SQLite an fdatasync of the WAL, on PostgreSQL nothing, its COMMIT
// waited for the flush) and then finishes each op in order: the callbacks' fan-out, push
// hand-off and answers run there. Meanwhile the committer already applies the next batch,
// and the next flush covers whatever committed during this one, so throughput does not
// depend on one flush per message and nothing waits for a timer. Ops are finished in
// commit order, batch after batch, which is what keeps events of one conversation in seq
// order on every connection. A failed flush stops the process (see run_finish).
//
// The hand-off holds at most `handoff_max` committed batches; when the finisher falls that
// far behind, the committer waits for it (so memory stays bounded and the backpressure
// reaches submit()'s queue limit). An op's finish() may therefore run after later batches
// were applied: nothing a finish() writes may be read by a later apply() (apply reads
// only the transaction), and finish() may not wait for another commit.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <vector>

#include "server/store/store.h"

namespace parley::chat {

template <class T>
using Callback = std::function<void(Result<T>)>;

// The value of a write that has nothing to return.
struct Done {};

// A write waiting to be committed. apply() runs inside the transaction, on the committer
// thread; finish() runs exactly once, on the finisher thread after the commit (or its
// failure), in queue order; or, when submit() refuses the op, on the submitting thread.
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
  uint64_t handoff_waits = 0;  // committed batches that waited for room in the hand-off
};

class Committer {
 public:
  // Committed batches that may wait for the finisher (at least 1).
  static constexpr std::size_t kDefaultHandoffMax = 2;

  // What the committer needs of a store: store::Store::write, called on one thread only.
  using BatchWrite = std::function<Status(std::span<store::WriteOp* const>)>;
  // What the committer needs to make a committed batch durable: store::Store::
  // flush_committed, called on the finisher thread while the committer writes.
  using Flush = std::function<Status()>;

  // `queue_limit` bounds the ops waiting (beyond it submit() refuses with kUnavailable);
  // `handoff_max` the committed batches waiting to be finished (the committer then waits).
  Committer(store::Store& store, std::size_t queue_limit, std::size_t batch_max,
            std::size_t handoff_max = kDefaultHandoffMax);
  // The same over any batch writer and flush (tests).
  Committer(BatchWrite write, std::size_t queue_limit, std::size_t batch_max,
            std::size_t handoff_max = kDefaultHandoffMax, Flush flush = {});
  ~Committer();  // stop()s

  // Queues an op. When the queue is full or stopping, finishes the op at once with
  // kUnavailable on the calling thread. Thread-safe.
  void submit(std::unique_ptr<PendingOp> op);

  // Stops accepting, commits and finishes everything queued (each op once, in order),
  // joins both threads. Idempotent. Not from inside a finish().
  void stop();

  CommitterStats stats() const;
  // Called after every batch, on the committer thread before the batch is handed over,
  // with (batch size, commit microseconds); set before use.
  std::function<void(std::size_t, uint64_t)> on_batch;
  // When set, the finisher calls it once per committed batch with the function that
  // finishes the batch's ops, which it must call once on the same thread (the server wraps
  // it in a net::SendBatch on a single node, so that a batch's frames reach each connection
  // in one post; not in a cluster, see main.cc); set before use.
  std::function<void(const std::function<void()>& finish_batch)> around_finish;

 private:
  // One committed (or failed) batch on its way to the finisher.
  struct Committed {
    std::vector<std::unique_ptr<PendingOp>> ops;
    Status status;
  };

  void run();         // the committer thread
  void run_finish();  // the finisher thread
  // Waits for room in the hand-off, then queues `batch` for the finisher.
  void hand_over(Committed batch);

  // Constant after construction.
  const BatchWrite write_;
  const Flush flush_;
  const std::size_t queue_limit_;
  const std::size_t batch_max_;
  const std::size_t handoff_max_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<PendingOp>> queue_;  // guarded by mu_
  bool stopping_ = false;                          // guarded by mu_
  CommitterStats stats_;                           // guarded by mu_

  std::mutex handoff_mu_;
  std::condition_variable handoff_cv_;  // either side: a batch arrived, or room was made
  std::deque<Committed> handoff_;       // guarded by handoff_mu_
  bool committed_all_ = false;          // guarded by handoff_mu_: the committer has returned

  std::thread finisher_;  // started before the committer, joined after it
  std::thread thread_;
};

}  // namespace parley::chat
