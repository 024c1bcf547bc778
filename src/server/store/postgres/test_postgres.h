// A real PostgreSQL 15 for tests: one server per test process, started on first use and
// stopped at exit, and a fresh database per caller.
//
// When PARLEY_TEST_PG_URI is set (scripts/test.sh starts one server for the whole run),
// that server is used. Otherwise initdb creates a cluster in a temporary directory and
// pg_ctl starts it on a free port (binaries from PARLEY_PG_BIN, default
// /usr/lib/postgresql/15/bin). PostgreSQL refuses to run as root: when the process is
// root, the server runs as the user "postgres" (runuser). The test server runs with
// fsync off: durability is not what these tests measure, and the machine is shared.
#pragma once

#include <string>

#include "common/result.h"

namespace parley::store::test {

class TestPostgres {
 public:
  // The process-wide server, started on first call. Errors: kUnavailable with the reason
  // (no PostgreSQL installed, initdb or pg_ctl failed; their log is in the message).
  static Result<TestPostgres*> instance();

  // Creates an empty database with a unique name and returns its URI.
  Result<std::string> create_database();

  // The URI of the server's "postgres" database (for administration).
  const std::string& admin_uri() const { return admin_uri_; }

  ~TestPostgres();

 private:
  TestPostgres() = default;
  Status start();

  std::string admin_uri_;
  std::string base_uri_;  // without the database name
  std::string dir_;       // empty when an outside server is used
  std::string bin_;
  std::string run_as_;  // "runuser -u postgres -- " when root
};

}  // namespace parley::store::test
