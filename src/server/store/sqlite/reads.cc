// The read side of SqliteStore. Each method is one snapshot (SqliteStore::read).
#include <algorithm>
#include <limits>
#include <utility>

#include "server/store/sqlite/rows.h"
#include "server/store/sqlite/sqlite_store_impl.h"

namespace parley::store::sqlite {
namespace {

SessionRecord read_session(const Stmt& stmt) {
  SessionRecord session;
  session.id = stmt.i64(0);
  session.user_id = stmt.i64(1);
  session.device_name = stmt.text(2);
  session.created_at = stmt.i64(3);
  session.expires_at = stmt.i64(4);
  session.revoked = stmt.i64(5) != 0;
  return session;
}

#define PARLEY_STORE_SESSION_COLUMNS "id, user_id, device_name, created_at, expires_at, revoked"

Error bad_limit() { return Error::make(Errc::kInvalidArgument, "limit must be at least 1"); }

// Reads up to `limit` + 1 conversation rows of `stmt` (already bound), so that the extra
// row tells has_more without a count, then fills their members.
Result<Page<ConversationRecord>> conversation_page(Db& db, Stmt& stmt, int limit) {
  Page<ConversationRecord> page;
  for (;;) {
    PARLEY_STORE_ASSIGN(bool row, stmt.step());
    if (!row) break;
    if (static_cast<int>(page.items.size()) == limit) {
      page.has_more = true;
      break;
    }
    page.items.push_back(read_conversation(stmt));
  }
  PARLEY_STORE_TRY(load_members(db, page.items));
  return page;
}

}  // namespace

Result<std::optional<Credentials>> SqliteStore::find_credentials(std::string_view username) {
  return read([&](Db& db) -> Result<std::optional<Credentials>> {
    PARLEY_STORE_ASSIGN(Stmt stmt,
                        db.prepare("SELECT id, username, display_name, created_at, password_hash"
                                   " FROM users WHERE username = ?"));
    stmt.bind_all(username);
    PARLEY_STORE_ASSIGN(bool row, stmt.step());
    if (!row) return std::optional<Credentials>();
    Credentials credentials;
    credentials.user.id = stmt.i64(0);
    credentials.user.username = stmt.text(1);
    credentials.user.display_name = stmt.text(2);
    credentials.user.created_at = stmt.i64(3);
    credentials.password_hash = stmt.text(4);
    return std::optional<Credentials>(std::move(credentials));
  });
}

Result<std::optional<UserRecord>> SqliteStore::find_user(int64_t user_id) {
  return read([&](Db& db) { return load_user(db, user_id); });
}

Result<std::optional<UserRecord>> SqliteStore::find_user_by_name(std::string_view username) {
  return read([&](Db& db) { return load_user_by_name(db, username); });
}

Result<std::optional<SessionRecord>> SqliteStore::find_session_by_token_hash(
    std::string_view token_hash) {
  return read([&](Db& db) -> Result<std::optional<SessionRecord>> {
    PARLEY_STORE_ASSIGN(Stmt stmt, db.prepare("SELECT " PARLEY_STORE_SESSION_COLUMNS
                                              " FROM sessions WHERE token_hash = ?"));
    stmt.bind_all(token_hash);
    PARLEY_STORE_ASSIGN(bool row, stmt.step());
    if (!row) return std::optional<SessionRecord>();
    return std::optional<SessionRecord>(read_session(stmt));
  });
}

Result<std::vector<SessionRecord>> SqliteStore::live_sessions(int64_t user_id, int64_t now) {
  return read([&](Db& db) -> Result<std::vector<SessionRecord>> {
    // Session ids grow with creation time, so id order is oldest first and rides the
    // (user_id, id) index.
    PARLEY_STORE_ASSIGN(Stmt stmt, db.prepare("SELECT " PARLEY_STORE_SESSION_COLUMNS
                                              " FROM sessions WHERE user_id = ? AND revoked = 0"
                                              " AND expires_at > ? ORDER BY id"));
    stmt.bind_all(user_id, now);
    std::vector<SessionRecord> sessions;
    for (;;) {
      PARLEY_STORE_ASSIGN(bool row, stmt.step());
      if (!row) break;
      sessions.push_back(read_session(stmt));
    }
    return sessions;
  });
}

Result<std::optional<ConversationRecord>> SqliteStore::conversation_for_member(
    int64_t conversation_id, int64_t user_id) {
  return read([&](Db& db) -> Result<std::optional<ConversationRecord>> {
    PARLEY_STORE_ASSIGN(bool member, is_member(db, conversation_id, user_id));
    if (!member) return std::optional<ConversationRecord>();
    return load_conversation(db, conversation_id);
  });
}

Result<Page<ConversationRecord>> SqliteStore::list_conversations(
    int64_t user_id, std::optional<int64_t> before_activity, int limit) {
  if (limit < 1) return bad_limit();
  return read([&](Db& db) -> Result<Page<ConversationRecord>> {
    // From members_by_user to each conversation by primary key, then a sort of the user's
    // conversations: messages are never touched.
    PARLEY_STORE_ASSIGN(
        Stmt stmt,
        db.prepare("SELECT " PARLEY_STORE_CONVERSATION_COLUMNS
                   " FROM members m JOIN conversations c ON c.id = m.conversation_id"
                   " LEFT JOIN messages lm ON lm.id = c.last_message_id"
                   " WHERE m.user_id = ? AND c.last_activity < ?"
                   " ORDER BY c.last_activity DESC, c.id DESC LIMIT ?"));
    stmt.bind_all(user_id, before_activity.value_or(std::numeric_limits<int64_t>::max()),
                  static_cast<int64_t>(limit) + 1);
    return conversation_page(db, stmt, limit);
  });
}

Result<Page<MessageRecord>> SqliteStore::history(int64_t user_id, const HistoryQuery& query) {
  if (query.limit < 1) return bad_limit();
  if (query.before && query.after) {
    return Error::make(Errc::kInvalidArgument, "at most one of before and after");
  }
  return read([&](Db& db) -> Result<Page<MessageRecord>> {
    PARLEY_STORE_ASSIGN(bool member, is_member(db, query.conversation_id, user_id));
    if (!member) return Error::make(Errc::kNotFound, "no such conversation");

    // Every variant is a range scan of UNIQUE (conversation_id, seq), in index order.
    const char* sql = nullptr;
    int64_t bound = 0;
    if (query.after) {
      sql = "SELECT " PARLEY_STORE_MESSAGE_COLUMNS " FROM messages"
            " WHERE conversation_id = ? AND seq > ? ORDER BY seq ASC LIMIT ?";
      bound = *query.after;
    } else {
      sql = "SELECT " PARLEY_STORE_MESSAGE_COLUMNS " FROM messages"
            " WHERE conversation_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?";
      bound = query.before.value_or(std::numeric_limits<int64_t>::max());
    }
    PARLEY_STORE_ASSIGN(Stmt stmt, db.prepare(sql));
    stmt.bind_all(query.conversation_id, bound, static_cast<int64_t>(query.limit) + 1);
    Page<MessageRecord> page;
    for (;;) {
      PARLEY_STORE_ASSIGN(bool row, stmt.step());
      if (!row) break;
      if (static_cast<int>(page.items.size()) == query.limit) {
        page.has_more = true;
        break;
      }
      page.items.push_back(read_message(stmt));
    }
    return page;
  });
}

Result<SyncPage> SqliteStore::changes_since(int64_t user_id, int64_t since, int limit) {
  if (limit < 1) return bad_limit();
  return read([&](Db& db) -> Result<SyncPage> {
    // O(user's conversations): members_by_user, a primary-key probe each, filter, sort.
    PARLEY_STORE_ASSIGN(
        Stmt stmt,
        db.prepare("SELECT " PARLEY_STORE_CONVERSATION_COLUMNS
                   " FROM members m JOIN conversations c ON c.id = m.conversation_id"
                   " LEFT JOIN messages lm ON lm.id = c.last_message_id"
                   " WHERE m.user_id = ? AND c.version > ?"
                   " ORDER BY c.version ASC LIMIT ?"));
    stmt.bind_all(user_id, since, static_cast<int64_t>(limit) + 1);
    PARLEY_STORE_ASSIGN(Page<ConversationRecord> page, conversation_page(db, stmt, limit));
    SyncPage sync;
    sync.has_more = page.has_more;
    sync.conversations = std::move(page.items);
    if (sync.has_more) {
      sync.version = sync.conversations.back().version;
    } else {
      // Read in the same snapshot as the rows: nothing committed after it can hide
      // behind the returned cursor.
      PARLEY_STORE_ASSIGN(int64_t current, load_version(db));
      sync.version = std::max(current, since);
    }
    return sync;
  });
}

Result<int64_t> SqliteStore::current_version() {
  return read([](Db& db) { return load_version(db); });
}

}  // namespace parley::store::sqlite
