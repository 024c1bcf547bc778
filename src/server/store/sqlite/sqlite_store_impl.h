// The SQLite store's class, visible to its own .cc files and to its tests only; everyone
// else uses open_sqlite_store() and the Store interface.
#pragma once

#include <atomic>
#include <chrono>
#include <optional>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "server/store/commit_counter.h"
#include "server/store/sqlite/db.h"
#include "server/store/sqlite/rows.h"
#include "server/store/sqlite/sqlite_store.h"
#include "server/store/sqlite/wal_flush.h"

namespace parley::store::sqlite {

class SqliteStore final : public Store {
 public:
  static Result<std::unique_ptr<SqliteStore>> open(const SqliteOptions& options);
  ~SqliteStore() override;

  Status write(std::span<WriteOp* const> ops) override;
  Status flush_committed() override;

  Result<std::optional<Credentials>> find_credentials(std::string_view username) override;
  Result<std::optional<UserRecord>> find_user(int64_t user_id) override;
  Result<std::optional<UserRecord>> find_user_by_name(std::string_view username) override;
  Result<std::optional<SessionRecord>> find_session_by_token_hash(
      std::string_view token_hash) override;
  Result<std::vector<SessionRecord>> live_sessions(int64_t user_id, int64_t now) override;
  Result<std::optional<ConversationRecord>> conversation_for_member(int64_t conversation_id,
                                                                    int64_t user_id) override;
  Result<Page<ConversationRecord>> list_conversations(int64_t user_id,
                                                      std::optional<ChatListCursor> before,
                                                      int limit) override;
  Result<Page<MessageRecord>> history(int64_t user_id, const HistoryQuery& query) override;
  Result<Page<MessageRecord>> conversation_media(int64_t user_id, const MediaQuery& query) override;
  Result<SyncPage> changes_since(int64_t user_id, int64_t since, int limit) override;
  Result<int64_t> current_version() override;
  StoreStats stats() const override;
  Result<std::vector<MemberRecord>> group_members(int64_t conversation_id,
                                                  int64_t viewer_id) override;
  Result<std::vector<MessageReceipt>> message_receipts(int64_t conversation_id, int64_t seq,
                                                       int64_t viewer_id) override;
  // Contacts, blocking, presence (social_reads.cc).
  Result<std::vector<ContactRecord>> contacts(int64_t owner_id) override;
  Result<std::vector<UserRecord>> search_users(std::string_view prefix, int limit) override;
  // Administration: in admin.cc.
  Result<std::optional<int64_t>> disabled_at(int64_t user_id) override;
  Result<StoreCounts> counts(int64_t now) override;
  Result<std::vector<UserRecord>> blocked_users(int64_t blocker_id) override;
  Result<bool> is_blocked(int64_t blocker_id, int64_t blocked_id) override;
  Result<std::vector<int64_t>> presence_audience(int64_t viewer_id,
                                                 const std::vector<int64_t>& targets) override;
  Result<std::vector<int64_t>> block_relations(int64_t user_id,
                                               const std::vector<int64_t>& user_ids) override;
  Result<std::vector<PresenceRecord>> presence(const std::vector<int64_t>& user_ids) override;
  Result<std::optional<PrivacySettings>> privacy_settings(int64_t user_id) override;
  Result<std::vector<PushSubscriptionRecord>> push_subscriptions(int64_t user_id, int64_t session_id) override;
  Result<std::optional<std::string>> notification_preview(int64_t user_id) override;
  Result<int64_t> unread_total(int64_t user_id) override;
  Result<std::vector<PushSubscriptionRecord>> push_targets(const std::vector<int64_t>& user_ids,
                                                           int64_t now) override;
  // Changes and search (search_reads.cc).
  Result<Page<MessageRecord>> message_changes(int64_t user_id, int64_t conversation_id,
                                              int64_t since, int limit) override;
  Result<Page<SearchHit>> search(int64_t user_id, const SearchQuery& query) override;
  // Media (media_store.cc).
  Result<std::optional<MediaRecord>> media_for_user(std::string_view media_id,
                                                    int64_t user_id) override;
  Result<std::optional<MediaRecord>> media_by_source(std::string_view source_sha256) override;
  Result<std::vector<std::pair<int64_t, int64_t>>> voice_plays(int64_t conversation_id,
                                                               int64_t seq) override;
  // Calls (calls_store.cc).
  Result<std::optional<CallRecord>> find_call(std::string_view call_id) override;
  Result<std::vector<CallRecord>> ringing_calls(int64_t callee_id) override;
  Result<std::vector<CallRecord>> open_calls() override;

