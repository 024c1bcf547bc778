#include "server/bus/nats_bus.h"

#include <chrono>
#include <random>

#include <nats/nats.h>
#include <spdlog/spdlog.h>

#include "common/metrics.h"
#include "server/bus/remote_envelope.h"

namespace parley::bus {

struct NatsBus::RawSubscription {
  RawHandler handler;
  natsSubscription* sub = nullptr;
  std::mutex mu;
  std::condition_variable cv;
  bool complete = false;  // guarded by mu: the handler can no longer run
};

struct NatsBus::Impl {
  natsOptions* opts = nullptr;
  natsConnection* conn = nullptr;
  // Subscriptions whose handler may still run; the destructor waits for zero.
  std::mutex mu;
  std::condition_variable cv;
  int live_subscriptions = 0;  // guarded by mu
  bool closed = false;         // guarded by mu: the connection's closed callback ran
};

namespace {

uint64_t random_node_id() {
  std::random_device rd;
  uint64_t id = 0;
  while (id == 0) id = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  return id;
}

int64_t steady_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

const std::shared_ptr<const std::string>& resync_frame() {
  static const auto kFrame = std::make_shared<const std::string>(R"({"type":"resync"})");
  return kFrame;
}

std::string nats_error(natsStatus s) {
  const char* last = nats_GetLastError(nullptr);
  return std::string(natsStatus_GetText(s)) + (last && *last ? std::string(": ") + last : "");
}

}  // namespace

// Library callbacks. They run on cnats threads and only touch atomics, LocalBus and Impl.
extern "C" {
static void parley_nats_on_msg(natsConnection*, natsSubscription*, natsMsg* msg, void* closure);
static void parley_nats_on_sub_complete(void* closure);
static void parley_nats_on_raw(natsConnection*, natsSubscription*, natsMsg* msg, void* closure);
static void parley_nats_on_raw_complete(void* closure);
static void parley_nats_on_error(natsConnection*, natsSubscription*, natsStatus err, void* closure);
static void parley_nats_on_disconnected(natsConnection*, void* closure);
static void parley_nats_on_reconnected(natsConnection*, void* closure);
static void parley_nats_on_closed(natsConnection*, void* closure);
}

// Friend-free access: the callbacks call through these.
struct NatsCallbacks {
  static void message(NatsBus* bus, natsMsg* msg) {
    auto user = subject_user(natsMsg_GetSubject(msg));
    if (user) bus->on_remote(*user, natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
    else bus->received_invalid_.fetch_add(1, std::memory_order_relaxed);
  }
  static void error(NatsBus* bus, natsSubscription* sub, natsStatus err) {
    bus->async_errors_.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("bus: NATS asynchronous error: {}", natsStatus_GetText(err));
    if (err == NATS_SLOW_CONSUMER && sub) {
      if (auto user = subject_user(natsSubscription_GetSubject(sub))) bus->on_slow_consumer(*user);
    }
  }
  static void disconnected(NatsBus* bus) {
    bus->disconnected_at_ = steady_now_ms();
    bus->connected_ = false;
    bus->disconnects_.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("bus: disconnected from NATS; reconnecting");
  }
  static void reconnected(NatsBus* bus, natsConnection* nc) {
    bus->connected_ = true;
    bus->reconnects_.fetch_add(1, std::memory_order_relaxed);
    char url[256] = {0};
    natsConnection_GetConnectedUrl(nc, url, sizeof url);
    // The URL may carry credentials: name the host only.
    std::string_view where(url);
    if (auto at = where.rfind('@'); at != std::string_view::npos) where.remove_prefix(at + 1);
    if (where.rfind("nats://", 0) == 0) where.remove_prefix(7);
    spdlog::info("bus: reconnected to NATS at {}", where);
    bus->on_reconnected();
  }
};

extern "C" {
static void parley_nats_on_msg(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  NatsCallbacks::message(static_cast<NatsBus*>(closure), msg);
  natsMsg_Destroy(msg);
}
static void parley_nats_on_raw(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  auto* raw = static_cast<NatsBus::RawSubscription*>(closure);
  raw->handler(std::string_view(natsMsg_GetData(msg), static_cast<std::size_t>(natsMsg_GetDataLength(msg))));
  natsMsg_Destroy(msg);
}
static void parley_nats_on_raw_complete(void* closure) {
  auto* raw = static_cast<NatsBus::RawSubscription*>(closure);
  std::lock_guard lock(raw->mu);
  raw->complete = true;
  raw->cv.notify_all();
}
static void parley_nats_on_sub_complete(void* closure) {
  auto* impl = static_cast<NatsBus::Impl*>(closure);
  std::lock_guard lock(impl->mu);
  --impl->live_subscriptions;
  impl->cv.notify_all();
}
static void parley_nats_on_error(natsConnection*, natsSubscription* sub, natsStatus err, void* closure) {
  NatsCallbacks::error(static_cast<NatsBus*>(closure), sub, err);
}
static void parley_nats_on_disconnected(natsConnection*, void* closure) {
  NatsCallbacks::disconnected(static_cast<NatsBus*>(closure));
}
static void parley_nats_on_reconnected(natsConnection* nc, void* closure) {
  NatsCallbacks::reconnected(static_cast<NatsBus*>(closure), nc);
}
static void parley_nats_on_closed(natsConnection*, void* closure) {
  auto* impl = static_cast<NatsBus::Impl*>(closure);
  std::lock_guard lock(impl->mu);
  impl->closed = true;
  impl->cv.notify_all();
}
}

Result<std::vector<std::string>> parse_nats_servers(const std::string& spec) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i <= spec.size()) {
    std::size_t j = spec.find(',', i);
    if (j == std::string::npos) j = spec.size();
    std::string entry = spec.substr(i, j - i);
    i = j + 1;
    while (!entry.empty() && entry.front() == ' ') entry.erase(entry.begin());
    while (!entry.empty() && entry.back() == ' ') entry.pop_back();
    if (entry.rfind("nats://", 0) == 0) entry = entry.substr(7);
    // Optional credentials for a NATS cluster with authorization: USER:PASSWORD@ or TOKEN@.
    std::string userinfo;
    if (const auto at = entry.rfind('@'); at != std::string::npos) {
      userinfo = entry.substr(0, at + 1);
      entry = entry.substr(at + 1);
      if (userinfo.size() < 2 || userinfo.find_first_of("/ ") != std::string::npos)
        return Error::make(Errc::kInvalidArgument, "bus wants nats://[USER:PASSWORD@]HOST:PORT[,...]");
    }
    const auto colon = entry.rfind(':');
    bool ok = colon != std::string::npos && colon > 0 && colon + 1 < entry.size() && colon + 6 >= entry.size();
    for (std::size_t k = colon + 1; ok && k < entry.size(); ++k) ok = entry[k] >= '0' && entry[k] <= '9';
    if (ok) ok = std::stoi(entry.substr(colon + 1)) <= 65535;
    if (!ok || entry.find_first_of("/@ ") != std::string::npos)
      return Error::make(Errc::kInvalidArgument, "bus wants nats://[USER:PASSWORD@]HOST:PORT[,...]");
    out.push_back("nats://" + userinfo + entry);
  }
  return out;
}

