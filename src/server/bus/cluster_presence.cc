#include "server/bus/cluster_presence.h"

#include <algorithm>
#include <chrono>

#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "server/bus/presence_wire.h"

namespace parley::bus {

namespace {

// Every message: version byte, then the sender's node id; see each subject for the rest.
constexpr const char* kChange = "parley.presence.change";  // + user i64, online u8, last_seen i64
constexpr const char* kHeartbeat = "parley.presence.hb";
constexpr const char* kHello = "parley.presence.hello";
constexpr const char* kBye = "parley.presence.bye";
constexpr const char* kBlock = "parley.presence.block";      // + a i64, b i64
constexpr const char* kPrivacy = "parley.presence.privacy";  // + user i64, hides u8
constexpr const char* kSnapshotPrefix = "parley.presence.snap.";  // + node hex; + count u32, users i64
constexpr std::size_t kSnapshotChunk = 16384;

using wire::header;
using wire::kVersion;
using wire::put64;
using wire::Reader;

std::string snapshot_subject(uint64_t node) { return wire::node_subject(kSnapshotPrefix, node); }

}  // namespace

ClusterPresence::ClusterPresence(NatsBus& bus, chat::PresenceListener& downstream)
    : bus_(bus), downstream_(downstream), self_(bus.node_id()) {}

ClusterPresence::~ClusterPresence() { stop(); }

Status ClusterPresence::start() {
  const std::pair<std::string, void (ClusterPresence::*)(std::string_view)> subs[] = {
      {kChange, &ClusterPresence::on_change},         {kHeartbeat, &ClusterPresence::on_heartbeat},
      {kHello, &ClusterPresence::on_hello},           {kBye, &ClusterPresence::on_bye},
      {kBlock, &ClusterPresence::on_block},           {kPrivacy, &ClusterPresence::on_privacy},
      {snapshot_subject(self_), &ClusterPresence::on_snapshot}};
  for (const auto& [subject, fn] : subs) {
    auto id = bus_.subscribe_raw(subject, [this, fn = fn](std::string_view b) { (this->*fn)(b); });
    if (!id) return id.error();
    subscriptions_.push_back(*id);
  }
  // After a reconnection the others may have declared us dead and we may have missed
  // their changes: ask again (our heartbeat tells them we are back).
  bus_.add_reconnect_hook([this] { send_hello(); });
  send_hello();
  thread_ = std::thread([this] { run(); });
  return {};
}

void ClusterPresence::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  bus_.publish_raw(kBye, header(self_));
  bus_.flush(1000);
  for (uint64_t id : subscriptions_) bus_.unsubscribe_raw(id);
  subscriptions_.clear();
}

bool ClusterPresence::online(int64_t user_id) const {
  if (local_online_.count(user_id)) return true;
  auto it = remote_.find(user_id);
  return it != remote_.end() && !it->second.empty();
}

bool ClusterPresence::online_elsewhere(int64_t user_id) const {
  std::lock_guard lock(mu_);
  auto it = remote_.find(user_id);
  return it != remote_.end() && !it->second.empty();
}

void ClusterPresence::announce(const Announcements& out) {
  for (const auto& [user, last_seen] : out) downstream_.on_presence(user, !last_seen.has_value(), last_seen);
}

void ClusterPresence::on_presence(int64_t user_id, bool on, std::optional<int64_t> last_seen) {
  std::string msg = header(self_);
  put64(msg, static_cast<uint64_t>(user_id));
  msg.push_back(on ? 1 : 0);
  put64(msg, static_cast<uint64_t>(last_seen.value_or(0)));
  bus_.publish_raw(kChange, std::move(msg));
  Announcements out;
  {
    std::lock_guard lock(mu_);
    const bool before = online(user_id);
    if (on)
      local_online_.insert(user_id);
    else
      local_online_.erase(user_id);
    if (before != online(user_id)) out.emplace_back(user_id, on ? std::nullopt : last_seen);
  }
  announce(out);
}

std::string ClusterPresence::metrics_text() const {
  std::size_t local = 0;
  std::size_t remote = 0;
  {
    std::lock_guard lock(mu_);
    local = local_online_.size();
    for (const auto& [id, node] : nodes_) remote += node.users.size();
  }
  return "# HELP parley_cluster_presence_local Users with a device online on this node, as announced to the others.\n"
         "# TYPE parley_cluster_presence_local gauge\n"
         "parley_cluster_presence_local " + std::to_string(local) + "\n"
         "# HELP parley_cluster_presence_remote Users known online on other live nodes, once per node.\n"
         "# TYPE parley_cluster_presence_remote gauge\n"
         "parley_cluster_presence_remote " + std::to_string(remote) + "\n";
}

bool ClusterPresence::heard(uint64_t node) {
  auto [it, fresh] = nodes_.try_emplace(node);
  it->second.last_heard_steady = steady_ms();
  return fresh;
}

void ClusterPresence::set_remote(uint64_t node, int64_t user, bool on, std::optional<int64_t> last_seen,
                                 Announcements& out) {
  const bool before = online(user);
  auto& where = remote_[user];
  auto it = std::find(where.begin(), where.end(), node);
  if (on && it == where.end()) where.push_back(node);
  if (!on && it != where.end()) where.erase(it);
  if (where.empty()) remote_.erase(user);
  if (on)
    nodes_[node].users.insert(user);
  else
    nodes_[node].users.erase(user);
  if (before != online(user)) out.emplace_back(user, on ? std::nullopt : std::optional<int64_t>(last_seen.value_or(now_ms())));
}

