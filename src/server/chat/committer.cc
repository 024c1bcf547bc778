#include "server/chat/committer.h"

#include <chrono>
#include <vector>

#include <spdlog/spdlog.h>

namespace parley::chat {

Committer::Committer(store::Store& store, std::size_t queue_limit, std::size_t batch_max)
    : store_(store), queue_limit_(queue_limit), batch_max_(batch_max) {
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
  if (thread_.joinable()) thread_.join();
}

CommitterStats Committer::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void Committer::run() {
  std::vector<std::unique_ptr<PendingOp>> batch;
  std::vector<store::WriteOp*> raw;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      while (!queue_.empty() && batch.size() < batch_max_) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    raw.clear();
    for (auto& op : batch) raw.push_back(op.get());
    auto start = std::chrono::steady_clock::now();
    Status status = store_.write(raw);
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
    for (auto& op : batch) op->finish(status);
    batch.clear();
  }
}

}  // namespace parley::chat