NatsBus::NatsBus(NatsBusOptions options)
    : options_(std::move(options)),
      node_id_(random_node_id()),
      impl_(std::make_unique<Impl>()),
      hold_back_(
          options_.order, [this](const Envelope& e) { return local_.publish(e); },
          [this](int64_t user_id) { return local_.has_devices(user_id); }, steady_now_ms) {}

Result<std::unique_ptr<NatsBus>> NatsBus::open(NatsBusOptions options) {
  if (options.servers.empty()) return Error::make(Errc::kInvalidArgument, "no NATS server given");
  std::unique_ptr<NatsBus> bus(new NatsBus(std::move(options)));
  Impl& im = *bus->impl_;
  std::vector<const char*> urls;
  for (const auto& s : bus->options_.servers) urls.push_back(s.c_str());
  natsStatus s = natsOptions_Create(&im.opts);
  if (s == NATS_OK) s = natsOptions_SetServers(im.opts, urls.data(), static_cast<int>(urls.size()));
  if (s == NATS_OK) s = natsOptions_SetName(im.opts, bus->options_.connection_name.c_str());
  // Our own publications are delivered locally already.
  if (s == NATS_OK) s = natsOptions_SetNoEcho(im.opts, true);
  // One subscription per user: a thread each would not scale; the library's pool delivers
  // every subscription's messages in order.
  if (s == NATS_OK) s = natsOptions_UseGlobalMessageDelivery(im.opts, true);
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(im.opts, -1);
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(im.opts, bus->options_.reconnect_wait_ms);
  if (s == NATS_OK) s = natsOptions_SetTimeout(im.opts, 2000);
  if (s == NATS_OK) s = natsOptions_SetPingInterval(im.opts, 2000);
  if (s == NATS_OK) s = natsOptions_SetMaxPingsOut(im.opts, 2);
  if (s == NATS_OK) s = natsOptions_SetErrorHandler(im.opts, parley_nats_on_error, bus.get());
  if (s == NATS_OK) s = natsOptions_SetDisconnectedCB(im.opts, parley_nats_on_disconnected, bus.get());
  if (s == NATS_OK) s = natsOptions_SetReconnectedCB(im.opts, parley_nats_on_reconnected, bus.get());
  if (s == NATS_OK) s = natsOptions_SetClosedCB(im.opts, parley_nats_on_closed, &im);
  if (s != NATS_OK) return Error::make(Errc::kInternal, "NATS options: " + nats_error(s));
  s = natsConnection_Connect(&im.conn, im.opts);
  if (s != NATS_OK) {
    im.conn = nullptr;
    return Error::make(Errc::kUnavailable, "cannot connect to NATS: " + nats_error(s));
  }
  bus->connected_ = true;
  bus->hold_back_.start();
  bus->thread_ = std::thread([b = bus.get()] { b->run(); });
  return bus;
}

