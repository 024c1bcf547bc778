// The PostgreSQL schema as numbered migrations, applied in order, each in its own
// transaction. The number applied is kept in schema_version (one row). Several parleyd
// processes may start against one fresh database at once: each migration takes a
// transaction-scoped advisory lock and re-reads the number under it, so exactly one
// process applies it and the others find nothing left to do.
#pragma once

#include "common/result.h"
#include "server/store/postgres/conn.h"

namespace parley::store::pg {

// The number of the newest migration this build knows.
int latest_schema_version();

// Applies every pending migration. Errors: kInternal naming the migration that failed,
// or when the database was migrated by a newer build.
Status migrate(Conn& conn);

}  // namespace parley::store::pg
