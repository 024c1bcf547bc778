#include "server/store/postgres/conn.h"

#include <cstdlib>
#include <utility>

namespace parley::store::pg {

std::string rewrite_placeholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int highest = 0;
  char quote = 0;
  for (size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (quote != 0) {
      out += c;
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      out += c;
      continue;
    }
    if (c != '?') {
      out += c;
      continue;
    }
    size_t j = i + 1;
    int number = 0;
    while (j < sql.size() && sql[j] >= '0' && sql[j] <= '9')
      number = number * 10 + (sql[j++] - '0');
    if (j == i + 1) number = highest + 1;
    if (number > highest) highest = number;
    out += '$';
    out += std::to_string(number);
    i = j - 1;
  }
  return out;
}

// ---- Stmt ---------------------------------------------------------------------------

Stmt::Stmt(Conn& conn, const std::string& name, int params)
    : conn_(&conn), name_(&name), params_(static_cast<size_t>(params)) {}

void Stmt::bind(int index, int64_t value) {
  if (index >= 1 && index <= static_cast<int>(params_.size())) {
    params_[index - 1] = std::to_string(value);
  }
}

void Stmt::bind(int index, std::string_view value) {
  // libpq passes text parameters as C strings: a NUL would silently cut the value short.
  if (value.find('\0') != std::string_view::npos) bind_failed_ = true;
  if (index >= 1 && index <= static_cast<int>(params_.size())) {
    params_[index - 1] = std::string(value);
  }
}

void Stmt::bind(int index, std::nullopt_t) {
  if (index >= 1 && index <= static_cast<int>(params_.size())) params_[index - 1].reset();
}

Status Stmt::execute() {
  executed_ = true;
  if (bind_failed_) return Error::make(Errc::kInvalidArgument, "text contains a NUL byte");
  std::vector<const char*> values(params_.size());
  for (size_t i = 0; i < params_.size(); ++i) {
    values[i] = params_[i] ? params_[i]->c_str() : nullptr;
  }
  PGresult* raw = nullptr;
  if (conn_->deferred_.empty()) {
    raw = PQexecPrepared(conn_->conn_, name_->c_str(), static_cast<int>(values.size()),
                         values.data(), nullptr, nullptr, 0);
  } else {
    PARLEY_PG_ASSIGN(raw, conn_->execute_pipelined(*name_, values));
  }
  result_.reset(raw);
  PARLEY_PG_TRY(conn_->check(raw, *name_));
  rows_ = PQntuples(raw);
  const char* affected = PQcmdTuples(raw);
  changes_ = (affected != nullptr && *affected != '\0') ? std::strtoll(affected, nullptr, 10) : 0;
  return Status{};
}

Result<bool> Stmt::step() {
  if (!executed_) PARLEY_PG_TRY(execute());
  if (!result_) return false;
  ++row_;
  return row_ < rows_;
}

Status Stmt::run() {
  if (!executed_) return execute();
  return Status{};
}

bool Stmt::is_null(int col) const { return PQgetisnull(result_.get(), row_, col) != 0; }

int64_t Stmt::i64(int col) const {
  const char* v = PQgetvalue(result_.get(), row_, col);
  if (v == nullptr || *v == '\0') return 0;
  if (*v == 't') return 1;
  if (*v == 'f') return 0;
  return std::strtoll(v, nullptr, 10);
}

double Stmt::f64(int col) const {
  const char* v = PQgetvalue(result_.get(), row_, col);
  return v == nullptr ? 0 : std::strtod(v, nullptr);
}

std::string Stmt::text(int col) const {
  if (is_null(col)) return {};
  return std::string(PQgetvalue(result_.get(), row_, col),
                     static_cast<size_t>(PQgetlength(result_.get(), row_, col)));
}

// ---- Conn ---------------------------------------------------------------------------

