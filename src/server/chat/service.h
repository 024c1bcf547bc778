// The messaging domain: accounts, sessions, conversations, messages and receipts.
// It enforces the product's rules (validation, membership, rate limits, idempotent sends)
// and knows nothing of sockets, HTTP or SQL: it talks to a store::Store and tells a
// Notifier what was committed.
//
// Threading:
//  - Methods returning Result<...> are synchronous reads; they may block on the store or
//    on password hashing, so call them from a worker thread, never from an I/O thread.
//  - Methods taking a Callback are writes: they validate on the calling thread (register
//    and login also hash there, so they too belong on a worker thread), queue the write
//    to the committer, and invoke the callback on the committer's finisher thread once the
//    write is durably committed or has failed. Callbacks must be quick (post elsewhere)
//    and must not wait for another write.
//  - The Notifier is called on that finisher thread after the callback, in commit order.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "server/chat/committer.h"
#include "server/chat/credentials.h"
#include "server/chat/rate_limiter.h"
#include "server/store/store.h"

namespace parley::chat {

struct ChatLimits {
  std::size_t max_text_bytes = 16384;
  double send_per_sec = 30;       // per user, all devices together
  double send_burst = 60;
  int64_t session_ttl_ms = 30LL * 24 * 3600 * 1000;
  std::size_t commit_queue_limit = 100000;
  std::size_t commit_batch_max = 1024;
  HashStrength password_strength = HashStrength::kInteractive;  // kBenchmark: benchmarks only
  std::size_t max_group_members = 256;
  double other_per_sec = 100;        // requests other than sends, per user (admit_request)
  double other_burst = 1000;
  double group_create_per_min = 5;   // group creations per user
  double group_create_burst = 10;
  double group_add_per_min = 60;     // users added to groups (creation included) per user
  double group_add_burst = 256;
  int64_t edit_window_ms = 15LL * 60 * 1000;          // a sender may edit this long after sending
  int64_t delete_window_ms = 48LL * 3600 * 1000;      // ... and delete for everyone
};

// An authenticated device.
struct Principal {
  store::UserRecord user;
  int64_t session_id = 0;
  int64_t expires_at = 0;  // when the session ends (ms since epoch; 0: unknown, never checked)
};

struct LoginResult {
  store::UserRecord user;
  std::string token;  // shown once
  int64_t session_id = 0;
  int64_t expires_at = 0;
};

struct RegisterRequest {
  std::string username;
  std::string display_name;
  std::string password;
  std::string device_name;
};

struct SendRequest {
  int64_t conversation_id = 0;
  std::string client_id;
  std::string text;      // with media_id: the caption, may be empty
  std::string media_id;  // non-empty: a message of the upload's kind ("image", "file",
                         // "voice") showing this upload
  int64_t reply_to = 0;  // > 0: quotes the message with this seq in the same conversation
  int64_t duration_ms = 0;  // kind voice (required then, refused otherwise): attachments.h
  std::string waveform;     // kind voice: base64, attachments.h
};

// Forwarding (forwarding.cc): at most this many target conversations per request, and the
// client_id is short enough to derive each copy's own ("{client_id}-{conversation_id}").
inline constexpr std::size_t kMaxForwardTargets = 5;
inline constexpr std::size_t kMaxForwardClientIdChars = 40;

// Pinned chats per user, all devices together (chat_state.cc).
inline constexpr std::size_t kMaxPinnedChats = 5;

struct GroupChange;  // groups.cc

// Told about every committed change, on the committer's finisher thread, in commit order.
class Notifier {
 public:
  virtual ~Notifier() = default;
  // A new message (never called for duplicates). origin_connection: the sending
  // connection, which gets the ack instead of the event (0 for none).
  virtual void on_message(const store::AppendOutcome& outcome, uint64_t origin_connection) = 0;
  virtual void on_receipt(const store::ReceiptOutcome& outcome) = 0;
  // A conversation appeared for `viewer_id` (created, or they were added to a group);
  // `conversation` is as that user sees it.
  virtual void on_conversation(const store::ConversationRecord& conversation, int64_t viewer_id) = 0;
  virtual void on_sessions_revoked(int64_t user_id, const std::vector<int64_t>& session_ids) = 0;
  // A message was edited or deleted for everyone (only called when something changed).
  virtual void on_message_changed(const store::MessageChange& change) = 0;
  // A user hid a message from their own devices ("delete for me").
  virtual void on_message_hidden(const store::HideOutcome& outcome) = 0;
  // A reaction was set, replaced or removed (only called when something changed).
  virtual void on_reaction(const store::ReactionOutcome& outcome) = 0;
  // A user pinned/unpinned or archived/unarchived a chat (only when something changed).
  virtual void on_chat_state(const store::ChatStateOutcome& outcome) = 0;
  // A recipient played a voice message for the first time.
  virtual void on_played(const store::PlayOutcome& outcome) = 0;
};

enum class DeleteScope { kForMe, kForEveryone };

// The answer to someone messaging a user who blocked them: it says no more than that.
Error blocked_error();
// The answer to messaging (or starting a conversation with) a deleted account.
Error account_deleted_error();

class ChatService {
 public:
  ChatService(store::Store& store, Notifier& notifier, ChatLimits limits);
  ~ChatService();  // stop()s