void ClusterPresence::drop_node(uint64_t node, int64_t last_seen, Announcements& out) {
  auto it = nodes_.find(node);
  if (it == nodes_.end()) return;
  const std::vector<int64_t> users(it->second.users.begin(), it->second.users.end());
  for (int64_t user : users) set_remote(node, user, false, last_seen, out);
  nodes_.erase(node);
}

void ClusterPresence::on_change(std::string_view bytes) {
  Reader r(bytes);
  if (r.u8() != kVersion) return;
  const uint64_t node = r.u64();
  const auto user = static_cast<int64_t>(r.u64());
  const bool on = r.u8() != 0;
  const auto last_seen = static_cast<int64_t>(r.u64());
  if (!r.done() || node == self_) return;
  Announcements out;
  bool unknown = false;
  {
    std::lock_guard lock(mu_);
    unknown = heard(node);
    set_remote(node, user, on, last_seen, out);
  }
  announce(out);
  if (unknown) send_hello();
}

void ClusterPresence::on_heartbeat(std::string_view bytes) {
  Reader r(bytes);
  if (r.u8() != kVersion) return;
  const uint64_t node = r.u64();
  if (!r.done() || node == self_) return;
  bool unknown = false;
  {
    std::lock_guard lock(mu_);
    unknown = heard(node);
  }
  // A node we did not know (new, or back after we declared it dead): learn its users.
  if (unknown) send_hello();
}

void ClusterPresence::send_hello() { bus_.publish_raw(kHello, header(self_)); }

void ClusterPresence::on_hello(std::string_view bytes) {
  Reader r(bytes);
  if (r.u8() != kVersion) return;
  const uint64_t node = r.u64();
  if (!r.done() || node == self_) return;
  std::vector<int64_t> users;
  {
    std::lock_guard lock(mu_);
    users.assign(local_online_.begin(), local_online_.end());
  }
  const std::string subject = snapshot_subject(node);
  std::size_t i = 0;
  do {  // one message even when empty: it tells the asker we are alive
    const std::size_t n = std::min(kSnapshotChunk, users.size() - i);
    std::string msg = header(self_);
    for (int k = 0; k < 4; ++k) msg.push_back(static_cast<char>((n >> (8 * k)) & 0xff));
    for (std::size_t j = 0; j < n; ++j) put64(msg, static_cast<uint64_t>(users[i + j]));
    bus_.publish_raw(subject, std::move(msg));
    i += n;
  } while (i < users.size());
}

void ClusterPresence::on_snapshot(std::string_view bytes) {
  Reader r(bytes);
  if (r.u8() != kVersion) return;
  const uint64_t node = r.u64();
  uint32_t n = 0;
  for (int k = 0; k < 4; ++k) n |= static_cast<uint32_t>(r.u8()) << (8 * k);
  std::vector<int64_t> users;
  for (uint32_t j = 0; j < n && r.ok(); ++j) users.push_back(static_cast<int64_t>(r.u64()));
  if (!r.done() || node == self_) return;
  Announcements out;
  {
    std::lock_guard lock(mu_);
    heard(node);
    for (int64_t user : users) set_remote(node, user, true, std::nullopt, out);
  }
  announce(out);
}

void ClusterPresence::on_bye(std::string_view bytes) {
  Reader r(bytes);
  if (r.u8() != kVersion) return;
  const uint64_t node = r.u64();
  if (!r.done() || node == self_) return;
  Announcements out;
  {
    std::lock_guard lock(mu_);
    drop_node(node, now_ms(), out);
  }
  announce(out);
}

void ClusterPresence::publish_blocked(int64_t a, int64_t b) {
  std::string msg = header(self_);
  put64(msg, static_cast<uint64_t>(a));
  put64(msg, static_cast<uint64_t>(b));
  bus_.publish_raw(kBlock, std::move(msg));
}

void ClusterPresence::publish_privacy_changed(int64_t user_id, bool hides) {
  std::string msg = header(self_);
  put64(msg, static_cast<uint64_t>(user_id));
  msg.push_back(hides ? 1 : 0);
  bus_.publish_raw(kPrivacy, std::move(msg));
}

void ClusterPresence::on_block(std::string_view bytes) {
  Reader r(bytes);
  if (r.u8() != kVersion) return;
  const uint64_t node = r.u64();
  const auto a = static_cast<int64_t>(r.u64());
  const auto b = static_cast<int64_t>(r.u64());
  if (!r.done() || node == self_ || !on_remote_blocked) return;
  on_remote_blocked(a, b);
}

void ClusterPresence::on_privacy(std::string_view bytes) {
  Reader r(bytes);
  if (r.u8() != kVersion) return;
  const uint64_t node = r.u64();
  const auto user = static_cast<int64_t>(r.u64());
  const bool hides = r.u8() != 0;
  if (!r.done() || node == self_ || !on_remote_privacy_changed) return;
  on_remote_privacy_changed(user, hides);
}

void ClusterPresence::run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    bus_.publish_raw(kHeartbeat, header(self_));
    lock.lock();
    const int64_t now = steady_ms();
    Announcements out;
    std::vector<uint64_t> dead;
    for (const auto& [node, state] : nodes_)
      if (now - state.last_heard_steady > kNodeTimeoutMs) dead.push_back(node);
    for (uint64_t node : dead) {
      // Last seen: when we last heard from it, on the wall clock.
      const int64_t last_seen = now_ms() - (now - nodes_[node].last_heard_steady);
      spdlog::warn("presence: node {:016x} silent for {} ms, its users go offline", node,
                   now - nodes_[node].last_heard_steady);
      drop_node(node, last_seen, out);
    }
    if (!out.empty()) {
      lock.unlock();
      announce(out);
      lock.lock();
    }
    cv_.wait_for(lock, std::chrono::milliseconds(kHeartbeatMs), [&] { return stopping_; });
  }
}

}  // namespace parley::bus
