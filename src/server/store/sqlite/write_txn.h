// The WriteTxn of the SQLite store: the operations of one write batch, run on the writer
// connection inside BEGIN IMMEDIATE ... COMMIT (owned by SqliteStore::write).
//
// Every method checks first and writes last, so an expected failure (kNotFound,
// kUsernameTaken, kInvalidArgument) has written nothing. Any SQLite failure is a storage
// failure: the transaction is marked failed, the method returns kInternal, every later
// call returns kInternal without touching the database, and write() rolls back.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/store/sqlite/db.h"
#include "server/store/store.h"

namespace parley::store::sqlite {

class SqliteWriteTxn final : public WriteTxn {
 public:
  // `version` is the writer's in-memory counter; each change takes ++version. The caller
  // restores it when the transaction does not commit. `commit_time` (ms since epoch) is
  // the time logged with receipt changes: the batch's time, taken once at its start.
  SqliteWriteTxn(Db& db, int64_t& version, int64_t commit_time)
      : db_(db), version_(version), commit_time_(commit_time) {}

  Result<UserRecord> create_user(std::string_view username, std::string_view display_name,
                                 std::string_view password_hash, int64_t now) override;
  Result<SessionRecord> create_session(int64_t user_id, std::string_view token_hash,
                                       std::string_view device_name, int64_t now,
                                       int64_t expires_at) override;
  Result<bool> revoke_session(int64_t user_id, int64_t session_id) override;
  Result<std::vector<int64_t>> revoke_other_sessions(int64_t user_id,
                                                     int64_t keep_session_id) override;
  // Administration: in admin.cc.
  Result<bool> set_account_disabled(int64_t user_id, bool disabled, int64_t now) override;
  Result<bool> account_disabled(int64_t user_id) override;
  Status set_password_hash(int64_t user_id, std::string_view password_hash) override;
  // Account deletion: in account_txn.cc.
  Result<AccountDeletion> delete_account(int64_t user_id, int64_t now) override;
  Result<bool> direct_peer_deleted(int64_t conversation_id, int64_t sender_id) override;
  Result<DirectOutcome> get_or_create_direct(int64_t a, int64_t b, int64_t now) override;
  Result<AppendOutcome> append_message(const NewMessage& message) override;
  Result<std::optional<MessageRecord>> find_sent_message(int64_t sender_id,
                                                         std::string_view client_id) override;
  Result<ReceiptOutcome> advance_receipt(int64_t conversation_id, int64_t user_id,
                                         int64_t delivered_seq, int64_t read_seq) override;
  Result<ConversationRecord> create_group(int64_t creator_id, std::string_view name,
                                          std::string_view description, int64_t now) override;
  Result<std::optional<ConversationRecord>> conversation(int64_t conversation_id,
                                                         int64_t viewer_id) override;
  Result<std::optional<MemberRecord>> member(int64_t conversation_id, int64_t user_id) override;
  Result<std::vector<MemberRecord>> active_members(int64_t conversation_id) override;
  Status add_member(int64_t conversation_id, int64_t user_id, std::string_view role,
                    int64_t joined_seq, int64_t now) override;
  Status set_role(int64_t conversation_id, int64_t user_id, std::string_view role) override;
  Status remove_member(int64_t conversation_id, int64_t user_id, int64_t left_seq) override;
  Status set_group_info(int64_t conversation_id, std::string_view name,
                        std::string_view description) override;
  Result<ContactRecord> upsert_contact(int64_t owner_id, int64_t contact_id,
                                       std::string_view nickname, int64_t now) override;
  Result<bool> remove_contact(int64_t owner_id, int64_t contact_id) override;
  Result<bool> set_block(int64_t blocker_id, int64_t blocked_id, bool on, int64_t now) override;
  Result<bool> blocked_in_direct(int64_t conversation_id, int64_t sender_id) override;
  Status set_last_seen(int64_t user_id, int64_t ts) override;
  Status set_hide_last_seen(int64_t user_id, bool hide) override;
  Status set_groups_add(int64_t user_id, std::string_view who) override;
  Result<PrivacySettings> privacy(int64_t user_id) override;
  Result<std::vector<int64_t>> group_add_refusals(int64_t actor_id,
                                                  const std::vector<int64_t>& candidates) override;
  Result<PushSubscriptionRecord> put_push_subscription(const PushSubscriptionRecord& subscription,
                                                       const PushSubscriptionLimits& limits) override;
  Result<bool> delete_push_subscription(int64_t user_id, int64_t session_id, int64_t id) override;
  Result<int64_t> delete_push_address(std::string_view kind, std::string_view app_id,
                                      std::string_view endpoint) override;
  Result<int64_t> set_muted_until(int64_t conversation_id, int64_t user_id, int64_t muted_until) override;
  Status set_notification_preview(int64_t user_id, std::string_view preview) override;
  Result<std::optional<MessageRecord>> message_at(int64_t conversation_id, int64_t seq) override;
  Result<std::optional<MessageRecord>> visible_message(int64_t user_id, int64_t conversation_id,
                                                       int64_t seq) override;
  Result<MessageChange> edit_message(int64_t conversation_id, int64_t seq, std::string_view text,
                                     int64_t now) override;
  Result<MessageChange> erase_message(int64_t conversation_id, int64_t seq, int64_t now) override;
  Result<HideOutcome> hide_message(int64_t user_id, int64_t conversation_id, int64_t seq) override;
  Result<ChatStateOutcome> set_chat_state(int64_t conversation_id, int64_t user_id,
                                          std::optional<bool> pinned, std::optional<bool> archived,
                                          int max_pinned, int64_t now) override;
  Result<ReactionOutcome> set_reaction(int64_t user_id, int64_t conversation_id, int64_t seq,
                                       std::string_view emoji, int64_t now) override;

