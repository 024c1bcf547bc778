// The read side of SqliteStore. Each method is one snapshot (SqliteStore::read).
#include <algorithm>
#include <limits>
#include <string>
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
// row tells has_more without a count, then fills their members as the viewer sees them.
Result<Page<ConversationRecord>> conversation_page(Db& db, Stmt& stmt, int limit,
                                                   int64_t viewer_id) {
  Page<ConversationRecord> page;
  PARLEY_STORE_ASSIGN(page.has_more,
                      collect_page(stmt, limit, page.items,
                                   [](const Stmt& row) { return read_conversation(row); }));
  PARLEY_STORE_TRY(load_details(db, page.items, viewer_id));
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
  // Every request's authentication: waits only for changes to that user.
  return read_in({WalFlush::Scope::kUser, user_id}, [&](Db& db) { return load_user(db, user_id); });
}

Result<std::optional<UserRecord>> SqliteStore::find_user_by_name(std::string_view username) {
  return read([&](Db& db) { return load_user_by_name(db, username); });
}

Result<std::optional<SessionRecord>> SqliteStore::find_session_by_token_hash(
    std::string_view token_hash) {
  // Every request's authentication: once found, the session is its user's (a token that is
  // not found waits for the whole snapshot).
  return read_scoped([&](Db& db, std::optional<ReadScope>& scope) -> Result<std::optional<SessionRecord>> {
    PARLEY_STORE_ASSIGN(Stmt stmt, db.prepare("SELECT " PARLEY_STORE_SESSION_COLUMNS
                                              " FROM sessions WHERE token_hash = ?"));
    stmt.bind_all(token_hash);
    PARLEY_STORE_ASSIGN(bool row, stmt.step());
    if (!row) return std::optional<SessionRecord>();
    SessionRecord session = read_session(stmt);
    scope = ReadScope{WalFlush::Scope::kUser, session.user_id};
    return std::optional<SessionRecord>(std::move(session));
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
    PARLEY_STORE_ASSIGN(std::vector<SessionRecord> sessions,
                        collect_rows(stmt, [](const Stmt& row) { return read_session(row); }));
    return sessions;
  });
}

Result<std::optional<ConversationRecord>> SqliteStore::conversation_for_member(
    int64_t conversation_id, int64_t user_id) {
  return read([&](Db& db) -> Result<std::optional<ConversationRecord>> {
    return load_conversation(db, conversation_id, user_id);
  });
}

Result<Page<ConversationRecord>> SqliteStore::list_conversations(
    int64_t user_id, std::optional<ChatListCursor> before, int limit) {
  if (limit < 1) return bad_limit();
  return read([&](Db& db) -> Result<Page<ConversationRecord>> {
    // From members_by_user to each conversation by primary key (and its last visible
    // message by (conversation_id, seq)), then a sort of the user's conversations.
    PARLEY_STORE_ASSIGN(
        Stmt stmt,
        db.prepare("SELECT " PARLEY_STORE_CONVERSATION_COLUMNS PARLEY_STORE_CONVERSATION_VIEW
                   " WHERE m.user_id = ? AND (" PARLEY_STORE_VIEW_ACTIVITY ", c.id) < (?, ?)"
                   " ORDER BY seen_activity DESC, c.id DESC LIMIT ?"));
    const ChatListCursor from = before.value_or(ChatListCursor{std::numeric_limits<int64_t>::max(), 0});
    stmt.bind_all(user_id, from.last_activity, from.id, static_cast<int64_t>(limit) + 1);
    return conversation_page(db, stmt, limit, user_id);
  });
}