Result<std::unique_ptr<Conn>> Conn::open(const std::string& uri) {
  PGconn* raw = PQconnectdb(uri.c_str());
  if (raw == nullptr) return Error::make(Errc::kUnavailable, "libpq: out of memory");
  if (PQstatus(raw) != CONNECTION_OK) {
    std::string reason = PQerrorMessage(raw);
    while (!reason.empty() && (reason.back() == '\n' || reason.back() == ' ')) reason.pop_back();
    PQfinish(raw);
    return Error::make(Errc::kUnavailable, "connecting to PostgreSQL: " + reason);
  }
  return std::unique_ptr<Conn>(new Conn(raw));
}

Conn::~Conn() { PQfinish(conn_); }

Status Conn::reconnect() {
  prepared_.clear();
  PQreset(conn_);
  if (PQstatus(conn_) == CONNECTION_OK) return Status{};
  std::string reason = PQerrorMessage(conn_);
  while (!reason.empty() && (reason.back() == '\n' || reason.back() == ' ')) reason.pop_back();
  return Error::make(Errc::kUnavailable, "reconnecting to PostgreSQL: " + reason);
}

Status Conn::check(PGresult* result, std::string_view what) {
  const ExecStatusType status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
    last_sqlstate_.clear();
    return Status{};
  }
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  last_sqlstate_ = state ? state : "";
  std::string message = result ? PQresultErrorMessage(result) : PQerrorMessage(conn_);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  // Class 22 (data exception): the server refused a value as malformed, e.g. text that is
  // not valid UTF-8. That is the caller's input, not a storage failure.
  const Errc code = last_sqlstate_.rfind("22", 0) == 0 ? Errc::kInvalidArgument : Errc::kInternal;
  return Error::make(code, std::string(what) + ": " + message);
}

Result<Stmt> Conn::prepare(std::string_view sql) {
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    Prepared entry;
    entry.name = "p" + std::to_string(prepared_.size() + 1);
    const std::string text = rewrite_placeholders(sql);
    std::unique_ptr<PGresult, void (*)(PGresult*)> made(
        PQprepare(conn_, entry.name.c_str(), text.c_str(), 0, nullptr), PQclear);
    PARLEY_PG_TRY(check(made.get(), "preparing \"" + text + "\""));
    std::unique_ptr<PGresult, void (*)(PGresult*)> described(
        PQdescribePrepared(conn_, entry.name.c_str()), PQclear);
    PARLEY_PG_TRY(check(described.get(), "describing \"" + text + "\""));
    entry.params = PQnparams(described.get());
    it = prepared_.emplace(std::string(sql), std::move(entry)).first;
  }
  return Stmt(*this, it->second.name, it->second.params);
}

Status Conn::flush_deferred() {
  if (deferred_.empty()) return Status{};
  std::string sql;
  for (const std::string& statement : deferred_) sql += statement + "; ";
  deferred_.clear();
  std::unique_ptr<PGresult, void (*)(PGresult*)> result(PQexec(conn_, sql.c_str()), PQclear);
  return check(result.get(), sql);
}