NatsBus::~NatsBus() {
  if (thread_.joinable()) {
    flush(2000);
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  Impl& im = *impl_;
  std::vector<uint64_t> raw_ids;
  {
    std::lock_guard lock(raw_mu_);
    for (const auto& [id, raw] : raw_) raw_ids.push_back(id);
  }
  for (uint64_t id : raw_ids) unsubscribe_raw(id);
  for (auto& [user, sub] : subscriptions_) {
    natsSubscription_Unsubscribe(static_cast<natsSubscription*>(sub));
    natsSubscription_Destroy(static_cast<natsSubscription*>(sub));
  }
  subscriptions_.clear();
  if (im.conn) {
    natsConnection_Close(im.conn);
    std::unique_lock lock(im.mu);
    // A handler may be running on the library's thread: wait until none can run.
    im.cv.wait_for(lock, std::chrono::seconds(5), [&] { return im.live_subscriptions == 0 && im.closed; });
    lock.unlock();
    natsConnection_Destroy(im.conn);
  }
  if (im.opts) natsOptions_Destroy(im.opts);
}

void NatsBus::enqueue(Work w, bool droppable) {
  {
    std::lock_guard lock(mu_);
    if (droppable && queue_.size() >= options_.queue_max) {
      publish_dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    queue_.push_back(std::move(w));
  }
  cv_.notify_one();
}

void NatsBus::subscribe(int64_t user_id, const std::shared_ptr<Subscriber>& subscriber) {
  if (!local_.has_devices(user_id)) hold_back_.user_arrived(user_id);
  local_.subscribe(user_id, subscriber);
  enqueue(Work{Work::Kind::kInterest, user_id, nullptr, {}}, false);
}

void NatsBus::unsubscribe(int64_t user_id, uint64_t connection_id) {
  local_.unsubscribe(user_id, connection_id);
  if (!local_.has_devices(user_id)) hold_back_.user_left(user_id);
  enqueue(Work{Work::Kind::kInterest, user_id, nullptr, {}}, false);
}

std::size_t NatsBus::publish(const Envelope& envelope) {
  const std::size_t local = hold_back_.publish(envelope);
  RemoteEnvelope r;
  r.origin_node = node_id_;
  if (envelope.kind == Envelope::Kind::kFrame && options_.order.hold_ms > 0) {
    r.conversation_id = envelope.conversation_id;
    r.seq = envelope.seq;
  }
  if (envelope.kind == Envelope::Kind::kFrame &&
      (!envelope.session_ids.empty() || envelope.exclude_session != 0)) {
    r.kind = RemoteEnvelope::Kind::kSessionFrame;
    r.frame = envelope.frame;
    r.session_ids = envelope.session_ids;
    r.exclude_session = envelope.exclude_session;
  } else if (envelope.kind == Envelope::Kind::kFrame) {
    r.kind = RemoteEnvelope::Kind::kFrame;
    r.frame = envelope.frame;
  } else {
    r.kind = RemoteEnvelope::Kind::kRevokeSessions;
    r.session_ids = envelope.session_ids;
  }
  // Encoded once, shared by the publications to every recipient's subject.
  auto bytes = std::make_shared<const std::string>(encode_remote(r));
  const int64_t now = steady_now_ms();
  {
    std::lock_guard lock(mu_);
    for (int64_t user : envelope.user_ids) {
      recent_.emplace_back(now, user);
      if (recent_.size() > kRecentMax) recent_.pop_front();
      if (queue_.size() >= options_.queue_max) {
        publish_dropped_.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      queue_.push_back(Work{Work::Kind::kPublish, user, bytes, {}});
    }
  }
  cv_.notify_one();
  return local;
}

void NatsBus::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, nothing left
    std::deque<Work> batch;
    batch.swap(queue_);
    in_flight_ = batch.size();
    lock.unlock();
    for (Work& w : batch) {
      if (w.kind == Work::Kind::kInterest) {
        reconcile(w.user_id);
        continue;
      }
      if (w.kind == Work::Kind::kResync) {
        resync_after_reconnect();
        continue;
      }
      if (w.kind == Work::Kind::kPublishRaw) {
        if (natsConnection_Publish(impl_->conn, w.subject.c_str(), w.bytes->data(), static_cast<int>(w.bytes->size())) !=
            NATS_OK)
          publish_errors_.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      const std::string subject = user_subject(w.user_id);
      natsStatus s = natsConnection_Publish(impl_->conn, subject.c_str(), w.bytes->data(),
                                            static_cast<int>(w.bytes->size()));
      if (s == NATS_OK)
        published_.fetch_add(1, std::memory_order_relaxed);
      else
        publish_errors_.fetch_add(1, std::memory_order_relaxed);
    }
    lock.lock();
    in_flight_ = 0;
    cv_.notify_all();  // flush() waits for an empty queue
  }
}

void NatsBus::reconcile(int64_t user_id) {
  const bool wanted = local_.has_devices(user_id);
  auto it = subscriptions_.find(user_id);
  if (wanted && it == subscriptions_.end()) {
    natsSubscription* sub = nullptr;
    const std::string subject = user_subject(user_id);
    natsStatus s = natsConnection_Subscribe(&sub, impl_->conn, subject.c_str(), parley_nats_on_msg, this);
    if (s != NATS_OK) {
      // Only when the connection is closed for good; the device still gets local events.
      spdlog::error("bus: cannot subscribe to {}: {}", subject, natsStatus_GetText(s));
      return;
    }
    {
      std::lock_guard lock(impl_->mu);
      ++impl_->live_subscriptions;
    }
    if (natsSubscription_SetOnCompleteCB(sub, parley_nats_on_sub_complete, impl_.get()) != NATS_OK) {
      std::lock_guard lock(impl_->mu);
      --impl_->live_subscriptions;
    }
    // The handler only enqueues: no limit on messages pending for one user beyond the
    // library's byte limit.
    natsSubscription_SetPendingLimits(sub, -1, 64 * 1024 * 1024);
    subscriptions_.emplace(user_id, sub);
    user_subscriptions_.store(subscriptions_.size(), std::memory_order_relaxed);
  } else if (!wanted && it != subscriptions_.end()) {
    auto* sub = static_cast<natsSubscription*>(it->second);
    natsSubscription_Unsubscribe(sub);
    natsSubscription_Destroy(sub);
    subscriptions_.erase(it);
    user_subscriptions_.store(subscriptions_.size(), std::memory_order_relaxed);
  }
}

void NatsBus::on_remote(int64_t user_id, const char* data, int len) {
  auto decoded = decode_remote(std::string_view(data, static_cast<std::size_t>(len)));
  if (!decoded) {
    received_invalid_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (decoded->origin_node == node_id_) return;  // ours, already delivered locally
  received_.fetch_add(1, std::memory_order_relaxed);
  Envelope e;
  e.user_ids = {user_id};
  if (decoded->kind == RemoteEnvelope::Kind::kSessionFrame) {
    e.kind = Envelope::Kind::kFrame;
    e.frame = std::move(decoded->frame);
    e.session_ids = std::move(decoded->session_ids);
    e.exclude_session = decoded->exclude_session;
    e.conversation_id = decoded->conversation_id;
    e.seq = decoded->seq;
  } else if (decoded->kind == RemoteEnvelope::Kind::kFrame) {
    e.kind = Envelope::Kind::kFrame;
    e.frame = std::move(decoded->frame);
    e.conversation_id = decoded->conversation_id;
    e.seq = decoded->seq;
    // exclude_connection stays 0: connection ids are per node, and the sender's own
    // connection is on the origin node.
  } else {
    e.kind = Envelope::Kind::kRevokeSessions;
    e.session_ids = std::move(decoded->session_ids);
  }
  delivered_.fetch_add(hold_back_.publish(e), std::memory_order_relaxed);
}

Result<uint64_t> NatsBus::subscribe_raw(const std::string& subject, RawHandler handler) {
  auto raw = std::make_unique<RawSubscription>();
  raw->handler = std::move(handler);
  natsStatus s = natsConnection_Subscribe(&raw->sub, impl_->conn, subject.c_str(), parley_nats_on_raw, raw.get());
  if (s != NATS_OK) return Error::make(Errc::kUnavailable, "cannot subscribe to " + subject + ": " + nats_error(s));
  if (natsSubscription_SetOnCompleteCB(raw->sub, parley_nats_on_raw_complete, raw.get()) != NATS_OK) {
    natsSubscription_Destroy(raw->sub);
    return Error::make(Errc::kUnavailable, "cannot watch the subscription to " + subject);
  }
  natsSubscription_SetPendingLimits(raw->sub, -1, 64 * 1024 * 1024);
  std::lock_guard lock(raw_mu_);
  const uint64_t id = next_raw_id_++;
  raw_.emplace(id, std::move(raw));
  return id;
}

void NatsBus::unsubscribe_raw(uint64_t id) {
  std::unique_ptr<RawSubscription> raw;
  {
    std::lock_guard lock(raw_mu_);
    auto it = raw_.find(id);
    if (it == raw_.end()) return;
    raw = std::move(it->second);
    raw_.erase(it);
  }
  natsSubscription_Unsubscribe(raw->sub);
  {
    std::unique_lock lock(raw->mu);
    raw->cv.wait_for(lock, std::chrono::seconds(5), [&] { return raw->complete; });
  }
  natsSubscription_Destroy(raw->sub);
}

void NatsBus::publish_raw(std::string subject, std::string bytes) {
  Work w;
  w.kind = Work::Kind::kPublishRaw;
  w.subject = std::move(subject);
  w.bytes = std::make_shared<const std::string>(std::move(bytes));
  enqueue(std::move(w), true);
}

void NatsBus::on_reconnected() {
  enqueue(Work{Work::Kind::kResync, 0, nullptr, {}}, false);
  std::lock_guard lock(reconnect_mu_);
  for (auto& f : on_reconnect_) f();
}

void NatsBus::add_reconnect_hook(std::function<void()> hook) {
  std::lock_guard lock(reconnect_mu_);
  on_reconnect_.push_back(std::move(hook));
}

void NatsBus::add_metrics_source(std::function<std::string()> source) {
  std::lock_guard lock(metrics_mu_);
  metrics_sources_.push_back(std::move(source));
}

void NatsBus::on_slow_consumer(int64_t user_id) {
  Envelope e;
  e.user_ids = {user_id};
  e.frame = resync_frame();
  resyncs_.fetch_add(local_.publish(e), std::memory_order_relaxed);
}

void NatsBus::resync_after_reconnect() {
  // Our devices may have missed what other nodes published while we were away.
  resyncs_.fetch_add(local_.deliver_all(resync_frame()), std::memory_order_relaxed);
  // What we published shortly before the disconnection may have died with the server.
  const int64_t since = disconnected_at_.load() - kRecentWindowMs;
  std::unordered_set<int64_t> users;
  {
    std::lock_guard lock(mu_);
    for (auto it = recent_.rbegin(); it != recent_.rend() && it->first >= since; ++it) users.insert(it->second);
  }
  RemoteEnvelope r;
  r.origin_node = node_id_;
  r.frame = resync_frame();
  const std::string bytes = encode_remote(r);
  for (int64_t user : users) {
    const std::string subject = user_subject(user);
    if (natsConnection_Publish(impl_->conn, subject.c_str(), bytes.data(), static_cast<int>(bytes.size())) == NATS_OK)
      resyncs_.fetch_add(1, std::memory_order_relaxed);
    else
      publish_errors_.fetch_add(1, std::memory_order_relaxed);
  }
  spdlog::info("bus: after reconnecting, told local devices and {} recent recipients to sync", users.size());
}

bool NatsBus::flush(int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  {
    std::unique_lock lock(mu_);
    if (!cv_.wait_until(lock, deadline, [&] { return queue_.empty() && in_flight_ == 0; })) return false;
  }
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return false;
  return natsConnection_FlushTimeout(impl_->conn, left.count()) == NATS_OK;
}

NatsBusStats NatsBus::stats() const {
  NatsBusStats st;
  st.published = published_.load();
  st.publish_dropped = publish_dropped_.load();
  st.publish_errors = publish_errors_.load();
  st.received = received_.load();
  st.received_invalid = received_invalid_.load();
  st.delivered = delivered_.load();
  st.disconnects = disconnects_.load();
  st.reconnects = reconnects_.load();
  st.async_errors = async_errors_.load();
  st.resyncs = resyncs_.load();
  st.user_subscriptions = user_subscriptions_.load();
  st.connected = connected_.load();
  {
    std::lock_guard lock(mu_);
    st.queued = queue_.size() + in_flight_;
  }
  return st;
}

std::string NatsBus::metrics_text() const {
  const NatsBusStats st = stats();
  std::string out;
  auto add = [&out](const char* name, const char* type, const char* help, uint64_t v) {
    append_metric(out, name, type, help, v);
  };
  add("parley_bus_connected", "gauge", "Whether the node is connected to NATS (0/1).", st.connected ? 1 : 0);
  add("parley_bus_published_total", "counter", "Events handed to NATS, one per recipient user.", st.published);
  add("parley_bus_publish_dropped_total", "counter", "Events not sent to other nodes: the bus queue was full.",
      st.publish_dropped);
  add("parley_bus_publish_errors_total", "counter", "Events NATS refused (e.g. reconnect buffer full).",
      st.publish_errors);
  add("parley_bus_received_total", "counter", "Events received from other nodes.", st.received);
  add("parley_bus_received_invalid_total", "counter", "Undecodable messages received and ignored.",
      st.received_invalid);
  add("parley_bus_delivered_total", "counter", "Local devices handed an event from another node.", st.delivered);
  add("parley_bus_disconnects_total", "counter", "Losses of the NATS connection.", st.disconnects);
  add("parley_bus_reconnects_total", "counter", "Reconnections to NATS.", st.reconnects);
  add("parley_bus_async_errors_total", "counter", "Asynchronous NATS errors (slow consumer and others).",
      st.async_errors);
  add("parley_bus_resyncs_total", "counter",
      "Resync frames sent after a reconnection or a slow-consumer loss (local devices and remote users).",
      st.resyncs);
  add("parley_bus_user_subscriptions", "gauge", "Users this node subscribes to (it holds a device of each).",
      st.user_subscriptions);
  add("parley_bus_queued", "gauge", "Events and subscription changes waiting for the bus thread.", st.queued);
  out += hold_back_.metrics_text();
  std::lock_guard lock(metrics_mu_);
  for (const auto& source : metrics_sources_) out += source();
  return out;
}

}  // namespace parley::bus
