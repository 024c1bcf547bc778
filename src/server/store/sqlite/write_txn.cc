#include "server/store/sqlite/write_txn.h"

#include <algorithm>
#include <string>
#include <utility>

#include "server/store/sqlite/rows.h"

namespace parley::store::sqlite {

void SqliteWriteTxn::fail(Error error) {
  if (!failure_) {
    error.code = Errc::kInternal;
    failure_ = std::move(error);
  }
}

Error SqliteWriteTxn::failed_error() const {
  return Error::make(Errc::kInternal, "write transaction already failed: " + failure_->message);
}

// ---- public entry points: refuse after a failure, record storage failures ----------

Result<UserRecord> SqliteWriteTxn::create_user(std::string_view username,
                                               std::string_view display_name,
                                               std::string_view password_hash, int64_t now) {
  if (failed()) return failed_error();
  return guard(do_create_user(username, display_name, password_hash, now));
}

Result<SessionRecord> SqliteWriteTxn::create_session(int64_t user_id, std::string_view token_hash,
                                                     std::string_view device_name, int64_t now,
                                                     int64_t expires_at) {
  if (failed()) return failed_error();
  return guard(do_create_session(user_id, token_hash, device_name, now, expires_at));
}

Result<bool> SqliteWriteTxn::revoke_session(int64_t user_id, int64_t session_id) {
  if (failed()) return failed_error();
  return guard(do_revoke_session(user_id, session_id));
}

Result<std::vector<int64_t>> SqliteWriteTxn::revoke_other_sessions(int64_t user_id,
                                                                   int64_t keep_session_id) {
  if (failed()) return failed_error();
  return guard(do_revoke_other_sessions(user_id, keep_session_id));
}

Result<DirectOutcome> SqliteWriteTxn::get_or_create_direct(int64_t a, int64_t b, int64_t now) {
  if (failed()) return failed_error();
  return guard(do_get_or_create_direct(a, b, now));
}

Result<AppendOutcome> SqliteWriteTxn::append_message(const NewMessage& message) {
  if (failed()) return failed_error();
  return guard(do_append_message(message));
}

Result<ReceiptOutcome> SqliteWriteTxn::advance_receipt(int64_t conversation_id, int64_t user_id,
                                                       int64_t delivered_seq, int64_t read_seq) {
  if (failed()) return failed_error();
  return guard(do_advance_receipt(conversation_id, user_id, delivered_seq, read_seq));
}

// ---- accounts -------------------------------------------------------------------------

Result<UserRecord> SqliteWriteTxn::do_create_user(std::string_view username,
                                                  std::string_view display_name,
                                                  std::string_view password_hash, int64_t now) {
  PARLEY_STORE_ASSIGN(auto existing, load_user_by_name(db_, username));
  if (existing) return Error::make(Errc::kUsernameTaken, "username is taken");
  PARLEY_STORE_ASSIGN(Stmt insert,
                      db_.prepare("INSERT INTO users (username, display_name, password_hash,"
                                  " created_at) VALUES (?, ?, ?, ?)"));
  insert.bind_all(username, display_name, password_hash, now);
  PARLEY_STORE_TRY(insert.run());
  UserRecord user;
  user.id = db_.last_insert_rowid();
  user.username = std::string(username);
  user.display_name = std::string(display_name);
  user.created_at = now;
  return user;
}

Result<SessionRecord> SqliteWriteTxn::do_create_session(int64_t user_id,
                                                        std::string_view token_hash,
                                                        std::string_view device_name,
                                                        int64_t now, int64_t expires_at) {
  PARLEY_STORE_ASSIGN(auto user, load_user(db_, user_id));
  if (!user) return Error::make(Errc::kNotFound, "no such user");
  {
    PARLEY_STORE_ASSIGN(Stmt taken, db_.prepare("SELECT 1 FROM sessions WHERE token_hash = ?"));
    taken.bind_all(token_hash);
    PARLEY_STORE_ASSIGN(bool exists, taken.step());
    // 256-bit tokens do not collide; a repeat means the caller reused a token.
    if (exists) return Error::make(Errc::kInvalidArgument, "token hash already in use");
  }
  PARLEY_STORE_ASSIGN(Stmt insert,
                      db_.prepare("INSERT INTO sessions (user_id, token_hash, device_name,"
                                  " created_at, expires_at) VALUES (?, ?, ?, ?, ?)"));
  insert.bind_all(user_id, token_hash, device_name, now, expires_at);
  PARLEY_STORE_TRY(insert.run());
  SessionRecord session;
  session.id = db_.last_insert_rowid();
  session.user_id = user_id;
  session.device_name = std::string(device_name);
  session.created_at = now;
  session.expires_at = expires_at;
  return session;
}

Result<bool> SqliteWriteTxn::do_revoke_session(int64_t user_id, int64_t session_id) {
  PARLEY_STORE_ASSIGN(Stmt update, db_.prepare("UPDATE sessions SET revoked = 1"
                                               " WHERE id = ? AND user_id = ? AND revoked = 0"));
  update.bind_all(session_id, user_id);
  PARLEY_STORE_TRY(update.run());
  const bool revoked = db_.changes() == 1;
  {
    // A session's push subscriptions die with it (store.h).
    PARLEY_STORE_ASSIGN(Stmt unsubscribe, db_.prepare("DELETE FROM push_subscriptions WHERE session_id = ? AND user_id = ?"));
    unsubscribe.bind_all(session_id, user_id);
    PARLEY_STORE_TRY(unsubscribe.run());
  }
  return revoked;
}

Result<std::vector<int64_t>> SqliteWriteTxn::do_revoke_other_sessions(int64_t user_id,
                                                                      int64_t keep) {
  // One statement, so it is all or nothing without a savepoint.
  PARLEY_STORE_ASSIGN(Stmt update,
                      db_.prepare("UPDATE sessions SET revoked = 1"
                                  " WHERE user_id = ? AND revoked = 0 AND id <> ? RETURNING id"));
  update.bind_all(user_id, keep);
  PARLEY_STORE_ASSIGN(std::vector<int64_t> ids,
                      collect_rows(update, [](const Stmt& row) { return row.i64(0); }));
  {
    PARLEY_STORE_ASSIGN(Stmt unsubscribe, db_.prepare("DELETE FROM push_subscriptions WHERE user_id = ? AND session_id <> ?"));
    unsubscribe.bind_all(user_id, keep);
    PARLEY_STORE_TRY(unsubscribe.run());
  }
  std::sort(ids.begin(), ids.end());  // RETURNING order is unspecified
  return ids;
}

// ---- conversations ----------------------------------------------------------------------

Result<DirectOutcome> SqliteWriteTxn::do_get_or_create_direct(int64_t a, int64_t b, int64_t now) {
  if (a == b) return Error::make(Errc::kInvalidArgument, "a direct conversation needs two users");
  const int64_t low = std::min(a, b);
  const int64_t high = std::max(a, b);
  const std::string key = std::to_string(low) + ":" + std::to_string(high);
  {
    PARLEY_STORE_ASSIGN(Stmt find, db_.prepare("SELECT id FROM conversations WHERE direct_key = ?"));
    find.bind_all(key);
    PARLEY_STORE_ASSIGN(bool row, find.step());
    if (row) {
      const int64_t id = find.i64(0);
      PARLEY_STORE_ASSIGN(auto existing, load_conversation(db_, id, a));
      if (!existing) return Error::make(Errc::kInternal, "conversation vanished mid-transaction");
      return DirectOutcome{std::move(*existing), false};
    }
  }
  for (int64_t user_id : {low, high}) {
    PARLEY_STORE_ASSIGN(auto user, load_user(db_, user_id));
    if (!user) return Error::make(Errc::kNotFound, "no such user");
  }

  // Creating the conversation and adding its members is one change: one version.
  const int64_t version = ++version_;
  PARLEY_STORE_ASSIGN(Stmt insert,
                      db_.prepare("INSERT INTO conversations (kind, direct_key, created_at,"
                                  " last_seq, last_activity, version)"
                                  " VALUES ('direct', ?, ?, 0, ?, ?)"));
  insert.bind_all(key, now, now, version);
  PARLEY_STORE_TRY(insert.run());
  const int64_t id = db_.last_insert_rowid();
  for (int64_t user_id : {low, high}) {
    PARLEY_STORE_ASSIGN(Stmt member,
                        db_.prepare("INSERT INTO members (conversation_id, user_id,"
                                    " delivered_seq, read_seq, joined_at, version)"
                                    " VALUES (?, ?, 0, 0, ?, ?)"));
    member.bind_all(id, user_id, now, version);
    PARLEY_STORE_TRY(member.run());
  }
  PARLEY_STORE_ASSIGN(auto created, load_conversation(db_, id, a));
  if (!created) return Error::make(Errc::kInternal, "created conversation not readable");
  return DirectOutcome{std::move(*created), true};
}

// ---- messages and receipts --------------------------------------------------------------

// What an append or a receipt needs to know about a conversation before it writes, from
// one statement: its last_seq, its active members (ascending ids, for the fan-out) and the
// acting user's watermarks when they are one of them.
namespace {

struct ActiveView {
  bool found = false;  // the conversation exists and has at least one active member
  int64_t last_seq = 0;
  std::vector<int64_t> member_ids;
  bool is_member = false;
  int64_t delivered_seq = 0;
  int64_t read_seq = 0;
  int64_t version = 0;
};

Result<ActiveView> load_active_view(Db& db, int64_t conversation_id, int64_t user_id) {
  PARLEY_STORE_ASSIGN(Stmt find,
                      db.prepare("SELECT c.last_seq, m.user_id, m.delivered_seq, m.read_seq,"
                                 " m.version FROM conversations c JOIN members m"
                                 " ON m.conversation_id = c.id"
                                 " WHERE c.id = ? AND m.left_seq IS NULL ORDER BY m.user_id"));
  find.bind_all(conversation_id);
  ActiveView view;
  for (;;) {
    PARLEY_STORE_ASSIGN(bool row, find.step());
    if (!row) break;
    view.found = true;
    view.last_seq = find.i64(0);
    const int64_t member = find.i64(1);
    view.member_ids.push_back(member);
    if (member == user_id) {
      view.is_member = true;
      view.delivered_seq = find.i64(2);
      view.read_seq = find.i64(3);
      view.version = find.i64(4);
    }
  }
  return view;
}

Result<AppendOutcome> duplicate_of(Db& db, MessageRecord original) {
  AppendOutcome outcome;
  PARLEY_STORE_ASSIGN(outcome.member_ids, load_member_ids(db, original.conversation_id));
  outcome.message = std::move(original);
  outcome.duplicate = true;
  return outcome;
}

}  // namespace

Result<AppendOutcome> SqliteWriteTxn::do_append_message(const NewMessage& message) {
  // Idempotency: a retry is answered with the original even if its text (or conversation)
  // differs. The common case, a new message, is found out by the INSERT itself (the
  // UNIQUE (sender_id, client_id) index is checked there anyway); the explicit lookup only
  // runs when the insert finds a conflict or the send would otherwise be refused.
  PARLEY_STORE_ASSIGN(ActiveView view,
                      load_active_view(db_, message.conversation_id, message.sender_id));
  // A member who left is refused like a stranger: nothing says the conversation exists.
  if (!view.is_member) {
    PARLEY_STORE_ASSIGN(auto original,
                        load_message_by_client_id(db_, message.sender_id, message.client_id));
    if (original) return duplicate_of(db_, std::move(*original));
    return Error::make(Errc::kNotFound, "no such conversation");
  }
  const int64_t last_seq = view.last_seq;

  AppendOutcome outcome;
  MessageRecord& stored = outcome.message;
  stored.conversation_id = message.conversation_id;
  stored.seq = last_seq + 1;
  stored.sender_id = message.sender_id;
  stored.client_id = message.client_id;
  stored.kind = message.kind;
  stored.text = message.text;
  stored.ts = message.ts;
  stored.version = ++version_;
  stored.media_id = message.media_id;
  stored.attachment = message.attachment;
  stored.reply_to = message.reply_to;
  stored.forwarded = message.forwarded;

  {
    PARLEY_STORE_ASSIGN(Stmt insert,
                        db_.prepare("INSERT INTO messages (conversation_id, seq, sender_id,"
                                    " client_id, kind, text, ts, version, media_id, attachment,"
                                    " reply_to, forwarded) VALUES (?, ?, ?, ?, ?, ?, ?, ?,"
                                    " NULLIF(?, ''), NULLIF(?, ''), NULLIF(?, 0), ?)"
                                    " ON CONFLICT (sender_id, client_id) DO NOTHING"));
    insert.bind_all(stored.conversation_id, stored.seq, stored.sender_id, stored.client_id,
                    stored.kind, stored.text, stored.ts, stored.version, stored.media_id,
                    stored.attachment, stored.reply_to, int64_t{stored.forwarded ? 1 : 0});
    PARLEY_STORE_TRY(insert.run());
    if (db_.changes() == 0) {
      // A retry: nothing was written, so the version is not taken.
      --version_;
      PARLEY_STORE_ASSIGN(auto original,
                          load_message_by_client_id(db_, message.sender_id, message.client_id));
      if (!original) return Error::make(Errc::kInternal, "conflicting message not found");
      return duplicate_of(db_, std::move(*original));
    }
    stored.id = db_.last_insert_rowid();
  }
  if (stored.kind != "system") {
    PARLEY_STORE_TRY(index_message(stored.id, stored.conversation_id, stored.text));
  }
  {
    PARLEY_STORE_ASSIGN(Stmt update,
                        db_.prepare("UPDATE conversations SET last_seq = ?, last_activity = ?,"
                                    " last_message_id = ?, version = ? WHERE id = ?"));
    update.bind_all(stored.seq, stored.ts, stored.id, stored.version, stored.conversation_id);
    PARLEY_STORE_TRY(update.run());
  }
  {
    // The sender has delivered and read everything up to their own message.
    PARLEY_STORE_ASSIGN(Stmt update,
                        db_.prepare("UPDATE members SET delivered_seq = ?, read_seq = ?,"
                                    " version = ? WHERE conversation_id = ? AND user_id = ?"));
    update.bind_all(stored.seq, stored.seq, stored.version, stored.conversation_id,
                    stored.sender_id);
    PARLEY_STORE_TRY(update.run());
  }
  // Covering only the sender's own message needs no log entry (message_receipts never asks
  // the sender about it); a send that also covers others' messages the sender had not yet
  // marked is when the sender first had them, at the message's time.
  if (view.read_seq < last_seq) {
    PARLEY_STORE_TRY(log_receipt(stored.conversation_id, stored.sender_id, stored.seq,
                                 stored.seq, stored.ts));
  }
  outcome.member_ids = std::move(view.member_ids);
  return outcome;
}

Result<ReceiptOutcome> SqliteWriteTxn::do_advance_receipt(int64_t conversation_id,
                                                          int64_t user_id, int64_t delivered_seq,
                                                          int64_t read_seq) {
  ReceiptOutcome outcome;
  outcome.conversation_id = conversation_id;
  outcome.user_id = user_id;
  PARLEY_STORE_ASSIGN(ActiveView view, load_active_view(db_, conversation_id, user_id));
  if (!view.is_member) return Error::make(Errc::kNotFound, "no such conversation");
  outcome.delivered_seq = view.delivered_seq;
  outcome.read_seq = view.read_seq;
  outcome.version = view.version;
  const int64_t last_seq = view.last_seq;
  if (delivered_seq < 0 || read_seq < 0) {
    return Error::make(Errc::kInvalidArgument, "seq must not be negative");
  }
  if (delivered_seq > last_seq || read_seq > last_seq) {
    return Error::make(Errc::kInvalidArgument,
                       "seq is beyond the conversation's last message (" +
                           std::to_string(last_seq) + ")");
  }
  const int64_t new_read = std::max(outcome.read_seq, read_seq);
  const int64_t new_delivered = std::max({outcome.delivered_seq, delivered_seq, new_read});
  if (new_read != outcome.read_seq || new_delivered != outcome.delivered_seq) {
    outcome.delivered_seq = new_delivered;
    outcome.read_seq = new_read;
    outcome.version = ++version_;
    outcome.changed = true;
    {
      PARLEY_STORE_ASSIGN(Stmt update,
                          db_.prepare("UPDATE members SET delivered_seq = ?, read_seq = ?,"
                                      " version = ? WHERE conversation_id = ? AND user_id = ?"));
      update.bind_all(new_delivered, new_read, outcome.version, conversation_id, user_id);
      PARLEY_STORE_TRY(update.run());
    }
    PARLEY_STORE_TRY(set_conversation_version(conversation_id, outcome.version));
    PARLEY_STORE_TRY(log_receipt(conversation_id, user_id, new_delivered, new_read, commit_time_));
  }
  outcome.member_ids = std::move(view.member_ids);
  return outcome;
}

// ---- shared writes ---------------------------------------------------------------------

Status SqliteWriteTxn::set_conversation_version(int64_t conversation_id, int64_t version) {
  PARLEY_STORE_ASSIGN(Stmt touch, db_.prepare("UPDATE conversations SET version = ? WHERE id = ?"));
  touch.bind_all(version, conversation_id);
  return touch.run();
}

Status SqliteWriteTxn::log_receipt(int64_t conversation_id, int64_t user_id,
                                   int64_t delivered_seq, int64_t read_seq, int64_t ts) {
  PARLEY_STORE_ASSIGN(Stmt insert,
                      db_.prepare("INSERT INTO receipt_log (conversation_id, user_id,"
                                  " delivered_seq, read_seq, ts) VALUES (?, ?, ?, ?, ?)"));
  insert.bind_all(conversation_id, user_id, delivered_seq, read_seq, ts);
  return insert.run();
}

}  // namespace parley::store::sqlite
