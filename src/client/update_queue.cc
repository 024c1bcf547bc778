#include "client/update_queue.h"

namespace parley::client {

void UpdateQueue::push(std::string text) {
  {
    std::lock_guard lock(mu_);
    items_.push_back(std::move(text));
  }
  cv_.notify_one();
}

std::optional<std::string> UpdateQueue::pop(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return !items_.empty() || closed_; });
  if (items_.empty()) return std::nullopt;
  std::string text = std::move(items_.front());
  items_.pop_front();
  return text;
}

void UpdateQueue::close() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

}  // namespace parley::client
