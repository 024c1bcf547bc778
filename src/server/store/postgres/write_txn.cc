#include "server/store/postgres/write_txn.h"

#include <algorithm>
#include <string>
#include <utility>

#include "server/store/postgres/rows.h"
#include "server/store/postgres/search_text.h"

namespace parley::store::pg {

void PgWriteTxn::fail(Error error) {
  if (!failure_) {
    error.code = Errc::kInternal;
    failure_ = std::move(error);
  }
}

Error PgWriteTxn::failed_error() const {
  return Error::make(Errc::kInternal, "write transaction already failed: " + failure_->message);
}

// ---- public entry points: refuse after a failure, record storage failures ----------

Result<UserRecord> PgWriteTxn::create_user(std::string_view username, std::string_view display_name,
                                           std::string_view password_hash, int64_t now) {
  if (failed()) return failed_error();
  return guard(do_create_user(username, display_name, password_hash, now));
}

Result<SessionRecord> PgWriteTxn::create_session(int64_t user_id, std::string_view token_hash,
                                                 std::string_view device_name, int64_t now,
                                                 int64_t expires_at) {
  if (failed()) return failed_error();
  return guard(do_create_session(user_id, token_hash, device_name, now, expires_at));
}

Result<bool> PgWriteTxn::revoke_session(int64_t user_id, int64_t session_id) {
  if (failed()) return failed_error();
  return guard(do_revoke_session(user_id, session_id));
}

Result<std::vector<int64_t>> PgWriteTxn::revoke_other_sessions(int64_t user_id,
                                                               int64_t keep_session_id) {
  if (failed()) return failed_error();
  return guard(do_revoke_other_sessions(user_id, keep_session_id));
}

Result<DirectOutcome> PgWriteTxn::get_or_create_direct(int64_t a, int64_t b, int64_t now) {
  if (failed()) return failed_error();
  return guard(do_get_or_create_direct(a, b, now));
}

Result<AppendOutcome> PgWriteTxn::append_message(const NewMessage& message) {
  if (failed()) return failed_error();
  return guard(do_append_message(message));
}

Result<ReceiptOutcome> PgWriteTxn::advance_receipt(int64_t conversation_id, int64_t user_id,
                                                   int64_t delivered_seq, int64_t read_seq) {
  if (failed()) return failed_error();
  return guard(do_advance_receipt(conversation_id, user_id, delivered_seq, read_seq));
}

// ---- accounts -------------------------------------------------------------------------

Result<UserRecord> PgWriteTxn::do_create_user(std::string_view username,
                                              std::string_view display_name,
                                              std::string_view password_hash, int64_t now) {
  PARLEY_PG_ASSIGN(auto existing, load_user_by_name(db_, username));
  if (existing) return Error::make(Errc::kUsernameTaken, "username is taken");
  PARLEY_PG_ASSIGN(Stmt insert,
                   db_.prepare("INSERT INTO users (username, display_name, password_hash,"
                               " created_at) VALUES (?, ?, ?, ?) RETURNING id"));
  insert.bind_all(username, display_name, password_hash, now);
  PARLEY_PG_ASSIGN(bool inserted, insert.step());
  if (!inserted) return Error::make(Errc::kInternal, "INSERT RETURNING gave no row");
  UserRecord user;
  user.id = insert.i64(0);
  user.username = std::string(username);
  user.display_name = std::string(display_name);
  user.created_at = now;
  return user;
}

Result<SessionRecord> PgWriteTxn::do_create_session(int64_t user_id, std::string_view token_hash,
                                                    std::string_view device_name, int64_t now,
                                                    int64_t expires_at) {
  PARLEY_PG_ASSIGN(auto user, load_user(db_, user_id));
  if (!user) return Error::make(Errc::kNotFound, "no such user");
  {
    PARLEY_PG_ASSIGN(Stmt taken, db_.prepare("SELECT 1 FROM sessions WHERE token_hash = ?"));
    taken.bind_all(token_hash);
    PARLEY_PG_ASSIGN(bool exists, taken.step());
    // 256-bit tokens do not collide; a repeat means the caller reused a token.
    if (exists) return Error::make(Errc::kInvalidArgument, "token hash already in use");
  }
  PARLEY_PG_ASSIGN(Stmt insert,
                   db_.prepare("INSERT INTO sessions (user_id, token_hash, device_name,"
                               " created_at, expires_at) VALUES (?, ?, ?, ?, ?) RETURNING id"));
  insert.bind_all(user_id, token_hash, device_name, now, expires_at);
  PARLEY_PG_ASSIGN(bool inserted, insert.step());
  if (!inserted) return Error::make(Errc::kInternal, "INSERT RETURNING gave no row");
  SessionRecord session;
  session.id = insert.i64(0);
  session.user_id = user_id;
  session.device_name = std::string(device_name);
  session.created_at = now;
  session.expires_at = expires_at;
  return session;
}

Result<bool> PgWriteTxn::do_revoke_session(int64_t user_id, int64_t session_id) {
  PARLEY_PG_ASSIGN(Stmt update, db_.prepare("UPDATE sessions SET revoked = 1"
                                            " WHERE id = ? AND user_id = ? AND revoked = 0"));
  update.bind_all(session_id, user_id);
  PARLEY_PG_TRY(update.run());
  {
    // A session's push subscriptions die with it (store.h).
    PARLEY_PG_ASSIGN(Stmt unsubscribe, db_.prepare("DELETE FROM push_subscriptions WHERE session_id = ? AND user_id = ?"));
    unsubscribe.bind_all(session_id, user_id);
    PARLEY_PG_TRY(unsubscribe.run());
  }
  return update.changes() == 1;
}

Result<std::vector<int64_t>> PgWriteTxn::do_revoke_other_sessions(int64_t user_id, int64_t keep) {
  // One statement, so it is all or nothing without a savepoint.
  PARLEY_PG_ASSIGN(Stmt update,
                   db_.prepare("UPDATE sessions SET revoked = 1"
                               " WHERE user_id = ? AND revoked = 0 AND id <> ? RETURNING id"));
  update.bind_all(user_id, keep);
  std::vector<int64_t> ids;
  for (;;) {
    PARLEY_PG_ASSIGN(bool row, update.step());
    if (!row) break;
    ids.push_back(update.i64(0));
  }
  {
    PARLEY_PG_ASSIGN(Stmt unsubscribe, db_.prepare("DELETE FROM push_subscriptions WHERE user_id = ? AND session_id <> ?"));
    unsubscribe.bind_all(user_id, keep);
    PARLEY_PG_TRY(unsubscribe.run());
  }
  std::sort(ids.begin(), ids.end());  // RETURNING order is unspecified
  return ids;
}

// ---- conversations ----------------------------------------------------------------------

Result<DirectOutcome> PgWriteTxn::do_get_or_create_direct(int64_t a, int64_t b, int64_t now) {
  if (a == b) return Error::make(Errc::kInvalidArgument, "a direct conversation needs two users");
  const int64_t low = std::min(a, b);
  const int64_t high = std::max(a, b);
  const std::string key = std::to_string(low) + ":" + std::to_string(high);
  {
    PARLEY_PG_ASSIGN(Stmt find, db_.prepare("SELECT id FROM conversations WHERE direct_key = ?"));
    find.bind_all(key);
    PARLEY_PG_ASSIGN(bool row, find.step());
    if (row) {
      const int64_t id = find.i64(0);
      PARLEY_PG_ASSIGN(auto existing, load_conversation(db_, id, a));
      if (!existing) return Error::make(Errc::kInternal, "conversation vanished mid-transaction");
      return DirectOutcome{std::move(*existing), false};
    }
  }
  for (int64_t user_id : {low, high}) {
    PARLEY_PG_ASSIGN(auto user, load_user(db_, user_id));
    if (!user) return Error::make(Errc::kNotFound, "no such user");
  }

  // Creating the conversation and adding its members is one change: one version.
  const int64_t version = ++version_;
  PARLEY_PG_ASSIGN(Stmt insert,
                   db_.prepare("INSERT INTO conversations (kind, direct_key, created_at,"
                               " last_seq, last_activity, version)"
                               " VALUES ('direct', ?, ?, 0, ?, ?) RETURNING id"));
  insert.bind_all(key, now, now, version);
  PARLEY_PG_ASSIGN(bool inserted, insert.step());
  if (!inserted) return Error::make(Errc::kInternal, "INSERT RETURNING gave no row");
  const int64_t id = insert.i64(0);
  for (int64_t user_id : {low, high}) {
    PARLEY_PG_ASSIGN(Stmt member, db_.prepare("INSERT INTO members (conversation_id, user_id,"
                                              " delivered_seq, read_seq, joined_at, version)"
                                              " VALUES (?, ?, 0, 0, ?, ?)"));
    member.bind_all(id, user_id, now, version);
    PARLEY_PG_TRY(member.run());
  }
  PARLEY_PG_ASSIGN(auto created, load_conversation(db_, id, a));
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

Result<ActiveView> load_active_view(Conn& db, int64_t conversation_id, int64_t user_id) {
  PARLEY_PG_ASSIGN(Stmt find,
                   db.prepare("SELECT c.last_seq, m.user_id, m.delivered_seq, m.read_seq,"
                              " m.version FROM conversations c JOIN members m"
                              " ON m.conversation_id = c.id"
                              " WHERE c.id = ? AND m.left_seq IS NULL ORDER BY m.user_id"));
  find.bind_all(conversation_id);
  ActiveView view;
  for (;;) {
    PARLEY_PG_ASSIGN(bool row, find.step());
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

Result<AppendOutcome> duplicate_of(Conn& db, MessageRecord original) {
  AppendOutcome outcome;
  PARLEY_PG_ASSIGN(outcome.member_ids, load_member_ids(db, original.conversation_id));
  outcome.message = std::move(original);
  outcome.duplicate = true;
  return outcome;
}

}  // namespace

namespace {

// "{1,2,3}" (a BIGINT[] in text form) as ids; "" (NULL) as none.
std::vector<int64_t> parse_ids(const std::string& array) {
  std::vector<int64_t> ids;
  int64_t value = 0;
  bool digits = false;
  for (char c : array) {
    if (c >= '0' && c <= '9') {
      value = value * 10 + (c - '0');
      digits = true;
    } else if (digits) {
      ids.push_back(value);
      value = 0;
      digits = false;
    }
  }
  return ids;
}

// The whole append as one statement, one round trip (the embedded store's five steps:
// the sender's membership and last_seq, the insert, the conversation, the sender's
// watermarks, the receipt log). Every part is conditional on the parts before it, so
// when the sender is not an active member, or (sender, client_id) exists already,
// nothing is written; the first two columns tell which. Parameters: conversation,
// sender, client_id, kind, text, ts, version, media_id, attachment, search words, reply_to,
// forwarded.
constexpr const char* kAppendSql =
    "WITH me AS ("
    "  SELECT c.last_seq, m.read_seq FROM conversations c JOIN members m"
    "  ON m.conversation_id = c.id WHERE c.id = ?1 AND m.user_id = ?2 AND m.left_seq IS NULL),"
    " ins AS ("
    "  INSERT INTO messages (conversation_id, seq, sender_id, client_id, kind, text, ts,"
    "   version, media_id, attachment, search, reply_to, forwarded)"
    "  SELECT ?1, me.last_seq + 1, ?2, ?3, ?4, ?5, ?6, ?7, NULLIF(?8, ''), NULLIF(?9, ''),"
    "   ?10::TSVECTOR, NULLIF(?11::BIGINT, 0), ?12::SMALLINT FROM me"
    "  ON CONFLICT (sender_id, client_id) DO NOTHING RETURNING id, seq),"
    " conv AS ("
    "  UPDATE conversations SET last_seq = ins.seq, last_activity = ?6,"
    "   last_message_id = ins.id, version = ?7 FROM ins WHERE conversations.id = ?1),"
    // The sender has delivered and read everything up to their own message.
    " mine AS ("
    "  UPDATE members SET delivered_seq = ins.seq, read_seq = ins.seq, version = ?7"
    "  FROM ins WHERE members.conversation_id = ?1 AND members.user_id = ?2),"
    // Covering only the sender's own message needs no log entry (message_receipts never
    // asks the sender about it); a send that also covers others' messages the sender had
    // not yet marked is when the sender first had them, at the message's time.
    " logged AS ("
    "  INSERT INTO receipt_log (conversation_id, user_id, delivered_seq, read_seq, ts)"
    "  SELECT ?1, ?2, ins.seq, ins.seq, ?6 FROM ins, me WHERE me.read_seq < me.last_seq)"
    " SELECT (SELECT count(*) FROM me), ins.id, ins.seq,"
    "  (SELECT array_agg(user_id ORDER BY user_id) FROM members"
    "   WHERE conversation_id = ?1 AND left_seq IS NULL)"
    " FROM (SELECT 1) AS one LEFT JOIN ins ON true";

}  // namespace

Result<AppendOutcome> PgWriteTxn::do_append_message(const NewMessage& message) {
  AppendOutcome outcome;
  MessageRecord& stored = outcome.message;
  stored.conversation_id = message.conversation_id;
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
  // The words for search travel with the row (system messages are JSON, not prose).
  std::optional<std::string> words;
  if (stored.kind != "system") {
    PARLEY_PG_ASSIGN(words, tsvector_literal(stored.text));
  }
  PARLEY_PG_ASSIGN(Stmt append, db_.prepare(kAppendSql));
  append.bind_all(stored.conversation_id, stored.sender_id, stored.client_id, stored.kind,
                  stored.text, stored.ts, stored.version, stored.media_id, stored.attachment);
  if (words) {
    append.bind(10, *words);
  } else {
    append.bind(10, std::nullopt);
  }
  append.bind(11, stored.reply_to);
  append.bind(12, int64_t{stored.forwarded ? 1 : 0});
  PARLEY_PG_ASSIGN(bool row, append.step());
  if (!row) return Error::make(Errc::kInternal, "append returned no row");
  const bool is_member = append.i64(0) > 0;
  if (append.is_null(1)) {
    // Nothing was written, so the version is not taken. Idempotency: a retry is answered
    // with the original even if its text (or conversation) differs, and even when the
    // sender has left since; a member who left is otherwise refused like a stranger.
    --version_;
    PARLEY_PG_ASSIGN(auto original,
                     load_message_by_client_id(db_, message.sender_id, message.client_id));
    if (original) return duplicate_of(db_, std::move(*original));
    if (!is_member) return Error::make(Errc::kNotFound, "no such conversation");
    return Error::make(Errc::kInternal, "conflicting message not found");
  }
  stored.id = append.i64(1);
  stored.seq = append.i64(2);
  outcome.member_ids = parse_ids(append.text(3));
  return outcome;
}

Result<ReceiptOutcome> PgWriteTxn::do_advance_receipt(int64_t conversation_id, int64_t user_id,
                                                      int64_t delivered_seq, int64_t read_seq) {
  ReceiptOutcome outcome;
  outcome.conversation_id = conversation_id;
  outcome.user_id = user_id;
  PARLEY_PG_ASSIGN(ActiveView view, load_active_view(db_, conversation_id, user_id));
  if (!view.is_member) return Error::make(Errc::kNotFound, "no such conversation");
  outcome.delivered_seq = view.delivered_seq;
  outcome.read_seq = view.read_seq;
  outcome.version = view.version;
  const int64_t last_seq = view.last_seq;
  if (delivered_seq < 0 || read_seq < 0) {
    return Error::make(Errc::kInvalidArgument, "seq must not be negative");
  }
  if (delivered_seq > last_seq || read_seq > last_seq) {
    return Error::make(Errc::kInvalidArgument, "seq is beyond the conversation's last message (" +
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
      PARLEY_PG_ASSIGN(Stmt update,
                       db_.prepare("UPDATE members SET delivered_seq = ?, read_seq = ?,"
                                   " version = ? WHERE conversation_id = ? AND user_id = ?"));
      update.bind_all(new_delivered, new_read, outcome.version, conversation_id, user_id);
      PARLEY_PG_TRY(update.run());
    }
    PARLEY_PG_TRY(set_conversation_version(conversation_id, outcome.version));
    PARLEY_PG_TRY(log_receipt(conversation_id, user_id, new_delivered, new_read, commit_time_));
  }
  outcome.member_ids = std::move(view.member_ids);
  return outcome;
}

// ---- shared writes ---------------------------------------------------------------------

Status PgWriteTxn::set_conversation_version(int64_t conversation_id, int64_t version) {
  PARLEY_PG_ASSIGN(Stmt touch, db_.prepare("UPDATE conversations SET version = ? WHERE id = ?"));
  touch.bind_all(version, conversation_id);
  return touch.run();
}

Status PgWriteTxn::log_receipt(int64_t conversation_id, int64_t user_id, int64_t delivered_seq,
                               int64_t read_seq, int64_t ts) {
  PARLEY_PG_ASSIGN(Stmt insert,
                   db_.prepare("INSERT INTO receipt_log (conversation_id, user_id,"
                               " delivered_seq, read_seq, ts) VALUES (?, ?, ?, ?, ?)"));
  insert.bind_all(conversation_id, user_id, delivered_seq, read_seq, ts);
  return insert.run();
}

}  // namespace parley::store::pg
