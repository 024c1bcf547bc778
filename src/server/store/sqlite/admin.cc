// What the operator's commands (parleyd admin, api/admin_routes.cc) need of the store:
// disabling accounts, replacing a password hash, and totals.
#include <optional>
#include <string>

#include "server/store/sqlite/rows.h"
#include "server/store/sqlite/sqlite_store_impl.h"
#include "server/store/sqlite/write_txn.h"

namespace parley::store::sqlite {

Result<bool> SqliteWriteTxn::set_account_disabled(int64_t user_id, bool disabled, int64_t now) {
  if (failed()) return failed_error();
  return guard([&]() -> Result<bool> {
    PARLEY_STORE_ASSIGN(auto user, load_user(db_, user_id));
    if (!user) return Error::make(Errc::kNotFound, "no such user");
    if (disabled) {
      PARLEY_STORE_ASSIGN(Stmt insert, db_.prepare("INSERT INTO disabled_accounts (user_id, disabled_at) VALUES (?, ?) ON CONFLICT (user_id) DO NOTHING"));
      insert.bind_all(user_id, now);
      PARLEY_STORE_TRY(insert.run());
      return db_.changes() == 1;
    }
    PARLEY_STORE_ASSIGN(Stmt remove, db_.prepare("DELETE FROM disabled_accounts WHERE user_id = ?"));
    remove.bind_all(user_id);
    PARLEY_STORE_TRY(remove.run());
    return db_.changes() == 1;
  }());
}

Result<bool> SqliteWriteTxn::account_disabled(int64_t user_id) {
  if (failed()) return failed_error();
  return guard([&]() -> Result<bool> {
    PARLEY_STORE_ASSIGN(Stmt stmt, db_.prepare("SELECT 1 FROM disabled_accounts WHERE user_id = ?"));
    stmt.bind_all(user_id);
    return stmt.step();
  }());
}

Status SqliteWriteTxn::set_password_hash(int64_t user_id, std::string_view password_hash) {
  if (failed()) return failed_error();
  return guard([&]() -> Status {
    PARLEY_STORE_ASSIGN(Stmt update, db_.prepare("UPDATE users SET password_hash = ? WHERE id = ?"));
    update.bind_all(password_hash, user_id);
    PARLEY_STORE_TRY(update.run());
    if (db_.changes() != 1) return Error::make(Errc::kNotFound, "no such user");
    return Status();
  }());
}

Result<std::optional<int64_t>> SqliteStore::disabled_at(int64_t user_id) {
  return read([&](Db& db) -> Result<std::optional<int64_t>> {
    PARLEY_STORE_ASSIGN(Stmt stmt, db.prepare("SELECT disabled_at FROM disabled_accounts WHERE user_id = ?"));
    stmt.bind_all(user_id);
    PARLEY_STORE_ASSIGN(bool row, stmt.step());
    if (!row) return std::optional<int64_t>();
    return std::optional<int64_t>(stmt.i64(0));
  });
}

Result<StoreCounts> SqliteStore::counts(int64_t now) {
  return read([&](Db& db) -> Result<StoreCounts> {
    PARLEY_STORE_ASSIGN(Stmt stmt, db.prepare("SELECT (SELECT COUNT(*) FROM users),"
                               " (SELECT COUNT(*) FROM disabled_accounts),"
                               " (SELECT COUNT(*) FROM sessions WHERE revoked = 0 AND expires_at > ?),"
                               " (SELECT COUNT(*) FROM conversations),"
                               " (SELECT COUNT(*) FROM messages)"));
    stmt.bind_all(now);
    PARLEY_STORE_ASSIGN(bool row, stmt.step());
    if (!row) return Error::make(Errc::kInternal, "no row of counts");
    return StoreCounts{stmt.i64(0), stmt.i64(1), stmt.i64(2), stmt.i64(3), stmt.i64(4)};
  });
}

}  // namespace parley::store::sqlite
