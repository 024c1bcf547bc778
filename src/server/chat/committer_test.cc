// The committer against the real SQLite store (in a temporary file), seen through a batch
// writer that records each batch and can fail one: the order in which ops finish, the
// bounded hand-off to the finisher, stop(), and a failed batch.
#include "server/chat/committer.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "server/store/test_stores.h"

namespace parley::chat {
namespace {

constexpr auto kPatience = std::chrono::seconds(60);  // only a broken committer waits this long

// What the ops and the writer saw, in order.
struct Log {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::vector<int>> batches;  // TestOp ids of each write() call, in call order
  std::vector<std::size_t> batch_sizes;   // ops of each write() call, of any kind
  int committed_through = 0;              // the highest op id whose write() has returned
  std::vector<int> finished;              // op ids in finish order
  std::vector<Status> statuses;           // the status each finish got, same order
  std::vector<std::thread::id> finish_threads;
  bool finished_before_commit = false;
  int flushed_through = 0;  // the highest op id committed when the last flush began
  int flushes = 0;
  bool finished_before_flush = false;  // only checked by tests that give a flush
  std::thread::id writer_thread;

  // Waits until `ready` holds (under mu); false after kPatience.
  template <class Pred>
  bool wait(Pred ready) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, kPatience, ready);
  }
};

// Holds every finish() that enters it until opened.
class Gate {
 public:
  void pass() {
    std::unique_lock lock(mu_);
    ++entered_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return open_; });
  }
  bool wait_entered(int n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, kPatience, [&] { return entered_ >= n; });
  }
  void open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int entered_ = 0;
  bool open_ = false;
};

class TestOp final : public PendingOp {
 public:
  TestOp(int id, Log& log, Gate* gate = nullptr) : id_(id), log_(log), gate_(gate) {}
  int id() const { return id_; }
  Status apply(store::WriteTxn&) override { return {}; }
  void finish(const Status& commit) override {
    if (gate_) gate_->pass();
    std::lock_guard lock(log_.mu);
    if (id_ > log_.committed_through && commit.ok()) log_.finished_before_commit = true;
    if (id_ > log_.flushed_through && commit.ok()) log_.finished_before_flush = true;
    log_.finished.push_back(id_);
    log_.statuses.push_back(commit);
    log_.finish_threads.push_back(std::this_thread::get_id());
    log_.cv.notify_all();
  }

 private:
  const int id_;
  Log& log_;
  Gate* const gate_;
};

class CommitterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = test_store_.open();
    ASSERT_TRUE(opened) << opened.error().message;
    store_ = std::move(*opened);
  }

  // A writer over the real store that records each batch; the write() call numbered
  // `fail_call` (1-based) fails without reaching the store.
  Committer::BatchWrite writer(int fail_call = 0) {
    return [this, fail_call](std::span<store::WriteOp* const> ops) -> Status {
      std::vector<int> ids;
      for (store::WriteOp* op : ops)
        if (auto* t = dynamic_cast<TestOp*>(op)) ids.push_back(t->id());
      int call = 0;
      {
        std::lock_guard lock(log_.mu);
        log_.batches.push_back(ids);
        log_.batch_sizes.push_back(ops.size());
        call = static_cast<int>(log_.batches.size());
        log_.writer_thread = std::this_thread::get_id();
      }
      Status s = call == fail_call ? Status(Error::make(Errc::kInternal, "disk on fire")) : store_->write(ops);
      std::lock_guard lock(log_.mu);
      for (int id : ids) log_.committed_through = std::max(log_.committed_through, id);
      log_.cv.notify_all();
      return s;
    };
  }

  // A flush that records how far the commits had come when it began.
  Committer::Flush flusher(Status result = {}) {
    return [this, result]() -> Status {
      std::lock_guard lock(log_.mu);
      log_.flushed_through = log_.committed_through;
      ++log_.flushes;
      return result;
    };
  }

  std::vector<int> ids(int from, int to) {
    std::vector<int> out;
    for (int i = from; i <= to; ++i) out.push_back(i);
    return out;
  }

  store::test::TestStore test_store_{"sqlite"};
  std::unique_ptr<store::Store> store_;
  Log log_;
};

