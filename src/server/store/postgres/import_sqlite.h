// `parleyd migrate --from DATA_DIR --to postgresql://...`: copies an embedded installation
// (DATA_DIR/parley.db) into a PostgreSQL database, then verifies the copy.
//
// The target must be empty (freshly migrated) or hold an unfinished import of the same
// kind: the import is resumable. Tables are copied in foreign-key order, in chunks of
// rows in key order, each chunk one transaction that skips rows already there, so an
// interrupted run continues where it stopped. Seqs, versions, ids and times are copied as
// they are; identity sequences and the store-wide version are set past the copied values,
// and the search words are computed on the way. The source must not be written meanwhile
// (stop the embedded parleyd first). Photo blobs stay where they are (DATA_DIR/media).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/result.h"

namespace parley::store {

struct TableReport {
  std::string table;
  int64_t source_rows = 0;
  int64_t target_rows = 0;
  std::string source_checksum;  // over every row in key order, as text (SHA-256, hex)
  std::string target_checksum;
  bool matches() const { return source_rows == target_rows && source_checksum == target_checksum; }
};

struct ImportReport {
  std::vector<TableReport> tables;
  bool verified() const {
    for (const auto& t : tables)
      if (!t.matches()) return false;
    return !tables.empty();
  }
};

// Copies and verifies; `progress` receives a line per table copied. Errors: kInvalidArgument
// (no database in data_dir, a schema version this build does not know, a target that is
// not empty and holds no unfinished import), kUnavailable (cannot connect), kInternal.
// A finished copy whose verification fails is not an error: the report says so.
Result<ImportReport> import_sqlite(const std::string& data_dir, const std::string& pg_uri,
                                   const std::function<void(const std::string&)>& progress);

}  // namespace parley::store
