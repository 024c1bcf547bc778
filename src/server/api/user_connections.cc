#include "server/api/user_connections.h"

#include <algorithm>

namespace parley::api {

std::vector<std::shared_ptr<WsConnection>> UserConnections::add(int64_t user_id, int64_t session_id, uint64_t connection_id,
                                                                std::weak_ptr<WsConnection> connection) {
  std::vector<std::shared_ptr<WsConnection>> evicted;
  std::lock_guard lock(mu_);
  auto& list = users_[user_id];
  list.push_back(Entry{connection_id, session_id, std::move(connection)});
  count_session(user_id, session_id, +1);
  while (max_per_user_ > 0 && list.size() > max_per_user_) {
    if (auto c = list.front().connection.lock()) evicted.push_back(std::move(c));
    count_session(user_id, list.front().session_id, -1);
    list.erase(list.begin());
  }
  return evicted;
}

void UserConnections::count_session(int64_t user_id, int64_t session_id, int delta) {
  int& n = sessions_[session_id];
  n += delta;
  if (n == 1 && delta > 0 && session_listener_) session_listener_(user_id, session_id, true);
  if (n <= 0) {
    sessions_.erase(session_id);
    if (session_listener_) session_listener_(user_id, session_id, false);
  }
}

void UserConnections::remove(int64_t user_id, uint64_t connection_id) {
  std::lock_guard lock(mu_);
  auto it = users_.find(user_id);
  if (it == users_.end()) return;
  auto& list = it->second;
  auto gone = std::find_if(list.begin(), list.end(), [&](const auto& e) { return e.connection_id == connection_id; });
  if (gone == list.end()) return;
  count_session(user_id, gone->session_id, -1);
  list.erase(gone);
  if (list.empty()) users_.erase(it);
}

std::size_t UserConnections::count(int64_t user_id) const {
  std::lock_guard lock(mu_);
  auto it = users_.find(user_id);
  return it == users_.end() ? 0 : it->second.size();
}

std::size_t UserConnections::queued_bytes(int64_t user_id) const {
  std::lock_guard lock(mu_);
  auto it = users_.find(user_id);
  if (it == users_.end()) return 0;
  std::size_t total = 0;
  for (const auto& e : it->second)
    if (auto c = e.connection.lock()) total += c->queued_bytes();
  return total;
}

bool UserConnections::session_connected(int64_t user_id, int64_t session_id) const {
  std::lock_guard lock(mu_);
  (void)user_id;  // session ids are unique across users
  return sessions_.count(session_id) > 0;
}

}  // namespace parley::api
