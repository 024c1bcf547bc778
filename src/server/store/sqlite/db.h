// A thin RAII layer over the SQLite C API: one connection (Db) with a per-connection cache
// of prepared statements, and a statement handle (Stmt) that binds parameters, steps rows
// and resets itself when it goes out of scope. Internal to the sqlite store.
//
// A Db is used by one thread at a time (the store hands connections out exclusively).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "server/store/collect_page.h"

// Propagates the error of a Status or Result expression out of the enclosing function.
#define PARLEY_STORE_CONCAT_INNER(a, b) a##b
#define PARLEY_STORE_CONCAT(a, b) PARLEY_STORE_CONCAT_INNER(a, b)
#define PARLEY_STORE_TRY(expr)                          \
  do {                                                  \
    auto&& parley_store_try_ = (expr);                  \
    if (!parley_store_try_.ok()) return parley_store_try_.error(); \
  } while (0)
// Declares `decl` initialised from the value of a Result expression, or returns its error.
#define PARLEY_STORE_ASSIGN(decl, expr) \
  PARLEY_STORE_ASSIGN_IMPL(PARLEY_STORE_CONCAT(parley_store_r_, __LINE__), decl, expr)
#define PARLEY_STORE_ASSIGN_IMPL(tmp, decl, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.error();              \
  decl = std::move(tmp).value()

namespace parley::store::sqlite {

// kInternal carrying SQLite's own description of what went wrong.
Error db_error(sqlite3* db, std::string_view what);

class Stmt {
 public:
  // `owned` statements are finalized on destruction; cached ones are reset and returned.
  Stmt(sqlite3_stmt* stmt, bool* in_use, bool owned);
  Stmt(Stmt&& other) noexcept;
  Stmt& operator=(Stmt&&) = delete;
  Stmt(const Stmt&) = delete;
  ~Stmt();

  // Binds parameters 1..N in order. Binding errors surface at step().
  template <class... Args>
  Stmt& bind_all(const Args&... args) {
    int index = 0;
    (bind(++index, args), ...);
    return *this;
  }
  void bind(int index, int64_t value);
  void bind(int index, int value) { bind(index, static_cast<int64_t>(value)); }
  void bind(int index, std::string_view value);
  void bind(int index, const std::string& value) { bind(index, std::string_view(value)); }
  void bind(int index, const char* value) { bind(index, std::string_view(value)); }
  void bind(int index, std::nullopt_t);

  // true: a row is available; false: the statement is done.
  Result<bool> step();
  // Runs a statement that returns no rows (or whose rows are irrelevant).
  Status run();

  int64_t i64(int col) const { return sqlite3_column_int64(stmt_, col); }
  double f64(int col) const { return sqlite3_column_double(stmt_, col); }
  bool is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::string text(int col) const;

 private:
  sqlite3_stmt* stmt_;
  bool* in_use_;
  bool owned_;
  int bind_rc_ = SQLITE_OK;
};

// Every remaining row of `stmt` (already bound), each made into a value by `read(stmt)`.
template <class Read>
auto collect_rows(Stmt& stmt, Read read) -> Result<std::vector<std::invoke_result_t<Read&, const Stmt&>>> {
  std::vector<std::invoke_result_t<Read&, const Stmt&>> out;
  for (;;) {
    Result<bool> row = stmt.step();
    if (!row) return row.error();
    if (!*row) return out;
    out.push_back(read(static_cast<const Stmt&>(stmt)));
  }
}

class Db {
 public:
  // Opens (creating if absent) the database file in multi-thread mode.
  static Result<std::unique_ptr<Db>> open(const std::string& path);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // A prepared statement for `sql`, from the cache when possible. A statement already in
  // use (nested use of the same SQL) gets a fresh, uncached copy, and so does any new text
  // once kMaxCachedStatements are cached. Build texts from code, never from data: values go
  // in parameters.
  Result<Stmt> prepare(std::string_view sql);
  static constexpr std::size_t kMaxCachedStatements = 512;
  std::size_t cached_statements() const { return cache_.size(); }
  // Executes one or more statements without caching (pragmas, DDL).
  Status exec(const char* sql);
  // Runs one statement through the cache (BEGIN/COMMIT on hot paths).
  Status run(std::string_view sql);
  // The first column of the first row of `sql` as text ("" when there is no row).
  Result<std::string> query_text(const char* sql);

  bool in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }
  int64_t changes() const { return sqlite3_changes64(db_); }
  int64_t last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
  sqlite3* handle() const { return db_; }

 private:
  explicit Db(sqlite3* db) : db_(db) {}

  struct Cached {
    sqlite3_stmt* stmt = nullptr;
    std::unique_ptr<bool> in_use;  // stable address shared with the Stmt handle
  };
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  sqlite3* db_;
  std::unordered_map<std::string, Cached, Hash, std::equal_to<>> cache_;
};

}  // namespace parley::store::sqlite
