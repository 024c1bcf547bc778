// Edits, "delete for everyone", "delete for me" and the search index, inside a write
// transaction. Same rules as write_txn.cc: check first, write last; every change takes one
// new version.
#include <string>

#include "server/store/sqlite/rows.h"
#include "server/store/sqlite/write_txn.h"

namespace parley::store::sqlite {
namespace {

std::string conv_token(int64_t conversation_id) { return "c" + std::to_string(conversation_id); }

Result<std::optional<MessageRecord>> load_message_at(Db& db, int64_t conversation_id,
                                                     int64_t seq) {
  PARLEY_STORE_ASSIGN(Stmt stmt,
                      db.prepare("SELECT " PARLEY_STORE_MESSAGE_COLUMNS
                                 " FROM messages WHERE conversation_id = ? AND seq = ?"));
  stmt.bind_all(conversation_id, seq);
  PARLEY_STORE_ASSIGN(bool row, stmt.step());
  if (!row) return std::optional<MessageRecord>();
  return std::optional<MessageRecord>(read_message(stmt));
}

Error no_message() { return Error::make(Errc::kNotFound, "no such message"); }

// The member row decides the window; the message must lie inside it.
Result<std::optional<MessageRecord>> load_visible_message(Db& db, int64_t user_id,
                                                          int64_t conversation_id, int64_t seq) {
  PARLEY_STORE_ASSIGN(Stmt stmt,
      db.prepare("SELECT " PARLEY_STORE_MSG_COLUMNS ", " PARLEY_STORE_MSG_HIDDEN
                 " FROM members m JOIN messages msg ON msg.conversation_id = m.conversation_id"
                 " WHERE m.user_id = ?1 AND m.conversation_id = ?2 AND msg.seq = ?3"
                 " AND msg.seq > m.joined_seq AND (m.left_seq IS NULL OR msg.seq <= m.left_seq)"));
  stmt.bind_all(user_id, conversation_id, seq);
  PARLEY_STORE_ASSIGN(bool row, stmt.step());
  if (!row) return std::optional<MessageRecord>();
  return std::optional<MessageRecord>(read_message(stmt, 0, kMessageColumns));
}

}  // namespace

Result<std::optional<MessageRecord>> SqliteWriteTxn::message_at(int64_t conversation_id,
                                                                int64_t seq) {
  if (failed()) return failed_error();
  return guard(load_message_at(db_, conversation_id, seq));
}

Result<std::optional<MessageRecord>> SqliteWriteTxn::visible_message(int64_t user_id,
                                                                  int64_t conversation_id,
                                                                  int64_t seq) {
  if (failed()) return failed_error();
  return guard(load_visible_message(db_, user_id, conversation_id, seq));
}

Result<MessageChange> SqliteWriteTxn::edit_message(int64_t conversation_id, int64_t seq,
                                                   std::string_view text, int64_t now) {
  if (failed()) return failed_error();
  return guard(do_edit_message(conversation_id, seq, text, now));
}

Result<MessageChange> SqliteWriteTxn::erase_message(int64_t conversation_id, int64_t seq,
                                                    int64_t now) {
  if (failed()) return failed_error();
  return guard(do_erase_message(conversation_id, seq, now));
}

Result<HideOutcome> SqliteWriteTxn::hide_message(int64_t user_id, int64_t conversation_id,
                                                 int64_t seq) {
  if (failed()) return failed_error();
  return guard(do_hide_message(user_id, conversation_id, seq));
}

Result<MessageChange> SqliteWriteTxn::do_edit_message(int64_t conversation_id, int64_t seq,
                                                      std::string_view text, int64_t now) {
  PARLEY_STORE_ASSIGN(auto found, load_message_at(db_, conversation_id, seq));
  if (!found) return no_message();
  MessageChange change;
  change.message = std::move(*found);
  MessageRecord& message = change.message;
  if (message.deleted_at) {
    return Error::make(Errc::kInvalidArgument, "the message was deleted");
  }
  if (message.kind != "text") {
    return Error::make(Errc::kInvalidArgument, "only text messages can be edited");
  }
  PARLEY_STORE_ASSIGN(change.member_ids, load_member_ids(db_, conversation_id));
  if (message.text == text) return change;  // nothing to do: idempotent

  PARLEY_STORE_TRY(unindex_message(message.id, conversation_id, message.text));
  message.text = std::string(text);
  message.edited_at = now;
  message.version = ++version_;
  {
    PARLEY_STORE_ASSIGN(Stmt update, db_.prepare("UPDATE messages SET text = ?, edited_at = ?,"
                                                 " version = ? WHERE id = ?"));
    update.bind_all(message.text, now, message.version, message.id);
    PARLEY_STORE_TRY(update.run());
  }
  PARLEY_STORE_TRY(index_message(message.id, conversation_id, message.text));
  PARLEY_STORE_TRY(set_conversation_version(conversation_id, message.version));
  change.changed = true;
  return change;
}

Result<MessageChange> SqliteWriteTxn::do_erase_message(int64_t conversation_id, int64_t seq,
                                                       int64_t now) {
  PARLEY_STORE_ASSIGN(auto found, load_message_at(db_, conversation_id, seq));
  if (!found) return no_message();
  MessageChange change;
  change.message = std::move(*found);
  MessageRecord& message = change.message;
  if (message.kind == "system") {
    return Error::make(Errc::kInvalidArgument, "group events cannot be deleted");
  }
  PARLEY_STORE_ASSIGN(change.member_ids, load_member_ids(db_, conversation_id));
  if (message.deleted_at) return change;  // already deleted: idempotent

  // Out of the index first: it needs the text that was indexed.
  PARLEY_STORE_TRY(unindex_message(message.id, conversation_id, message.text));
  message.text.clear();
  message.attachment.clear();  // its placeholder is a picture of the content
  message.deleted_at = now;
  message.version = ++version_;
  {
    // media_id stays: it keeps the upload's access closed (media_for_user) until garbage
    // collection removes the upload and lets go of it.
    PARLEY_STORE_ASSIGN(Stmt update, db_.prepare("UPDATE messages SET text = '', attachment = NULL,"
                                                 " deleted_at = ?, version = ? WHERE id = ?"));
    update.bind_all(now, message.version, message.id);
    PARLEY_STORE_TRY(update.run());
  }
  PARLEY_STORE_TRY(set_conversation_version(conversation_id, message.version));
  erased_ = true;
  change.changed = true;
  return change;
}

Result<HideOutcome> SqliteWriteTxn::do_hide_message(int64_t user_id, int64_t conversation_id,
                                                    int64_t seq) {
  PARLEY_STORE_ASSIGN(auto member, load_member(db_, conversation_id, user_id));
  if (!member) return no_message();
  if (seq <= member->joined_seq || (member->left_seq && seq > *member->left_seq)) {
    return no_message();
  }
  PARLEY_STORE_ASSIGN(auto found, load_message_at(db_, conversation_id, seq));
  if (!found) return no_message();
  HideOutcome outcome;
  outcome.user_id = user_id;
  outcome.conversation_id = conversation_id;
  outcome.seq = seq;
  {
    PARLEY_STORE_ASSIGN(Stmt existing, db_.prepare("SELECT version FROM hidden_messages"
                                                   " WHERE user_id = ? AND message_id = ?"));
    existing.bind_all(user_id, found->id);
    PARLEY_STORE_ASSIGN(bool row, existing.step());
    if (row) {
      outcome.version = existing.i64(0);
      return outcome;  // already hidden: idempotent
    }
  }
  outcome.version = ++version_;
  {
    PARLEY_STORE_ASSIGN(Stmt insert,
                        db_.prepare("INSERT INTO hidden_messages (user_id, message_id,"
                                    " conversation_id, version) VALUES (?, ?, ?, ?)"));
    insert.bind_all(user_id, found->id, conversation_id, outcome.version);
    PARLEY_STORE_TRY(insert.run());
  }
  {
    // Only this member's view of the conversation changes (sync of their devices).
    PARLEY_STORE_ASSIGN(Stmt touch, db_.prepare("UPDATE members SET own_version = ?"
                                                " WHERE conversation_id = ? AND user_id = ?"));
    touch.bind_all(outcome.version, conversation_id, user_id);
    PARLEY_STORE_TRY(touch.run());
  }
  outcome.changed = true;
  return outcome;
}

Status SqliteWriteTxn::index_message(int64_t id, int64_t conversation_id, std::string_view text) {
  auto found = deferred_index_.find(id);
  index_undo_.emplace_back(id, found == deferred_index_.end()
                                   ? std::nullopt
                                   : std::optional<DeferredIndex>(found->second));
  deferred_index_[id] = DeferredIndex{conversation_id, std::string(text)};
  return Status{};
}

Status SqliteWriteTxn::unindex_message(int64_t id, int64_t conversation_id,
                                       std::string_view text) {
  if (auto found = deferred_index_.find(id); found != deferred_index_.end()) {
    // Never reached the index: forgetting it is the whole removal.
    index_undo_.emplace_back(id, std::move(found->second));
    deferred_index_.erase(found);
    return Status{};
  }
  PARLEY_STORE_ASSIGN(Stmt remove,
                      db_.prepare("INSERT INTO message_search (message_search, rowid, text, conv)"
                                  " VALUES ('delete', ?, ?, ?)"));
  remove.bind_all(id, text, conv_token(conversation_id));
  return remove.run();
}

void SqliteWriteTxn::undo_op() {
  for (auto it = index_undo_.rbegin(); it != index_undo_.rend(); ++it) {
    if (it->second) {
      deferred_index_[it->first] = std::move(*it->second);
    } else {
      deferred_index_.erase(it->first);
    }
  }
  index_undo_.clear();
}

Status SqliteWriteTxn::flush_deferred() {
  if (failed()) return failure();
  for (const auto& [id, entry] : deferred_index_) {
    PARLEY_STORE_ASSIGN(Stmt insert, db_.prepare("INSERT INTO message_search (rowid, text, conv)"
                                                 " VALUES (?, ?, ?)"));
    insert.bind_all(id, entry.text, conv_token(entry.conversation_id));
    if (Status s = insert.run(); !s.ok()) {
      fail(s.error());
      return failure();
    }
  }
  deferred_index_.clear();
  index_undo_.clear();
  return Status{};
}

// ---- reactions ------------------------------------------------------------------------

Result<ReactionOutcome> SqliteWriteTxn::set_reaction(int64_t user_id, int64_t conversation_id,
                                              int64_t seq, std::string_view emoji, int64_t now) {
  if (failed()) return failed_error();
  return guard(do_set_reaction(user_id, conversation_id, seq, emoji, now));
}

Result<ReactionOutcome> SqliteWriteTxn::do_set_reaction(int64_t user_id, int64_t conversation_id,
                                                 int64_t seq, std::string_view emoji, int64_t now) {
  PARLEY_STORE_ASSIGN(auto found, load_message_at(db_, conversation_id, seq));
  if (!found) return no_message();
  ReactionOutcome outcome;
  outcome.conversation_id = conversation_id;
  outcome.seq = seq;
  outcome.user_id = user_id;
  outcome.emoji = std::string(emoji);
  outcome.version = found->version;
  PARLEY_STORE_ASSIGN(outcome.member_ids, load_member_ids(db_, conversation_id));
  std::optional<std::string> current;
  {
    PARLEY_STORE_ASSIGN(Stmt stmt, db_.prepare("SELECT emoji FROM reactions WHERE message_id = ? AND user_id = ?"));
    stmt.bind_all(found->id, user_id);
    PARLEY_STORE_ASSIGN(bool row, stmt.step());
    if (row) current = stmt.text(0);
  }
  if (emoji.empty() ? !current.has_value() : current == emoji) return outcome;  // already so
  if (emoji.empty()) {
    PARLEY_STORE_ASSIGN(Stmt stmt, db_.prepare("DELETE FROM reactions WHERE message_id = ? AND user_id = ?"));
    stmt.bind_all(found->id, user_id);
    PARLEY_STORE_TRY(stmt.run());
  } else {
    PARLEY_STORE_ASSIGN(Stmt stmt, db_.prepare("INSERT INTO reactions (message_id, user_id, emoji, created_at)"
                                " VALUES (?, ?, ?, ?) ON CONFLICT (message_id, user_id)"
                                " DO UPDATE SET emoji = excluded.emoji, created_at = excluded.created_at"));
    stmt.bind_all(found->id, user_id, emoji, now);
    PARLEY_STORE_TRY(stmt.run());
  }
  outcome.version = ++version_;
  {
    PARLEY_STORE_ASSIGN(Stmt update, db_.prepare("UPDATE messages SET version = ? WHERE id = ?"));
    update.bind_all(outcome.version, found->id);
    PARLEY_STORE_TRY(update.run());
  }
  PARLEY_STORE_TRY(set_conversation_version(conversation_id, outcome.version));
  outcome.changed = true;
  return outcome;
}

// ---- pinned and archived chats -------------------------------------------------------

Result<ChatStateOutcome> SqliteWriteTxn::set_chat_state(int64_t conversation_id, int64_t user_id,
                                                 std::optional<bool> pinned,
                                                 std::optional<bool> archived, int max_pinned,
                                                 int64_t now) {
  if (failed()) return failed_error();
  return guard([&]() -> Result<ChatStateOutcome> {
    ChatStateOutcome out;
    out.conversation_id = conversation_id;
    out.user_id = user_id;
    {
      PARLEY_STORE_ASSIGN(Stmt stmt, db_.prepare("SELECT pinned_at, archived, own_version FROM members"
                                  " WHERE conversation_id = ? AND user_id = ?"));
      stmt.bind_all(conversation_id, user_id);
      PARLEY_STORE_ASSIGN(bool row, stmt.step());
      if (!row) return Error::make(Errc::kNotFound, "no such conversation");
      if (!stmt.is_null(0)) out.pinned_at = stmt.i64(0);
      out.archived = stmt.i64(1) != 0;
      out.version = stmt.i64(2);
    }
    const std::optional<int64_t> was_pinned = out.pinned_at;
    const bool was_archived = out.archived;
    if (pinned) out.pinned_at = *pinned ? std::optional<int64_t>(was_pinned.value_or(now)) : std::nullopt;
    if (archived) out.archived = *archived;
    if (out.pinned_at == was_pinned && out.archived == was_archived) return out;  // already so
    if (out.pinned_at && !was_pinned) {
      PARLEY_STORE_ASSIGN(Stmt count, db_.prepare("SELECT count(*) FROM members WHERE user_id = ?"
                                   " AND pinned_at IS NOT NULL"));
      count.bind_all(user_id);
      PARLEY_STORE_ASSIGN(bool row, count.step());
      if (row && count.i64(0) >= max_pinned)
        return Error::make(Errc::kInvalidArgument,
                           "at most " + std::to_string(max_pinned) + " chats can be pinned");
    }
    out.version = ++version_;
    PARLEY_STORE_ASSIGN(Stmt update, db_.prepare("UPDATE members SET pinned_at = ?, archived = ?, own_version = ?"
                                  " WHERE conversation_id = ? AND user_id = ?"));
    if (out.pinned_at) {
      update.bind(1, *out.pinned_at);
    } else {
      update.bind(1, std::nullopt);
    }
    update.bind(2, int64_t{out.archived ? 1 : 0});
    update.bind(3, out.version);
    update.bind(4, conversation_id);
    update.bind(5, user_id);
    PARLEY_STORE_TRY(update.run());
    out.changed = true;
    return out;
  }());
}

}  // namespace parley::store::sqlite
