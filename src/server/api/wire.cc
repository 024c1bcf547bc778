#include "server/api/wire.h"

#include <boost/json/parse.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/serialize.hpp>

#include "server/chat/attachments.h"

namespace parley::api::wire {

namespace json = boost::json;

json::object user(const store::UserRecord& u) {
  // As group events name a deleted account (chat/group_change.h).
  if (u.deleted())
    return {{"id", u.id}, {"username", u.username}, {"display_name", "Deleted account"}, {"deleted", true}};
  return {{"id", u.id}, {"username", u.username}, {"display_name", u.display_name}};
}

json::object message(const store::MessageRecord& m) {
  json::object o{{"id", m.id},         {"conversation_id", m.conversation_id},
                 {"seq", m.seq},       {"sender_id", m.sender_id},
                 {"client_id", m.client_id}, {"kind", m.kind},
                 {"text", m.text},     {"ts", m.ts},
                 {"version", m.version}};
  if (m.edited_at) o["edited_at"] = *m.edited_at;
  if (m.deleted_at) {
    o["deleted"] = true;
    o["deleted_at"] = *m.deleted_at;
  }
  if (m.hidden) o["hidden"] = true;
  if (m.reply_to > 0 && !m.hidden) o["reply_to"] = m.reply_to;
  if (m.forwarded && !m.hidden) o["forwarded"] = true;
  if (!m.reactions.empty() && !m.hidden && !m.deleted_at) {
    // Grouped by emoji in the order each emoji first appeared; users in the order they reacted.
    json::array groups;
    for (const store::Reaction& r : m.reactions) {
      json::object* group = nullptr;
      for (auto& g : groups)
        if (g.as_object().at("emoji").as_string() == r.emoji) group = &g.as_object();
      if (!group) {
        groups.push_back(json::object{{"emoji", r.emoji}, {"user_ids", json::array{}}});
        group = &groups.back().as_object();
      }
      group->at("user_ids").as_array().push_back(r.user_id);
    }
    o["reactions"] = std::move(groups);
  }
  if (m.kind == "system" && !m.hidden) {
    // The domain stores a system event as compact JSON; clients get it as an object.
    boost::system::error_code ec;
    json::value v = json::parse(m.text, ec);
    if (!ec && v.is_object()) o["system"] = std::move(v);
  }
  if (!m.attachment.empty()) {
    // Written by the domain at send time (chat/attachments.h).
    boost::system::error_code ec;
    json::value v = json::parse(m.attachment, ec);
    // Under the message's kind: "image", "file" or "voice".
    if (!ec && v.is_object()) o[m.kind == "file" || m.kind == "voice" ? m.kind : "image"] = std::move(v);
  }
  return o;
}

json::object search_hit(const store::SearchHit& hit) {
  // The store marks matches with the bytes 0xFF ... 0xFE, which valid UTF-8 never
  // contains; clients get the snippet as segments, so they never parse markup.
  json::array segments;
  std::string part;
  bool match = false;
  auto flush = [&] {
    if (!part.empty()) {
      json::object seg{{"text", part}};
      if (match) seg["match"] = true;
      segments.push_back(std::move(seg));
    }
    part.clear();
  };
  for (char c : hit.snippet) {
    if (c == '\xFF' || c == '\xFE') {
      flush();
      match = c == '\xFF';
    } else {
      part.push_back(c);
    }
  }
  flush();
  return {{"message", message(hit.message)}, {"snippet", std::move(segments)}, {"rank", hit.rank}};
}

json::object media(const store::MediaRecord& m) {
  // A photo's is exactly the image object its messages carry (no kind: older clients
  // compare the two); the other kinds say what they are.
  if (m.kind == "image") return json::parse(chat::image_attachment(m)).as_object();
  json::object o{{"media_id", m.id}, {"kind", m.kind}, {"mime", m.mime}, {"size", m.size}};
  if (m.kind == "file") o["name"] = m.name;
  return o;
}

json::object member(const store::MemberRecord& m) {
  return {{"user", user(m.user)},
          {"role", m.role},
          {"delivered_seq", m.delivered_seq},
          {"read_seq", m.read_seq},
          {"joined_at", m.joined_at}};
}

json::object conversation(const store::ConversationRecord& c, int64_t viewer_id) {
  json::array members;
  json::value peer = nullptr;
  int64_t my_read = 0;
  std::string my_role = "member";
  bool left = false;
  int64_t my_muted_until = 0;  // private to the viewer: never shown for other members
  for (const auto& m : c.members) {
    members.push_back(json::object{{"user", user(m.user)},
                                   {"role", m.role},
                                   {"delivered_seq", m.delivered_seq},
                                   {"read_seq", m.read_seq}});
    if (m.user.id == viewer_id) {
      my_read = m.read_seq;
      my_role = m.role;
      left = m.left_seq.has_value();
      my_muted_until = m.muted_until;
    } else if (c.kind == "direct") {
      peer = user(m.user);
    }
  }
  json::object o{{"id", c.id},
                 {"kind", c.kind},
                 {"peer", std::move(peer)},
                 {"members", std::move(members)},
                 {"last_seq", c.last_seq},
                 {"last_activity", c.last_activity},
                 {"unread", std::max<int64_t>(0, c.last_seq - my_read)},
                 {"created_at", c.created_at},
                 {"version", c.version},
                 {"name", c.name},
                 {"description", c.description},
                 {"member_count", c.member_count},
                 {"role", my_role},
                 {"left", left},
                 {"muted_until", my_muted_until},
                 {"min_delivered_seq", c.min_delivered_seq},
                 {"min_read_seq", c.min_read_seq},
                 {"pinned", c.pinned_at.has_value()},
                 {"pinned_at", c.pinned_at ? json::value(*c.pinned_at) : json::value(nullptr)},
                 {"archived", c.archived}};
  if (c.last_message)
    o["last_message"] = message(*c.last_message);
  else
    o["last_message"] = nullptr;
  return o;
}

json::array conversations(const std::vector<store::ConversationRecord>& cs, int64_t viewer_id) {
  json::array a;
  a.reserve(cs.size());
  for (const auto& c : cs) a.push_back(conversation(c, viewer_id));
  return a;
}

json::array messages(const std::vector<store::MessageRecord>& ms) {
  json::array a;
  a.reserve(ms.size());
  for (const auto& m : ms) a.push_back(message(m));
  return a;
}

std::string error_body(const Error& e) {
  json::object err{{"code", errc_name(e.code)}, {"message", e.message}};
  if (!e.user_ids.empty()) err["user_ids"] = json::value_from(e.user_ids);
  if (!e.call_json.empty()) err["call"] = json::parse(e.call_json);
  return json::serialize(json::object{{"error", std::move(err)}});
}

std::string error_frame(const json::value& id, const Error& e) {
  json::object o{{"type", "error"}, {"id", id}, {"code", errc_name(e.code)}, {"message", e.message}};
  if (e.code == Errc::kRateLimited) o["retry_after_ms"] = e.retry_after_ms;
  if (!e.user_ids.empty()) o["user_ids"] = json::value_from(e.user_ids);
  if (!e.call_json.empty()) o["call"] = json::parse(e.call_json);
  return json::serialize(o);
}

std::shared_ptr<const std::string> frame(const json::object& o) {
  return std::make_shared<const std::string>(json::serialize(o));
}

}  // namespace parley::api::wire