TEST_F(CommitterTest, OpsFinishInSubmitOrderAcrossBatchesAfterTheirCommitOnTheFinisher) {
  Committer committer(writer(), 1000, 3);
  // Submitted from two threads, each op after the previous one of its thread: the commit
  // order (the queue's) is the order every op must finish in.
  std::vector<int> queued;
  std::mutex queued_mu;
  auto submit_some = [&](int first) {
    for (int i = first; i < first + 200; i += 2) {
      std::lock_guard lock(queued_mu);  // the queue's order is the order of this lock
      queued.push_back(i);
      committer.submit(std::make_unique<TestOp>(i, log_));
    }
  };
  std::thread a(submit_some, 1), b(submit_some, 2);
  a.join();
  b.join();
  ASSERT_TRUE(log_.wait([&] { return log_.finished.size() == 200; }));
  committer.stop();
  std::lock_guard lock(log_.mu);
  EXPECT_EQ(log_.finished, queued);
  EXPECT_FALSE(log_.finished_before_commit);
  // Batches of at most 3, written in queue order.
  std::vector<int> written;
  for (const auto& b : log_.batches) {
    EXPECT_LE(b.size(), 3u);
    written.insert(written.end(), b.begin(), b.end());
  }
  EXPECT_EQ(written, queued);
  for (std::size_t i = 0; i < log_.finished.size(); ++i) {
    EXPECT_TRUE(log_.statuses[i].ok());
    EXPECT_NE(log_.finish_threads[i], log_.writer_thread) << "finish() ran on the committer thread";
  }
}

TEST_F(CommitterTest, AroundFinishWrapsEachCommittedBatchOnceOnTheFinisher) {
  // What the wrapper saw: per call, the ops finished before it and inside it.
  std::vector<std::pair<std::size_t, std::size_t>> calls;  // (finished before, finished inside)
  std::vector<std::thread::id> wrapper_threads;
  Committer committer(writer(), 1000, 4);
  committer.around_finish = [&](const std::function<void()>& finish_batch) {
    std::size_t before = 0;
    {
      std::lock_guard lock(log_.mu);
      before = log_.finished.size();
    }
    finish_batch();
    std::lock_guard lock(log_.mu);
    calls.emplace_back(before, log_.finished.size() - before);
    wrapper_threads.push_back(std::this_thread::get_id());
  };
  for (int i = 1; i <= 50; ++i) committer.submit(std::make_unique<TestOp>(i, log_));
  ASSERT_TRUE(log_.wait([&] { return log_.finished.size() == 50; }));
  committer.stop();
  std::lock_guard lock(log_.mu);
  EXPECT_EQ(log_.finished, ids(1, 50));
  // One call per written batch, each finishing exactly that batch's ops, on the finisher.
  ASSERT_EQ(calls.size(), log_.batches.size());
  std::size_t finished = 0;
  for (std::size_t i = 0; i < calls.size(); ++i) {
    EXPECT_EQ(calls[i].first, finished);
    EXPECT_EQ(calls[i].second, log_.batches[i].size());
    finished += calls[i].second;
    EXPECT_EQ(wrapper_threads[i], log_.finish_threads.front());
    EXPECT_NE(wrapper_threads[i], log_.writer_thread);
  }
}

TEST_F(CommitterTest, HandOffIsBoundedAndTheQueueLimitPushesBack) {
  Gate gate;
  // One op a batch, two committed batches may wait for the finisher, three ops in the queue.
  Committer committer(writer(), 3, 1, 2);
  committer.submit(std::make_unique<TestOp>(1, log_, &gate));
  ASSERT_TRUE(gate.wait_entered(1));  // op 1 is being finished, and stays so
  // The committer goes on committing while op 1 is being finished: 2 and 3 wait in the
  // hand-off, 4 is committed and the committer waits for room.
  for (int i = 2; i <= 4; ++i) committer.submit(std::make_unique<TestOp>(i, log_));
  ASSERT_TRUE(log_.wait([&] { return log_.committed_through == 4; }));
  auto waited = [&] { return committer.stats().handoff_waits == 1; };
  for (auto until = std::chrono::steady_clock::now() + kPatience; !waited() && std::chrono::steady_clock::now() < until;)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_TRUE(waited());
  // So the queue fills: three are accepted, the fourth is refused at once, on this thread.
  for (int i = 5; i <= 7; ++i) committer.submit(std::make_unique<TestOp>(i, log_));
  committer.submit(std::make_unique<TestOp>(8, log_));
  {
    std::lock_guard lock(log_.mu);
    ASSERT_EQ(log_.finished, std::vector<int>{8});
    EXPECT_EQ(log_.statuses[0].error().code, Errc::kUnavailable);
    EXPECT_EQ(log_.finish_threads[0], std::this_thread::get_id());
    EXPECT_EQ(log_.batches.size(), 4u) << "the committer went past a full hand-off";
  }
  EXPECT_EQ(committer.stats().rejected_ops, 1u);
  gate.open();
  ASSERT_TRUE(log_.wait([&] { return log_.finished.size() == 8; }));
  committer.stop();
  std::lock_guard lock(log_.mu);
  std::vector<int> expected{8, 1, 2, 3, 4, 5, 6, 7};
  EXPECT_EQ(log_.finished, expected);
  EXPECT_FALSE(log_.finished_before_commit);
}