  // Commits everything queued and stops accepting writes (they fail with kUnavailable).
  void stop();

  // ---- accounts and sessions ------------------------------------------------------
  // Errors: kInvalidArgument, kInvalidUtf8, kUsernameTaken.
  void register_user(RegisterRequest request, Callback<LoginResult> done);
  // Errors: kInvalidCredentials (unknown user or wrong password, indistinguishable).
  void login(std::string username, std::string password, std::string device_name,
             Callback<LoginResult> done);
  // The device behind a token. Errors: kUnauthenticated (unknown, revoked or expired).
  Result<Principal> authenticate(std::string_view token);
  void logout(const Principal& who, Callback<Done> done);
  void logout_others(const Principal& who, Callback<int64_t> done);  // number revoked
  // Deletes the caller's account for good (account_deletion.cc; docs/protocol.md, "Deleting
  // an account") once `password` proves it is them: ends every session (their devices are
  // told), leaves every group with a "member_left" event, erases the profile, contacts and
  // blocks (WriteTxn::delete_account). Errors: kInvalidCredentials (wrong password).
  void delete_account(const Principal& who, std::string password, Callback<Done> done);
  // Errors: kNotFound when not a live session of the user.
  void revoke_session(const Principal& who, int64_t session_id, Callback<Done> done);
  Result<std::vector<store::SessionRecord>> sessions(const Principal& who);
  // Errors: kNotFound.
  Result<store::UserRecord> find_user(std::string_view username);

  // ---- administration (admin.cc; the operator's, never a user's: api/admin_routes.cc) --
  struct AdminUser {
    store::UserRecord user;
    std::optional<int64_t> disabled_at;         // absent: enabled
    std::vector<store::SessionRecord> sessions;  // live, oldest first
  };
  // Errors: kNotFound.
  Result<AdminUser> admin_user(std::string_view username);
  // Creates an account (the password rules of register_user apply) without a session and
  // without the per-address limit. Errors: those of register_user.
  void admin_create_user(std::string username, std::string display_name, std::string password,
                         Callback<store::UserRecord> done);
  // Replaces the password and revokes every session of the account (its sockets close).
  // Result: the number of sessions revoked. Errors: kNotFound, the password rules.
  void admin_set_password(std::string_view username, std::string password, Callback<int64_t> done);
  // Disables the account, revoking every session at once, or enables it; a disabled
  // account's logins fail with kAccountDisabled. Result: the number of sessions revoked.
  // Errors: kNotFound.
  void admin_set_disabled(std::string_view username, bool disabled, Callback<int64_t> done);
  // Revokes every session of the account. Result: how many. Errors: kNotFound.
  void admin_revoke_sessions(std::string_view username, Callback<int64_t> done);
  // Deletes the account as delete_account does, without its password; the number of
  // sessions ended. Errors: kNotFound (no such user, or already deleted).
  void admin_delete_user(std::string_view username, Callback<int64_t> done);
  Result<store::StoreCounts> admin_counts();

