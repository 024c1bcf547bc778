// The PostgreSQL implementation of Store (store.h), for running several parleyd processes
// on one replicated database. One writer connection used only by write(), and a pool of
// reader connections for the reads. Several stores (in one process or many) may share one
// database: every write batch takes the version lock (docs/architecture.md, "PostgreSQL").
#pragma once

#include <memory>
#include <string>

#include "common/result.h"
#include "server/store/store.h"

namespace parley::store {

struct PgOptions {
  // A libpq connection URI or key=value string, e.g.
  // "postgresql://parley@db1:5432,db2:5432/parley?target_session_attrs=read-write".
  std::string uri;
  int reader_connections = 4;  // reads that may run at the same time (at least 1)
  // "Delete for everyone" clears a message's text and its search entry in its transaction,
  // but PostgreSQL keeps the old row version: as a dead tuple until VACUUM, and even after
  // it in the page's free space (VACUUM frees the space without overwriting it), as a key
  // in the GIN index (GIN never removes keys), and in the WAL. The purge, on a connection
  // of its own, runs VACUUM (FULL) on messages, which rewrites the table, its TOAST table
  // and its indexes into new files and deletes the old ones, then CHECKPOINT,
  // pg_switch_wal() and CHECKPOINT, which retire the WAL segments written before it (see
  // docs/architecture.md, "Erasure on PostgreSQL", for the server settings this assumes).
  // It runs erase_purge_delay_ms after the first erase not yet purged, so a burst of
  // deletions costs one purge; a failed purge (a lock not granted in time, the server
  // away) is retried every second. While the rewrite runs, statements on messages wait for
  // it: on a large database choose a longer delay.
  int erase_purge_delay_ms = 5000;
};

// True when `store` names a PostgreSQL database (postgresql:// or postgres://) rather than
// selecting the embedded store.
bool is_pg_uri(const std::string& store);

// Connects, applies pending migrations and opens the connections. Errors: kUnavailable
// when the server cannot be reached, kInternal when the schema cannot be migrated.
Result<std::unique_ptr<Store>> open_pg_store(const PgOptions& options);

}  // namespace parley::store
