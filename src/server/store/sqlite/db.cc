#include "server/store/sqlite/db.h"

#include <mutex>
#include <utility>

namespace parley::store::sqlite {
namespace {

// Process-wide settings, before SQLite initialises itself (sqlite3_config refuses them
// afterwards, then SQLite's defaults stay and nothing else changes). Memory statistics
// off: with them on, every allocation and free of every connection takes one global
// mutex, which the writer hit several times per statement (about 6 % of its CPU in a
// flat-out send benchmark) and the readers contended for. Nothing here reads
// sqlite3_memory_used().
void configure_library() {
  static std::once_flag once;
  std::call_once(once, [] {
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    (void)sqlite3_initialize();
  });
}

}  // namespace

Error db_error(sqlite3* db, std::string_view what) {
  std::string message(what);
  message += ": ";
  message += db != nullptr ? sqlite3_errmsg(db) : "out of memory";
  return Error::make(Errc::kInternal, std::move(message));
}

Stmt::Stmt(sqlite3_stmt* stmt, bool* in_use, bool owned)
    : stmt_(stmt), in_use_(in_use), owned_(owned) {}

Stmt::Stmt(Stmt&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)),
      in_use_(std::exchange(other.in_use_, nullptr)),
      owned_(other.owned_),
      bind_rc_(other.bind_rc_) {}

Stmt::~Stmt() {
  if (stmt_ == nullptr) return;
  if (owned_) {
    sqlite3_finalize(stmt_);
    return;
  }
  // Resetting releases the statement's read/write locks so that COMMIT/ROLLBACK and
  // checkpoints are not held up by a cached statement left mid-iteration.
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  if (in_use_ != nullptr) *in_use_ = false;
}

void Stmt::bind(int index, int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, index, value);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
}

void Stmt::bind(int index, std::string_view value) {
  // SQLITE_TRANSIENT: the caller's buffer may not outlive the step.
  int rc = sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT,
                               SQLITE_UTF8);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
}

void Stmt::bind(int index, std::nullopt_t) {
  int rc = sqlite3_bind_null(stmt_, index);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
}

Result<bool> Stmt::step() {
  sqlite3* db = sqlite3_db_handle(stmt_);
  if (bind_rc_ != SQLITE_OK) {
    return Error::make(Errc::kInternal,
                       std::string("binding parameters: ") + sqlite3_errstr(bind_rc_));
  }
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return db_error(db, std::string("executing \"") + sqlite3_sql(stmt_) + "\"");
}

Status Stmt::run() {
  for (;;) {
    PARLEY_STORE_ASSIGN(bool row, step());
    if (!row) return Status{};
  }
}

std::string Stmt::text(int col) const {
  const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  if (data == nullptr) return {};
  return std::string(data, static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
}

Result<std::unique_ptr<Db>> Db::open(const std::string& path) {
  configure_library();
  sqlite3* raw = nullptr;
  // NOMUTEX: every connection is used by one thread at a time, so SQLite's own
  // per-connection mutex would only cost.
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  if (rc != SQLITE_OK) {
    Error error = db_error(raw, "opening " + path);
    sqlite3_close_v2(raw);
    return error;
  }
  sqlite3_extended_result_codes(raw, 1);
  return std::unique_ptr<Db>(new Db(raw));
}

Db::~Db() {
  for (auto& [sql, cached] : cache_) sqlite3_finalize(cached.stmt);
  sqlite3_close_v2(db_);
}

Result<Stmt> Db::prepare(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end() && !*it->second.in_use) {
    *it->second.in_use = true;
    return Stmt(it->second.stmt, it->second.in_use.get(), false);
  }
  // Statement texts are the code's own, a bounded set; the limit only guards against a text
  // built from data, which would otherwise be kept once per distinct value.
  const bool cache_it = it == cache_.end() && cache_.size() < kMaxCachedStatements;
  sqlite3_stmt* stmt = nullptr;
  unsigned prep_flags = cache_it ? SQLITE_PREPARE_PERSISTENT : 0;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), prep_flags, &stmt,
                              nullptr);
  if (rc != SQLITE_OK) {
    return db_error(db_, "preparing \"" + std::string(sql) + "\"");
  }
  if (!cache_it) return Stmt(stmt, nullptr, true);
  Cached cached{stmt, std::make_unique<bool>(true)};
  bool* in_use = cached.in_use.get();
  cache_.emplace(std::string(sql), std::move(cached));
  return Stmt(stmt, in_use, false);
}

Status Db::exec(const char* sql) {
  char* message = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return Status{};
  std::string text = std::string(sql) + ": " + (message != nullptr ? message : sqlite3_errstr(rc));
  sqlite3_free(message);
  return Error::make(Errc::kInternal, std::move(text));
}

Status Db::run(std::string_view sql) {
  PARLEY_STORE_ASSIGN(Stmt stmt, prepare(sql));
  return stmt.run();
}

Result<std::string> Db::query_text(const char* sql) {
  PARLEY_STORE_ASSIGN(Stmt stmt, prepare(sql));
  PARLEY_STORE_ASSIGN(bool row, stmt.step());
  if (!row) return std::string();
  return stmt.text(0);
}

}  // namespace parley::store::sqlite