  // ---- conversations and history --------------------------------------------------
  // The direct conversation with a peer given by id or username, created if absent.
  // Errors: kNotFound (no such user), kInvalidArgument (yourself).
  void open_direct(const Principal& who, std::optional<int64_t> peer_id,
                   std::optional<std::string> peer_username, Callback<store::DirectOutcome> done);
  // Errors: kNotFound (absent or not a member).
  Result<store::ConversationRecord> conversation(const Principal& who, int64_t conversation_id);
  // The chat list, most recent first; after `before` in that order when given.
  Result<store::Page<store::ConversationRecord>> conversations(
      const Principal& who, std::optional<store::ChatListCursor> before, int limit);
  Result<store::Page<store::MessageRecord>> history(const Principal& who,
                                                    const store::HistoryQuery& query);
  Result<store::SyncPage> sync(const Principal& who, int64_t since, int limit);
  // A conversation's photos and videos, documents, voice messages or links as the caller
  // sees them in history (store::Store::conversation_media), newest first. Errors:
  // kInvalidArgument (limit outside 1..200, before < 1), kNotFound (not a member).
  Result<store::Page<store::MessageRecord>> conversation_media(const Principal& who,
                                                               const store::MediaQuery& query);
  Result<int64_t> current_version();

  // ---- messages and receipts ------------------------------------------------------
  // Validates, rate-limits (kRateLimited with retry_after_ms), then commits. Resending a
  // client_id returns the original message with duplicate=true.
  // With a media_id the message is of kind "image": the upload must be the sender's own
  // (else kNotFound, "no such upload") and the text is an optional caption.
  // With reply_to the message quotes that seq, which the sender must see (inside their
  // membership window, not hidden from them: else kNotFound, "no such message to reply
  // to") and which must be a text or image message not deleted for everyone (else
  // kInvalidArgument). Checked in the send's transaction; a retry is not checked again.
  // Errors: kInvalidArgument, kInvalidUtf8, kMessageTooLong, kRateLimited, kNotFound,
  // kUnavailable, kInternal.
  void send(const Principal& who, SendRequest request, uint64_t origin_connection,
            Callback<store::AppendOutcome> done);
  // Raises the caller's watermarks (0 = leave as is). Errors: kNotFound, kInvalidArgument.
  void mark(const Principal& who, int64_t conversation_id, int64_t delivered_seq,
            int64_t read_seq, Callback<store::ReceiptOutcome> done);

  // ---- edits, deletions, changes and search (edits.cc) ------------------------------
  // Edits the text of one's own text message within limits.edit_window_ms of sending.
  // Same text again: success, nothing changes. Errors: kNotFound (no such message, or not
  // an active member), kForbidden (not the sender), kWindowExpired, kInvalidArgument (not
  // a text message, or deleted), kMessageTooLong, kInvalidUtf8.
  void edit_message(const Principal& who, int64_t conversation_id, int64_t seq,
                    std::string text, Callback<store::MessageChange> done);
  // For everyone: the sender, an active member, within limits.delete_window_ms; the text
  // is erased from the store. For me: any message the user can see, hidden from all their
  // devices. Both are idempotent. Errors: kNotFound, kForbidden, kWindowExpired,
  // kInvalidArgument (a group event cannot be deleted for everyone).
  void delete_message(const Principal& who, int64_t conversation_id, int64_t seq,
                      DeleteScope scope, Callback<Done> done);
  // ---- pinned and archived chats (chat_state.cc) ----------------------------------------
  // Pins/unpins and archives/unarchives a conversation for the caller only (at least one of
  // the two given); told to all their devices. Errors: kBadRequest (neither given),
  // kNotFound (never a member), kInvalidArgument (more than kMaxPinnedChats pinned).
  void set_chat_state(const Principal& who, int64_t conversation_id, std::optional<bool> pinned,
                      std::optional<bool> archived, Callback<store::ChatStateOutcome> done);

