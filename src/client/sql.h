// A prepared SQLite statement with typed binding and reading; finalised on destruction.
// Errors of sqlite3 calls come back as values (kInternal with SQLite's message).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <sqlite3.h>

#include "common/result.h"

namespace parley::client {

class Stmt {
 public:
  Stmt(sqlite3* db, std::string_view sql);
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  // Binds parameters 1, 2, ... in order.
  Stmt& bind(int64_t v) { sqlite3_bind_int64(stmt_, ++next_, v); return *this; }
  Stmt& bind(std::string_view v) {
    // An empty view may have no data pointer, which SQLite would bind as NULL: bind "".
    sqlite3_bind_text(stmt_, ++next_, v.data() ? v.data() : "", static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& bind_blob(std::string_view v) {
    sqlite3_bind_blob(stmt_, ++next_, v.data() ? v.data() : "", static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  // True while a row is available; false at the end or on error (see status()).
  bool step();
  // Runs the statement to completion.
  Status run();
  Status status() const { return status_; }

  int64_t i(int col) const { return sqlite3_column_int64(stmt_, col); }
  // Text, or a blob's bytes.
  std::string s(int col) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, col))) : std::string();
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  int next_ = 0;
  Status status_;
};

// Runs `sql` (one or more statements, no parameters).
Status exec(sqlite3* db, std::string_view sql);

}  // namespace parley::client