Result<Page<MessageRecord>> SqliteStore::history(int64_t user_id, const HistoryQuery& query) {
  if (query.limit < 1) return bad_limit();
  if (query.before && query.after) {
    return Error::make(Errc::kInvalidArgument, "at most one of before and after");
  }
  return read_in({WalFlush::Scope::kConversation, query.conversation_id}, [&](Db& db) -> Result<Page<MessageRecord>> {
    PARLEY_STORE_ASSIGN(auto member, load_member_window(db, query.conversation_id, user_id));
    if (!member) return Error::make(Errc::kNotFound, "no such conversation");

    // The member's window is joined_seq < seq <= left_seq. Every variant is one range scan
    // of UNIQUE (conversation_id, seq), in index order, within that window.
    const int64_t low = member->joined_seq;  // exclusive
    const int64_t high = member->left_seq.value_or(std::numeric_limits<int64_t>::max());
    // Whether the viewer hid any message here ("delete for me"; hidden_changes leads with
    // user and conversation). Most never did: their pages then skip the per-row check.
    PARLEY_STORE_ASSIGN(Stmt probe, db.prepare("SELECT 1 FROM hidden_messages"
                                               " WHERE user_id = ? AND conversation_id = ? LIMIT 1"));
    probe.bind_all(user_id, query.conversation_id);
    PARLEY_STORE_ASSIGN(const bool hides, probe.step());
#define PARLEY_HISTORY_SQL(hidden, order)                                                          \
  "SELECT " PARLEY_STORE_MSG_COLUMNS ", " hidden " FROM messages msg"                              \
  " WHERE msg.conversation_id = ?2 AND msg.seq > ?3 AND msg.seq <= ?4 AND msg.seq < ?5"          \
  " ORDER BY msg.seq " order " LIMIT ?6"
    const char* sql = nullptr;
    int64_t after = low;
    int64_t before = std::numeric_limits<int64_t>::max();
    if (query.after) {
      sql = hides ? PARLEY_HISTORY_SQL(PARLEY_STORE_MSG_HIDDEN, "ASC") : PARLEY_HISTORY_SQL("0", "ASC");
      after = std::max(low, *query.after);
    } else {
      sql = hides ? PARLEY_HISTORY_SQL(PARLEY_STORE_MSG_HIDDEN, "DESC") : PARLEY_HISTORY_SQL("0", "DESC");
      before = query.before.value_or(before);
    }
#undef PARLEY_HISTORY_SQL
    PARLEY_STORE_ASSIGN(Stmt stmt, db.prepare(sql));
    stmt.bind_all(user_id, query.conversation_id, after, high, before,
                  static_cast<int64_t>(query.limit) + 1);
    Page<MessageRecord> page;
    PARLEY_STORE_ASSIGN(page.has_more,
                        collect_page(stmt, query.limit, page.items,
                                     [](const Stmt& row) { return read_message(row, 0, kMessageColumns); }));
    PARLEY_STORE_TRY(load_reactions(db, user_id, page.items));
    return page;
  });
}

namespace {

// The filter of a category, on messages aliased msg.
const char* category_filter(MediaCategory c) {
  switch (c) {
    case MediaCategory::kMedia: return "msg.kind IN ('image', 'video')";
    case MediaCategory::kDocs: return "msg.kind = 'file'";
    case MediaCategory::kVoice: return "msg.kind = 'voice'";
    case MediaCategory::kLinks:
      return "msg.kind IN ('text', 'image', 'video', 'file')"
             " AND (lower(msg.text) LIKE '%http://%' OR lower(msg.text) LIKE '%https://%')";
  }
  return "0 = 1";
}

}  // namespace

Result<Page<MessageRecord>> SqliteStore::conversation_media(int64_t user_id, const MediaQuery& query) {
  if (query.limit < 1) return bad_limit();
  return read_in({WalFlush::Scope::kConversation, query.conversation_id}, [&](Db& db) -> Result<Page<MessageRecord>> {
    PARLEY_STORE_ASSIGN(auto member, load_member_window(db, query.conversation_id, user_id));
    if (!member) return Error::make(Errc::kNotFound, "no such conversation");
    // History's window and order, filtered: a backwards range scan of (conversation_id,
    // seq) that skips other kinds, so a sparse category costs a scan of the window.
    const int64_t low = member->joined_seq;
    const int64_t high = member->left_seq.value_or(std::numeric_limits<int64_t>::max());
    const int64_t before = query.before.value_or(std::numeric_limits<int64_t>::max());
    std::string sql = std::string("SELECT " PARLEY_STORE_MSG_COLUMNS ", 0 FROM messages msg"
                                  " WHERE msg.conversation_id = ?2 AND msg.seq > ?3 AND msg.seq <= ?4"
                                  " AND msg.seq < ?5 AND msg.deleted_at IS NULL AND NOT ") +
                      PARLEY_STORE_MSG_HIDDEN + " AND " + category_filter(query.category) +
                      " ORDER BY msg.seq DESC LIMIT ?6";
    PARLEY_STORE_ASSIGN(Stmt stmt, db.prepare(sql));
    stmt.bind_all(user_id, query.conversation_id, low, high, before, static_cast<int64_t>(query.limit) + 1);
    Page<MessageRecord> page;
    PARLEY_STORE_ASSIGN(page.has_more,
                        collect_page(stmt, query.limit, page.items,
                                     [](const Stmt& row) { return read_message(row, 0, kMessageColumns); }));
    PARLEY_STORE_TRY(load_reactions(db, user_id, page.items));
    return page;
  });
}