  // Diagnostics for tests: a PRAGMA's value as the writer connection sees it. Must not be
  // called concurrently with write().
  Result<std::string> writer_pragma(const std::string& name);
  // Diagnostics for tests: checkpoints the background checkpointer has run.
  uint64_t checkpoints_run() const { return checkpoints_run_.load(); }
  // Diagnostics for tests: restarting checkpoints the writer ran because the WAL passed
  // wal_limit_bytes.
  uint64_t wal_restarts() const { return wal_restarts_.load(); }

 private:
  SqliteStore() = default;

  // Runs fn(Db&) on a reader connection inside one deferred read transaction, so
  // everything fn reads comes from one snapshot; returns once every commit that snapshot
  // may hold is durable (the connection goes back to the pool before that wait).
  template <class Fn>
  auto read(Fn&& fn) -> std::invoke_result_t<Fn&, Db&>;
  // What a scoped read depends on, when that is less than the whole store.
  struct ReadScope {
    WalFlush::Scope kind;
    int64_t id;
  };
  // The same for a read of one scope, which waits only for the commits that changed it
  // (on_row_change marks them). It may read only
  //  - kConversation: that conversation's rows of conversations, members, messages and
  //    hidden_messages, and reactions and blocks;
  //  - kUser: that user's rows of users and sessions.
  template <class Fn>
  auto read_in(ReadScope scope, Fn&& fn) -> std::invoke_result_t<Fn&, Db&>;
  // The same for a read that learns its scope as it reads: fn(Db&, std::optional<ReadScope>&)
  // names it (left empty: the whole store).
  template <class Fn>
  auto read_scoped(Fn&& fn) -> std::invoke_result_t<Fn&, Db&, std::optional<ReadScope>&>;
  // The same as read() on `db`, which the caller holds (through the wait too).
  template <class Fn>
  auto read_on(Db& db, Fn&& fn) -> std::invoke_result_t<Fn&, Db&>;
  // The transaction of all of them, fn as read_scoped's; sets `visible` to the number of
  // the last commit its snapshot holds that the read must wait for (wal_flush.h): every one,
  // or the last that touched its scope.
  template <class Fn>
  auto read_snapshot(Db& db, Fn& fn, uint64_t& visible)
      -> std::invoke_result_t<Fn&, Db&, std::optional<ReadScope>&>;
  // `result` once the first `visible` commits are durable (wal_flush.h).
  template <class R>
  R when_durable(R result, uint64_t visible);

  std::unique_ptr<Db> checkout();
  void checkin(std::unique_ptr<Db> db);

  // The preupdate hook of the writer when COMMIT does not flush: marks what each commit
  // changes for scoped reads (WalFlush::touch).
  static void on_row_change(void* self, sqlite3* db, int op, const char* database,
                            const char* table, sqlite3_int64 old_rowid, sqlite3_int64 new_rowid);
  static Result<int> column_index(Db& db, const char* table, const char* column);
  int messages_conversation_column_ = -1;
  int members_conversation_column_ = -1;
  int hidden_conversation_column_ = -1;
  int sessions_user_column_ = -1;

  // Called by SQLite on the writer's thread after each commit with the WAL's page count.
  static int on_wal_commit(void* self, sqlite3* db, const char* name, int pages);
  void checkpoint_loop();
  void stop_checkpointer();

  std::unique_ptr<Db> writer_;
  // Set when COMMIT does not flush (SqliteOptions::flush_after_commit): then commits leave
  // the store only once flushed, through flush_committed() and read_on().
  std::unique_ptr<WalFlush> wal_flush_;
  int64_t version_ = 0;  // the writer's counter; equals meta's value between writes

