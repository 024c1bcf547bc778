#include "server/api/user_connections.h"

#include <algorithm>

namespace parley::api {

std::vector<std::shared_ptr<WsConnection>> UserConnections::add(int64_t user_id, int64_t session_id, uint64_t connection_id,
                                                                std::weak_ptr<WsConnection> connection) {
  std::vector<std::shared_ptr<WsConnection>> evicted;
  std::lock_guard lock(mu_);
  auto& list = users_[user_id];
  list.push_back(Entry{connection_id, session_id, std::move(connection)});
  while (max_per_user_ > 0 && list.size() > max_per_user_) {
    if (auto c = list.front().connection.lock()) evicted.push_back(std::move(c));
    list.pop_front();
  }
  return evicted;
}

void UserConnections::remove(int64_t user_id, uint64_t connection_id) {
  std::lock_guard lock(mu_);
  auto it = users_.find(user_id);
  if (it == users_.end()) return;
  auto& list = it->second;
  list.erase(std::remove_if(list.begin(), list.end(), [&](const auto& e) { return e.connection_id == connection_id; }),
             list.end());
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
  auto it = users_.find(user_id);
  if (it == users_.end()) return false;
  return std::any_of(it->second.begin(), it->second.end(), [&](const Entry& e) { return e.session_id == session_id; });
}

}  // namespace parley::api
