#include "server/store/sqlite/sqlite_store.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <string>
#include <string_view>
#include <utility>

#include "server/store/sqlite/migrations.h"
#include "server/store/sqlite/rows.h"
#include "server/store/sqlite/sqlite_store_impl.h"
#include "server/store/sqlite/tokenizer.h"
#include "server/store/sqlite/write_txn.h"

namespace parley::store {
namespace sqlite {
namespace {

// Settings every connection needs; synchronous and foreign_keys are per connection, not
// stored in the file.
Status configure(Db& db, const SqliteOptions& options, bool reader) {
  // The search index's tokenizer, before anything touches the schema.
  PARLEY_STORE_TRY(register_tokenizer(db.handle()));
  if (sqlite3_busy_timeout(db.handle(), options.busy_timeout_ms) != SQLITE_OK) {
    return db_error(db.handle(), "setting busy timeout");
  }
  // FULL flushes the WAL inside every COMMIT. NORMAL does not (WalFlush does it after
  // COMMIT, or nobody with synchronous_full off) and still flushes around checkpoints.
  const bool flush_in_commit = options.synchronous_full && !options.flush_after_commit;
  PARLEY_STORE_TRY(db.exec(flush_in_commit ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL"));
  PARLEY_STORE_TRY(db.exec("PRAGMA foreign_keys = ON"));
  // Readers must never write, even by mistake: the single writer is what makes seq and
  // version assignment race-free.
  if (reader) PARLEY_STORE_TRY(db.exec("PRAGMA query_only = ON"));
  // A bigger page cache keeps the hot B-tree pages (indexes of messages and members) in
  // memory across transactions instead of re-reading them with pread; readers also map
  // the file. The writer keeps its cache between commits because it is the only writer.
  PARLEY_STORE_TRY(db.exec(reader ? "PRAGMA cache_size = -16384" : "PRAGMA cache_size = -65536"));
  PARLEY_STORE_TRY(db.exec("PRAGMA mmap_size = 268435456"));
  PARLEY_STORE_TRY(db.exec("PRAGMA temp_store = MEMORY"));
  // Deleted or overwritten content is zeroed, not left in free space (erase_message).
  PARLEY_STORE_TRY(db.exec("PRAGMA secure_delete = ON"));
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
  if (options.synchronous_full && options.flush_after_commit) {
    PARLEY_STORE_ASSIGN(const int64_t committed, load_commit_number(*store->writer_));
    PARLEY_STORE_ASSIGN(store->wal_flush_,
                        WalFlush::open(store->writer_->handle(), static_cast<uint64_t>(committed)));
    PARLEY_STORE_ASSIGN(store->messages_conversation_column_,
                        column_index(*store->writer_, "messages", "conversation_id"));
    PARLEY_STORE_ASSIGN(store->members_conversation_column_,
                        column_index(*store->writer_, "members", "conversation_id"));
    PARLEY_STORE_ASSIGN(store->hidden_conversation_column_,
                        column_index(*store->writer_, "hidden_messages", "conversation_id"));
    PARLEY_STORE_ASSIGN(store->sessions_user_column_,
                        column_index(*store->writer_, "sessions", "user_id"));
    sqlite3_preupdate_hook(store->writer_->handle(), &SqliteStore::on_row_change, store.get());
  }

  // Checkpoints happen on the checkpointer's connection, never inside the writer's commit:
  // the wal hook replaces SQLite's auto-checkpoint on the writer.
  store->checkpoint_pages_ = options.checkpoint_pages < 1 ? 1 : options.checkpoint_pages;
  store->erase_purge_delay_ms_ = std::max(0, options.erase_purge_delay_ms);
  PARLEY_STORE_ASSIGN(std::string page_size, store->writer_->query_text("PRAGMA page_size"));
  const int64_t page_bytes = page_size.empty() ? 4096 : std::stoll(page_size);
  const int64_t limit_pages = options.wal_limit_bytes / (page_bytes + 24);  // + frame header
  store->wal_limit_pages_ = static_cast<int>(std::clamp<int64_t>(limit_pages, 1, 1 << 30));
  PARLEY_STORE_ASSIGN(store->checkpointer_db_, Db::open(options.path));
  PARLEY_STORE_TRY(configure(*store->checkpointer_db_, options, false));
  // A WAL that grew past the limit anyway (a reader held it) is cut back to it when the
  // writer starts it over.
  const std::string wal_size_limit =
      "PRAGMA journal_size_limit = " + std::to_string(options.wal_limit_bytes);
  PARLEY_STORE_TRY(store->writer_->exec(wal_size_limit.c_str()));
  sqlite3_wal_hook(store->writer_->handle(), &SqliteStore::on_wal_commit, store.get());
  store->checkpointer_ = std::thread([s = store.get()] { s->checkpoint_loop(); });

  const int readers = options.reader_connections < 1 ? 1 : options.reader_connections;
  for (int i = 0; i < readers; ++i) {
    PARLEY_STORE_ASSIGN(std::unique_ptr<Db> reader, Db::open(options.path));
    PARLEY_STORE_TRY(configure(*reader, options, true));
    store->idle_readers_.push_back(std::move(reader));
  }
  PARLEY_STORE_ASSIGN(store->push_reader_, Db::open(options.path));
  PARLEY_STORE_TRY(configure(*store->push_reader_, options, true));
  PARLEY_STORE_TRY(store->push_reader_->exec("PRAGMA mmap_size = 0"));
  return store;
}

SqliteStore::~SqliteStore() { stop_checkpointer(); }

void SqliteStore::stop_checkpointer() {
  {
    std::lock_guard lock(checkpoint_mutex_);
    checkpoint_stopping_ = true;
  }
  checkpoint_cv_.notify_one();
  if (checkpointer_.joinable()) checkpointer_.join();
}

namespace {

// The tables no scoped read (SqliteStore::read_in) reads: a change to them marks nothing.
// Among them the full-text index's own tables (message_search_*).
bool unread_by_scoped_reads(std::string_view table) {
  static constexpr std::string_view kTables[] = {
      "meta",  "receipt_log", "contacts", "disabled_accounts", "push_subscriptions",
      "media", "voice_plays", "calls"};
  for (std::string_view t : kTables) {
    if (t == table) return true;
  }
  return table.starts_with("message_search_");
}

}  // namespace

Result<int> SqliteStore::column_index(Db& db, const char* table, const char* column) {
  PARLEY_STORE_ASSIGN(Stmt stmt, db.prepare("SELECT cid FROM pragma_table_info(?) WHERE name = ?"));
  stmt.bind_all(table, column);
  PARLEY_STORE_ASSIGN(const bool row, stmt.step());
  if (!row) return Error::make(Errc::kInternal, std::string(table) + " has no column " + column);
  return static_cast<int>(stmt.i64(0));
}

void SqliteStore::on_row_change(void* self, sqlite3* db, int op, const char* database,
                                const char* table_name, sqlite3_int64 old_rowid,
                                sqlite3_int64 new_rowid) {
  using Scope = WalFlush::Scope;
  auto* store = static_cast<SqliteStore*>(self);
  WalFlush& flush = *store->wal_flush_;
  const std::string_view table(table_name);
  if (std::string_view(database) != "main" || unread_by_scoped_reads(table)) return;
  // Tables whose rowid is the scope's id.
  const Scope by_rowid = table == "users" ? Scope::kUser : Scope::kConversation;
  if (table == "conversations" || table == "users") {
    if (op != SQLITE_INSERT) flush.touch(by_rowid, old_rowid);
    if (op != SQLITE_DELETE) flush.touch(by_rowid, new_rowid);
    return;
  }
  // Tables with a column naming it.
  int column = -1;
  Scope scope = Scope::kConversation;
  if (table == "messages") column = store->messages_conversation_column_;
  if (table == "members") column = store->members_conversation_column_;
  if (table == "hidden_messages") column = store->hidden_conversation_column_;
  if (table == "sessions") {
    column = store->sessions_user_column_;
    scope = Scope::kUser;
  }
  if (column < 0) {
    // A table scoped reads use that is not keyed by their scope (blocks, reactions), or one
    // this list does not know yet.
    flush.touch_all();
    return;
  }
  // The row as it is before the change and as it will be after (the same scope,
  // but a row is never trusted to keep it).
  sqlite3_value* value = nullptr;
  bool marked = false;
  if (op != SQLITE_INSERT && sqlite3_preupdate_old(db, column, &value) == SQLITE_OK &&
      sqlite3_value_type(value) == SQLITE_INTEGER) {
    flush.touch(scope, sqlite3_value_int64(value));
    marked = true;
  }
  if (op != SQLITE_DELETE) {
    marked = false;
    if (sqlite3_preupdate_new(db, column, &value) == SQLITE_OK &&
        sqlite3_value_type(value) == SQLITE_INTEGER) {
      flush.touch(scope, sqlite3_value_int64(value));
      marked = true;
    }
  }
  if (!marked) flush.touch_all();
}

int SqliteStore::on_wal_commit(void* self, sqlite3*, const char*, int pages) {
  auto* store = static_cast<SqliteStore*>(self);
  // Runs on the writer's thread, so the flag needs no lock; write() acts on it.
  if (pages >= store->wal_limit_pages_) store->wal_restart_wanted_ = true;
  if (pages >= store->checkpoint_pages_ && !store->checkpoint_pending_.exchange(true)) {
    {
      std::lock_guard lock(store->checkpoint_mutex_);
      store->checkpoint_wanted_ = true;
    }
    store->checkpoint_cv_.notify_one();
  }
  return SQLITE_OK;
}

void SqliteStore::checkpoint_loop() {
  sqlite3* db = checkpointer_db_->handle();
  for (;;) {
    bool checkpoint = false;
    bool purge = false;
    {
      std::unique_lock lock(checkpoint_mutex_);
      // Re-evaluated after every wake-up: a write may have set or moved the due time.
      for (;;) {
        if (checkpoint_stopping_) return;
        if (checkpoint_wanted_) break;
        if (erase_due_ && *erase_due_ <= std::chrono::steady_clock::now()) break;
        if (erase_due_) {
          checkpoint_cv_.wait_until(lock, *erase_due_);
        } else {
          checkpoint_cv_.wait(lock);
        }
      }
      checkpoint = checkpoint_wanted_;
      checkpoint_wanted_ = false;
      if (erase_due_ && *erase_due_ <= std::chrono::steady_clock::now()) {
        purge = true;
        erase_due_.reset();
      }
    }
    if (purge) {
      // Erases committed after this point set a new due time and get their own purge.
      if (purge_erased()) {
        erase_purges_.fetch_add(1);
        std::lock_guard lock(checkpoint_mutex_);
        if (!erase_due_) erase_pending_.store(false);
      } else {
        std::lock_guard lock(checkpoint_mutex_);
        auto retry = std::chrono::steady_clock::now() + std::chrono::seconds(1);
        if (!erase_due_ || *erase_due_ > retry) erase_due_ = retry;
      }
    }
    if (!checkpoint) continue;
    // Cleared before the checkpoint: a commit that lands during it asks for another one.
    checkpoint_pending_.store(false);
    // PASSIVE copies what it can without waiting for anyone; once everything is copied the
    // writer starts the WAL over at its next transaction, so its file stops growing.
    int log_pages = 0;
    int copied = 0;
    int rc = SQLITE_OK;
    {
      std::lock_guard running(checkpoint_run_mutex_);
      rc = sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log_pages, &copied);
    }
    (void)rc;  // BUSY (another checkpoint) or a partial copy: the next request retries
    checkpoints_run_.fetch_add(1);
  }
}

bool SqliteStore::purge_erased() {
  Db& db = *checkpointer_db_;
  // The merge is a write: it waits (busy timeout) for the writer's current batch and
  // holds the writer off while it runs.
  if (!db.exec("BEGIN IMMEDIATE").ok()) return false;
  Status merged = db.exec("INSERT INTO message_search (message_search) VALUES ('optimize')");
  if (merged.ok()) merged = db.exec("COMMIT");
  if (!merged.ok()) {
    if (db.in_transaction()) (void)db.exec("ROLLBACK");
    return false;
  }
  // Copies every frame into the database file and truncates the WAL to zero bytes, so no
  // frame from before the erase survives. Waits (busy timeout) for readers on old frames.
  std::lock_guard running(checkpoint_run_mutex_);
  int log_pages = -1;
  int copied = -1;
  const int rc = sqlite3_wal_checkpoint_v2(db.handle(), nullptr, SQLITE_CHECKPOINT_TRUNCATE,
                                           &log_pages, &copied);
  return rc == SQLITE_OK;
}

StoreStats SqliteStore::stats() const {
  StoreStats stats;
  stats.erase_purges = erase_purges_.load();
  stats.erase_pending = erase_pending_.load();
  commits_.fill(stats);
  if (wal_flush_) {
    stats.flushes = wal_flush_->flushes();
    stats.flush_us = wal_flush_->flush_us();
  }
  return stats;
}

Status SqliteStore::write(std::span<WriteOp* const> ops) {
  const int64_t committed = version_;
  if (wal_restart_wanted_) {
    // The writer only starts the WAL over when a checkpoint has copied all of it before
    // the writer's next transaction begins; under a steady stream of commits that race is
    // often lost and the file keeps growing. Past the limit the writer itself finishes the
    // copy (most of it was done in the background already) and waits for readers still on
    // old frames (RESTART), so its next transaction writes the WAL from the start again.
    // The file keeps its size: overwriting pages the file and the page cache already hold
    // costs a copy, while a truncated file made every commit allocate and zero new pages
    // and blocks (a fifth of the committer's samples at 3,000 msgs/s, bench/RESULTS.md).
    // At most once per wal_limit_bytes of commits.
    wal_restart_wanted_ = false;
    // Waits for a background checkpoint in progress (it holds SQLite's checkpoint lock,
    // which has no busy handler); a failure (readers past the busy timeout) is retried
    // after the next commit.
    std::lock_guard running(checkpoint_run_mutex_);
    if (sqlite3_wal_checkpoint_v2(writer_->handle(), nullptr, SQLITE_CHECKPOINT_RESTART,
                                  nullptr, nullptr) == SQLITE_OK) {
      wal_restarts_.fetch_add(1);
    }
  }
  if (Status begun = writer_->run("BEGIN IMMEDIATE"); !begun.ok()) return begun;

  // One clock reading per batch: everything in it commits together, at this time.
  const int64_t commit_time = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
  SqliteWriteTxn txn(*writer_, version_, commit_time);
  for (WriteOp* op : ops) {
    // Each op runs inside its own savepoint, so an op that fails after writing part of its
    // work is undone on its own (WriteOp's contract) and the rest of the batch commits.
    // Once the transaction failed, the ops left still run (every call is refused) so that
    // each learns of the failure, and no savepoint is needed: all of it rolls back.
    const bool guarded = !txn.failed();
    if (guarded) {
      if (Status s = writer_->run("SAVEPOINT op"); !s.ok()) txn.fail(s.error());
      txn.begin_op();
    }
    const int64_t before = version_;
    Status outcome;
    // An op that throws may have done only part of its work: the batch cannot be trusted.
    try {
      outcome = op->apply(txn);
    } catch (const std::exception& e) {
      txn.fail(Error::make(Errc::kInternal, std::string("write op threw: ") + e.what()));
    } catch (...) {
      txn.fail(Error::make(Errc::kInternal, "write op threw a non-standard exception"));
    }
    if (!guarded || txn.failed()) continue;
    if (!outcome.ok()) {
      // The versions it took were never seen by anyone: given back, so that what commits
      // stays gap-free.
      if (Status s = writer_->run("ROLLBACK TO op"); !s.ok()) {
        txn.fail(s.error());
        continue;
      }
      version_ = before;
      txn.undo_op();
    }
    if (Status s = writer_->run("RELEASE op"); !s.ok()) txn.fail(s.error());
  }

  // Outside every op's savepoint (see SqliteWriteTxn::flush_deferred).
  Status status = txn.flush_deferred();
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
  if (status.ok() && wal_flush_) {
    // Its number, for the readers whose snapshot will hold it (wal_flush.h).
    auto stmt = writer_->prepare("UPDATE meta SET value = ? WHERE key = 'commit'");
    if (!stmt.ok()) {
      status = stmt.error();
    } else {
      stmt->bind_all(static_cast<int64_t>(wal_flush_->next_commit()));
      status = stmt->run();
    }
  }
  if (status.ok()) {
    const auto started = CommitCounter::Clock::now();
    if (wal_flush_) wal_flush_->commit_starting();
    status = writer_->run("COMMIT");
    if (wal_flush_) wal_flush_->commit_returned();
    if (status.ok()) commits_.committed(started);
  }
  if (!status.ok()) {
    // COMMIT can fail and leave the transaction open (e.g. SQLITE_BUSY); other failures
    // roll back on their own.
    if (writer_->in_transaction()) (void)writer_->run("ROLLBACK");
    version_ = committed;
    return status;
  }
  if (txn.erased()) {
    {
      std::lock_guard lock(checkpoint_mutex_);
      erase_pending_.store(true);
      if (!erase_due_) {
        erase_due_ = std::chrono::steady_clock::now() +
                     std::chrono::milliseconds(erase_purge_delay_ms_);
      }
    }
    checkpoint_cv_.notify_one();
  }
  return Status{};
}

Status SqliteStore::flush_committed() {
  return wal_flush_ ? wal_flush_->flush_returned() : Status{};
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
