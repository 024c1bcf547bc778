// State shared by every connection of one Server (internal to net/).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>

#include "common/metrics.h"
#include "server/api/api.h"
#include "server/net/connection_limits.h"
#include "server/net/server.h"

namespace parley::net {

// A live WebSocket session, as the shutdown path and the queue budget see it.
class ClosableSession {
 public:
  virtual ~ClosableSession() = default;
  virtual void shutdown_close() = 0;  // close with 1001 after queued frames; thread-safe
  // Bytes queued for the client and counted in the server-wide budget. Thread-safe.
  virtual std::size_t budget_bytes() const = 0;
  // Gives the session's bytes back to the budget at once and cuts the connection (on its
  // strand, soon). False if it was already cut. Thread-safe.
  virtual bool cut_for_budget() = 0;
};

// Live WebSocket sessions by id, so that shutdown can close them all.
class SessionRegistry {
 public:
  void add(uint64_t id, std::weak_ptr<ClosableSession> s) {
    std::lock_guard lock(mu_);
    sessions_[id] = std::move(s);
  }
  void remove(uint64_t id) {
    std::lock_guard lock(mu_);
    sessions_.erase(id);
  }
  // The session holding the most queued bytes, and that number (0 and null if none).
  std::pair<std::shared_ptr<ClosableSession>, std::size_t> largest_holder() {
    std::lock_guard lock(mu_);
    std::shared_ptr<ClosableSession> best;
    std::size_t most = 0;
    for (auto& [id, weak] : sessions_)
      if (auto s = weak.lock()) {
        if (std::size_t held = s->budget_bytes(); held > most) {
          most = held;
          best = std::move(s);
        }
      }
    return {best, most};
  }
  void close_all() {
    std::unordered_map<uint64_t, std::weak_ptr<ClosableSession>> copy;
    {
      std::lock_guard lock(mu_);
      copy = sessions_;
    }
    for (auto& [id, weak] : copy)
      if (auto s = weak.lock()) s->shutdown_close();
  }

 private:
  std::mutex mu_;
  std::unordered_map<uint64_t, std::weak_ptr<ClosableSession>> sessions_;  // guarded by mu_
};

// Constant after Server::start, except the registry, the limits, the id counter and the
// draining flag.
struct Shared {
  ServerOptions options;
  api::Api* api = nullptr;
  Metrics* metrics = nullptr;
  std::unique_ptr<ConnectionLimits> limits;  // set by Server::start; thread-safe
  SessionRegistry registry;
  std::atomic<uint64_t> next_connection_id{1};
  // Set at SIGTERM: WebSockets stop handling new requests (they are dropped unanswered and
  // unexecuted) while the commits already queued finish and their acks go out.
  std::atomic<bool> draining{false};
};

}  // namespace parley::net