  // ---- forwarding (forwarding.cc) ------------------------------------------------------
  // Copies a text or photo message the caller sees (not deleted) into each of `targets`
  // (1..kMaxForwardTargets distinct conversations they are an active member of) as a
  // message marked forwarded; a photo names the same upload. All or nothing, in one
  // transaction; each copy is idempotent under "{client_id}-{target}" and costs one send
  // token. Copies into a direct conversation whose other member blocked the caller are
  // withheld as sends are. Errors: kInvalidArgument (client_id, target count, a repeated
  // target, a system or deleted source), kNotFound (the source, or a target, named in the
  // message), kRateLimited. The results are in the order of `targets`.
  void forward(const Principal& who, int64_t conversation_id, int64_t seq, std::vector<int64_t> targets,
               std::string client_id, uint64_t origin_connection,
               Callback<std::vector<store::AppendOutcome>> done);

  // ---- voice messages (reactions.cc) ---------------------------------------------------
  // Records that the caller played the voice message at seq (the first time counts; later
  // calls change nothing and answer the same played_at). Errors: kNotFound (no such message,
  // not an active member, or hidden from the caller), kInvalidArgument (not a voice message,
  // deleted for everyone, or the caller's own).
  void mark_played(const Principal& who, int64_t conversation_id, int64_t seq,
                   Callback<store::PlayOutcome> done);

  // ---- reactions (reactions.cc) --------------------------------------------------------
  // Sets the caller's one reaction on a message (replacing theirs), or removes it when
  // `emoji` is empty; repeats change nothing. The emoji must be exactly one
  // (protocol/emoji.h). Errors: kInvalidArgument (not one emoji, a group event, a message
  // deleted for everyone), kNotFound (no such message, not an active member, or hidden from
  // the caller). In a direct conversation whose other member blocked the caller it is
  // stored and told to the caller's devices only.
  void react(const Principal& who, int64_t conversation_id, int64_t seq, std::string emoji,
             Callback<store::ReactionOutcome> done);

  // Messages of one conversation new or changed (as the user sees them) after `since`.
  Result<store::Page<store::MessageRecord>> message_changes(const Principal& who,
                                                            int64_t conversation_id,
                                                            int64_t since, int limit);
  // Full-text search (query 1..256 bytes of UTF-8, limit 1..100, offset 0..1000).
  Result<store::Page<store::SearchHit>> search(const Principal& who, store::SearchQuery query);
  store::StoreStats store_stats() const { return store_.stats(); }

