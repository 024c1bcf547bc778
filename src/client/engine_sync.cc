#include "client/engine.h"

#include <algorithm>

#include "client/json_util.h"

namespace parley::client {

namespace json = boost::json;

void Engine::sync() {
  if (!ready_) return;  // the next connection syncs
  if (syncing_) {
    resync_ = true;  // coalesce: one more pass after this one covers every trigger
    return;
  }
  syncing_ = true;
  const std::string cursor = store_->setting("sync_version");
  sync_page(cursor.empty() ? 0 : std::stoll(cursor));
}

void Engine::sync_page(int64_t since) {
  request({{"type", "sync"}, {"since", since}, {"limit", 100}}, [this](const json::object& a) {
    if (string_field(a, "type") != "sync") {
      syncing_ = false;  // lost connection or refused: the next connection starts again
      return;
    }
    std::vector<int64_t> changed;
    for (const json::value& v : a.at("conversations").as_array()) {
      const json::object& conv = v.as_object();
      auto before = store_->chat(int_field(conv, "id"));
      apply_conversation(conv);
      if (!before || int_field(conv, "version") > before->changes_cursor) changed.push_back(int_field(conv, "id"));
    }
    const int64_t version = int_field(a, "version");
    const bool has_more = bool_field(a, "has_more");
    fetch_changes(std::move(changed), [this, version, has_more] {
      if (!syncing_) return;  // the connection dropped meanwhile
      if (has_more) return sync_page(version);
      // The cursor moves only after the messages are stored (docs/protocol.md, Sync).
      (void)store_->set_setting("sync_version", std::to_string(version));
      syncing_ = false;
      emit({{"type", "sync_done"}, {"version", version}});
      send_unsent_reads();
      if (resync_) {
        resync_ = false;
        sync();
      }
    });
  });
}

void Engine::fetch_changes(std::vector<int64_t> chats, std::function<void()> done) {
  if (chats.empty() || !ready_) return done();
  const int64_t chat_id = chats.back();
  auto chat = store_->chat(chat_id);
  if (!chat) {
    chats.pop_back();
    return fetch_changes(std::move(chats), std::move(done));
  }
  request({{"type", "changes"}, {"conversation_id", chat_id}, {"since", chat->changes_cursor}, {"limit", 200}},
          [this, chats = std::move(chats), done = std::move(done), chat_id,
           chat_version = chat->version](const json::object& a) mutable {
            if (string_field(a, "type") != "changes") {
              if (!ready_) return done();
              chats.pop_back();  // refused (e.g. no longer a member): skip this chat
              return fetch_changes(std::move(chats), std::move(done));
            }
            int64_t last_version = 0;
            int64_t delivered = 0;
            // A page is one transaction: a large catch-up costs one disk sync per 200 messages.
            const bool batched = store_->begin_batch().ok();
            for (const json::value& v : a.at("messages").as_array()) {
              apply_message(v, false);
              const json::object& m = v.as_object();
              last_version = std::max(last_version, int_field(m, "version"));
              if (int_field(m, "sender_id") != me_) delivered = std::max(delivered, int_field(m, "seq"));
            }
            if (batched) (void)store_->end_batch();
            if (delivered > 0) acknowledge_delivery(chat_id, delivered);
            const bool has_more = bool_field(a, "has_more");
            // Everything up to the chat's version as sync saw it is now stored.
            (void)store_->set_changes_cursor(chat_id, has_more ? last_version : std::max(last_version, chat_version));
            if (!has_more) chats.pop_back();
            if (!has_more) emit_chat(chat_id);
            fetch_changes(std::move(chats), std::move(done));
          });
}

void Engine::apply_conversation(const json::object& conv) {
  Chat c;
  c.id = int_field(conv, "id");
  c.kind = string_field(conv, "kind");
  c.last_seq = int_field(conv, "last_seq");
  c.last_activity = int_field(conv, "last_activity");
  c.read_seq = std::max<int64_t>(0, c.last_seq - int_field(conv, "unread"));
  c.member_count = int_field(conv, "member_count", 2);
  c.left = bool_field(conv, "left");
  c.version = int_field(conv, "version");
  int64_t min_delivered = INT64_MAX, min_read = INT64_MAX;
  if (const json::value* members = conv.if_contains("members"); members && members->is_array()) {
    for (const json::value& mv : members->as_array()) {
      const json::object& member = mv.as_object();
      const User u = user_from_json(member.at("user").as_object());
      (void)store_->put_user(u);
      const int64_t d = int_field(member, "delivered_seq"), r = int_field(member, "read_seq");
      (void)store_->put_member(c.id, u.id, d, r);
      min_delivered = std::min(min_delivered, d);
      min_read = std::min(min_read, r);
    }
  }
  c.min_delivered_seq = int_field(conv, "min_delivered_seq", min_delivered == INT64_MAX ? 0 : min_delivered);
  c.min_read_seq = int_field(conv, "min_read_seq", min_read == INT64_MAX ? 0 : min_read);
  if (const json::value* peer = conv.if_contains("peer"); peer && peer->is_object()) {
    const User u = user_from_json(peer->as_object());
    (void)store_->put_user(u);
    c.peer_id = u.id;
    c.title = u.display_name.empty() ? u.username : u.display_name;
  } else {
    c.title = string_field(conv, "name");
  }
  auto before = store_->chat(c.id);
  if (Status s = store_->put_chat(c); !s) return;
  auto after = store_->chat(c.id);
  if (before && after) emit_state_changes(*before, *after);
  emit_chat(c.id);
}

void Engine::emit_state_changes(const Chat& before, const Chat& after) {
  // "delivered" always comes before "read" for a message, even when both moved at once.
  for (const Message& m : store_->messages_of(after.id, me_, before.min_delivered_seq, after.min_delivered_seq)) {
    emit({{"type", "message_state"}, {"chat_id", m.chat_id}, {"client_id", m.client_id},
          {"seq", m.seq}, {"state", "delivered"}});
  }
  for (const Message& m : store_->messages_of(after.id, me_, before.min_read_seq, after.min_read_seq)) {
    emit({{"type", "message_state"}, {"chat_id", m.chat_id}, {"client_id", m.client_id},
          {"seq", m.seq}, {"state", "read"}});
  }
}

void Engine::apply_message(const json::value& value, bool live) {
  if (!value.is_object()) return;
  const Message m = message_from_json(value.as_object());
  auto chat_before = store_->chat(m.chat_id);
  const bool own = m.sender_id == me_;
  const bool was_queued = own && store_->outbox_entry(m.client_id).has_value();
  const auto stored_before = store_->message(m.chat_id, m.seq);
  auto put = store_->put_message(m);
  if (!put) return;
  auto chat = store_->chat(m.chat_id);
  if (!chat_before) {
    sync();  // a message of a chat this device has not seen yet: learn the chat
  } else if (live && m.seq > chat_before->last_seq + 1) {
    sync();  // a gap: events were missed
  }
  if (was_queued) {
    // Sent in an earlier run whose acknowledgement was lost (the app was killed).
    emit({{"type", "message_state"}, {"chat_id", m.chat_id}, {"client_id", m.client_id},
          {"seq", m.seq}, {"state", "sent"}});
  }
  if (*put && live && m.kind == "system") {
    sync();  // a group event: the group's name, members or roles changed
  }
  if (*put) {
    emit({{"type", "new_message"}, {"message", message_view(m, chat ? &*chat : nullptr)}});
    if (live && !own) acknowledge_delivery(m.chat_id, m.seq);
  } else if (auto stored = store_->message(m.chat_id, m.seq);
             stored && stored_before &&
             (stored->text != stored_before->text || stored->edited_at != stored_before->edited_at ||
              stored->deleted != stored_before->deleted || stored->hidden != stored_before->hidden)) {
    // Only a real change is news: sync and history repeat messages already stored.
    emit({{"type", "message_updated"}, {"message", message_view(*stored, chat ? &*chat : nullptr)}});
  }
  if (live) emit_chat(m.chat_id);
}

void Engine::apply_event(const std::string& type, const json::object& frame) {
  if (type == "message" || type == "message_changed") {
    if (const json::value* m = frame.if_contains("message")) apply_message(*m, true);
  } else if (type == "message_hidden") {
    auto stored = store_->message(int_field(frame, "conversation_id"), int_field(frame, "seq"));
    if (!stored) return;
    stored->hidden = true;
    stored->text.clear();
    stored->version = int_field(frame, "version", stored->version);
    if (store_->put_message(*stored).ok()) {
      emit({{"type", "message_updated"}, {"message", message_view(*stored, nullptr)}});
    }
  } else if (type == "receipt") {
    (void)store_->put_member(int_field(frame, "conversation_id"), int_field(frame, "user_id"),
                             int_field(frame, "delivered_seq"), int_field(frame, "read_seq"));
    sync();  // the chat's "delivered to all" / "read by all" come with it
  } else if (type == "receipts") {
    if (const json::value* list = frame.if_contains("receipts"); list && list->is_array()) {
      for (const json::value& r : list->as_array()) {
        (void)store_->put_member(int_field(frame, "conversation_id"), int_field(r.as_object(), "user_id"),
                                 int_field(r.as_object(), "delivered_seq"), int_field(r.as_object(), "read_seq"));
      }
    }
    sync();
  } else if (type == "conversation") {
    if (const json::value* c = frame.if_contains("conversation"); c && c->is_object()) {
      apply_conversation(c->as_object());
    }
    sync();
  } else if (type == "typing") {
    emit({{"type", "typing"}, {"chat_id", int_field(frame, "conversation_id")},
          {"user_id", int_field(frame, "user_id")}, {"state", string_field(frame, "state")},
          {"expires_ms", int_field(frame, "expires_ms", 6000)}});
  } else if (type == "presence") {
    emit({{"type", "presence"}, {"user_id", int_field(frame, "user_id")}, {"online", bool_field(frame, "online")},
          {"last_seen", frame.contains("last_seen") ? frame.at("last_seen") : json::value(nullptr)}});
  }
}

void Engine::acknowledge_delivery(int64_t chat_id, int64_t seq) {
  if (!ready_) return;
  request({{"type", "delivered"}, {"conversation_id", chat_id}, {"seq", seq}}, [](const json::object&) {});
}

void Engine::send_unsent_reads() {
  if (!ready_) return;
  for (const Chat& c : store_->unsent_reads()) {
    request({{"type", "read"}, {"conversation_id", c.id}, {"seq", c.local_read_seq}},
            [this, id = c.id, seq = c.local_read_seq](const json::object& a) {
              if (string_field(a, "type") != "ok") return;  // retried at the next sync
              auto chat = store_->chat(id);
              if (!chat) return;
              chat->read_seq = std::max(chat->read_seq, seq);
              (void)store_->put_chat(*chat);
            });
  }
}

void Engine::emit_chat(int64_t chat_id) {
  if (auto chat = store_->chat(chat_id)) emit({{"type", "chat_updated"}, {"chat", chat_view(*chat)}});
}

}  // namespace parley::client
