// The WriteTxn of the SQLite store: the operations of one write batch, run on the writer
// connection inside BEGIN IMMEDIATE ... COMMIT (owned by SqliteStore::write).
//
// Every method checks first and writes last, so an expected failure (kNotFound,
// kUsernameTaken, kInvalidArgument) has written nothing. Any SQLite failure is a storage
// failure: the transaction is marked failed, the method returns kInternal, every later
// call returns kInternal without touching the database, and write() rolls back.
#pragma once

#include <cstdint>
#include <optional>

#include "server/store/sqlite/db.h"
#include "server/store/store.h"

namespace parley::store::sqlite {

class SqliteWriteTxn final : public WriteTxn {
 public:
  // `version` is the writer's in-memory counter; each change takes ++version. The caller
  // restores it when the transaction does not commit.
  SqliteWriteTxn(Db& db, int64_t& version) : db_(db), version_(version) {}

  Result<UserRecord> create_user(std::string_view username, std::string_view display_name,
                                 std::string_view password_hash, int64_t now) override;
  Result<SessionRecord> create_session(int64_t user_id, std::string_view token_hash,
                                       std::string_view device_name, int64_t now,
                                       int64_t expires_at) override;
  Result<bool> revoke_session(int64_t user_id, int64_t session_id) override;
  Result<std::vector<int64_t>> revoke_other_sessions(int64_t user_id,
                                                     int64_t keep_session_id) override;
  Result<DirectOutcome> get_or_create_direct(int64_t a, int64_t b, int64_t now) override;
  Result<AppendOutcome> append_message(const NewMessage& message) override;
  Result<ReceiptOutcome> advance_receipt(int64_t conversation_id, int64_t user_id,
                                         int64_t delivered_seq, int64_t read_seq) override;

  // Marks the transaction failed (first failure wins); used by write() too, e.g. when an
  // op throws.
  void fail(Error error);
  bool failed() const { return failure_.has_value(); }
  const Error& failure() const { return *failure_; }

 private:
  // Records a kInternal result as the transaction's failure; passes everything through.
  template <class T>
  Result<T> guard(Result<T> result) {
    if (!result.ok() && result.error().code == Errc::kInternal) fail(result.error());
    return result;
  }
  Error failed_error() const;

  Result<UserRecord> do_create_user(std::string_view username, std::string_view display_name,
                                    std::string_view password_hash, int64_t now);
  Result<SessionRecord> do_create_session(int64_t user_id, std::string_view token_hash,
                                          std::string_view device_name, int64_t now,
                                          int64_t expires_at);
  Result<bool> do_revoke_session(int64_t user_id, int64_t session_id);
  Result<std::vector<int64_t>> do_revoke_other_sessions(int64_t user_id, int64_t keep);
  Result<DirectOutcome> do_get_or_create_direct(int64_t a, int64_t b, int64_t now);
  Result<AppendOutcome> do_append_message(const NewMessage& message);
  Result<ReceiptOutcome> do_advance_receipt(int64_t conversation_id, int64_t user_id,
                                            int64_t delivered_seq, int64_t read_seq);

  Db& db_;
  int64_t& version_;
  std::optional<Error> failure_;
};

}  // namespace parley::store::sqlite
