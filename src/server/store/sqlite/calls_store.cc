// The calls of the SQLite store (docs/protocol.md, "Calls"): every state change is one
// conditional UPDATE, so the first of two racing changes wins and the other changes nothing.
#include <string>
#include <utility>
#include <vector>

#include "server/store/sqlite/rows.h"
#include "server/store/sqlite/sqlite_store_impl.h"
#include "server/store/sqlite/write_txn.h"

namespace parley::store::sqlite {
namespace {

#define PARLEY_STORE_CALL_COLUMNS                                                          \
  "id, conversation_id, caller_id, callee_id, media, state, started_at, answered_at,"     \
  " ended_at, end_reason, caller_session, callee_session, withheld, offer_sdp"

CallRecord read_call(const Stmt& stmt) {
  CallRecord c;
  c.id = stmt.text(0);
  c.conversation_id = stmt.i64(1);
  c.caller_id = stmt.i64(2);
  c.callee_id = stmt.i64(3);
  c.media = stmt.text(4);
  c.state = stmt.text(5);
  c.started_at = stmt.i64(6);
  if (!stmt.is_null(7)) c.answered_at = stmt.i64(7);
  if (!stmt.is_null(8)) c.ended_at = stmt.i64(8);
  c.end_reason = stmt.text(9);
  c.caller_session = stmt.i64(10);
  c.callee_session = stmt.i64(11);
  c.withheld = stmt.i64(12) != 0;
  c.offer_sdp = stmt.text(13);
  return c;
}

Result<std::optional<CallRecord>> one_call(Db& db, std::string_view call_id) {
  PARLEY_STORE_ASSIGN(Stmt stmt, db.prepare("SELECT " PARLEY_STORE_CALL_COLUMNS " FROM calls WHERE id = ?"));
  stmt.bind_all(call_id);
  PARLEY_STORE_ASSIGN(bool row, stmt.step());
  if (!row) return std::optional<CallRecord>();
  return std::optional<CallRecord>(read_call(stmt));
}

Result<std::vector<CallRecord>> all_calls(Stmt& stmt) {
  std::vector<CallRecord> out;
  for (;;) {
    PARLEY_STORE_ASSIGN(bool row, stmt.step());
    if (!row) break;
    out.push_back(read_call(stmt));
  }
  return out;
}

}  // namespace

Status SqliteWriteTxn::insert_call(const CallRecord& c) {
  if (failed()) return failed_error();
  auto run = [&]() -> Status {
    PARLEY_STORE_ASSIGN(auto existing, one_call(db_, c.id));
    if (existing) return Error::make(Errc::kInvalidArgument, "call id taken");
    PARLEY_STORE_ASSIGN(Stmt ins, db_.prepare("INSERT INTO calls (" PARLEY_STORE_CALL_COLUMNS
                                              ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    ins.bind_all(c.id, c.conversation_id, c.caller_id, c.callee_id, c.media, c.state, c.started_at);
    if (c.answered_at) ins.bind(8, *c.answered_at); else ins.bind(8, std::nullopt);
    if (c.ended_at) ins.bind(9, *c.ended_at); else ins.bind(9, std::nullopt);
    ins.bind(10, c.end_reason);
    ins.bind(11, c.caller_session);
    ins.bind(12, c.callee_session);
    ins.bind(13, int64_t{c.withheld ? 1 : 0});
    ins.bind(14, c.offer_sdp);
    PARLEY_STORE_TRY(ins.run());
    return {};
  };
  return guard(run());
}

Result<std::optional<CallRecord>> SqliteWriteTxn::call(std::string_view call_id) {
  if (failed()) return failed_error();
  return guard(one_call(db_, call_id));
}

Result<bool> SqliteWriteTxn::in_call(int64_t user_id, int64_t ringing_since, int64_t active_since) {
  if (failed()) return failed_error();
  auto run = [&]() -> Result<bool> {
    PARLEY_STORE_ASSIGN(Stmt stmt, db_.prepare(
        "SELECT 1 FROM calls WHERE state <> 'ended' AND (caller_id = ? OR callee_id = ?)"
        " AND ((state = 'ringing' AND started_at >= ?) OR (state = 'active' AND answered_at >= ?))"
        " LIMIT 1"));
    stmt.bind_all(user_id, user_id, ringing_since, active_since);
    return stmt.step();
  };
  return guard(run());
}

Result<bool> SqliteWriteTxn::answer_call(std::string_view call_id, int64_t callee_session, int64_t now) {
  if (failed()) return failed_error();
  auto run = [&]() -> Result<bool> {
    PARLEY_STORE_ASSIGN(Stmt stmt, db_.prepare(
        "UPDATE calls SET state = 'active', answered_at = ?, callee_session = ?, offer_sdp = ''"
        " WHERE id = ? AND state = 'ringing'"));
    stmt.bind_all(now, callee_session, call_id);
    PARLEY_STORE_TRY(stmt.run());
    return db_.changes() > 0;
  };
  return guard(run());
}

Result<bool> SqliteWriteTxn::end_call(std::string_view call_id, std::string_view from, std::string_view reason,
                                      int64_t callee_session, int64_t now) {
  if (failed()) return failed_error();
  auto run = [&]() -> Result<bool> {
    PARLEY_STORE_ASSIGN(Stmt stmt, db_.prepare(
        "UPDATE calls SET state = 'ended', end_reason = ?, ended_at = ?, offer_sdp = '',"
        " callee_session = CASE WHEN ? <> 0 THEN ? ELSE callee_session END"
        " WHERE id = ? AND state = ?"));
    stmt.bind_all(reason, now, callee_session, callee_session, call_id, from);
    PARLEY_STORE_TRY(stmt.run());
    return db_.changes() > 0;
  };
  return guard(run());
}

Result<std::optional<CallRecord>> SqliteStore::find_call(std::string_view call_id) {
  return read([&](Db& db) { return one_call(db, call_id); });
}

Result<std::vector<CallRecord>> SqliteStore::ringing_calls(int64_t callee_id) {
  return read([&](Db& db) -> Result<std::vector<CallRecord>> {
    PARLEY_STORE_ASSIGN(Stmt stmt, db.prepare("SELECT " PARLEY_STORE_CALL_COLUMNS " FROM calls"
                                              " WHERE callee_id = ? AND state = 'ringing' ORDER BY started_at, id"));
    stmt.bind_all(callee_id);
    return all_calls(stmt);
  });
}

Result<std::vector<CallRecord>> SqliteStore::open_calls() {
  return read([&](Db& db) -> Result<std::vector<CallRecord>> {
    PARLEY_STORE_ASSIGN(Stmt stmt, db.prepare("SELECT " PARLEY_STORE_CALL_COLUMNS " FROM calls"
                                              " WHERE state <> 'ended' ORDER BY started_at, id"));
    return all_calls(stmt);
  });
}

}  // namespace parley::store::sqlite
