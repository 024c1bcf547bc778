// A thin RAII layer over libpq: one connection (Conn) with a per-connection cache of
// server-side prepared statements, and a statement handle (Stmt) that binds parameters,
// runs once and walks the rows it returned. Internal to the PostgreSQL store.
//
// SQL is written with SQLite-style placeholders ("?" and "?N"), rewritten to $N once per
// statement, so the queries read like the embedded store's. Parameters and results travel
// in text format; a boolean result reads as 1/0 through i64().
//
// A Conn is used by one thread at a time (the store hands connections out exclusively).
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "server/store/collect_page.h"

// Propagates the error of a Status or Result expression out of the enclosing function.
#define PARLEY_PG_CONCAT_INNER(a, b) a##b
#define PARLEY_PG_CONCAT(a, b) PARLEY_PG_CONCAT_INNER(a, b)
#define PARLEY_PG_TRY(expr)                                  \
  do {                                                       \
    auto&& parley_pg_try_ = (expr);                          \
    if (!parley_pg_try_.ok()) return parley_pg_try_.error(); \
  } while (0)
// Declares `decl` initialised from the value of a Result expression, or returns its error.
#define PARLEY_PG_ASSIGN(decl, expr) \
  PARLEY_PG_ASSIGN_IMPL(PARLEY_PG_CONCAT(parley_pg_r_, __LINE__), decl, expr)
#define PARLEY_PG_ASSIGN_IMPL(tmp, decl, expr) \
  auto tmp = (expr);                           \
  if (!tmp.ok()) return tmp.error();           \
  decl = std::move(tmp).value()

namespace parley::store::pg {

class Conn;

// "?" and "?N" placeholders rewritten to "$N" (a bare "?" takes one more than the largest
// number so far, as in SQLite); everything inside quotes is left alone.
std::string rewrite_placeholders(std::string_view sql);

class Stmt {
 public:
  Stmt(Conn& conn, const std::string& name, int params);
  Stmt(Stmt&&) noexcept = default;
  Stmt& operator=(Stmt&&) = delete;

  // Binds parameters 1..N in order. A binding error (a NUL byte in text) surfaces at step().
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

  // Runs the statement on the first call; true while a row is available. Errors:
  // kInvalidArgument for data the server refused as malformed (SQLSTATE class 22),
  // kInternal for anything else.
  Result<bool> step();
  // Runs a statement whose rows (if any) are irrelevant.
  Status run();
  // Rows changed by the statement (INSERT/UPDATE/DELETE), after run() or step().
  int64_t changes() const { return changes_; }

  int64_t i64(int col) const;
  double f64(int col) const;
  bool is_null(int col) const;
  std::string text(int col) const;

 private:
  struct ResultDeleter {
    void operator()(PGresult* r) const { PQclear(r); }
  };
  Status execute();

  Conn* conn_;
  const std::string* name_;
  std::vector<std::optional<std::string>> params_;
  std::unique_ptr<PGresult, ResultDeleter> result_;
  int row_ = -1;
  int rows_ = 0;
  int64_t changes_ = 0;
  bool executed_ = false;
  bool bind_failed_ = false;
};

class Conn {
 public:
  // Connects with a libpq connection string or URI. Errors: kUnavailable (with libpq's
  // reason) when the server cannot be reached or refuses the login.
  static Result<std::unique_ptr<Conn>> open(const std::string& uri);
  ~Conn();
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  // A statement for `sql`, prepared on the server the first time this connection sees it
  // and kept as long as the connection: build texts from code, never from data (values go
  // in parameters), or every distinct value is one more statement on the server.
  Result<Stmt> prepare(std::string_view sql);
  // Queues a statement without parameters (SAVEPOINT, RELEASE) to be sent with the next
  // prepared statement in one round trip (libpq's pipeline mode), or by the next exec(),
  // query_text(), exec_params() or flush_deferred(), whichever comes first. Its failure is
  // reported by that call; the statement sent with it then fails too.
  void defer(std::string sql) { deferred_.push_back(std::move(sql)); }
  // Runs the queued statements now (one round trip; none queued: no round trip).
  Status flush_deferred();
  // Forgets the queued statements (their transaction failed and is being rolled back).
  void discard_deferred() { deferred_.clear(); }
  // Runs one or more statements without parameters or preparation (DDL, BEGIN, COMMIT),
  // after the deferred ones, in the same round trip.
  Status exec(const std::string& sql);
  // Runs one statement with parameters ("$N" placeholders; nullopt is NULL) without
  // preparing it, for statements whose text changes from call to call.
  Status exec_params(const std::string& sql, const std::vector<std::optional<std::string>>& params);
  // The first column of the first row `sql` returns ("" when there is no row). `sql` may
  // hold several statements (one round trip); the first that returns rows answers, and
  // the first failure is the result.
  Result<std::string> query_text(const std::string& sql);

  // True inside a transaction block, also a failed one.
  bool in_transaction() const;
  // False once the connection to the server is lost; the store then calls reconnect().
  bool healthy() const { return PQstatus(conn_) == CONNECTION_OK; }
  // Connects again with the same parameters (with several hosts in the URI, to whichever
  // answers as asked: a promoted standby after a failover). Prepared statements are
  // forgotten. Errors: kUnavailable.
  Status reconnect();
  // The SQLSTATE of the last failed command ("" after a success).
  const std::string& last_sqlstate() const { return last_sqlstate_; }
  PGconn* handle() const { return conn_; }

 private:
  friend class Stmt;
  explicit Conn(PGconn* conn) : conn_(conn) {}
  // Turns a finished command's result into a Status, remembering its SQLSTATE.
  Status check(PGresult* result, std::string_view what);
  // Sends the deferred statements and then the prepared statement `name` in one pipeline;
  // the statement's result (null when the pipeline failed before it).
  Result<PGresult*> execute_pipelined(const std::string& name,
                                      const std::vector<const char*>& values);

  struct Prepared {
    std::string name;
    int params = 0;
  };
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  PGconn* conn_;
  std::unordered_map<std::string, Prepared, Hash, std::equal_to<>> prepared_;
  std::vector<std::string> deferred_;  // see defer()
  std::string last_sqlstate_;
};

}  // namespace parley::store::pg
