#include "server/api/wire.h"

#include <boost/json/parse.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <utility>
#include <vector>

#include "server/api/json_writer.h"
#include "server/chat/attachments.h"

namespace parley::api::wire {

namespace json = boost::json;

namespace {

void write_user(JsonWriter& w, const store::UserRecord& u) {
  w.begin_object().field("id", u.id).field("username", u.username);
  // As group events name a deleted account (chat/group_change.h).
  if (u.deleted())
    w.field("display_name", "Deleted account").field("deleted", true);
  else
    w.field("display_name", u.display_name);
  w.end_object();
}

// `json` as the value of `key` when it is a JSON object (what the domain stores for system
// events and attachments); nothing otherwise.
void write_stored_object(JsonWriter& w, std::string_view key, const std::string& json) {
  boost::system::error_code ec;
  json::value v = json::parse(json, ec);
  if (ec || !v.is_object()) return;
  w.key(key).raw(json::serialize(v));
}

void write_message(JsonWriter& w, const store::MessageRecord& m) {
  w.begin_object()
      .field("id", m.id)
      .field("conversation_id", m.conversation_id)
      .field("seq", m.seq)
      .field("sender_id", m.sender_id)
      .field("client_id", m.client_id)
      .field("kind", m.kind)
      .field("text", m.text)
      .field("ts", m.ts)
      .field("version", m.version);
  if (m.edited_at) w.field("edited_at", *m.edited_at);
  if (m.deleted_at) w.field("deleted", true).field("deleted_at", *m.deleted_at);
  if (m.hidden) w.field("hidden", true);
  if (m.reply_to > 0 && !m.hidden) w.field("reply_to", m.reply_to);
  if (m.forwarded && !m.hidden) w.field("forwarded", true);
  if (!m.reactions.empty() && !m.hidden && !m.deleted_at) {
    // Grouped by emoji in the order each emoji first appeared; users in the order they reacted.
    std::vector<std::pair<std::string_view, std::vector<int64_t>>> groups;
    for (const store::Reaction& r : m.reactions) {
      auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == r.emoji; });
      if (it == groups.end()) it = groups.insert(groups.end(), {r.emoji, {}});
      it->second.push_back(r.user_id);
    }
    w.key("reactions").begin_array();
    for (const auto& [emoji, user_ids] : groups) {
      w.begin_object().field("emoji", emoji).key("user_ids").begin_array();
      for (int64_t id : user_ids) w.value(id);
      w.end_array().end_object();
    }
    w.end_array();
  }
  // The domain stores a system event as compact JSON; clients get it as an object.
  if (m.kind == "system" && !m.hidden) write_stored_object(w, "system", m.text);
  // Written by the domain at send time (chat/attachments.h), under the message's kind:
  // "image", "file", "voice" or "video".
  if (!m.attachment.empty())
    write_stored_object(w, m.kind == "file" || m.kind == "voice" || m.kind == "video" ? m.kind : "image",
                        m.attachment);
  w.end_object();
}

void write_conversation(JsonWriter& w, const store::ConversationRecord& c, int64_t viewer_id) {
  const store::MemberRecord* me = nullptr;
  const store::MemberRecord* peer = nullptr;
  for (const auto& m : c.members) {
    if (m.user.id == viewer_id)
      me = &m;
    else if (c.kind == "direct")
      peer = &m;
  }
  const int64_t my_read = me ? me->read_seq : 0;
  w.begin_object().field("id", c.id).field("kind", c.kind).key("peer");
  if (peer)
    write_user(w, peer->user);
  else
    w.null();
  w.key("members").begin_array();
  for (const auto& m : c.members) {
    w.begin_object().key("user");
    write_user(w, m.user);
    w.field("role", m.role).field("delivered_seq", m.delivered_seq).field("read_seq", m.read_seq).end_object();
  }
  w.end_array()
      .field("last_seq", c.last_seq)
      .field("last_activity", c.last_activity)
      .field("unread", std::max<int64_t>(0, c.last_seq - my_read))
      .field("created_at", c.created_at)
      .field("version", c.version)
      .field("name", c.name)
      .field("description", c.description)
      .field("member_count", c.member_count)
      .field("role", me ? me->role : std::string("member"))
      .field("left", me && me->left_seq.has_value())
      // Private to the viewer: never shown for other members.
      .field("muted_until", me ? me->muted_until : 0)
      .field("min_delivered_seq", c.min_delivered_seq)
      .field("min_read_seq", c.min_read_seq)
      .field("pinned", c.pinned_at.has_value())
      .key("pinned_at");
  if (c.pinned_at)
    w.value(*c.pinned_at);
  else
    w.null();
  w.field("archived", c.archived).key("last_message");
  if (c.last_message)
    write_message(w, *c.last_message);
  else
    w.null();
  w.end_object();
}

template <class Write>
json::object parsed(Write write) {
  std::string out;
  JsonWriter w(out);
  write(w);
  return json::parse(out).as_object();
}

}  // namespace

json::object user(const store::UserRecord& u) {
  return parsed([&](JsonWriter& w) { write_user(w, u); });
}

std::string message_json(const store::MessageRecord& m) {
  std::string out;
  JsonWriter w(out);
  write_message(w, m);
  return out;
}

json::object message(const store::MessageRecord& m) { return json::parse(message_json(m)).as_object(); }

void append_messages(std::string& out, const std::vector<store::MessageRecord>& ms) {
  JsonWriter w(out);
  w.begin_array();
  for (const auto& m : ms) write_message(w, m);
  w.end_array();
}

std::string messages_page(const std::vector<store::MessageRecord>& ms, bool has_more) {
  std::string out = R"({"messages":)";
  append_messages(out, ms);
  out += has_more ? R"(,"has_more":true})" : R"(,"has_more":false})";
  return out;
}

json::object media(const store::MediaRecord& m) {
  // A photo's is exactly the image object its messages carry (no kind: older clients
  // compare the two); the other kinds say what they are.
  if (m.kind == "image") return json::parse(chat::image_attachment(m)).as_object();
  if (m.kind == "video") {
    json::object o = json::parse(chat::video_attachment(m)).as_object();
    o["kind"] = "video";
    return o;
  }
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

std::string conversation_json(const store::ConversationRecord& c, int64_t viewer_id) {
  std::string out;
  JsonWriter w(out);
  write_conversation(w, c, viewer_id);
  return out;
}

json::object conversation(const store::ConversationRecord& c, int64_t viewer_id) {
  return json::parse(conversation_json(c, viewer_id)).as_object();
}

std::string conversation_answer(const store::ConversationRecord& c, int64_t viewer_id, std::optional<bool> created) {
  std::string out = R"({"conversation":)";
  JsonWriter w(out);
  write_conversation(w, c, viewer_id);
  if (created) w.field("created", *created);
  out += '}';
  return out;
}

void append_conversations(std::string& out, const std::vector<store::ConversationRecord>& cs, int64_t viewer_id) {
  JsonWriter w(out);
  w.begin_array();
  for (const auto& c : cs) write_conversation(w, c, viewer_id);
  w.end_array();
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