  // The checkpointer: its own connection and thread (see SqliteOptions; open() sets both
  // limits from the options).
  int checkpoint_pages_ = SqliteOptions{}.checkpoint_pages;
  int wal_limit_pages_ = 1 << 30;
  bool wal_restart_wanted_ = false;  // writer thread only (set by on_wal_commit)
  std::atomic<uint64_t> wal_restarts_{0};
  std::unique_ptr<Db> checkpointer_db_;
  std::thread checkpointer_;
  std::mutex checkpoint_mutex_;
  std::mutex checkpoint_run_mutex_;  // held while either connection runs a checkpoint
  std::condition_variable checkpoint_cv_;
  bool checkpoint_wanted_ = false;      // guarded by checkpoint_mutex_
  bool checkpoint_stopping_ = false;    // guarded by checkpoint_mutex_
  std::atomic<bool> checkpoint_pending_{false};  // lets the writer skip the lock when set
  std::atomic<uint64_t> checkpoints_run_{0};
  // Erase purges (see SqliteOptions::erase_purge_delay_ms), guarded by checkpoint_mutex_.
  int erase_purge_delay_ms_ = 5000;
  std::optional<std::chrono::steady_clock::time_point> erase_due_;
  std::atomic<bool> erase_pending_{false};
  CommitCounter commits_;  // StoreStats::commits, commit_finish_us
  std::atomic<uint64_t> erase_purges_{0};
  // Runs one purge on the checkpointer's connection; false: retry later.
  bool purge_erased();

  std::mutex pool_mutex_;
  std::condition_variable pool_cv_;
  std::vector<std::unique_ptr<Db>> idle_readers_;

  // push_targets' own reader, which does not map the file. Push delivery looks up the
  // recipients of every committed message, mostly finding nobody to push to: a read that
  // small, begun after a commit, cost more in dropping the pooled readers' mapping (SQLite
  // unmaps when the WAL changed; unmapping interrupts every core to flush its TLB) than in
  // reading (bench/RESULTS.md, "push lookups without mmap").
  std::mutex push_reader_mutex_;
  std::unique_ptr<Db> push_reader_;
};

template <class Fn>
auto SqliteStore::read(Fn&& fn) -> std::invoke_result_t<Fn&, Db&> {
  return read_scoped([&](Db& db, std::optional<ReadScope>&) { return fn(db); });
}

template <class Fn>
auto SqliteStore::read_in(ReadScope scope, Fn&& fn) -> std::invoke_result_t<Fn&, Db&> {
  return read_scoped([&](Db& db, std::optional<ReadScope>& named) {
    named = scope;
    return fn(db);
  });
}

template <class Fn>
auto SqliteStore::read_scoped(Fn&& fn) -> std::invoke_result_t<Fn&, Db&, std::optional<ReadScope>&> {
  uint64_t visible = 0;
  auto result = [&] {
    std::unique_ptr<Db> db = checkout();
    struct Return {
      SqliteStore* store;
      std::unique_ptr<Db>& db;
      ~Return() { store->checkin(std::move(db)); }
    } give_back{this, db};
    return read_snapshot(*db, fn, visible);
  }();
  return when_durable(std::move(result), visible);
}

template <class Fn>
auto SqliteStore::read_on(Db& db, Fn&& fn) -> std::invoke_result_t<Fn&, Db&> {
  uint64_t visible = 0;
  auto whole = [&](Db& d, std::optional<ReadScope>&) { return fn(d); };
  auto result = read_snapshot(db, whole, visible);
  return when_durable(std::move(result), visible);
}

template <class Fn>
auto SqliteStore::read_snapshot(Db& db, Fn& fn, uint64_t& visible)
    -> std::invoke_result_t<Fn&, Db&, std::optional<ReadScope>&> {
  struct Close {
    Db& db;
    // A failed read may leave the transaction open; never hand that to the next reader.
    ~Close() {
      if (db.in_transaction()) (void)db.run("ROLLBACK");
    }
  } close{db};
  if (Status begun = db.run("BEGIN"); !begun.ok()) return begun.error();
  if (wal_flush_) {
    // The first statement takes the snapshot: the number of the last commit it holds.
    auto last = load_commit_number(db);
    if (!last.ok()) return last.error();
    visible = static_cast<uint64_t>(*last);
  }
  std::optional<ReadScope> scope;
  auto result = fn(db, scope);
  if (!result.ok()) return result;
  // Marks read after the snapshot was taken cover every commit it holds.
  if (wal_flush_ && scope) visible = wal_flush_->scoped_bound(visible, scope->kind, scope->id);
  if (Status done = db.run("COMMIT"); !done.ok()) return done.error();
  return result;
}

template <class R>
R SqliteStore::when_durable(R result, uint64_t visible) {
  // What a read returns was committed durably: a commit not yet flushed could be lost to a
  // power cut after a client saw it (its seq then taken by another message).
  if (!wal_flush_ || !result.ok()) return result;
  if (Status durable = wal_flush_->wait_durable(visible); !durable.ok()) return durable.error();
  return result;
}

}  // namespace parley::store::sqlite
