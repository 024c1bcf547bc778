// Stores for tests that run against every implementation: "sqlite" (a file in a
// throw-away directory), "sqlite_flush_after" (the same, its WAL flushed after COMMIT:
// SqliteOptions::flush_after_commit) or "postgres" (a fresh database on the test PostgreSQL,
// postgres/test_postgres.h). open() may be called again to reopen the same data, as a
// restart would.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "server/store/store.h"
#include "server/store/store_test_support.h"

namespace parley::store::test {

// The store kinds every parameterised test runs against.
inline std::vector<std::string> store_kinds() { return {"sqlite", "sqlite_flush_after", "postgres"}; }

class TestStore {
 public:
  explicit TestStore(std::string kind) : kind_(std::move(kind)) {}

  // Opens (or reopens) the store. Errors: whatever opening the store reports, or
  // kUnavailable when the test PostgreSQL cannot be started.
  Result<std::unique_ptr<Store>> open(int reader_connections = 2);

  const std::string& kind() const { return kind_; }

 private:
  std::string kind_;
  TempDir dir_;
  std::string pg_uri_;  // set by the first open() of a "postgres" store
};

}  // namespace parley::store::test
