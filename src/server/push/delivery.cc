#include "server/push/delivery.h"

#include <algorithm>
#include <chrono>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "server/push/base64url.h"
#include "server/push/ece.h"

namespace parley::push {

namespace json = boost::json;

// A call's gateway notification (delivery_calls.cc).
json::object gateway_call(const json::object& content, const store::PushSubscriptionRecord& s, int64_t ttl_s);

namespace {

// The longest prefix of `text` of at most `max` bytes that ends at a character boundary.
std::string cut_utf8(const std::string& text, std::size_t max) {
  if (text.size() <= max) return text;
  std::size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

std::string tag_of(int64_t conversation_id) { return "c" + std::to_string(conversation_id); }

// The Web Push payload of docs/protocol.md ("Web Push payload") for one recipient `me` of `m`.
json::object payload(const store::MessageRecord& m, bool changed, const store::ConversationRecord& c,
                     const store::MemberRecord& me, const store::UserRecord& sender, bool full, int64_t badge,
                     std::size_t max_text_bytes) {
  const std::string tag = tag_of(m.conversation_id);
  if (changed && m.deleted_at)
    return json::object{{"type", "withdraw"}, {"tag", tag}, {"conversation_id", m.conversation_id}, {"seq", m.seq}};
  json::object content{{"type", changed ? "message_changed" : "message"},
                       {"tag", tag},
                       {"conversation_id", m.conversation_id},
                       {"seq", m.seq},
                       // Unread up to and including this message, so the text and the count of one
                       // push agree even when it is examined after later messages committed.
                       {"count", std::max<int64_t>(1, (changed ? c.last_seq : m.seq) - me.read_seq)},
                       {"badge", badge},
                       {"kind", c.kind},
                       {"ts", m.ts}};
  if (full) {
    content["conversation_name"] = c.name;
    content["sender"] =
        json::object{{"id", sender.id}, {"username", sender.username}, {"display_name", sender.display_name}};
    content["text"] = cut_utf8(m.text, max_text_bytes);
    if (m.kind == "image" || m.kind == "video") content["media"] = true;
    if (m.kind == "video") content["attachment"] = "video";
    if (m.kind == "file" || m.kind == "voice") {
      // What to show instead of (or before) a caption: "file" with its name, or "voice".
      content["attachment"] = m.kind;
      boost::system::error_code ec;
      json::value v = json::parse(m.attachment, ec);
      if (m.kind == "file" && !ec && v.is_object() && v.as_object().contains("name") &&
          v.as_object().at("name").is_string())
        content["file_name"] = cut_utf8(std::string(v.as_object().at("name").as_string()), max_text_bytes);
    }
  }
  return content;
}

}  // namespace

Delivery::Delivery(store::Store& store, chat::Committer& committer, const Vapid& vapid, HttpPoster& poster,
                   Metrics& metrics, Connected connected, DeliveryOptions options)
    : store_(store),
      committer_(committer),
      vapid_(vapid),
      poster_(poster),
      metrics_(metrics),
      connected_(std::move(connected)),
      options_(std::move(options)),
      thread_([this] { loop(); }) {}

Delivery::~Delivery() { stop(); }

void Delivery::stop() {
  std::unique_lock lock(mu_);
  if (!stopping_) {
    stopping_ = true;
    jobs_.clear();
    cv_.notify_all();
  }
  // Requests in flight end within the client's deadline; their callbacks touch this object.
  cv_.wait(lock, [this] { return in_flight_ == 0; });
  lock.unlock();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

void Delivery::on_message(const store::AppendOutcome& outcome) {
  if (outcome.member_ids.size() < 2) return;  // nobody but the sender (a withheld message too)
  std::lock_guard lock(mu_);
  if (stopping_) return;
  if (jobs_.size() >= options_.max_jobs) {
    metrics_.push_failed.add();
    return;
  }
  jobs_.push_back(Job{.changed = false, .message = outcome.message, .member_ids = outcome.member_ids});
  cv_.notify_all();
}

void Delivery::on_call(const store::CallRecord& call, int64_t ttl_s) {
  std::lock_guard lock(mu_);
  if (stopping_ || jobs_.size() >= options_.max_jobs) {
    metrics_.push_failed.add();
    return;
  }
  jobs_.push_back(Job{false, {}, {}, call, ttl_s});
  cv_.notify_all();
}

void Delivery::on_call_withdrawn(const store::CallRecord& call) {
  std::lock_guard lock(mu_);
  if (stopping_ || jobs_.size() >= options_.max_jobs) return;
  jobs_.push_back(Job{true, {}, {}, call, 0});
  cv_.notify_all();
}

void Delivery::on_message_changed(const store::MessageChange& change) {
  std::lock_guard lock(mu_);
  if (stopping_ || jobs_.size() >= options_.max_jobs) return;
  jobs_.push_back(Job{.changed = true, .message = change.message, .member_ids = change.member_ids});
  cv_.notify_all();
}

void Delivery::session_gone(int64_t session_id) {
  std::lock_guard lock(mu_);
  if (stopping_) return;
  auto it = held_.find(session_id);
  if (it == held_.end()) return;
  const int64_t since = now_ms() - options_.hold_ms;
  for (auto& h : it->second)
    if (h.held_at >= since) released_.push_back(std::move(h));
  held_count_ -= it->second.size();
  held_.erase(it);  // its entries in held_order_ are skipped when reached
  cv_.notify_all();
}

// ---- the delivery thread -------------------------------------------------------------------

void Delivery::hold(Planned p, int64_t now) {
  // Forget the oldest: beyond the cap, or older than the window (nothing would release them).
  while (!held_order_.empty()) {
    const auto [id, session] = held_order_.front();
    auto it = held_.find(session);
    const bool live = it != held_.end() && it->second.front().id == id;
    if (live && held_count_ < options_.max_held && it->second.front().held_at >= now - options_.hold_ms) break;
    held_order_.pop_front();
    if (!live) continue;
    it->second.pop_front();
    --held_count_;
    if (it->second.empty()) held_.erase(it);
  }
  if (options_.max_held == 0) return;
  const int64_t session = p.subscription.session_id;
  p.hold = false;
  const uint64_t id = ++next_held_id_;
  held_[session].push_back(Held{std::move(p), now, id});
  held_order_.emplace_back(id, session);
  ++held_count_;
}

void Delivery::reconsider(std::vector<Held> released) {
  std::vector<Planned> due;
  for (auto& h : released) {
    Planned& p = h.planned;
    const int64_t conversation = p.content.at("conversation_id").as_int64();
    // Connected again (here or elsewhere): it syncs, and a push would be one too many.
    if (connected_ && connected_(p.user_id, p.subscription.session_id) != Where::kNowhere) continue;
    auto member = store_.conversation_for_member(conversation, p.user_id);
    if (!member || !*member) continue;
    bool still_unread = false;
    for (const auto& m : (*member)->members)
      if (m.user.id == p.user_id) still_unread = !m.left_seq && m.read_seq < p.seq && m.muted_until <= now_ms();
    if (!still_unread) continue;
    store::HistoryQuery q;
    q.conversation_id = conversation;
    q.after = p.seq - 1;
    q.limit = 1;
    auto page = store_.history(p.user_id, q);
    if (!page || page->items.empty()) continue;
    const store::MessageRecord& m = page->items.front();
    if (m.seq != p.seq || m.deleted_at || m.hidden) continue;
    // The session may have been logged out since (its registrations die with it): a push to
    // a device no longer signed in must not go out.
    auto targets = store_.push_targets({p.user_id}, now_ms());
    if (!targets || std::none_of(targets->begin(), targets->end(),
                                 [&](const auto& t) { return t.id == p.subscription.id; }))
      continue;
    if (m.edited_at && p.content.contains("text")) p.content["text"] = cut_utf8(m.text, options_.max_text_bytes);
    due.push_back(std::move(p));
  }
  std::lock_guard lock(mu_);
  const int64_t now = now_ms();
  for (auto& p : due) place(std::move(p), false, false, now);
}

void Delivery::loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    // Released pushes first: the session went away before the messages queued since.
    if (!released_.empty()) {
      std::vector<Held> released = std::move(released_);
      released_.clear();
      lock.unlock();
      reconsider(std::move(released));  // store reads, without the lock; places what is still due
      lock.lock();
      continue;
    }
    if (!jobs_.empty()) {
      Job job = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      std::vector<Planned> planned = job.call ? examine_call(job) : examine(job);  // store reads, without the lock
      lock.lock();
      const int64_t now = now_ms();
      for (auto& p : planned) {
        if (job.call)
          place_call(std::move(p), job.changed, now);
        else if (p.hold)
          hold(std::move(p), now);
        else
          place(std::move(p), job.changed, job.message.deleted_at.has_value(), now);
      }
      continue;
    }
    const int64_t now = now_ms();
    send_due(now);
    // Sleep until the next slot is due (or a job arrives); a full house of requests in
    // flight wakes us when one finishes.
    int64_t next = now + 60'000;
    if (in_flight_ < options_.max_in_flight)
      for (const auto& [key, slot] : slots_)
        if (!slot.content.empty() && !slot.in_flight) next = std::min(next, slot.due);
    cv_.wait_for(lock, std::chrono::milliseconds(std::max<int64_t>(1, next - now)),
                 [this] { return stopping_ || !jobs_.empty() || !released_.empty() || wake_; });
    wake_ = false;
  }
}

std::vector<Delivery::Planned> Delivery::examine(const Job& job) {
  std::vector<Planned> out;
  const store::MessageRecord& m = job.message;
  std::vector<int64_t> recipients;
  for (int64_t id : job.member_ids)
    if (id != m.sender_id) recipients.push_back(id);
  if (recipients.empty() || m.kind == "system") return out;
  const int64_t now = now_ms();
  auto targets = store_.push_targets(recipients, now);
  if (!targets) {
    spdlog::warn("push: reading registrations failed: {}", targets.error().message);
    return out;
  }
  if (targets->empty()) return out;
  auto sender = store_.find_user(m.sender_id);
  if (!sender || !*sender) return out;

  std::size_t i = 0;
  while (i < targets->size()) {
    const int64_t user = (*targets)[i].user_id;
    std::size_t end = i;
    while (end < targets->size() && (*targets)[end].user_id == user) ++end;
    const auto first = targets->begin() + static_cast<std::ptrdiff_t>(i);
    const auto last = targets->begin() + static_cast<std::ptrdiff_t>(end);
    i = end;

    // In a direct conversation a blocked sender's message is withheld before it gets here;
    // in a group the recipient's block is checked here.
    auto blocked = store_.is_blocked(user, m.sender_id);
    if (!blocked || *blocked) continue;
    auto conversation = store_.conversation_for_member(m.conversation_id, user);
    if (!conversation || !*conversation) continue;
    const store::ConversationRecord& c = **conversation;
    const store::MemberRecord* me = nullptr;
    for (const auto& member : c.members)
      if (member.user.id == user) me = &member;
    if (!me || me->left_seq || me->muted_until > now) continue;
    if (m.seq <= me->joined_seq) continue;
    auto preview = store_.notification_preview(user);
    auto badge = store_.unread_total(user);
    const bool full = preview && *preview && **preview == "full";

    const json::object content =
        payload(m, job.changed, c, *me, **sender, full, badge ? *badge : 0, options_.max_text_bytes);
    for (auto s = first; s != last; ++s) {
      if (s->kind == "gateway" && options_.gateway_url.empty()) continue;
      const Where where = connected_ ? connected_(user, s->session_id) : Where::kNowhere;
      if (where == Where::kHere) continue;
      // An edit or deletion only follows a push that was made: nothing to hold.
      if (where == Where::kElsewhere && job.changed) continue;
      out.push_back(Planned{*s, content, m.seq, c.kind == "direct", user, where == Where::kElsewhere});
    }
  }
  return out;
}

void Delivery::place(Planned p, bool changed, bool deleted, int64_t now) {
  const Key key{p.subscription.id, p.content.at("conversation_id").as_int64()};
  auto it = slots_.find(key);
  if (changed) {
    // An edit or deletion matters only where that message was pushed, is being pushed (its
    // request may go through: the change follows it) or is waiting.
    if (it == slots_.end()) return;
    Slot& slot = it->second;
    const bool waiting = !slot.content.empty() && slot.seq == p.seq;
    const bool shown = slot.sent_seq == p.seq || (slot.in_flight && slot.flight_seq == p.seq);
    if (!waiting && !shown) return;
    if (deleted && waiting && !shown) {
      slot.content = {};  // never shown: nothing to withdraw
      return;
    }
    slot.content = std::move(p.content);
    slot.seq = p.seq;
    slot.attempts = 0;
    slot.due = std::max(now, slot.due);
    return;
  }
  if (it == slots_.end()) {
    if (slots_.size() >= options_.max_slots) {
      // Make room from an idle slot (nothing waiting, nothing in flight), else drop.
      auto idle = std::find_if(slots_.begin(), slots_.end(),
                               [](const auto& e) { return e.second.content.empty() && !e.second.in_flight; });
      if (idle == slots_.end()) {
        metrics_.push_failed.add();
        return;
      }
      slots_.erase(idle);
    }
    it = slots_.emplace(key, Slot{}).first;
  }
  Slot& slot = it->second;
  slot.subscription = std::move(p.subscription);
  const bool was_waiting = !slot.content.empty();
  slot.content = std::move(p.content);  // a waiting push takes the newest content: bursts collapse
  slot.seq = p.seq;
  slot.direct = p.direct;
  slot.attempts = 0;
  if (!was_waiting) slot.due = std::max(now, slot.last_sent + options_.collapse_ms);
}

HttpPost Delivery::request_for(const Slot& slot, int64_t now, bool& ok) const {
  ok = false;
  HttpPost post;
  const auto& s = slot.subscription;
  if (s.kind == "webpush") {
    auto p256dh = base64url_decode(s.p256dh);
    auto auth = base64url_decode(s.auth);
    if (!p256dh || !auth) return post;
    auto body = encrypt_aes128gcm(json::serialize(slot.content), *p256dh, *auth);
    auto authorization = vapid_.authorization(s.endpoint, now / 1000);
    if (!body || !authorization) return post;
    post.url = s.endpoint;
    post.public_only = true;  // the endpoint is the client's word
    post.body = std::move(*body);
    post.headers = {{"Content-Type", "application/octet-stream"},
                    {"Content-Encoding", "aes128gcm"},
                    {"TTL", std::to_string(slot.ttl_s > 0 ? slot.ttl_s : options_.ttl_s)},
                    {"Urgency", slot.direct ? "high" : "normal"},
                    {"Topic", slot.content.at("tag").as_string().c_str()},
                    {"Authorization", *authorization}};
    ok = true;
    return post;
  }
  // The gateway: modelled on the Matrix push gateway's notification.
  const json::object& c = slot.content;
  if (c.contains("call_id")) {
    post.url = options_.gateway_url;
    post.body = json::serialize(json::object{{"notification", gateway_call(c, s, slot.ttl_s)}});
    post.headers = {{"Content-Type", "application/json"}};
    ok = true;
    return post;
  }
  json::object n{{"event_id", std::to_string(c.at("conversation_id").as_int64()) + ":" +
                                  std::to_string(c.at("seq").as_int64())},
                 {"conversation_id", c.at("conversation_id")},
                 {"seq", c.at("seq")},
                 {"type", c.at("type")},
                 {"prio", slot.direct ? "high" : "low"},
                 {"devices", json::array{json::object{{"app_id", s.app_id},
                                                      {"pushkey", s.endpoint},
                                                      {"pushkey_ts", s.created_at / 1000}}}}};
  if (c.contains("kind")) n["kind"] = c.at("kind");
  if (c.contains("count"))
    n["counts"] = json::object{{"unread", c.at("badge")}, {"conversation_unread", c.at("count")}};
  if (c.contains("sender")) {
    n["sender"] = c.at("sender").at("username");
    n["sender_display_name"] = c.at("sender").at("display_name");
    n["conversation_name"] = c.at("conversation_name");
    n["content"] = json::object{{"body", c.at("text")}};
  }
  post.url = options_.gateway_url;
  post.body = json::serialize(json::object{{"notification", std::move(n)}});
  post.headers = {{"Content-Type", "application/json"}};
  ok = true;
  return post;
}

void Delivery::send_due(int64_t now) {
  for (auto& [key, slot] : slots_) {
    if (in_flight_ >= options_.max_in_flight) return;
    if (slot.content.empty() || slot.in_flight || slot.due > now) continue;
    bool ok = false;
    HttpPost post = request_for(slot, now, ok);
    boost::json::object content = std::move(slot.content);
    slot.content = {};
    if (!ok) {
      metrics_.push_failed.add();
      continue;
    }
    slot.in_flight = true;
    slot.flight_seq = slot.seq;
    ++in_flight_;
    const Key k = key;
    const int64_t seq = slot.seq;
    // The answer may come on this thread (before post() returns): the lock is let go first.
    mu_.unlock();
    poster_.post(std::move(post), [this, k, content = std::move(content), seq](HttpAnswer a) mutable {
      finished(k, std::move(content), seq, std::move(a));
    });
    mu_.lock();
    return;  // the map may have changed meanwhile: the loop comes back for the rest
  }
}

void Delivery::finished(Key key, boost::json::object content, int64_t seq, HttpAnswer answer) {
  std::optional<store::PushSubscriptionRecord> remove;
  std::vector<std::string> rejected;
  {
    std::lock_guard lock(mu_);
    --in_flight_;
    wake_ = true;  // a slot may be due again (a retry, newer content) or a request slot is free
    cv_.notify_all();
    auto it = slots_.find(key);
    if (it == slots_.end()) return;
    Slot& slot = it->second;
    slot.in_flight = false;
    const int64_t now = now_ms();
    const int status = answer.status;
    if (status >= 200 && status < 300) {
      metrics_.push_sent.add();
      slot.last_sent = now;
      slot.sent_seq = seq;
      slot.attempts = 0;
      if (!slot.content.empty()) slot.due = now + options_.collapse_ms;
      if (slot.subscription.kind == "gateway") {
        boost::system::error_code ec;
        auto body = json::parse(answer.body, ec);
        if (!ec && body.is_object() && body.as_object().contains("rejected") &&
            body.as_object().at("rejected").is_array())
          for (const auto& r : body.as_object().at("rejected").as_array())
            if (r.is_string() && r.as_string() == slot.subscription.endpoint) remove = slot.subscription;
      }
    } else if (status == 404 || status == 410) {
      remove = slot.subscription;
    } else if (status == 0 || status == 429 || status >= 500) {
      if (!slot.content.empty()) {
        // Something newer is waiting: it replaces this one, on its own schedule.
      } else if (++slot.attempts >= options_.max_attempts) {
        metrics_.push_failed.add();
        slot.attempts = 0;
        spdlog::info("push: gave up on a push after {} attempts ({})", options_.max_attempts,
                     status ? std::to_string(status) : answer.error);
      } else {
        metrics_.push_retried.add();
        slot.content = std::move(content);
        slot.seq = seq;
        slot.due = now + options_.retry_base_ms * (int64_t{1} << (slot.attempts - 1));
      }
    } else {
      metrics_.push_failed.add();
      spdlog::info("push: a push service answered {}; not retried", status);
    }
    if (remove) {
      // Every slot of that registration goes with it.
      for (auto s = slots_.begin(); s != slots_.end();)
        s = s->first.subscription == key.subscription && !s->second.in_flight ? slots_.erase(s) : std::next(s);
    }
  }
  if (remove) remove_address(*remove);
}

void Delivery::remove_address(const store::PushSubscriptionRecord& s) {
  Metrics& metrics = metrics_;
  committer_.submit(chat::make_op<int64_t>(
      [kind = s.kind, app_id = s.app_id, endpoint = s.endpoint](store::WriteTxn& txn) {
        return txn.delete_push_address(kind, app_id, endpoint);
      },
      chat::Callback<int64_t>([&metrics](Result<int64_t> n) {
        if (n && *n > 0) metrics.push_subscriptions_removed.add(static_cast<uint64_t>(*n));
      })));
}

}  // namespace parley::push