TEST_F(CommitterTest, StopCommitsAndFinishesEveryQueuedOpExactlyOnce) {
  Gate gate;
  auto committer = std::make_unique<Committer>(writer(), 1000, 4, 2);
  committer->submit(std::make_unique<TestOp>(1, log_, &gate));
  ASSERT_TRUE(gate.wait_entered(1));
  // Ops behind a finish that has not returned: some committed, some not yet taken.
  for (int i = 2; i <= 60; ++i) committer->submit(std::make_unique<TestOp>(i, log_));
  auto stopped = std::async(std::launch::async, [&] { committer->stop(); });
  gate.open();
  ASSERT_EQ(stopped.wait_for(kPatience), std::future_status::ready);
  committer->submit(std::make_unique<TestOp>(61, log_));  // after stop(): refused
  committer->stop();                                       // idempotent
  committer.reset();
  std::lock_guard lock(log_.mu);
  std::vector<int> expected = ids(1, 61);
  EXPECT_EQ(log_.finished, expected);  // each once, in order
  for (std::size_t i = 0; i < 60; ++i) EXPECT_TRUE(log_.statuses[i].ok()) << "op " << i + 1;
  EXPECT_EQ(log_.statuses[60].error().code, Errc::kUnavailable);
  std::vector<int> written;
  for (const auto& b : log_.batches) written.insert(written.end(), b.begin(), b.end());
  EXPECT_EQ(written, ids(1, 60));  // everything queued was committed
  EXPECT_FALSE(log_.finished_before_commit);
}

TEST_F(CommitterTest, FailedBatchFinishesItsOpsWithTheCommitErrorAndTheOthersWithTheirValues) {
  Committer committer(writer(/*fail_call=*/2), 1000, 5);
  std::mutex mu;
  std::vector<std::pair<int, Result<int>>> results;  // (op id, result) in finish order
  for (int i = 1; i <= 40; ++i)
    committer.submit(make_op<int>(
        [i](store::WriteTxn&) -> Result<int> {
          if (i == 7) return Error::make(Errc::kInvalidArgument, "op 7 refuses");
          return i * 10;
        },
        Callback<int>([&, i](Result<int> r) {
          std::lock_guard lock(mu);
          results.emplace_back(i, std::move(r));
        })));
  committer.stop();
  std::size_t first_failed = 0, end_failed = 0;  // the second write call's ops: [first, end)
  {
    std::lock_guard lock(log_.mu);
    ASSERT_GE(log_.batch_sizes.size(), 2u);
    first_failed = log_.batch_sizes[0];
    end_failed = first_failed + log_.batch_sizes[1];
  }
  EXPECT_EQ(committer.stats().failed_batches, 1u);
  EXPECT_EQ(committer.stats().ops, 40u);
  ASSERT_EQ(results.size(), 40u);
  for (std::size_t k = 0; k < results.size(); ++k) {
    const auto& [id, r] = results[k];
    EXPECT_EQ(id, static_cast<int>(k) + 1);  // in submit order, each once
    if (k >= first_failed && k < end_failed) {
      ASSERT_FALSE(r) << "op " << id << " of the failed batch";
      EXPECT_EQ(r.error().code, Errc::kInternal);
      EXPECT_EQ(r.error().message, "disk on fire");
    } else if (id == 7) {
      ASSERT_FALSE(r);
      EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
    } else {
      ASSERT_TRUE(r) << "op " << id << ": " << r.error().message;
      EXPECT_EQ(*r, id * 10);
    }
  }
}

