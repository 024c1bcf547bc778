// Push-subscription reads of SqliteStore.
#include <string>

#include "server/store/sqlite/sqlite_store_impl.h"

namespace parley::store::sqlite {

namespace {
PushSubscriptionRecord read_subscription(const Stmt& stmt) {
  PushSubscriptionRecord r;
  r.id = stmt.i64(0);
  r.user_id = stmt.i64(1);
  r.session_id = stmt.i64(2);
  r.kind = stmt.text(3);
  r.endpoint = stmt.text(4);
  r.app_id = stmt.text(5);
  r.p256dh = stmt.text(6);
  r.auth = stmt.text(7);
  r.created_at = stmt.i64(8);
  return r;
}

Result<std::vector<PushSubscriptionRecord>> all_subscriptions(Stmt& stmt) {
  return collect_rows(stmt, read_subscription);
}
}  // namespace

Result<std::vector<PushSubscriptionRecord>> SqliteStore::push_subscriptions(int64_t user_id, int64_t session_id) {
  return read([&](Db& db) -> Result<std::vector<PushSubscriptionRecord>> {
    PARLEY_STORE_ASSIGN(Stmt stmt, db.prepare("SELECT id, user_id, session_id, kind, endpoint, app_id, p256dh,"
                                              " auth, created_at FROM push_subscriptions"
                                              " WHERE session_id = ? AND user_id = ? ORDER BY id"));
    stmt.bind_all(session_id, user_id);
    return all_subscriptions(stmt);
  });
}

Result<std::vector<PushSubscriptionRecord>> SqliteStore::push_targets(const std::vector<int64_t>& user_ids,
                                                                      int64_t now) {
  if (user_ids.empty()) return std::vector<PushSubscriptionRecord>();
  std::string list = "[";
  for (size_t i = 0; i < user_ids.size(); ++i) {
    if (i > 0) list += ',';
    list += std::to_string(user_ids[i]);
  }
  list += ']';
  std::lock_guard lock(push_reader_mutex_);
  return read_on(*push_reader_, [&](Db& db) -> Result<std::vector<PushSubscriptionRecord>> {
    // Per user: the unique key's prefix (user_id) and each row's session by primary key.
    PARLEY_STORE_ASSIGN(
        Stmt stmt,
        db.prepare("SELECT p.id, p.user_id, p.session_id, p.kind, p.endpoint, p.app_id, p.p256dh, p.auth,"
                   " p.created_at FROM push_subscriptions p JOIN sessions s ON s.id = p.session_id"
                   " WHERE p.user_id IN (SELECT value FROM json_each(?1)) AND s.revoked = 0"
                   " AND s.expires_at > ?2 ORDER BY p.user_id, p.id"));
    stmt.bind_all(list, now);
    return all_subscriptions(stmt);
  });
}

Result<std::optional<std::string>> SqliteStore::notification_preview(int64_t user_id) {
  return read([&](Db& db) -> Result<std::optional<std::string>> {
    PARLEY_STORE_ASSIGN(Stmt stmt, db.prepare("SELECT notification_preview FROM users WHERE id = ?"));
    stmt.bind_all(user_id);
    PARLEY_STORE_ASSIGN(bool row, stmt.step());
    if (!row) return std::optional<std::string>();
    return std::optional<std::string>(stmt.text(0));
  });
}

Result<int64_t> SqliteStore::unread_total(int64_t user_id) {
  return read([&](Db& db) -> Result<int64_t> {
    // The user's membership rows (members_by_user) and each conversation by primary key.
    PARLEY_STORE_ASSIGN(Stmt stmt, db.prepare("SELECT coalesce(sum(CASE WHEN c.last_seq > m.read_seq"
                                            " THEN c.last_seq - m.read_seq ELSE 0 END), 0)"
                                            " FROM members m JOIN conversations c ON c.id = m.conversation_id"
                                            " WHERE m.user_id = ? AND m.left_seq IS NULL"));
    stmt.bind_all(user_id);
    PARLEY_STORE_ASSIGN(bool row, stmt.step());
    return row ? stmt.i64(0) : int64_t{0};
  });
}

}  // namespace parley::store::sqlite