  // ---- groups (groups.cc) -----------------------------------------------------------
  // Every change is also appended to the group's history as a "system" message, so all
  // devices show it in order. Each is all or nothing. Errors: kForbidden (not an admin),
  // kNotFound (no such group or user, or not an active member), kGroupFull,
  // kInvalidArgument.
  // Creating and adding also refuse, with kForbidden listing them in Error::user_ids, the
  // users who do not let the actor add them (store::WriteTxn::group_add_refusals), and
  // are rate-limited per actor (kRateLimited): one creation, and one unit per user added.
  void create_group(const Principal& who, std::string name, std::string description,
                    std::vector<int64_t> member_ids, Callback<store::ConversationRecord> done);
  void add_members(const Principal& who, int64_t conversation_id, std::vector<int64_t> user_ids,
                   Callback<store::ConversationRecord> done);
  // Removing yourself is leaving.
  void remove_member(const Principal& who, int64_t conversation_id, int64_t user_id,
                     Callback<Done> done);
  // When the last admin leaves, the longest-standing member becomes admin.
  void leave_group(const Principal& who, int64_t conversation_id, Callback<Done> done);
  void set_member_role(const Principal& who, int64_t conversation_id, int64_t user_id,
                       std::string role, Callback<Done> done);
  void update_group(const Principal& who, int64_t conversation_id, std::optional<std::string> name,
                    std::optional<std::string> description, Callback<store::ConversationRecord> done);
  Result<std::vector<store::MemberRecord>> group_members(const Principal& who, int64_t conversation_id);
  Result<std::vector<store::MessageReceipt>> message_receipts(const Principal& who,
                                                              int64_t conversation_id, int64_t seq);
  // ---- contacts, blocking, privacy (social.cc) ---------------------------------------
  // Adds or renames a contact (nickname 0..64 characters). Errors: kNotFound, kInvalidArgument.
  void add_contact(const Principal& who, int64_t user_id, std::string nickname,
                   Callback<store::ContactRecord> done);
  // Errors: kNotFound when it was not a contact.
  void remove_contact(const Principal& who, int64_t user_id, Callback<Done> done);
  Result<std::vector<store::ContactRecord>> contacts(const Principal& who);
  // Username prefix search (1..32 characters, limit 1..50).
  Result<std::vector<store::UserRecord>> search_users(std::string_view prefix, int limit);
  // Blocking is private: the blocked user is never told. Errors: kNotFound, kInvalidArgument.
  void set_block(const Principal& who, int64_t user_id, bool blocked, Callback<Done> done);
  Result<std::vector<store::UserRecord>> blocked_users(const Principal& who);
  void set_hide_last_seen(const Principal& who, bool hide, Callback<Done> done);
  Result<bool> hides_last_seen(const Principal& who);
  // Changes the given settings (at least one) in one write; the result is all of them.
  // Errors: kBadRequest (none given), kInvalidArgument (groups_add not "everyone",
  // "contacts" or "nobody").
  void set_privacy(const Principal& who, std::optional<bool> hide_last_seen,
                   std::optional<std::string> groups_add, Callback<store::PrivacySettings> done);
  Result<store::PrivacySettings> privacy(const Principal& who);

  // ---- presence and typing (social.cc) ------------------------------------------------
  struct PresenceGrant {
    int64_t user_id = 0;
    bool show_last_seen = true;  // false when either side hides last seen
    bool target_hides = false;
    bool viewer_hides = false;
  };
  // Of `targets`, whose presence the viewer may see (they share a conversation or are
  // contacts, and neither blocked the other), with the last-seen privacy applied.
  Result<std::vector<PresenceGrant>> presence_grants(const Principal& who,
                                                     const std::vector<int64_t>& targets);
  // Who gets the viewer's typing indicator in a conversation: the other active members,
  // minus anyone with a block between them. Errors: kNotFound (not an active member).
  Result<std::vector<int64_t>> typing_recipients(const Principal& who, int64_t conversation_id);

  // Takes one token from the user's bucket for requests other than sends (all devices and
  // both transports together; limits.other_per_sec, other_burst). kRateLimited with
  // retry_after_ms when it is empty: the transport then answers without doing anything.
  // Thread-safe; cheap (no I/O).
  [[nodiscard]] Status admit_request(const Principal& who);

  // Resolves usernames to ids (kNotFound naming the first unknown one).
  Result<std::vector<int64_t>> user_ids(const std::vector<std::string>& usernames);

  CommitterStats committer_stats() const { return committer_.stats(); }
  Committer& committer() { return committer_; }

 private:
  // The deletion's write op (account_deletion.cc): `already` answers an account found
  // deleted; `done` gets the number of sessions ended.
  void submit_deletion(int64_t user_id, Error already, Callback<int64_t> done);
  void run_group_change(std::function<Status(store::WriteTxn&, GroupChange&)> apply,
                        Callback<store::ConversationRecord> done);
  void create_session(store::UserRecord user, std::string device_name, Callback<LoginResult> done);
  // kRateLimited when the actor may not create a group (creating) or add `adding` users now.
  Status throttle_group_change(int64_t actor, bool creating, std::size_t adding);

  store::Store& store_;
  Notifier& notifier_;
  const ChatLimits limits_;
  RateLimiter send_limiter_;
  RateLimiter other_limiter_;
  RateLimiter group_create_limiter_;
  RateLimiter group_add_limiter_;
  Committer committer_;
};

}  // namespace parley::chat