TEST_F(CommitterTest, OpsFinishOnlyAfterAFlushThatBeganAfterTheirCommitOneFlushForSeveralBatches) {
  Gate gate;
  // One op a batch: op 1's finish holds the finisher while ops 2-7 are committed, so the
  // finisher then takes several batches at once.
  Committer committer(writer(), 1000, 1, 8, flusher());
  committer.submit(std::make_unique<TestOp>(1, log_, &gate));
  ASSERT_TRUE(gate.wait_entered(1));
  for (int i = 2; i <= 7; ++i) committer.submit(std::make_unique<TestOp>(i, log_));
  ASSERT_TRUE(log_.wait([&] { return log_.committed_through == 7; }));
  gate.open();
  ASSERT_TRUE(log_.wait([&] { return log_.finished.size() == 7; }));
  for (int i = 8; i <= 100; ++i) committer.submit(std::make_unique<TestOp>(i, log_));
  ASSERT_TRUE(log_.wait([&] { return log_.finished.size() == 100; }));
  committer.stop();
  std::lock_guard lock(log_.mu);
  EXPECT_EQ(log_.finished, ids(1, 100));
  EXPECT_FALSE(log_.finished_before_commit);
  EXPECT_FALSE(log_.finished_before_flush) << "an op was answered before a flush covered it";
  EXPECT_GE(log_.flushes, 2);
  EXPECT_LT(static_cast<std::size_t>(log_.flushes), log_.batches.size())
      << "ops 2-7 waited together: one flush covers their batches";
}

TEST_F(CommitterTest, ABatchThatFailedIsAnsweredWithoutAFlush) {
  Committer committer(writer(/*fail_call=*/1), 1000, 10, 2, flusher());
  committer.submit(std::make_unique<TestOp>(1, log_));
  ASSERT_TRUE(log_.wait([&] { return log_.finished.size() == 1; }));
  committer.stop();
  std::lock_guard lock(log_.mu);
  EXPECT_FALSE(log_.statuses[0].ok());
  EXPECT_EQ(log_.flushes, 0);
}

TEST_F(CommitterTest, AFailedFlushStopsTheProcessBeforeAnyOpOfItsBatchesIsAnswered) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        spdlog::set_default_logger(spdlog::stderr_logger_st("stderr"));  // what the death test reads
        Committer committer(writer(), 1000, 10, 2,
                            flusher(Error::make(Errc::kInternal, "flushing the WAL: EIO")));
        committer.submit(make_op<Done>([](store::WriteTxn&) -> Result<Done> { return Done{}; },
                                       Callback<Done>([](Result<Done>) {
                                         // Reached only if the op was answered: a different
                                         // message, so the death test fails.
                                         fprintf(stderr, "answered\n");
                                         std::_Exit(0);
                                       })));
        std::this_thread::sleep_for(kPatience);
      },
      "committed writes could not be made durable: flushing the WAL: EIO");
}

#ifdef __linux__
int thread_nice() { return getpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid))); }

TEST_F(CommitterTest, TheCommitterThreadRunsFiveStepsAboveTheProcessWherePermitted) {
  const int process_nice = thread_nice();
  const int wanted = std::max(process_nice - 5, -20);
  // Whether this process may raise a thread's priority (root, CAP_SYS_NICE, RLIMIT_NICE):
  // asked of a thread of its own, as the committer asks.
  bool permitted = false;
  std::thread([&] {
    permitted = setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), wanted) == 0;
  }).join();

  int committer_nice = 100;
  Committer::BatchWrite write = [&](std::span<store::WriteOp* const> ops) -> Status {
    committer_nice = thread_nice();
    return store_->write(ops);
  };
  {
    Committer committer(write, 10, 10);
    Log log;
    committer.submit(std::make_unique<TestOp>(1, log));
    ASSERT_TRUE(log.wait([&] { return log.finished.size() == 1; }));
  }
  EXPECT_EQ(committer_nice, permitted ? wanted : process_nice) << "permitted: " << permitted;
  EXPECT_EQ(thread_nice(), process_nice) << "only the committer thread changes";
}
#endif

}  // namespace
}  // namespace parley::chat
