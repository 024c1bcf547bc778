// Schema migrations of the SQLite store: a linear list, numbered from 1, recorded in
// PRAGMA user_version. Each migration runs in its own transaction, so a crash leaves the
// database at the previous number and the next open resumes.
#pragma once

#include "common/result.h"
#include "server/store/sqlite/db.h"

namespace parley::store::sqlite {

// The number of the newest migration this build knows.
int latest_schema_version();

// Brings the database up to latest_schema_version(). A database whose user_version is
// newer than this build is refused (kInternal) rather than misread.
Status migrate(Db& db);

// Brings the database up to schema version `target` only (tests build old databases with
// it to check that later migrations keep their data).
Status migrate_to(Db& db, int target);

}  // namespace parley::store::sqlite