Result<SyncPage> SqliteStore::changes_since(int64_t user_id, int64_t since, int limit) {
  if (limit < 1) return bad_limit();
  return read([&](Db& db) -> Result<SyncPage> {
    // O(user's conversations): members_by_user, a primary-key probe each, filter, sort.
    // A conversation the user left keeps the version of their removal, so it is reported
    // once more (showing them as left) and then never again.
    PARLEY_STORE_ASSIGN(
        Stmt stmt,
        db.prepare("SELECT " PARLEY_STORE_CONVERSATION_COLUMNS PARLEY_STORE_CONVERSATION_VIEW
                   " WHERE m.user_id = ? AND " PARLEY_STORE_VIEW_VERSION " > ?"
                   " ORDER BY seen_version ASC LIMIT ?"));
    stmt.bind_all(user_id, since, static_cast<int64_t>(limit) + 1);
    PARLEY_STORE_ASSIGN(Page<ConversationRecord> page,
                        conversation_page(db, stmt, limit, user_id));
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

Result<std::vector<MemberRecord>> SqliteStore::group_members(int64_t conversation_id,
                                                             int64_t viewer_id) {
  return read([&](Db& db) -> Result<std::vector<MemberRecord>> {
    PARLEY_STORE_ASSIGN(auto viewer, load_member(db, conversation_id, viewer_id));
    if (!viewer || viewer->left_seq) return Error::make(Errc::kNotFound, "no such conversation");
    return load_active_members(db, conversation_id);
  });
}

Result<std::vector<MessageReceipt>> SqliteStore::message_receipts(int64_t conversation_id,
                                                                  int64_t seq,
                                                                  int64_t viewer_id) {
  return read([&](Db& db) -> Result<std::vector<MessageReceipt>> {
    PARLEY_STORE_ASSIGN(auto viewer, load_member(db, conversation_id, viewer_id));
    // Only active members: receipt times are made by the members of today, so a member who
    // left would learn of reads made after their removal.
    const bool visible = viewer && !viewer->left_seq && viewer->joined_seq < seq;
    if (!visible) return Error::make(Errc::kNotFound, "no such message");
    int64_t sender_id = 0;
    {
      PARLEY_STORE_ASSIGN(Stmt find, db.prepare("SELECT sender_id FROM messages"
                                                " WHERE conversation_id = ? AND seq = ?"));
      find.bind_all(conversation_id, seq);
      PARLEY_STORE_ASSIGN(bool row, find.step());
      if (!row) return Error::make(Errc::kNotFound, "no such message");
      sender_id = find.i64(0);
    }
    PARLEY_STORE_ASSIGN(std::vector<MemberRecord> members,
                        load_active_members(db, conversation_id));
    // Per member and watermark, one seek into receipt_log: watermarks only grow, so the
    // entry with the lowest watermark at or above seq (earliest first among equals) is
    // when it was first reached. O(members * log(entries)), from the indexes alone.
    // Entries at most `cap`: for a member removed and re-added since seq, only those of the
    // earlier membership (the new one's watermarks start above its joined_seq >= seq).
    auto first_reached = [&](const char* sql, int64_t user_id, int64_t cap) -> Result<std::optional<int64_t>> {
      PARLEY_STORE_ASSIGN(Stmt stmt, db.prepare(sql));
      stmt.bind_all(conversation_id, user_id, seq, cap);
      PARLEY_STORE_ASSIGN(bool row, stmt.step());
      if (!row) return std::optional<int64_t>();
      return std::optional<int64_t>(stmt.i64(0));
    };
    std::vector<MessageReceipt> receipts;
    for (MemberRecord& member : members) {
      // The sender has it by definition.
      if (member.user.id == sender_id) continue;
      // A member whose current membership began after seq got it only in an earlier one,
      // if at all; what they received or read then stays received or read.
      const bool earlier = member.joined_seq >= seq;
      const int64_t cap = earlier ? member.joined_seq : std::numeric_limits<int64_t>::max();
      MessageReceipt receipt;
      PARLEY_STORE_ASSIGN(receipt.delivered_at,
                          first_reached("SELECT ts FROM receipt_log WHERE conversation_id = ?"
                                        " AND user_id = ? AND delivered_seq >= ? AND delivered_seq <= ?"
                                        " ORDER BY delivered_seq, ts LIMIT 1",
                                        member.user.id, cap));
      PARLEY_STORE_ASSIGN(receipt.read_at,
                          first_reached("SELECT ts FROM receipt_log WHERE conversation_id = ?"
                                        " AND user_id = ? AND read_seq >= ? AND read_seq <= ?"
                                        " ORDER BY read_seq, ts LIMIT 1",
                                        member.user.id, cap));
      // Someone who joined after the message and never had it was not one of its recipients.
      if (earlier && !receipt.delivered_at && !receipt.read_at) continue;
      receipt.user = std::move(member.user);
      receipts.push_back(std::move(receipt));
    }
    return receipts;
  });
}

}  // namespace parley::store::sqlite
