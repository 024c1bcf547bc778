// The queue of JSON texts (answers and updates) from the core's network thread to the app.
// Thread-safe: any number of producers; pop() may be called from any thread.
// Unbounded: the app is expected to drain it (the core produces only in answer to requests
// and to server events, which the server itself bounds per connection).
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>

namespace parley::client {

class UpdateQueue {
 public:
  void push(std::string text);
  // The oldest text, waiting up to `timeout` for one; nullopt when none came or after close().
  std::optional<std::string> pop(std::chrono::milliseconds timeout);
  // Wakes every waiter; later pops return what is left without waiting.
  void close();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> items_;  // guarded by mu_
  bool closed_ = false;            // guarded by mu_
};

}  // namespace parley::client