  // Whether this transaction erased message text (the store then schedules the purge of
  // its traces from the search index and the WAL).
  bool erased() const { return erased_; }
  // Media (media_store.cc).
  Status insert_media(const MediaRecord& media) override;
  Result<std::optional<MediaRecord>> find_media(std::string_view media_id) override;
  Result<std::vector<std::string>> delete_unreferenced_media(int64_t created_before,
                                                             int limit) override;
  Result<PlayOutcome> mark_played(int64_t conversation_id, int64_t seq, int64_t user_id,
                                  int64_t now) override;
  // Calls (calls_store.cc).
  Status insert_call(const CallRecord& call) override;
  Result<std::optional<CallRecord>> call(std::string_view call_id) override;
  Result<bool> in_call(int64_t user_id, int64_t ringing_since, int64_t active_since) override;
  Result<bool> answer_call(std::string_view call_id, int64_t callee_session, int64_t now) override;
  Result<bool> end_call(std::string_view call_id, std::string_view from, std::string_view reason,
                        int64_t callee_session, int64_t now) override;

  // ---- the op boundaries, driven by SqliteStore::write --------------------------------
  // Search indexing is deferred to the end of the batch: FTS5 flushes its pending terms
  // into a new index segment whenever a savepoint opens (the op's own, and the statement
  // savepoint SQLite opens for most INSERTs and UPDATEs in a transaction), so indexing each
  // message inside its op's savepoint wrote (and later merged) one segment per message.
  // The texts wait in memory and go into the index in one statement per message right
  // before COMMIT, outside any savepoint: still the same transaction, so a search sees a
  // message exactly when it is committed, as before.
  //
  // begin_op() starts the undo record of one op; undo_op() puts the deferred state back as
  // it was at begin_op() (write() calls it after ROLLBACK TO the op's savepoint).
  void begin_op() { index_undo_.clear(); }
  void undo_op();
  // Writes the deferred index entries (message id order). Call once, after the last op and
  // before COMMIT, when the transaction has not failed; a failure fails the transaction.
  Status flush_deferred();

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
  Status guard(Status status) {
    if (!status.ok() && status.error().code == Errc::kInternal) fail(status.error());
    return status;
  }
  Error failed_error() const;

  Result<UserRecord> do_create_user(std::string_view username, std::string_view display_name,
                                    std::string_view password_hash, int64_t now);
  Result<SessionRecord> do_create_session(int64_t user_id, std::string_view token_hash,
                                          std::string_view device_name, int64_t now,
                                          int64_t expires_at);
  Result<bool> do_revoke_session(int64_t user_id, int64_t session_id);
  Result<std::vector<int64_t>> do_revoke_other_sessions(int64_t user_id, int64_t keep);
  Result<AccountDeletion> do_delete_account(int64_t user_id, int64_t now);
  // The user's direct conversations, or (groups) the groups they are an active member of.
  Result<std::vector<int64_t>> user_conversations(int64_t user_id, bool groups);
  Result<DirectOutcome> do_get_or_create_direct(int64_t a, int64_t b, int64_t now);
  Result<AppendOutcome> do_append_message(const NewMessage& message);
  Result<ReceiptOutcome> do_advance_receipt(int64_t conversation_id, int64_t user_id,
                                            int64_t delivered_seq, int64_t read_seq);

