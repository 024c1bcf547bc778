#include "server/store/postgres/pg_store.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <string>
#include <utility>

#include "server/store/postgres/migrations.h"
#include "server/store/postgres/pg_store_impl.h"
#include "server/store/postgres/write_txn.h"

namespace parley::store {
namespace pg {
namespace {

// Settings every connection needs, per session.
//  - synchronous_commit on: COMMIT returns once the WAL is flushed (and, with synchronous
//    standbys configured on the server, once they have it too), so an acknowledged
//    message survives a crash or a failover.
//  - lock_timeout bounds how long a batch waits for the version lock (a stuck writer in
//    another process): the batch fails with kInternal and its senders retry.
Status configure(Conn& conn) {
  return conn.exec(
      "SET synchronous_commit = on; SET lock_timeout = '30s';"
      " SET idle_in_transaction_session_timeout = '60s'; SET client_min_messages = warning");
}

}  // namespace

Result<std::unique_ptr<PgStore>> PgStore::open(const PgOptions& options) {
  if (options.uri.empty()) return Error::make(Errc::kInternal, "PostgreSQL URI is empty");
  std::unique_ptr<PgStore> store(new PgStore());
  store->uri_ = options.uri;
  PARLEY_PG_ASSIGN(store->writer_, Conn::open(options.uri));
  PARLEY_PG_TRY(configure(*store->writer_));
  PARLEY_PG_TRY(migrate(*store->writer_));
  const int readers = options.reader_connections < 1 ? 1 : options.reader_connections;
  for (int i = 0; i < readers; ++i) {
    PARLEY_PG_ASSIGN(std::unique_ptr<Conn> reader, Conn::open(options.uri));
    PARLEY_PG_TRY(configure(*reader));
    store->idle_readers_.push_back(std::move(reader));
  }
  store->erase_purge_delay_ms_ = std::max(0, options.erase_purge_delay_ms);
  PARLEY_PG_ASSIGN(store->purger_, Conn::open(options.uri));
  PARLEY_PG_TRY(configure(*store->purger_));
  store->purge_thread_ = std::thread([s = store.get()] { s->purge_loop(); });
  return store;
}

PgStore::~PgStore() { stop_purger(); }

void PgStore::stop_purger() {
  {
    std::lock_guard lock(purge_mutex_);
    purge_stopping_ = true;
  }
  purge_cv_.notify_one();
  if (purge_thread_.joinable()) purge_thread_.join();
}

void PgStore::purge_loop() {
  for (;;) {
    {
      std::unique_lock lock(purge_mutex_);
      // Re-evaluated after every wake-up: a write may have set the due time.
      for (;;) {
        if (purge_stopping_) return;
        if (erase_due_ && *erase_due_ <= std::chrono::steady_clock::now()) break;
        if (erase_due_) {
          purge_cv_.wait_until(lock, *erase_due_);
        } else {
          purge_cv_.wait(lock);
        }
      }
      // Erases committed after this point set a new due time and get their own purge.
      erase_due_.reset();
    }
    const bool purged = purge_erased();
    std::lock_guard lock(purge_mutex_);
    if (purged) {
      erase_purges_.fetch_add(1);
      if (!erase_due_) erase_pending_.store(false);
    } else {
      auto retry = std::chrono::steady_clock::now() + std::chrono::seconds(1);
      if (!erase_due_ || *erase_due_ > retry) erase_due_ = retry;
    }
  }
}

bool PgStore::purge_erased() {
  Conn& conn = *purger_;
  if (!ensure_connected(conn).ok()) return false;
  // VACUUM cannot run inside a transaction block: one statement per call. The rewrite
  // needs an ACCESS EXCLUSIVE lock on messages; waiting for it queues every later reader
  // and writer behind it, so it gives up after a second (a long read holds the table) and
  // the purge is retried.
  if (!conn.exec("SET lock_timeout = '1s'").ok()) return false;
  // The new files hold the live row versions only; the old files (with the dead versions,
  // the freed space they left, and the GIN keys of erased words) are deleted at commit.
  // The other tables hold what an account deletion erased (write_txn.h's delete_account).
  if (!conn.exec("VACUUM (FULL) messages, users, contacts, blocks, sessions").ok()) return false;
  // WAL written before the erase still holds the text. The first checkpoint makes the
  // rewrite durable in the data files, the switch closes the current segment, and the
  // second checkpoint, whose redo point lies in the new segment, removes (or, with
  // wal_recycle on, renames for reuse) every older one that replication and wal_keep_size
  // do not hold. CHECKPOINT needs the pg_checkpoint role and pg_switch_wal() an EXECUTE
  // grant (or a superuser); without them the segments retire with the server's own
  // checkpoints instead, which this purge does not wait for.
  if (Status s = conn.exec("CHECKPOINT"); !s.ok()) return conn.last_sqlstate() == "42501";
  if (Status s = conn.exec("SELECT pg_switch_wal()"); !s.ok()) {
    return conn.last_sqlstate() == "42501";
  }
  if (Status s = conn.exec("CHECKPOINT"); !s.ok()) return conn.last_sqlstate() == "42501";
  return true;
}

StoreStats PgStore::stats() const {
  StoreStats stats;
  stats.erase_purges = erase_purges_.load();
  stats.erase_pending = erase_pending_.load();
  commits_.fill(stats);
  return stats;
}

Status PgStore::ensure_connected(Conn& conn) {
  if (conn.healthy()) return Status{};
  PARLEY_PG_TRY(conn.reconnect());
  return configure(conn);
}

Status PgStore::write(std::span<WriteOp* const> ops) {
  PARLEY_PG_TRY(ensure_connected(*writer_));
  batch_erased_ = false;
  Status status = write_batch(ops);
  if (!status.ok()) {
    // Statements queued for a transaction that failed would only fail in turn.
    writer_->discard_deferred();
    if (writer_->in_transaction()) (void)writer_->exec("ROLLBACK");
  }
  // Set only once COMMIT was sent: when its answer was lost the erase may have committed
  // (and a resent delete finds it done and erases nothing), so it is purged either way.
  if (batch_erased_) {
    {
      std::lock_guard lock(purge_mutex_);
      erase_pending_.store(true);
      if (!erase_due_) {
        erase_due_ = std::chrono::steady_clock::now() +
                     std::chrono::milliseconds(erase_purge_delay_ms_);
      }
    }
    purge_cv_.notify_one();
  }
  return status;
}

Result<int64_t> PgStore::begin_batch() {
  // The version lock: the meta row, locked until COMMIT. Every batch of every process
  // takes it before it assigns a version or a seq, so batches that take versions run one
  // at a time and commit in version order: a reader's snapshot that contains version V
  // contains every version below it (no in-flight hole), seq is last_seq + 1 of a row
  // nobody else can be writing, and the idempotency check sees every earlier send. The
  // statements after it run in READ COMMITTED, so they see everything committed before
  // the lock was granted. The savepoint comes after the lock: rolling back to it must
  // never release the lock.
  const std::string begin =
      "BEGIN; SELECT value FROM meta WHERE key = 'version' FOR UPDATE; SAVEPOINT op";
  auto locked = writer_->query_text(begin);
  if (!locked.ok() && !writer_->healthy()) {
    // The server ended the session while the connection sat idle (a restart, a failover):
    // nothing of this batch was done yet, so it is safe to connect again and retry.
    PARLEY_PG_TRY(ensure_connected(*writer_));
    locked = writer_->query_text(begin);
  }
  if (!locked.ok()) return locked.error();
  if (locked->empty()) return Error::make(Errc::kInternal, "meta has no 'version' row");
  return std::stoll(*locked);
}

Status PgStore::write_batch(std::span<WriteOp* const> ops) {
  PARLEY_PG_ASSIGN(int64_t version, begin_batch());
  const int64_t committed = version;

  // One clock reading per batch: everything in it commits together, at this time.
  const int64_t commit_time = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
  PgWriteTxn txn(*writer_, version, commit_time);
  for (size_t i = 0; i < ops.size(); ++i) {
    // Each op runs inside its own savepoint (WriteOp's contract); releasing one and taking
    // the next is one round trip. Once the transaction failed, the ops left still run
    // (every call is refused) so that each learns of the failure.
    const bool guarded = !txn.failed();
    const int64_t before = version;
    Status outcome;
    try {
      outcome = ops[i]->apply(txn);
    } catch (const std::exception& e) {
      txn.fail(Error::make(Errc::kInternal, std::string("write op threw: ") + e.what()));
    } catch (...) {
      txn.fail(Error::make(Errc::kInternal, "write op threw a non-standard exception"));
    }
    if (!guarded || txn.failed()) continue;
    if (!outcome.ok()) {
      // The versions it took were never seen by anyone: given back, so that what commits
      // stays gap-free. (exec sends whatever was deferred first, so the savepoint exists.)
      version = before;
      if (Status s = writer_->exec("ROLLBACK TO SAVEPOINT op"); !s.ok()) {
        txn.fail(s.error());
        continue;
      }
    }
    // Releasing this op's savepoint and taking the next op's travel with the next op's
    // first statement (or with COMMIT): no round trip of their own.
    writer_->defer("RELEASE SAVEPOINT op");
    if (i + 1 < ops.size()) writer_->defer("SAVEPOINT op");
  }
  if (txn.failed()) return txn.failure();
  // COMMIT of a failed transaction "succeeds" as a ROLLBACK: never let that pass as a
  // commit (an op that carried on after an error it was given would cause it). The
  // queued RELEASE of the last op goes in the same round trip as the COMMIT.
  if (PQtransactionStatus(writer_->handle()) == PQTRANS_INERROR) {
    return Error::make(Errc::kInternal, "write transaction aborted by an earlier error");
  }
  // COMMIT returns after the WAL flush (synchronous_commit); only then does the caller
  // acknowledge anything. If the connection drops during COMMIT the outcome is unknown
  // and reported as a failure: clients resend, and (sender, client_id) makes that safe.
  std::string finish;
  if (version != committed) {
    finish = "UPDATE meta SET value = " + std::to_string(version) + " WHERE key = 'version'; ";
  }
  finish += "COMMIT";
  if (ops.empty()) finish = "RELEASE SAVEPOINT op; " + finish;
  batch_erased_ = txn.erased();
  const auto started = CommitCounter::Clock::now();
  Status done = writer_->exec(finish);
  if (done.ok()) commits_.committed(started);
  return done;
}

std::unique_ptr<Conn> PgStore::checkout() {
  std::unique_lock lock(pool_mutex_);
  pool_cv_.wait(lock, [this] { return !idle_readers_.empty(); });
  std::unique_ptr<Conn> conn = std::move(idle_readers_.back());
  idle_readers_.pop_back();
  return conn;
}

void PgStore::checkin(std::unique_ptr<Conn> conn) {
  {
    std::lock_guard lock(pool_mutex_);
    idle_readers_.push_back(std::move(conn));
  }
  pool_cv_.notify_one();
}

}  // namespace pg

bool is_pg_uri(const std::string& store) {
  return store.rfind("postgresql://", 0) == 0 || store.rfind("postgres://", 0) == 0;
}

Result<std::unique_ptr<Store>> open_pg_store(const PgOptions& options) {
  auto opened = pg::PgStore::open(options);
  if (!opened.ok()) return opened.error();
  return std::unique_ptr<Store>(std::move(opened).value());
}

}  // namespace parley::store
