// Push-subscription reads of PgStore.
#include <string>

#include "server/store/postgres/pg_store_impl.h"

namespace parley::store::pg {

namespace {
Result<std::vector<PushSubscriptionRecord>> all_subscriptions(Stmt& stmt) {
  std::vector<PushSubscriptionRecord> out;
  for (;;) {
    PARLEY_PG_ASSIGN(bool row, stmt.step());
    if (!row) return out;
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
    out.push_back(std::move(r));
  }
}
}  // namespace

Result<std::vector<PushSubscriptionRecord>> PgStore::push_subscriptions(int64_t user_id, int64_t session_id) {
  return read([&](Conn& db) -> Result<std::vector<PushSubscriptionRecord>> {
    PARLEY_PG_ASSIGN(Stmt stmt, db.prepare("SELECT id, user_id, session_id, kind, endpoint, app_id, p256dh,"
                                              " auth, created_at FROM push_subscriptions"
                                              " WHERE session_id = ? AND user_id = ? ORDER BY id"));
    stmt.bind_all(session_id, user_id);
    return all_subscriptions(stmt);
  });
}

Result<std::vector<PushSubscriptionRecord>> PgStore::push_targets(const std::vector<int64_t>& user_ids,
                                                                      int64_t now) {
  if (user_ids.empty()) return std::vector<PushSubscriptionRecord>();
  std::string list = "{";
  for (size_t i = 0; i < user_ids.size(); ++i) {
    if (i > 0) list += ',';
    list += std::to_string(user_ids[i]);
  }
  list += '}';
  return read([&](Conn& db) -> Result<std::vector<PushSubscriptionRecord>> {
    // Per user: the unique key's prefix (user_id) and each row's session by primary key.
    PARLEY_PG_ASSIGN(
        Stmt stmt,
        db.prepare("SELECT p.id, p.user_id, p.session_id, p.kind, p.endpoint, p.app_id, p.p256dh, p.auth,"
                   " p.created_at FROM push_subscriptions p JOIN sessions s ON s.id = p.session_id"
                   " WHERE p.user_id = ANY (?1::BIGINT[]) AND s.revoked = 0"
                   " AND s.expires_at > ?2 ORDER BY p.user_id, p.id"));
    stmt.bind_all(list, now);
    return all_subscriptions(stmt);
  });
}

}  // namespace parley::store::pg
