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
};

// True when `store` names a PostgreSQL database (postgresql:// or postgres://) rather than
// selecting the embedded store.
bool is_pg_uri(const std::string& store);

// Connects, applies pending migrations and opens the connections. Errors: kUnavailable
// when the server cannot be reached, kInternal when the schema cannot be migrated.
Result<std::unique_ptr<Store>> open_pg_store(const PgOptions& options);

}  // namespace parley::store
