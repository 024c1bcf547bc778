#include "client/engine.h"

#include "client/json_util.h"

#include <boost/json/parse.hpp>

namespace parley::client {

namespace json = boost::json;

std::string Engine::own_state(const Message& m, const Chat& chat) const {
  if (m.seq <= chat.min_read_seq) return "read";
  if (m.seq <= chat.min_delivered_seq) return "delivered";
  return "sent";
}

json::object Engine::chat_view(const Chat& c) const {
  json::object o{{"id", c.id},
                 {"kind", c.kind},
                 {"title", c.title},
                 {"last_seq", c.last_seq},
                 {"last_activity", c.last_activity},
                 {"unread", c.unread},
                 {"read_seq", std::max(c.read_seq, c.local_read_seq)},
                 {"min_delivered_seq", c.min_delivered_seq},
                 {"min_read_seq", c.min_read_seq},
                 {"member_count", c.member_count},
                 {"left", c.left},
                 {"pending", c.pending}};
  if (auto peer = store_->user(c.peer_id); peer && c.kind == "direct") {
    o["peer"] = user_view(*peer);
  } else {
    o["peer"] = nullptr;
  }
  auto last = c.last_seq > 0 ? store_->message(c.id, c.last_seq) : std::nullopt;
  o["last_message"] = last ? json::value(message_view(*last, &c)) : json::value(nullptr);
  return o;
}

json::object Engine::message_view(const Message& m, const Chat* chat) const {
  json::object o{{"chat_id", m.chat_id}, {"seq", m.seq},   {"id", m.id},
                 {"sender_id", m.sender_id}, {"client_id", m.client_id}, {"kind", m.kind},
                 {"text", m.text}, {"ts", m.ts}, {"outgoing", m.sender_id == me_}};
  if (auto sender = store_->user(m.sender_id)) o["sender"] = sender->username;
  if (m.edited_at > 0) o["edited_at"] = m.edited_at;
  if (m.deleted) o["deleted"] = true;
  if (m.hidden) o["hidden"] = true;
  if (!m.image.empty()) {
    boost::system::error_code ec;
    json::value image = json::parse(m.image, ec);
    if (!ec) o["image"] = std::move(image);
  }
  if (m.sender_id == me_ && chat != nullptr) o["state"] = own_state(m, *chat);
  return o;
}

json::object Engine::outbox_view(const OutboxEntry& e) const {
  json::object o{{"chat_id", e.chat_id}, {"client_id", e.client_id}, {"text", e.text},
                 {"state", e.state}, {"attempts", e.attempts}, {"created_at", e.created_at},
                 {"outgoing", true}};
  if (!e.error.empty()) o["error"] = e.error;
  if (!e.media_id.empty()) o["media_id"] = e.media_id;
  return o;
}

}  // namespace parley::client
