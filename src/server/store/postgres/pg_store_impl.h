// The PostgreSQL store's class, visible to its own .cc files and to its tests only;
// everyone else uses open_pg_store() and the Store interface.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "server/store/commit_counter.h"
#include "server/store/postgres/conn.h"
#include "server/store/postgres/pg_store.h"

namespace parley::store::pg {

class PgStore final : public Store {
 public:
  static Result<std::unique_ptr<PgStore>> open(const PgOptions& options);
  ~PgStore() override;

  Status write(std::span<WriteOp* const> ops) override;

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

 private:
  PgStore() = default;

  // Runs fn(Conn&) on a reader connection inside one REPEATABLE READ, READ ONLY
  // transaction, so everything fn reads comes from one snapshot.
  template <class Fn>
  auto read(Fn&& fn) -> std::invoke_result_t<Fn&, Conn&>;

  // A connection that is up: the one given, reset when the server went away (a restart,
  // or a failover when the URI lists several hosts). Errors: kUnavailable.
  Status ensure_connected(Conn& conn);
  // The batch's body, inside BEGIN ... COMMIT on the writer connection.
  Status write_batch(std::span<WriteOp* const> ops);
  // BEGIN and the version lock; the current version. Reconnects once when the server
  // ended the idle session. Errors: kUnavailable, kInternal.
  Result<int64_t> begin_batch();

  // The erase purge (PgOptions::erase_purge_delay_ms): the purger thread waits for a due
  // time set by write() after a batch that erased text, then runs purge_erased().
  void purge_loop();
  // VACUUM (FULL) messages, then CHECKPOINT, pg_switch_wal(), CHECKPOINT on purger_.
  // False when a step failed (the caller retries).
  bool purge_erased();
  void stop_purger();

  std::unique_ptr<Conn> checkout();
  void checkin(std::unique_ptr<Conn> conn);

  // Constant after open().
  std::string uri_;
  // Used by write() only (one thread, store.h).
  std::unique_ptr<Conn> writer_;
  bool batch_erased_ = false;  // the last write_batch() erased text (writer's thread only)

  // Used by the purger thread only.
  std::unique_ptr<Conn> purger_;
  std::thread purge_thread_;
  int erase_purge_delay_ms_ = 5000;  // constant after open()
  std::mutex purge_mutex_;
  std::condition_variable purge_cv_;
  std::optional<std::chrono::steady_clock::time_point> erase_due_;  // guarded by purge_mutex_
  bool purge_stopping_ = false;                                      // guarded by purge_mutex_
  std::atomic<bool> erase_pending_{false};
  CommitCounter commits_;  // StoreStats::commits, commit_finish_us
  std::atomic<uint64_t> erase_purges_{0};

  std::mutex pool_mutex_;
  std::condition_variable pool_cv_;
  std::vector<std::unique_ptr<Conn>> idle_readers_;  // guarded by pool_mutex_
};

template <class Fn>
auto PgStore::read(Fn&& fn) -> std::invoke_result_t<Fn&, Conn&> {
  std::unique_ptr<Conn> conn = checkout();
  struct Return {
    PgStore* store;
    std::unique_ptr<Conn>& conn;
    ~Return() {
      // A failed read may leave the transaction open; never hand that to the next reader.
      if (conn->in_transaction()) (void)conn->exec("ROLLBACK");
      store->checkin(std::move(conn));
    }
  } give_back{this, conn};
  if (Status up = ensure_connected(*conn); !up.ok()) return up.error();
  const std::string begin = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
  Status begun = conn->exec(begin);
  if (!begun.ok() && !conn->healthy()) {
    // The server ended the idle session (a restart, a failover): connect again and retry.
    if (Status up = ensure_connected(*conn); !up.ok()) return up.error();
    begun = conn->exec(begin);
  }
  if (!begun.ok()) return begun.error();
  auto result = fn(*conn);
  if (!result.ok()) return result;
  if (Status done = conn->exec("COMMIT"); !done.ok()) return done.error();
  return result;
}

}  // namespace parley::store::pg
