// An online, consistent copy of the embedded store's database file, taken with SQLite's
// backup API while the server keeps running (WAL mode: readers never block the writer).
#pragma once

#include <string>

#include "common/result.h"

namespace parley::store {

// Copies the database at `from` (opened read-only) into a new file `to`, which must not
// exist. The copy is one snapshot: everything committed before it began, nothing after.
// Errors: kInvalidArgument when `to` exists, kNotFound when `from` does not, kInternal.
Status backup_sqlite_database(const std::string& from, const std::string& to);

}  // namespace parley::store
