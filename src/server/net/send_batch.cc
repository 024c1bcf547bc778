#include "server/net/send_batch.h"

namespace parley::net {

namespace {

thread_local SendBatch* open_batch = nullptr;

}  // namespace

SendBatch::SendBatch() : outermost_(open_batch == nullptr) {
  if (outermost_) open_batch = this;
}

SendBatch::~SendBatch() {
  if (!outermost_) return;
  // Closed before posting: a post_batch that gives something to a connection (it should
  // not) posts it directly instead of coming back here.
  open_batch = nullptr;
  flush();
}

SendBatch* SendBatch::current() { return open_batch; }

void SendBatch::add(std::shared_ptr<BatchedConnection> connection, BatchItem item) {
  // Nested batches keep everything in the outermost one.
  if (!outermost_) return current()->add(std::move(connection), std::move(item));
  auto [it, fresh] = index_.try_emplace(connection.get(), targets_.size());
  if (fresh) targets_.push_back(Target{std::move(connection), {}});
  targets_[it->second].items.push_back(std::move(item));
  if (++items_ >= kFlushItems) flush();
}

void SendBatch::flush() {
  std::vector<Target> targets;
  targets.swap(targets_);
  index_.clear();
  items_ = 0;
  for (Target& t : targets) t.connection->post_batch(std::move(t.items));
}

}  // namespace parley::net