  // Groups (group_txn.cc).
  Result<ConversationRecord> do_create_group(int64_t creator_id, std::string_view name,
                                             std::string_view description, int64_t now);
  Status do_add_member(int64_t conversation_id, int64_t user_id, std::string_view role,
                       int64_t joined_seq, int64_t now);
  Status do_set_role(int64_t conversation_id, int64_t user_id, std::string_view role);
  Status do_remove_member(int64_t conversation_id, int64_t user_id, int64_t left_seq);
  Status do_set_group_info(int64_t conversation_id, std::string_view name,
                           std::string_view description);
  // The group's last_seq; kNotFound when there is no such conversation or it is direct.
  Result<int64_t> find_group(int64_t conversation_id);
  // The member's row if they are an active member of the group, else kNotFound.
  Result<MemberRecord> find_active_member(int64_t conversation_id, int64_t user_id);

  // Contacts, blocking, presence (social_txn.cc).
  Result<ContactRecord> do_upsert_contact(int64_t owner_id, int64_t contact_id,
                                          std::string_view nickname, int64_t now);
  Result<bool> do_remove_contact(int64_t owner_id, int64_t contact_id);
  Result<bool> do_set_block(int64_t blocker_id, int64_t blocked_id, bool on, int64_t now);
  Result<bool> do_blocked_in_direct(int64_t conversation_id, int64_t sender_id);
  Status do_set_last_seen(int64_t user_id, int64_t ts);
  Status do_set_hide_last_seen(int64_t user_id, bool hide);
  Status do_set_groups_add(int64_t user_id, std::string_view who);
  Result<std::vector<int64_t>> do_group_add_refusals(int64_t actor_id,
                                                     const std::vector<int64_t>& candidates);
  // `other` as the second user of a pair with `self` (a contact, a block): kInvalidArgument
  // when both are the same user, kNotFound when either does not exist.
  Result<UserRecord> find_other_user(int64_t self, int64_t other);

  // Push subscriptions (push_txn.cc).
  Result<PushSubscriptionRecord> do_put_push_subscription(const PushSubscriptionRecord& subscription,
                                                          const PushSubscriptionLimits& limits);

  // Edits, deletions, hides and the search index (edit_txn.cc).
  Result<MessageChange> do_edit_message(int64_t conversation_id, int64_t seq,
                                        std::string_view text, int64_t now);
  Result<MessageChange> do_erase_message(int64_t conversation_id, int64_t seq, int64_t now);
  Result<HideOutcome> do_hide_message(int64_t user_id, int64_t conversation_id, int64_t seq);
  Result<ReactionOutcome> do_set_reaction(int64_t user_id, int64_t conversation_id, int64_t seq,
                                          std::string_view emoji, int64_t now);
  // Adds a message's text to the search index / takes it out (the text it was indexed
  // with must be given: the index is external-content). Adding is deferred to
  // flush_deferred(); taking out a message whose adding is still deferred only forgets it.
  Status index_message(int64_t id, int64_t conversation_id, std::string_view text);
  Status unindex_message(int64_t id, int64_t conversation_id, std::string_view text);
  Status do_insert_media(const MediaRecord& media);
  Result<std::vector<std::string>> do_delete_unreferenced_media(int64_t created_before, int limit);

  // Shared writes.
  Status set_conversation_version(int64_t conversation_id, int64_t version);
  Status log_receipt(int64_t conversation_id, int64_t user_id, int64_t delivered_seq,
                     int64_t read_seq, int64_t ts);

  Db& db_;
  int64_t& version_;
  const int64_t commit_time_;
  std::optional<Error> failure_;
  bool erased_ = false;

  struct DeferredIndex {
    int64_t conversation_id = 0;
    std::string text;
  };
  // Messages to add to the search index at flush_deferred(), by message id.
  std::map<int64_t, DeferredIndex> deferred_index_;
  // What the current op changed in deferred_index_: (id, the entry before, if any), in
  // order, so undo_op() can replay it backwards.
  std::vector<std::pair<int64_t, std::optional<DeferredIndex>>> index_undo_;
};

}  // namespace parley::store::sqlite
