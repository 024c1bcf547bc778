// EventPublisher: committed changes -> encoded frames -> bus.
#include <boost/json/object.hpp>

#include "server/api/api.h"
#include "server/api/wire.h"

namespace parley::api {

namespace json = boost::json;

void EventPublisher::on_message(const store::AppendOutcome& outcome, uint64_t origin_connection) {
  metrics_.messages_committed.add();
  bus::Envelope e;
  e.user_ids = outcome.member_ids;
  e.exclude_connection = origin_connection;
  e.frame = wire::frame({{"type", "message"}, {"message", wire::message(outcome.message)}});
  metrics_.message_events.add(bus_.publish(e));
}

void EventPublisher::on_receipt(const store::ReceiptOutcome& r) {
  bus::Envelope e;
  e.user_ids = r.member_ids;
  e.frame = wire::frame({{"type", "receipt"},
                         {"conversation_id", r.conversation_id},
                         {"user_id", r.user_id},
                         {"delivered_seq", r.delivered_seq},
                         {"read_seq", r.read_seq},
                         {"version", r.version}});
  bus_.publish(e);
}

void EventPublisher::on_conversation(const store::ConversationRecord& c) {
  // `peer` and `unread` depend on who looks, so each member gets their own encoding.
  for (const auto& m : c.members) {
    bus::Envelope e;
    e.user_ids = {m.user.id};
    e.frame = wire::frame({{"type", "conversation"}, {"conversation", wire::conversation(c, m.user.id)}});
    bus_.publish(e);
  }
}

void EventPublisher::on_sessions_revoked(int64_t user_id, const std::vector<int64_t>& session_ids) {
  bus::Envelope e;
  e.kind = bus::Envelope::Kind::kRevokeSessions;
  e.user_ids = {user_id};
  e.session_ids = session_ids;
  bus_.publish(e);
}

}  // namespace parley::api
