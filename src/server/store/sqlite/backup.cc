#include "server/store/sqlite/backup.h"

#include <filesystem>

#include <sqlite3.h>

namespace parley::store {

namespace {

Error sqlite_error(sqlite3* db, const std::string& what) {
  return Error::make(Errc::kInternal, what + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
}

struct Closer {
  sqlite3* db = nullptr;
  ~Closer() { sqlite3_close(db); }
};

}  // namespace

Status backup_sqlite_database(const std::string& from, const std::string& to) {
  std::error_code ec;
  if (std::filesystem::exists(to, ec)) return Error::make(Errc::kInvalidArgument, to + " already exists");
  if (!std::filesystem::exists(from, ec)) return Error::make(Errc::kNotFound, "no database at " + from);
  Closer source, target;
  if (sqlite3_open_v2(from.c_str(), &source.db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK)
    return sqlite_error(source.db, "opening " + from);
  sqlite3_busy_timeout(source.db, 10000);
  if (sqlite3_open_v2(to.c_str(), &target.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK)
    return sqlite_error(target.db, "creating " + to);
  sqlite3_backup* backup = sqlite3_backup_init(target.db, "main", source.db, "main");
  if (!backup) return sqlite_error(target.db, "starting the backup");
  // All pages in one step: one read transaction on the source, so one snapshot.
  int rc = sqlite3_backup_step(backup, -1);
  sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE) {
    std::filesystem::remove(to, ec);
    return Error::make(Errc::kInternal, std::string("copying the database: ") + sqlite3_errstr(rc));
  }
  return Status();
}

}  // namespace parley::store
