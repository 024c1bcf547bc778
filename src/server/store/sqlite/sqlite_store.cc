#include "server/store/sqlite/sqlite_store.h"

#include <chrono>
#include <exception>
#include <string>
#include <utility>

#include "server/store/sqlite/migrations.h"
#include "server/store/sqlite/rows.h"
#include "server/store/sqlite/sqlite_store_impl.h"
#include "server/store/sqlite/write_txn.h"

namespace parley::store {
namespace sqlite {
namespace {

// Settings every connection needs; synchronous and foreign_keys are per connection, not
// stored in the file.
Status configure(Db& db, const SqliteOptions& options, bool reader) {
  if (sqlite3_busy_timeout(db.handle(), options.busy_timeout_ms) != SQLITE_OK) {
    return db_error(db.handle(), "setting busy timeout");
  }
  PARLEY_STORE_TRY(db.exec(options.synchronous_full ? "PRAGMA synchronous = FULL"
                                                    : "PRAGMA synchronous = NORMAL"));
  PARLEY_STORE_TRY(db.exec("PRAGMA foreign_keys = ON"));
  // Readers must never write, even by mistake: the single writer is what makes seq and
  // version assignment race-free.
  if (reader) PARLEY_STORE_TRY(db.exec("PRAGMA query_only = ON"));
  return Status{};
}

Status enable_wal(Db& db) {
  // WAL lets readers keep their snapshot while the writer commits. The mode is stored in
  // the file, so this only does work the first time.
  PARLEY_STORE_ASSIGN(std::string mode, db.query_text("PRAGMA journal_mode = WAL"));
  if (mode != "wal") {
    return Error::make(Errc::kInternal, "could not enable WAL journal (got '" + mode + "')");
  }
  return Status{};
}

}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const SqliteOptions& options) {
  if (options.path.empty()) return Error::make(Errc::kInternal, "sqlite store path is empty");
  std::unique_ptr<SqliteStore> store(new SqliteStore());

  PARLEY_STORE_ASSIGN(store->writer_, Db::open(options.path));
  PARLEY_STORE_TRY(configure(*store->writer_, options, false));
  PARLEY_STORE_TRY(enable_wal(*store->writer_));
  PARLEY_STORE_TRY(migrate(*store->writer_));
  PARLEY_STORE_ASSIGN(store->version_, load_version(*store->writer_));

  const int readers = options.reader_connections < 1 ? 1 : options.reader_connections;
  for (int i = 0; i < readers; ++i) {
    PARLEY_STORE_ASSIGN(std::unique_ptr<Db> reader, Db::open(options.path));
    PARLEY_STORE_TRY(configure(*reader, options, true));
    store->idle_readers_.push_back(std::move(reader));
  }
  return store;
}

Status SqliteStore::write(std::span<WriteOp* const> ops) {
  const int64_t committed = version_;
  if (Status begun = writer_->run("BEGIN IMMEDIATE"); !begun.ok()) return begun;

  // One clock reading per batch: everything in it commits together, at this time.
  const int64_t commit_time = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
  SqliteWriteTxn txn(*writer_, version_, commit_time);
  for (WriteOp* op : ops) {
    // An op that throws may have done only part of its work: the batch cannot be trusted.
    try {
      op->apply(txn);
    } catch (const std::exception& e) {
      txn.fail(Error::make(Errc::kInternal, std::string("write op threw: ") + e.what()));
    } catch (...) {
      txn.fail(Error::make(Errc::kInternal, "write op threw a non-standard exception"));
    }
  }

  Status status = txn.failed() ? Status(txn.failure()) : Status{};
  if (status.ok() && version_ != committed) {
    // The counter lives in memory; meta makes it survive restarts, atomically with the
    // changes that took the versions.
    auto stmt = writer_->prepare("UPDATE meta SET value = ? WHERE key = 'version'");
    if (!stmt.ok()) {
      status = stmt.error();
    } else {
      stmt->bind_all(version_);
      status = stmt->run();
    }
  }
  if (status.ok()) status = writer_->run("COMMIT");
  if (!status.ok()) {
    // COMMIT can fail and leave the transaction open (e.g. SQLITE_BUSY); other failures
    // roll back on their own.
    if (writer_->in_transaction()) (void)writer_->run("ROLLBACK");
    version_ = committed;
    return status;
  }
  return Status{};
}

std::unique_ptr<Db> SqliteStore::checkout() {
  std::unique_lock lock(pool_mutex_);
  pool_cv_.wait(lock, [this] { return !idle_readers_.empty(); });
  std::unique_ptr<Db> db = std::move(idle_readers_.back());
  idle_readers_.pop_back();
  return db;
}

void SqliteStore::checkin(std::unique_ptr<Db> db) {
  {
    std::lock_guard lock(pool_mutex_);
    idle_readers_.push_back(std::move(db));
  }
  pool_cv_.notify_one();
}

Result<std::string> SqliteStore::writer_pragma(const std::string& name) {
  std::string sql = "PRAGMA " + name;
  return writer_->query_text(sql.c_str());
}

}  // namespace sqlite

Result<std::unique_ptr<Store>> open_sqlite_store(const SqliteOptions& options) {
  auto opened = sqlite::SqliteStore::open(options);
  if (!opened.ok()) return opened.error();
  return std::unique_ptr<Store>(std::move(opened).value());
}

}  // namespace parley::store
