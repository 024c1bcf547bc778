// The embedded SQLite implementation of Store (store.h): one file, WAL journal, one writer
// connection used only by write() and a small pool of reader connections for the reads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/result.h"
#include "server/store/store.h"

namespace parley::store {

struct SqliteOptions {
  std::string path;                // the database file; created when absent
  int reader_connections = 4;      // readers that may run at the same time (at least 1)
  bool synchronous_full = true;    // every commit durable before anything of it is seen;
                                   // false trades the last commits before a power loss for
                                   // speed (never for tests of it)
  // With synchronous_full: the WAL is flushed after COMMIT rather than inside it, so the
  // next batch is applied during the flush (wal_flush.h); the committer's finisher flushes
  // before acking, and a read waits for the flush of the commits its snapshot holds that it
  // could show (the default; the server's --sqlite-flush-after-commit). false: COMMIT
  // flushes (synchronous=FULL) and the writer waits for it.
  bool flush_after_commit = true;
  int busy_timeout_ms = 5000;      // how long to wait for another process holding the lock
  // WAL checkpoints run on a background thread with its own connection, never inside a
  // commit: a PASSIVE checkpoint once the WAL holds checkpoint_pages pages. When the WAL
  // passes wal_limit_bytes anyway (commits outran the background copy, or readers kept it
  // from finishing), the next write() first runs a RESTART checkpoint, which waits for
  // readers on old frames, and then writes the WAL from its start: the WAL stays bounded.
  // The file is not truncated (rewriting its pages is cheaper than growing it again) but
  // cut back to wal_limit_bytes if it grew past it. A page rewritten by many commits is
  // copied once per checkpoint, so a longer WAL copies less: 4,000 pages (16 MB) and a
  // 64 MB limit lowered a send's latency at 5,500 msgs/s against 1,000 and 16 MB
  // (bench/RESULTS.md).
  int checkpoint_pages = 4000;
  int64_t wal_limit_bytes = 64 << 20;
  // "Delete for everyone" erases a message's text in its transaction, and the database runs
  // with secure_delete, so the old bytes are overwritten, not just freed. Two traces remain
  // until a purge: the search index's older segments (FTS5 deletes by tombstone) and WAL
  // frames written before the erase. The purge, on the checkpointer's connection, merges
  // the index into one segment ('optimize', which rewrites it without the erased rows) and
  // then truncates the WAL. It runs erase_purge_delay_ms after the first erase not yet
  // purged, so a burst of deletions costs one purge; a failed truncation (long readers)
  // is retried every second.
  int erase_purge_delay_ms = 5000;
};

// Opens the store, creating the file if absent and applying pending migrations.
// Errors: kInternal when the file cannot be opened or migrated (the message says why).
Result<std::unique_ptr<Store>> open_sqlite_store(const SqliteOptions& options);

}  // namespace parley::store
