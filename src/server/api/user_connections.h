// The authenticated WebSockets of each account, so that one account cannot hold every
// connection the server has: beyond `max_per_user` the account's oldest connection is
// closed with 4009 (docs/protocol.md). It also tells a listener when a session's first
// connection here opens and its last one closes (cluster push: bus/cluster_sessions.h).
// Thread-safe: one mutex, taken at authentication and at close only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include "server/api/transport.h"

namespace parley::api {

class UserConnections {
 public:
  explicit UserConnections(std::size_t max_per_user) : max_per_user_(max_per_user) {}

  // Called with (user, session, true) when a session's first connection is added and with
  // false when its last one is removed or evicted, under this object's lock (so in the
  // order they happened; it must not call back here). Set before the first add().
  using SessionListener = std::function<void(int64_t user_id, int64_t session_id, bool connected)>;
  void set_session_listener(SessionListener listener) { session_listener_ = std::move(listener); }

  // Records that `connection` authenticated as `user_id` with session `session_id`. Returns the connections of the
  // user that are now beyond the cap (oldest first), already forgotten here; the caller
  // closes them. A cap of 0 means no limit.
  std::vector<std::shared_ptr<WsConnection>> add(int64_t user_id, int64_t session_id, uint64_t connection_id,
                                                 std::weak_ptr<WsConnection> connection);
  // The connection closed (no-op if it was never added or already evicted).
  void remove(int64_t user_id, uint64_t connection_id);
  std::size_t count(int64_t user_id) const;
  // Whether the session has an authenticated WebSocket here (push: a connected device gets
  // events, not pushes).
  bool session_connected(int64_t user_id, int64_t session_id) const;
  // Bytes queued, unread, for all of the user's authenticated connections.
  std::size_t queued_bytes(int64_t user_id) const;

 private:
  void count_session(int64_t user_id, int64_t session_id, int delta);  // mu_ held

  const std::size_t max_per_user_;
  SessionListener session_listener_;  // constant after start
  mutable std::mutex mu_;
  struct Entry {
    uint64_t connection_id;
    int64_t session_id;
    std::weak_ptr<WsConnection> connection;
  };
  // Guarded by mu_: per user, connections in the order they authenticated (a vector: a
  // deque would allocate ~600 bytes for the usual single connection).
  std::unordered_map<int64_t, std::vector<Entry>> users_;
  // Guarded by mu_: connections per session.
  std::unordered_map<int64_t, int> sessions_;
};

}  // namespace parley::api