Result<PGresult*> Conn::execute_pipelined(const std::string& name,
                                          const std::vector<const char*>& values) {
  std::vector<std::string> ahead = std::move(deferred_);
  deferred_.clear();
  if (PQenterPipelineMode(conn_) != 1) {
    return Error::make(Errc::kInternal, std::string("pipeline mode: ") + PQerrorMessage(conn_));
  }
  bool sent = true;
  for (const std::string& statement : ahead) {
    sent = sent && PQsendQueryParams(conn_, statement.c_str(), 0, nullptr, nullptr, nullptr,
                                     nullptr, 0) == 1;
  }
  sent = sent && PQsendQueryPrepared(conn_, name.c_str(), static_cast<int>(values.size()),
                                     values.data(), nullptr, nullptr, 0) == 1;
  sent = sent && PQpipelineSync(conn_) == 1;
  // Every result is read, up to the sync, whatever failed: the connection must leave
  // pipeline mode clean. One result per query, each followed by a null; then the sync.
  Status status = sent ? Status{}
                       : Error::make(Errc::kInternal,
                                     std::string("sending a pipeline: ") + PQerrorMessage(conn_));
  PGresult* statement_result = nullptr;
  for (size_t query = 0; query <= ahead.size(); ++query) {
    PGresult* first = nullptr;
    while (PGresult* raw = PQgetResult(conn_)) {
      if (first == nullptr) {
        first = raw;
      } else {
        PQclear(raw);
      }
    }
    const bool is_statement = query == ahead.size();
    if (status.ok() && PQresultStatus(first) != PGRES_PIPELINE_ABORTED) {
      Status checked = check(first, is_statement ? name : ahead[query]);
      if (!checked.ok() && !is_statement) status = checked;
    }
    if (is_statement && status.ok()) {
      statement_result = first;
    } else {
      PQclear(first);
    }
  }
  while (PGresult* raw = PQgetResult(conn_)) {
    const bool sync = PQresultStatus(raw) == PGRES_PIPELINE_SYNC;
    PQclear(raw);
    if (sync) break;
  }
  if (PQexitPipelineMode(conn_) != 1 && status.ok()) {
    status = Error::make(Errc::kInternal,
                         std::string("leaving pipeline mode: ") + PQerrorMessage(conn_));
  }
  if (!status.ok()) {
    PQclear(statement_result);
    return status.error();
  }
  return statement_result;
}

Status Conn::exec(const std::string& sql) {
  if (!deferred_.empty()) {
    // One simple-protocol message: the deferred statements, then `sql`; the first failure
    // stops the rest and is what PQexec reports.
    std::string all;
    for (const std::string& statement : deferred_) all += statement + "; ";
    deferred_.clear();
    return exec(all + sql);
  }
  std::unique_ptr<PGresult, void (*)(PGresult*)> result(PQexec(conn_, sql.c_str()), PQclear);
  return check(result.get(), sql.size() > 80 ? sql.substr(0, 80) + "..." : sql);
}

Status Conn::exec_params(const std::string& sql,
                         const std::vector<std::optional<std::string>>& params) {
  PARLEY_PG_TRY(flush_deferred());
  std::vector<const char*> values(params.size());
  for (size_t i = 0; i < params.size(); ++i) values[i] = params[i] ? params[i]->c_str() : nullptr;
  std::unique_ptr<PGresult, void (*)(PGresult*)> result(
      PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                   nullptr, nullptr, 0),
      PQclear);
  return check(result.get(), sql.size() > 80 ? sql.substr(0, 80) + "..." : sql);
}

Result<std::string> Conn::query_text(const std::string& sql) {
  PARLEY_PG_TRY(flush_deferred());
  if (PQsendQuery(conn_, sql.c_str()) == 0) {
    return Error::make(Errc::kInternal, std::string("sending query: ") + PQerrorMessage(conn_));
  }
  std::optional<std::string> value;
  Status status;
  // Every result must be read before the connection takes the next command.
  while (PGresult* raw = PQgetResult(conn_)) {
    std::unique_ptr<PGresult, void (*)(PGresult*)> result(raw, PQclear);
    if (!status.ok()) continue;
    status = check(raw, sql.size() > 80 ? sql.substr(0, 80) + "..." : sql);
    if (status.ok() && !value && PQresultStatus(raw) == PGRES_TUPLES_OK) {
      value = PQntuples(raw) > 0 && PQnfields(raw) > 0 ? std::string(PQgetvalue(raw, 0, 0))
                                                       : std::string();
    }
  }
  if (!status.ok()) return status.error();
  return value.value_or(std::string());
}

bool Conn::in_transaction() const {
  const PGTransactionStatusType status = PQtransactionStatus(conn_);
  return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE;
}

}  // namespace parley::store::pg
