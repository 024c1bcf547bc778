// The push-subscription primitives of SqliteWriteTxn. Same discipline as write_txn.cc:
// check first, write last, so an expected failure has written nothing. Subscriptions take
// no store-wide version: they are a device's own registration, not part of sync.
#include <string>

#include "server/store/sqlite/write_txn.h"

namespace parley::store::sqlite {

namespace {
constexpr const char* kColumns =
    "id, user_id, session_id, kind, endpoint, app_id, p256dh, auth, created_at";

Result<std::optional<PushSubscriptionRecord>> find_subscription(Db& db, const PushSubscriptionRecord& s) {
  PARLEY_STORE_ASSIGN(Stmt find, db.prepare(std::string("SELECT ") + kColumns +
                                            " FROM push_subscriptions WHERE user_id = ? AND kind = ?"
                                            " AND app_id = ? AND endpoint = ?"));
  find.bind_all(s.user_id, s.kind, s.app_id, s.endpoint);
  PARLEY_STORE_ASSIGN(bool row, find.step());
  if (!row) return std::optional<PushSubscriptionRecord>();
  PushSubscriptionRecord r;
  r.id = find.i64(0);
  r.user_id = find.i64(1);
  r.session_id = find.i64(2);
  r.kind = find.text(3);
  r.endpoint = find.text(4);
  r.app_id = find.text(5);
  r.p256dh = find.text(6);
  r.auth = find.text(7);
  r.created_at = find.i64(8);
  return std::optional<PushSubscriptionRecord>(std::move(r));
}

Result<int64_t> count(Db& db, const char* sql, int64_t key) {
  PARLEY_STORE_ASSIGN(Stmt stmt, db.prepare(sql));
  stmt.bind_all(key);
  PARLEY_STORE_ASSIGN(bool row, stmt.step());
  return row ? stmt.i64(0) : 0;
}
}  // namespace

Result<PushSubscriptionRecord> SqliteWriteTxn::put_push_subscription(const PushSubscriptionRecord& subscription,
                                                                     const PushSubscriptionLimits& limits) {
  if (failed()) return failed_error();
  return guard(do_put_push_subscription(subscription, limits));
}

Result<bool> SqliteWriteTxn::delete_push_subscription(int64_t user_id, int64_t session_id, int64_t id) {
  if (failed()) return failed_error();
  auto stmt = guard(db_.prepare("DELETE FROM push_subscriptions WHERE id = ? AND user_id = ? AND session_id = ?"));
  if (!stmt) return stmt.error();
  stmt->bind_all(id, user_id, session_id);
  if (Status s = guard(stmt->run()); !s) return s.error();
  return db_.changes() == 1;
}

Result<int64_t> SqliteWriteTxn::delete_push_address(std::string_view kind, std::string_view app_id,
                                                    std::string_view endpoint) {
  if (failed()) return failed_error();
  auto stmt = guard(db_.prepare("DELETE FROM push_subscriptions WHERE kind = ? AND app_id = ? AND endpoint = ?"));
  if (!stmt) return stmt.error();
  stmt->bind_all(kind, app_id, endpoint);
  if (Status s = guard(stmt->run()); !s) return s.error();
  return db_.changes();
}

Result<PushSubscriptionRecord> SqliteWriteTxn::do_put_push_subscription(const PushSubscriptionRecord& s,
                                                                        const PushSubscriptionLimits& limits) {
  PARLEY_STORE_ASSIGN(auto existing, find_subscription(db_, s));
  if (existing) {
    PARLEY_STORE_ASSIGN(Stmt update, db_.prepare("UPDATE push_subscriptions SET session_id = ?, p256dh = ?,"
                                                 " auth = ? WHERE id = ?"));
    update.bind_all(s.session_id, s.p256dh, s.auth, existing->id);
    PARLEY_STORE_TRY(update.run());
    existing->session_id = s.session_id;
    existing->p256dh = s.p256dh;
    existing->auth = s.auth;
    return std::move(*existing);
  }
  PARLEY_STORE_ASSIGN(int64_t in_session,
                      count(db_, "SELECT count(*) FROM push_subscriptions WHERE session_id = ?", s.session_id));
  PARLEY_STORE_ASSIGN(int64_t of_user,
                      count(db_, "SELECT count(*) FROM push_subscriptions WHERE user_id = ?", s.user_id));
  if (in_session >= limits.per_session || of_user >= limits.per_user)
    return Error::make(Errc::kForbidden, "too many push subscriptions");
  PARLEY_STORE_ASSIGN(Stmt insert, db_.prepare("INSERT INTO push_subscriptions (user_id, session_id, kind,"
                                               " endpoint, app_id, p256dh, auth, created_at)"
                                               " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
  insert.bind_all(s.user_id, s.session_id, s.kind, s.endpoint, s.app_id, s.p256dh, s.auth, s.created_at);
  PARLEY_STORE_TRY(insert.run());
  PushSubscriptionRecord r = s;
  r.id = db_.last_insert_rowid();
  return r;
}

Result<int64_t> SqliteWriteTxn::set_muted_until(int64_t conversation_id, int64_t user_id, int64_t muted_until) {
  if (failed()) return failed_error();
  // Only this member's view changes: their own_version, as "delete for me" does.
  const int64_t version = version_ + 1;
  auto update = guard(db_.prepare("UPDATE members SET muted_until = ?, own_version = ?"
                                  " WHERE conversation_id = ? AND user_id = ? AND left_seq IS NULL"));
  if (!update) return update.error();
  update->bind_all(muted_until, version, conversation_id, user_id);
  if (Status s = guard(update->run()); !s) return s.error();
  if (db_.changes() != 1) return Error::make(Errc::kNotFound, "no such conversation");
  version_ = version;
  return version;
}

Status SqliteWriteTxn::set_notification_preview(int64_t user_id, std::string_view preview) {
  if (failed()) return failed_error();
  if (preview != "full" && preview != "hidden")
    return Error::make(Errc::kInvalidArgument, "preview must be \"full\" or \"hidden\"");
  auto update = guard(db_.prepare("UPDATE users SET notification_preview = ? WHERE id = ?"));
  if (!update) return update.error();
  update->bind_all(preview, user_id);
  if (Status s = guard(update->run()); !s) return s.error();
  if (db_.changes() != 1) return Error::make(Errc::kNotFound, "no such user");
  return {};
}

}  // namespace parley::store::sqlite
