#include "client/sql.h"

#include <string>

namespace parley::client {

Stmt::Stmt(sqlite3* db, std::string_view sql) : db_(db) {
  if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr) != SQLITE_OK) {
    status_ = Error::make(Errc::kInternal, std::string("sqlite prepare: ") + sqlite3_errmsg(db));
  }
}

bool Stmt::step() {
  if (!status_.ok() || stmt_ == nullptr) return false;
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc != SQLITE_DONE) {
    status_ = Error::make(Errc::kInternal, std::string("sqlite: ") + sqlite3_errmsg(db_));
  }
  return false;
}

Status Stmt::run() {
  while (step()) {
  }
  return status_;
}

Status exec(sqlite3* db, std::string_view sql) {
  char* err = nullptr;
  const std::string text(sql);
  if (sqlite3_exec(db, text.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string message = err ? err : "unknown";
    sqlite3_free(err);
    return Error::make(Errc::kInternal, "sqlite: " + message);
  }
  return {};
}

}  // namespace parley::client
