// The embedded SQLite implementation of Store (store.h): one file, WAL journal, one writer
// connection used only by write() and a small pool of reader connections for the reads.
#pragma once

#include <memory>
#include <string>

#include "common/result.h"
#include "server/store/store.h"

namespace parley::store {

struct SqliteOptions {
  std::string path;                // the database file; created when absent
  int reader_connections = 4;      // readers that may run at the same time (at least 1)
  bool synchronous_full = true;    // fsync at every commit; false trades the last commits
                                   // before a power loss for speed (never for tests of it)
  int busy_timeout_ms = 5000;      // how long to wait for another process holding the lock
};

// Opens the store, creating the file if absent and applying pending migrations.
// Errors: kInternal when the file cannot be opened or migrated (the message says why).
Result<std::unique_ptr<Store>> open_sqlite_store(const SqliteOptions& options);

}  // namespace parley::store
