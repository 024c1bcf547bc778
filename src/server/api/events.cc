// EventPublisher: committed changes -> encoded frames -> bus.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "server/api/api.h"
#include "server/api/wire.h"

namespace parley::api {

namespace json = boost::json;

namespace {

// {"type":TYPE,"message":{...}}
std::shared_ptr<const std::string> message_frame(std::string_view type, const store::MessageRecord& m) {
  std::string text = R"({"type":")";
  text += type;
  text += R"(","message":)";
  text += wire::message_json(m);
  text += '}';
  return std::make_shared<const std::string>(std::move(text));
}

}  // namespace

void EventPublisher::on_message(const store::AppendOutcome& outcome, uint64_t origin_connection) {
  metrics_.messages_committed.add();
  bus::Envelope e;
  e.user_ids = outcome.member_ids;
  e.exclude_connection = origin_connection;
  e.frame = message_frame("message", outcome.message);
  e.conversation_id = outcome.message.conversation_id;
  e.seq = outcome.message.seq;
  metrics_.message_events.add(bus_.publish(e));
}

EventPublisher::EventPublisher(bus::Bus& bus, Metrics& metrics, std::chrono::milliseconds window)
    : bus_(bus), metrics_(metrics), window_(window), flusher_([this] { flush_loop(); }) {}

EventPublisher::~EventPublisher() { stop(); }

void EventPublisher::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (flusher_.joinable()) flusher_.join();
}

void EventPublisher::on_receipt(const store::ReceiptOutcome& r) {
  if (r.member_ids.size() <= 2) {
    bus::Envelope e;
    e.user_ids = r.member_ids;
    e.frame = wire::frame({{"type", "receipt"},
                           {"conversation_id", r.conversation_id},
                           {"user_id", r.user_id},
                           {"delivered_seq", r.delivered_seq},
                           {"read_seq", r.read_seq},
                           {"version", r.version}});
    bus_.publish(e);
    return;
  }
  std::lock_guard lock(mu_);
  PendingReceipts& p = pending_[r.conversation_id];
  p.member_ids = r.member_ids;
  p.latest[r.user_id] = r;  // commit order: a later outcome is never behind an earlier one
  cv_.notify_one();
}

void EventPublisher::publish_receipts(int64_t conversation_id, const PendingReceipts& p) {
  json::array receipts;
  for (const auto& [user_id, r] : p.latest)
    receipts.push_back(json::object{{"user_id", user_id},
                                    {"delivered_seq", r.delivered_seq},
                                    {"read_seq", r.read_seq},
                                    {"version", r.version}});
  bus::Envelope e;
  e.user_ids = p.member_ids;
  e.frame = wire::frame({{"type", "receipts"}, {"conversation_id", conversation_id}, {"receipts", std::move(receipts)}});
  bus_.publish(e);
}

void EventPublisher::flush_loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
    if (!stopping_) {
      // Let the window fill; receipts arriving meanwhile join this flush.
      cv_.wait_for(lock, window_, [&] { return stopping_; });
    }
    std::unordered_map<int64_t, PendingReceipts> batch;
    batch.swap(pending_);
    lock.unlock();
    for (const auto& [conversation_id, p] : batch) publish_receipts(conversation_id, p);
    lock.lock();
    if (stopping_ && pending_.empty()) return;
  }
}

void EventPublisher::on_conversation(const store::ConversationRecord& c, int64_t viewer_id) {
  bus::Envelope e;
  e.user_ids = {viewer_id};
  e.frame = std::make_shared<const std::string>(R"({"type":"conversation","conversation":)" +
                                                 wire::conversation_json(c, viewer_id) + '}');
  bus_.publish(e);
}

void EventPublisher::on_sessions_revoked(int64_t user_id, const std::vector<int64_t>& session_ids) {
  bus::Envelope e;
  e.kind = bus::Envelope::Kind::kRevokeSessions;
  e.user_ids = {user_id};
  e.session_ids = session_ids;
  bus_.publish(e);
}

void EventPublisher::on_message_changed(const store::MessageChange& change) {
  bus::Envelope e;
  e.user_ids = change.member_ids;
  e.frame = message_frame("message_changed", change.message);
  e.conversation_id = change.message.conversation_id;
  bus_.publish(e);
}

void EventPublisher::on_message_hidden(const store::HideOutcome& outcome) {
  bus::Envelope e;
  e.user_ids = {outcome.user_id};
  e.frame = wire::frame({{"type", "message_hidden"},
                         {"conversation_id", outcome.conversation_id},
                         {"seq", outcome.seq},
                         {"version", outcome.version}});
  bus_.publish(e);
}

void EventPublisher::on_reaction(const store::ReactionOutcome& r) {
  bus::Envelope e;
  e.user_ids = r.member_ids;
  e.frame = wire::frame({{"type", "reaction"},
                         {"conversation_id", r.conversation_id},
                         {"seq", r.seq},
                         {"user_id", r.user_id},
                         {"emoji", r.emoji.empty() ? json::value(nullptr) : json::value(r.emoji)},
                         {"version", r.version}});
  bus_.publish(e);
}

void EventPublisher::on_chat_state(const store::ChatStateOutcome& s) {
  bus::Envelope e;
  e.user_ids = {s.user_id};
  e.frame = wire::frame({{"type", "chat_state_changed"}, {"conversation_id", s.conversation_id}, {"pinned", s.pinned_at.has_value()},
                         {"pinned_at", s.pinned_at ? json::value(*s.pinned_at) : json::value(nullptr)},
                         {"archived", s.archived}, {"version", s.version}});
  bus_.publish(e);
}

void EventPublisher::on_played(const store::PlayOutcome& p) {
  // To the sender's devices (who see "played") and the player's (their other devices).
  bus::Envelope e;
  e.user_ids = {p.sender_id, p.user_id};
  e.frame = wire::frame({{"type", "voice_played"},
                         {"conversation_id", p.conversation_id},
                         {"seq", p.seq},
                         {"user_id", p.user_id},
                         {"played_at", p.played_at}});
  bus_.publish(e);
}

}  // namespace parley::api
