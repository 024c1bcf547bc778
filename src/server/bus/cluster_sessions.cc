#include "server/bus/cluster_sessions.h"

#include <algorithm>
#include <chrono>
#include <unordered_set>

#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "server/bus/presence_wire.h"

namespace parley::bus {

namespace {

// Every message starts with wire::header (version byte, sender's node id).
constexpr const char* kSessionsChange = "parley.sessions.change";  // + seq u64, user i64, session i64, connected u8
constexpr const char* kSessionsHeartbeat = "parley.sessions.hb";   // + seq u64, count u64, sum u64
constexpr const char* kSessionsBye = "parley.sessions.bye";
constexpr const char* kAskPrefix = "parley.sessions.ask.";    // + asked node hex
constexpr const char* kSnapPrefix = "parley.sessions.snap.";  // + asker hex; + seq u64, part u32, parts u32,
                                                              //   n u32, n x (user i64, session i64)

// Order-independent digest of a set: the sum of a mixed hash of each member.
uint64_t mix(int64_t session) {
  auto z = static_cast<uint64_t>(session) + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

ClusterSessions::ClusterSessions(NatsBus& bus) : bus_(bus), self_(bus.node_id()) {}

ClusterSessions::~ClusterSessions() { stop(); }

Status ClusterSessions::start() {
  const std::pair<std::string, void (ClusterSessions::*)(std::string_view)> subs[] = {
      {kSessionsChange, &ClusterSessions::on_change},
      {kSessionsHeartbeat, &ClusterSessions::on_heartbeat},
      {kSessionsBye, &ClusterSessions::on_bye},
      {wire::node_subject(kAskPrefix, self_), &ClusterSessions::on_ask},
      {wire::node_subject(kSnapPrefix, self_), &ClusterSessions::on_snapshot}};
  for (const auto& [subject, fn] : subs) {
    auto id = bus_.subscribe_raw(subject, [this, fn = fn](std::string_view b) { (this->*fn)(b); });
    if (!id) return id.error();
    subscriptions_.push_back(*id);
  }
  thread_ = std::thread([this] { run(); });
  return {};
}

void ClusterSessions::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  bus_.publish_raw(kSessionsBye, wire::header(self_));
  bus_.flush(1000);
  for (uint64_t id : subscriptions_) bus_.unsubscribe_raw(id);
  subscriptions_.clear();
}

void ClusterSessions::on_local(int64_t user_id, int64_t session_id, bool connected) {
  std::lock_guard lock(mu_);
  if (connected) {
    if (!local_.emplace(session_id, user_id).second) return;
    local_sum_ += mix(session_id);
  } else {
    if (local_.erase(session_id) == 0) return;
    local_sum_ -= mix(session_id);
  }
  std::string msg = wire::header(self_);
  wire::put64(msg, ++local_seq_);
  wire::put64(msg, static_cast<uint64_t>(user_id));
  wire::put64(msg, static_cast<uint64_t>(session_id));
  msg.push_back(connected ? 1 : 0);
  // Published under the lock, so announcements, digests and snapshots leave in `seq` order.
  bus_.publish_raw(kSessionsChange, std::move(msg));
}

bool ClusterSessions::connected_elsewhere(int64_t session_id) const {
  std::lock_guard lock(mu_);
  return remote_.count(session_id) > 0;
}

std::size_t ClusterSessions::remote_count() const {
  std::lock_guard lock(mu_);
  return remote_.size();
}

std::string ClusterSessions::metrics_text() const {
  std::size_t remote = 0;
  std::size_t local = 0;
  uint64_t asks = 0;
  {
    std::lock_guard lock(mu_);
    remote = remote_.size();
    local = local_.size();
    asks = asks_;
  }
  return "# HELP parley_cluster_sessions_local Sessions with a WebSocket open on this node, as announced to the others.\n"
         "# TYPE parley_cluster_sessions_local gauge\n"
         "parley_cluster_sessions_local " + std::to_string(local) + "\n"
         "# HELP parley_cluster_sessions_remote Sessions known connected on other nodes (they get no push).\n"
         "# TYPE parley_cluster_sessions_remote gauge\n"
         "parley_cluster_sessions_remote " + std::to_string(remote) + "\n"
         "# HELP parley_cluster_sessions_resyncs_total Session sets asked of another node (a start, a lost announcement).\n"
         "# TYPE parley_cluster_sessions_resyncs_total counter\n"
         "parley_cluster_sessions_resyncs_total " + std::to_string(asks) + "\n";
}

// ---- the other nodes' sessions (mu_ held) ------------------------------------------------

ClusterSessions::Node& ClusterSessions::heard(uint64_t node) {
  Node& n = nodes_[node];
  n.last_heard_steady = steady_ms();
  return n;
}

void ClusterSessions::add_remote(uint64_t node, Node& n, int64_t user, int64_t session) {
  if (n.sessions.size() >= kMaxSessionsPerNode) return;  // the node is not keeping its cap: push rather than lose
  if (!n.sessions.emplace(session, user).second) return;
  n.sum += mix(session);
  remote_[session].push_back(node);
}

void ClusterSessions::remove_remote(uint64_t node, Node& n, int64_t session, Gone& gone) {
  auto it = n.sessions.find(session);
  if (it == n.sessions.end()) return;
  const int64_t user = it->second;
  n.sessions.erase(it);
  n.sum -= mix(session);
  auto where = remote_.find(session);
  if (where == remote_.end()) return;
  auto& nodes = where->second;
  nodes.erase(std::remove(nodes.begin(), nodes.end(), node), nodes.end());
  if (nodes.empty()) {
    remote_.erase(where);
    gone.emplace_back(user, session);
  }
}

void ClusterSessions::drop_node(uint64_t node, Gone& gone) {
  auto it = nodes_.find(node);
  if (it == nodes_.end()) return;
  std::vector<int64_t> sessions;
  sessions.reserve(it->second.sessions.size());
  for (const auto& [session, user] : it->second.sessions) sessions.push_back(session);
  for (int64_t session : sessions) remove_remote(node, it->second, session, gone);
  nodes_.erase(it);
}

bool ClusterSessions::should_ask(Node& n) {
  // One request at a time per node; asked again if no answer healed it within two beats.
  const int64_t now = steady_ms();
  if (n.asked_steady != 0 && now - n.asked_steady < 2 * kHeartbeatMs) return false;
  n.asked_steady = now;
  ++asks_;
  return true;
}

// ---- messages --------------------------------------------------------------------------------

void ClusterSessions::ask(uint64_t node) {
  bus_.publish_raw(wire::node_subject(kAskPrefix, node), wire::header(self_));
}

void ClusterSessions::report(const Gone& gone) {
  if (!on_gone) return;
  for (const auto& [user, session] : gone) on_gone(user, session);
}

void ClusterSessions::on_change(std::string_view bytes) {
  wire::Reader r(bytes);
  if (r.u8() != wire::kVersion) return;
  const uint64_t node = r.u64();
  const uint64_t seq = r.u64();
  const auto user = static_cast<int64_t>(r.u64());
  const auto session = static_cast<int64_t>(r.u64());
  const bool connected = r.u8() != 0;
  if (!r.done() || node == self_) return;
  Gone gone;
  bool asking = false;
  {
    std::lock_guard lock(mu_);
    Node& n = heard(node);
    if (seq <= n.seq) return;  // already in a snapshot applied here
    if (connected)
      add_remote(node, n, user, session);
    else
      remove_remote(node, n, session, gone);
    // A gap: announcements were lost (or this node is new to us); the whole set heals it.
    if (seq != n.seq + 1) asking = should_ask(n);
    n.seq = seq;
  }
  report(gone);
  if (asking) ask(node);
}

void ClusterSessions::on_heartbeat(std::string_view bytes) {
  wire::Reader r(bytes);
  if (r.u8() != wire::kVersion) return;
  const uint64_t node = r.u64();
  const uint64_t seq = r.u64();
  const uint64_t count = r.u64();
  const uint64_t sum = r.u64();
  if (!r.done() || node == self_) return;
  bool asking = false;
  {
    std::lock_guard lock(mu_);
    Node& n = heard(node);
    // The node publishes in order on one connection, so every announcement before this
    // digest has arrived: a larger seq means some were lost, an equal one must agree.
    const bool behind = seq > n.seq;
    const bool differs = seq == n.seq && (count != n.sessions.size() || sum != n.sum);
    if (behind || differs) asking = should_ask(n);
  }
  if (asking) ask(node);
}

void ClusterSessions::on_ask(std::string_view bytes) {
  wire::Reader r(bytes);
  if (r.u8() != wire::kVersion) return;
  const uint64_t asker = r.u64();
  if (!r.done() || asker == self_) return;
  std::lock_guard lock(mu_);
  if (stopping_) return;
  publish_snapshot(wire::node_subject(kSnapPrefix, asker));
}

void ClusterSessions::publish_snapshot(const std::string& subject) {
  const std::size_t total = local_.size();
  const auto parts = static_cast<uint32_t>(std::max<std::size_t>(1, (total + kSnapshotChunk - 1) / kSnapshotChunk));
  auto it = local_.begin();
  for (uint32_t part = 0; part < parts; ++part) {
    const std::size_t n = std::min(kSnapshotChunk, total - std::size_t{part} * kSnapshotChunk);
    std::string msg = wire::header(self_);
    msg.reserve(msg.size() + 20 + n * 16);
    wire::put64(msg, local_seq_);
    wire::put32(msg, part);
    wire::put32(msg, parts);
    wire::put32(msg, static_cast<uint32_t>(n));
    for (std::size_t j = 0; j < n; ++j, ++it) {
      wire::put64(msg, static_cast<uint64_t>(it->second));
      wire::put64(msg, static_cast<uint64_t>(it->first));
    }
    bus_.publish_raw(subject, std::move(msg));
  }
}

void ClusterSessions::on_snapshot(std::string_view bytes) {
  wire::Reader r(bytes);
  if (r.u8() != wire::kVersion) return;
  const uint64_t node = r.u64();
  const uint64_t seq = r.u64();
  const uint32_t part = r.u32();
  const uint32_t parts = r.u32();
  const uint32_t count = r.u32();
  if (!r.ok() || node == self_ || count > kSnapshotChunk || r.left() != std::size_t{count} * 16 || part >= parts ||
      std::size_t{parts} * kSnapshotChunk > kMaxSessionsPerNode + kSnapshotChunk)
    return;
  Gone gone;
  {
    std::lock_guard lock(mu_);
    Node& n = heard(node);
    if (part == 0) {
      n.snap_seq = seq;
      n.snap_next = 0;
      n.snap.clear();
    }
    if (part != n.snap_next || seq != n.snap_seq) {
      n.snap_next = UINT32_MAX;  // a part went missing: wait for the next request's answer
      n.snap.clear();
      return;
    }
    for (uint32_t j = 0; j < count; ++j) {
      const auto user = static_cast<int64_t>(r.u64());
      const auto session = static_cast<int64_t>(r.u64());
      n.snap.emplace_back(user, session);
    }
    ++n.snap_next;
    if (part + 1 < parts) return;
    std::vector<std::pair<int64_t, int64_t>> snap = std::move(n.snap);
    n.snap.clear();
    n.snap_next = UINT32_MAX;
    // Announcements after `seq` already applied here are not in it: keep what we have, a
    // later digest asks again.
    if (seq < n.seq) return;
    std::unordered_set<int64_t> now_there;
    now_there.reserve(snap.size());
    for (const auto& [user, session] : snap) now_there.insert(session);
    std::vector<int64_t> left;
    for (const auto& [session, user] : n.sessions)
      if (!now_there.count(session)) left.push_back(session);
    for (int64_t session : left) remove_remote(node, n, session, gone);
    for (const auto& [user, session] : snap) add_remote(node, n, user, session);
    n.seq = seq;
    n.asked_steady = 0;
  }
  report(gone);
}

void ClusterSessions::on_bye(std::string_view bytes) {
  wire::Reader r(bytes);
  if (r.u8() != wire::kVersion) return;
  const uint64_t node = r.u64();
  if (!r.done() || node == self_) return;
  Gone gone;
  {
    std::lock_guard lock(mu_);
    drop_node(node, gone);
  }
  report(gone);
}

void ClusterSessions::run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    std::string beat = wire::header(self_);
    wire::put64(beat, local_seq_);
    wire::put64(beat, local_.size());
    wire::put64(beat, local_sum_);
    bus_.publish_raw(kSessionsHeartbeat, std::move(beat));
    const int64_t now = steady_ms();
    std::vector<uint64_t> dead;
    for (const auto& [node, state] : nodes_)
      if (now - state.last_heard_steady > kNodeTimeoutMs) dead.push_back(node);
    Gone gone;
    for (uint64_t node : dead) {
      spdlog::warn("sessions: node {:016x} silent for {} ms, its {} sessions count as disconnected", node,
                   now - nodes_[node].last_heard_steady, nodes_[node].sessions.size());
      drop_node(node, gone);
    }
    if (!gone.empty()) {
      lock.unlock();
      report(gone);
      lock.lock();
    }
    cv_.wait_for(lock, std::chrono::milliseconds(kHeartbeatMs), [&] { return stopping_; });
  }
}

}  // namespace parley::bus
