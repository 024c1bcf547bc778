#include "server/store/test_stores.h"

#include "server/store/postgres/pg_store.h"
#include "server/store/postgres/test_postgres.h"
#include "server/store/sqlite/sqlite_store.h"

namespace parley::store::test {

Result<std::unique_ptr<Store>> TestStore::open(int reader_connections) {
  if (kind_ == "sqlite" || kind_ == "sqlite_flush_after") {
    SqliteOptions options{dir_.file("parley.db"), reader_connections, true};
    options.flush_after_commit = kind_ == "sqlite_flush_after";
    return open_sqlite_store(options);
  }
  if (kind_ != "postgres") return Error::make(Errc::kInternal, "no store kind " + kind_);
  if (pg_uri_.empty()) {
    auto server = TestPostgres::instance();
    if (!server.ok()) return server.error();
    auto uri = (*server)->create_database();
    if (!uri.ok()) return uri.error();
    pg_uri_ = *uri;
  }
  return open_pg_store(PgOptions{pg_uri_, reader_connections});
}

}  // namespace parley::store::test
