// The system of record, as the domain sees it: plain structs in, plain structs out.
// No SQL, no sockets. Implementations: sqlite/ (embedded, the default) and postgres/
// (several processes on one database); both pass the same conformance suite
// (store_test.cc).
//
// Threading contract:
//  - write() is called from one thread only (the domain's committer thread). Each call is
//    one durable transaction holding a batch of operations (group commit). Several stores
//    (processes) may share one PostgreSQL database; each still has one writer thread.
//  - Every read method is thread-safe, may be called from any thread concurrently with
//    write(), and sees a consistent snapshot of committed data.
//
// Ordering contract: `version` is a store-wide counter; every change (a message, a receipt
// watermark moving, a conversation created, a member added) takes the next value at commit
// time. A message's version is that of its newest change (its append, an edit, its
// deletion), so within one conversation the messages with version > V are exactly those
// that are new or changed since V. A reader that observed version V has observed every
// change with version <= V.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace parley::store {

struct UserRecord {
  int64_t id = 0;
  std::string username;      // lower-case, unique; a deleted account keeps it (reserved)
  std::string display_name;  // empty exactly when the account was deleted (delete_account):
                             // a live account always has one (protocol/validate.h)
  int64_t created_at = 0;    // ms since epoch

  bool deleted() const { return display_name.empty(); }
};

struct Credentials {
  UserRecord user;
  std::string password_hash;  // encoded argon2id string (libsodium crypto_pwhash_str)
};

struct SessionRecord {
  int64_t id = 0;
  int64_t user_id = 0;
  std::string device_name;
  int64_t created_at = 0;
  int64_t expires_at = 0;
  bool revoked = false;
};

// One user's reaction to a message (one per user and message).
struct Reaction {
  int64_t user_id = 0;
  std::string emoji;
  int64_t created_at = 0;  // when it was set (or last replaced)
};

struct MessageRecord {
  int64_t id = 0;               // unique store-wide
  int64_t conversation_id = 0;
  int64_t seq = 0;              // 1, 2, 3... gap-free within the conversation
  int64_t sender_id = 0;
  std::string client_id;        // unique per sender
  std::string kind;             // "text" | "system" (group events, JSON in text) | "image"
                                // | "file" | "voice" (the upload's kind)
  std::string text;             // kind "image": the caption, may be empty; empty once deleted
  int64_t ts = 0;               // server time of the commit, ms since epoch
  int64_t version = 0;          // the version of the newest change to the message
  std::optional<int64_t> edited_at;   // time of the last edit
  std::optional<int64_t> deleted_at;  // time of "delete for everyone" (text erased)
  // Per viewer: the viewer hid it with "delete for me" (reads that take a user id set it;
  // the text is then left out).
  bool hidden = false;
  std::string media_id;         // kind "image": the upload shown (MediaRecord::id); else empty
  std::string attachment;       // kind "image": the image object as compact JSON; empty
                                // otherwise and once deleted for everyone
  int64_t reply_to = 0;         // a reply: the seq of the quoted message in the same
                                // conversation; 0 otherwise. Kept after deletions.
  bool forwarded = false;       // a copy of another message, sent with "forward"
  // Reactions as the viewer sees them, oldest first (history, message_changes and a
  // conversation's last_message fill it; other reads leave it empty): none on a message
  // hidden from the viewer, and in a direct conversation none by a user the viewer blocked.
  std::vector<Reaction> reactions;
};

struct MemberRecord {
  UserRecord user;
  int64_t delivered_seq = 0;  // invariant: read_seq <= delivered_seq <= conversation last_seq
  int64_t read_seq = 0;
  int64_t joined_at = 0;
  std::string role = "member";       // "admin" | "member" (direct conversations: "member")
  // History boundary: the member sees messages with joined_seq < seq (<= left_seq).
  int64_t joined_seq = 0;
  std::optional<int64_t> left_seq;   // set once removed or left: no longer an active member
  // Mute (push notifications): no push for this conversation to this member until then,
  // ms since epoch; 0: not muted; kMutedAlways: until unmuted. Private to the member.
  int64_t muted_until = 0;
};

// muted_until of a conversation muted "always": 2^53 - 1, the largest integer every JSON
// reader (JavaScript's numbers included) keeps exactly.
inline constexpr int64_t kMutedAlways = 9007199254740991;

// A conversation as one user (the viewer) may see it. Reads that take a user id return
// it from that user's point of view: for a member who has left, last_seq, last_activity
// and last_message stop at their left_seq.
struct ConversationRecord {
  int64_t id = 0;
  std::string kind;             // "direct" | "group"
  int64_t created_at = 0;
  int64_t last_seq = 0;         // 0 when empty
  int64_t last_activity = 0;    // ts of the last message, else created_at
  int64_t version = 0;          // version of the newest change to the conversation or its members
  // direct: both members. group: only the viewer's own entry (a group may have hundreds;
  // Store::group_members lists them all). Ordered by user id.
  std::vector<MemberRecord> members;
  std::optional<MessageRecord> last_message;  // the message with seq == last_seq
  // Groups only (empty for direct).
  std::string name;
  std::string description;
  int64_t member_count = 0;     // active members (direct: 2)
  // The lowest delivered_seq / read_seq over the active members: every message with
  // seq <= min_delivered_seq has been delivered to all of them ("delivered to all").
  // 0 for a viewer who left: they see no receipts made after their removal.
  int64_t min_delivered_seq = 0;
  int64_t min_read_seq = 0;
  // The viewer's own chat-list state (never another member's): pinned since when (absent:
  // not pinned) and archived. Set with WriteTxn::set_chat_state.
  std::optional<int64_t> pinned_at;
  bool archived = false;
};

// A user's pin/archive state of one conversation after set_chat_state.
struct ChatStateOutcome {
  int64_t conversation_id = 0;
  int64_t user_id = 0;
  std::optional<int64_t> pinned_at;
  bool archived = false;
  int64_t version = 0;   // the new version when changed (the user's view of the conversation)
  bool changed = false;
};

// When each member received and read one message (for "message info").
struct MessageReceipt {
  UserRecord user;
  std::optional<int64_t> delivered_at;  // ms since epoch; absent: not yet
  std::optional<int64_t> read_at;
  std::optional<int64_t> played_at;  // voice messages: when this member first played it
};

// A user in someone's contact list, with the owner's private nickname for them.
struct ContactRecord {
  UserRecord user;
  std::string nickname;  // empty: none
  int64_t created_at = 0;
};

// What presence needs to know about a user from the store.
struct PresenceRecord {
  int64_t user_id = 0;
  std::optional<int64_t> last_seen_at;  // ms since epoch; absent: never recorded
  bool hide_last_seen = false;
};

// What `parleyd admin stats` shows of the store.
struct StoreCounts {
  int64_t users = 0;
  int64_t disabled_users = 0;
  int64_t live_sessions = 0;  // unrevoked, not expired
  int64_t conversations = 0;
  int64_t messages = 0;
};

// A user's privacy settings. groups_add: who may add them to groups: "everyone",
// "contacts" (users they have as a contact) or "nobody".
struct PrivacySettings {
  bool hide_last_seen = false;
  std::string groups_add = "everyone";
};

// A device's registration for push notifications (src/server/push). It belongs to one
// session and dies with it: revoking a session deletes its subscriptions.
struct PushSubscriptionRecord {
  int64_t id = 0;
  int64_t user_id = 0;
  int64_t session_id = 0;
  std::string kind;      // "webpush" (RFC 8030) | "gateway" (the operator's push gateway)
  std::string endpoint;  // webpush: the push service URL; gateway: the device's push key
  std::string app_id;    // gateway: the app the push key belongs to; webpush: empty
  std::string p256dh;    // webpush: the browser's public key, base64url; gateway: empty
  std::string auth;      // webpush: the browser's auth secret, base64url; gateway: empty
  int64_t created_at = 0;
};

// Bounds on push subscriptions, checked inside the write that adds one.
struct PushSubscriptionLimits {
  int per_session = 10;
  int per_user = 50;
};

// A 1:1 call (docs/protocol.md, "Calls"). Every state change is one conditional update
// (end_call, answer_call: only from the state the caller names), so with several processes on
// one database exactly one of two racing changes happens.
struct CallRecord {
  std::string id;               // random, 32 hex digits
  int64_t conversation_id = 0;  // a direct conversation
  int64_t caller_id = 0;
  int64_t callee_id = 0;
  std::string media;            // "audio" | "video"
  std::string state;            // "ringing" | "active" | "ended"
  int64_t started_at = 0;       // ms since epoch
  std::optional<int64_t> answered_at;
  std::optional<int64_t> ended_at;
  std::string end_reason;       // empty until ended: "completed", "declined", "no_answer",
                                // "cancelled", "busy", "disconnected"
  int64_t caller_session = 0;   // the caller's device (session) that started it
  int64_t callee_session = 0;   // the callee's device that accepted or declined it; 0 before
  bool withheld = false;        // the callee had blocked the caller: it rings on no device
  std::string offer_sdp;        // the caller's offer while ringing; emptied when it leaves ringing
};

struct NewMessage {
  int64_t conversation_id = 0;
  int64_t sender_id = 0;
  std::string client_id;
  std::string kind;
  std::string text;
  int64_t ts = 0;
  std::string media_id;    // see MessageRecord
  std::string attachment;
  int64_t reply_to = 0;    // see MessageRecord; the domain checks it (the store does not)
  bool forwarded = false;  // see MessageRecord
};

// An upload after processing (src/server/media): an image, a document or a voice clip. Its
// bytes live in a media store as blobs named by the lower-case hex SHA-256 of their
// content, so identical uploads share one blob; the record is per upload and per owner.
// "file" and "voice" are stored as uploaded, have no thumbnail (thumb_* repeat the
// full blob: mime, sha256 and size; thumb_width/height and width/height are 0) and no
// placeholder. A "video" is the remuxed video (mime, sha256, size, width, height,
// duration_ms) with its poster frame as thumbnail (thumb_*) and a placeholder.
struct MediaRecord {
  std::string id;              // random and unguessable (32 hex digits)
  int64_t owner_id = 0;        // the uploader
  std::string source_sha256;   // of the bytes as uploaded: an identical upload reuses the work
  std::string mime;            // of the full image: "image/jpeg" or "image/webp"
  std::string sha256;          // blob of the full image
  int64_t size = 0;            // bytes
  int64_t width = 0;           // after applying the EXIF orientation
  int64_t height = 0;
  std::string thumb_mime;
  std::string thumb_sha256;    // blob of the thumbnail
  int64_t thumb_size = 0;
  int64_t thumb_width = 0;
  int64_t thumb_height = 0;
  std::string placeholder;     // a tiny blurred preview as a data: URI
  int64_t created_at = 0;      // ms since epoch
  std::string kind = "image";  // "image" | "file" | "voice" | "video"
  std::string name;            // kind "file": the sanitised file name; else empty
  int64_t duration_ms = 0;     // kind "video": its length as measured; else 0
};

struct AppendOutcome {
  MessageRecord message;
  bool duplicate = false;            // (sender_id, client_id) existed: `message` is the original
  std::vector<int64_t> member_ids;   // members of the conversation at commit time (for fan-out)
};

struct ReceiptOutcome {
  int64_t conversation_id = 0;
  int64_t user_id = 0;
  int64_t delivered_seq = 0;   // the watermarks after the call
  int64_t read_seq = 0;
  int64_t version = 0;         // the new version if changed, else the member's unchanged one
  bool changed = false;
  std::vector<int64_t> member_ids;
};

// An edit or a "delete for everyone", as committed.
struct MessageChange {
  MessageRecord message;             // the message after the change
  bool changed = false;              // false: it was already so (idempotent repeat)
  std::vector<int64_t> member_ids;   // active members at commit time (for fan-out)
};

// A reaction set, replaced or removed.
struct ReactionOutcome {
  int64_t conversation_id = 0;
  int64_t seq = 0;
  int64_t user_id = 0;
  std::string emoji;                 // empty: removed
  int64_t version = 0;               // the message's version after the call
  bool changed = false;              // false: it was already so, nothing written
  std::vector<int64_t> member_ids;   // active members at commit time (for fan-out)
};

// A voice message played by one recipient (docs/protocol.md, "Played").
struct PlayOutcome {
  int64_t conversation_id = 0;
  int64_t seq = 0;
  int64_t user_id = 0;    // who played it
  int64_t played_at = 0;  // the first time (ms since epoch); unchanged by later plays
  bool changed = false;   // false: it had been played before, nothing written
  int64_t sender_id = 0;  // filled by the domain, for the event
};

// A "delete for me".
struct HideOutcome {
  int64_t user_id = 0;
  int64_t conversation_id = 0;
  int64_t seq = 0;
  int64_t version = 0;  // the version of the hide (the original one when repeated)
  bool changed = false;
};

// Full-text search over the messages a user can see.
struct SearchQuery {
  std::string text;                        // the user's words (not FTS syntax); see search()
  std::optional<int64_t> conversation_id;  // only this conversation
  int limit = 20;                          // 1..100
  int offset = 0;                          // 0..1000, pagination by rank
  // The last word also matches as a prefix (search as you type). Costs more on a large
  // store: a prefix reads the postings of every word it starts, across all conversations.
  bool prefix = true;
};

struct SearchHit {
  MessageRecord message;
  // The matching part of the text, shortened with "…" at cut ends; each match is between
  // the bytes 0xFF (start) and 0xFE (end), which never occur in UTF-8 text.
  std::string snippet;
  double rank = 0;  // lower is better (bm25)
};

// What WriteTxn::delete_account did.
struct AccountDeletion {
  bool changed = false;  // false: the account was already deleted, nothing was written
  // The user's conversations at the time, for the domain to finish with: groups they are
  // still an active member of (their membership is not ended here), and direct
  // conversations (each took a new version, so the peer's devices sync the change).
  std::vector<int64_t> active_group_ids;
  std::vector<int64_t> direct_ids;
};

struct DirectOutcome {
  ConversationRecord conversation;
  bool created = false;
};

// Store-internal counters for /metrics.
struct StoreStats {
  uint64_t erase_purges = 0;   // completed purges of erased text (see erase_message)
  bool erase_pending = false;  // an erase is committed whose purge has not completed
  // write() batches committed, and the time their COMMIT alone took, summed: on SQLite
  // writing the batch's WAL frames (and their fsync when COMMIT flushes), on PostgreSQL the
  // COMMIT's round trip, which waits for the server's WAL flush. Against the whole batch's
  // time (the committer's histogram) it tells the disk's share from the work of the ops.
  uint64_t commits = 0;
  uint64_t commit_finish_us = 0;
  // Flushes of committed batches after their COMMIT (flush_committed, or a read waiting for
  // one) and the time they took, summed: SQLite's fdatasync of the WAL. None on PostgreSQL.
  uint64_t flushes = 0;
  uint64_t flush_us = 0;
};

template <class T>
struct Page {
  std::vector<T> items;
  bool has_more = false;
};

struct SyncPage {
  std::vector<ConversationRecord> conversations;  // ordered by version ascending
  int64_t version = 0;  // see Store::changes_since
  bool has_more = false;
};

// A position in a user's chat list (last_activity descending, then id descending).
struct ChatListCursor {
  int64_t last_activity = 0;
  int64_t id = 0;  // 0 with last_activity T: every conversation active at T is before it
};

// History query: at most one of before/after. Neither: newest `limit`, newest first.
// before=S: seq < S newest first. after=S: seq > S oldest first.
struct HistoryQuery {
  int64_t conversation_id = 0;
  std::optional<int64_t> before;
  std::optional<int64_t> after;
  int limit = 50;  // 1..200, validated by the caller
};

// A conversation's messages of one category, for its "media, links and docs" view.
enum class MediaCategory {
  kMedia,  // photos and videos (kind "image", "video")
  kDocs,   // documents (kind "file")
  kVoice,  // voice messages (kind "voice")
  kLinks,  // messages whose text contains "http://" or "https://" (any letter case)
};
// Newest first; before=S: seq < S only.
struct MediaQuery {
  int64_t conversation_id = 0;
  MediaCategory category = MediaCategory::kMedia;
  std::optional<int64_t> before;
  int limit = 50;  // 1..200, validated by the caller
};

// The operations available inside one write transaction. Only valid during
// WriteOp::apply. Each method either succeeds completely or fails having written
// nothing (so one failed operation never spoils the rest of its batch). A storage
// failure (I/O error, disk full) returns kInternal and makes the whole batch fail.
class WriteTxn {
 public:
  virtual ~WriteTxn() = default;

  // Errors: kUsernameTaken.
  virtual Result<UserRecord> create_user(std::string_view username, std::string_view display_name,
                                         std::string_view password_hash, int64_t now) = 0;

  // token_hash is the hex SHA-256 of the token; it is unique.
  virtual Result<SessionRecord> create_session(int64_t user_id, std::string_view token_hash,
                                               std::string_view device_name, int64_t now,
                                               int64_t expires_at) = 0;

  // Revokes a live session of user_id and deletes its push subscriptions. Result false when
  // it is not theirs or already revoked.
  virtual Result<bool> revoke_session(int64_t user_id, int64_t session_id) = 0;

  // Revokes every unrevoked session of user_id except keep_session_id (deleting their push
  // subscriptions); returns their ids.
  virtual Result<std::vector<int64_t>> revoke_other_sessions(int64_t user_id,
                                                             int64_t keep_session_id) = 0;

  // ---- administration (parleyd admin) ----
  // Disables (with the time) or enables the account. Result: whether anything changed.
  // Errors: kNotFound when the user does not exist. Sessions are not touched: revoke them
  // in the same transaction (revoke_other_sessions with keep_session_id 0).
  virtual Result<bool> set_account_disabled(int64_t user_id, bool disabled, int64_t now) = 0;
  // Whether the account is disabled, read inside this transaction.
  virtual Result<bool> account_disabled(int64_t user_id) = 0;
  // Deletes the account (the user's own request): erases the profile (display name, now
  // empty, which marks the record deleted; the password hash, so no password matches;
  // last seen and the privacy and notification settings, back to their defaults), the
  // user's contacts and blocks in both directions, their "delete for me" marks and their
  // per-chat settings (pin, archive, mute); blanks the device names of their sessions
  // (revoke them first with revoke_other_sessions); and marks their uploads that no
  // message references as expired, so the next media sweep removes them. The username row
  // stays (reserved). Messages and reactions are kept. The erased bytes become
  // unrecoverable from the store's files as erase_message's do. Already deleted:
  // changed=false, nothing written. Errors: kNotFound (no such user).
  virtual Result<AccountDeletion> delete_account(int64_t user_id, int64_t now) = 0;
  // Replaces the password hash. Errors: kNotFound when the user does not exist.
  virtual Status set_password_hash(int64_t user_id, std::string_view password_hash) = 0;

  // The one direct conversation of users a and b (a != b, both exist), created if absent.
  // Errors: kNotFound when a user does not exist.
  virtual Result<DirectOutcome> get_or_create_direct(int64_t a, int64_t b, int64_t now) = 0;

  // Appends a message with seq = last_seq + 1 and the given ts; sets the sender's
  // delivered/read watermarks to the new seq and the conversation's last_activity to ts.
  // Idempotent: if (sender_id, client_id) exists, returns that message with duplicate=true
  // and writes nothing. Errors: kNotFound when the conversation does not exist or the
  // sender is not an active member. member_ids: the active members after the append.
  virtual Result<AppendOutcome> append_message(const NewMessage& message) = 0;

  // The message `sender_id` sent with `client_id`, if any (the idempotency key).
  virtual Result<std::optional<MessageRecord>> find_sent_message(int64_t sender_id,
                                                                 std::string_view client_id) = 0;

  // Raises the member's watermarks to max(current, given); read also raises delivered.
  // Values beyond last_seq are an error (kInvalidArgument); values at or below the current
  // watermark change nothing (changed=false). Every change is also logged with the
  // commit time, for message_receipts. Errors: kNotFound when not an active member.
  virtual Result<ReceiptOutcome> advance_receipt(int64_t conversation_id, int64_t user_id,
                                                 int64_t delivered_seq, int64_t read_seq) = 0;

  // ---- groups: primitives; the domain decides who may do what -----------------------
  // Group changes are recorded as messages of kind "system" (append_message), so every
  // device shows them in order. Each primitive below bumps the conversation's version.

  // A new group with `creator_id` as its only (admin) member, joined_seq 0, no messages.
  // Errors: kNotFound when the creator does not exist.
  virtual Result<ConversationRecord> create_group(int64_t creator_id, std::string_view name,
                                                  std::string_view description, int64_t now) = 0;

  // The conversation as `viewer_id` sees it (also for a member who has left), or nullopt.
  virtual Result<std::optional<ConversationRecord>> conversation(int64_t conversation_id,
                                                                 int64_t viewer_id) = 0;

  // One member's record, active or not; nullopt if the user was never a member.
  virtual Result<std::optional<MemberRecord>> member(int64_t conversation_id, int64_t user_id) = 0;

  // Active members, ordered by (joined_at, user id): the longest-standing first.
  virtual Result<std::vector<MemberRecord>> active_members(int64_t conversation_id) = 0;

  // Adds a user (or re-adds one who left) as an active member with the given role and
  // history boundary; watermarks start at joined_seq. Errors: kNotFound (no such user).
  virtual Status add_member(int64_t conversation_id, int64_t user_id, std::string_view role,
                            int64_t joined_seq, int64_t now) = 0;

  virtual Status set_role(int64_t conversation_id, int64_t user_id, std::string_view role) = 0;

  // Ends an active membership at left_seq (the member keeps seq <= left_seq).
  virtual Status remove_member(int64_t conversation_id, int64_t user_id, int64_t left_seq) = 0;

  virtual Status set_group_info(int64_t conversation_id, std::string_view name,
                                std::string_view description) = 0;

  // ---- contacts, blocking, presence ---------------------------------------------------
  // Adds `contact_id` to owner's contacts or renames an existing entry.
  // Errors: kNotFound (no such user), kInvalidArgument (owner == contact_id).
  virtual Result<ContactRecord> upsert_contact(int64_t owner_id, int64_t contact_id,
                                               std::string_view nickname, int64_t now) = 0;
  // False when it was not a contact.
  virtual Result<bool> remove_contact(int64_t owner_id, int64_t contact_id) = 0;
  // Blocks (on=true) or unblocks. Result: whether anything changed.
  // Errors: kNotFound (no such user), kInvalidArgument (blocker == blocked_id).
  virtual Result<bool> set_block(int64_t blocker_id, int64_t blocked_id, bool on, int64_t now) = 0;
  // True when `conversation_id` is a direct conversation whose other member deleted their
  // account (delete_account), so no one may message them.
  virtual Result<bool> direct_peer_deleted(int64_t conversation_id, int64_t sender_id) = 0;
  // True when `conversation_id` is a direct conversation whose other member has blocked
  // `sender_id` (so the sender may not message them). False for groups.
  virtual Result<bool> blocked_in_direct(int64_t conversation_id, int64_t sender_id) = 0;
  virtual Status set_last_seen(int64_t user_id, int64_t ts) = 0;
  virtual Status set_hide_last_seen(int64_t user_id, bool hide) = 0;
  // Errors: kInvalidArgument (not "everyone", "contacts" or "nobody"), kNotFound.
  virtual Status set_groups_add(int64_t user_id, std::string_view who) = 0;
  // Errors: kNotFound (no such user).
  virtual Result<PrivacySettings> privacy(int64_t user_id) = 0;
  // Of `candidates`, those who do not let `actor_id` add them to a group, ascending: a
  // block between the two in either direction, groups_add "nobody", or "contacts" while
  // the candidate does not have the actor as a contact. Unknown ids are left out.
  virtual Result<std::vector<int64_t>> group_add_refusals(
      int64_t actor_id, const std::vector<int64_t>& candidates) = 0;

  // ---- push subscriptions (push_txn.cc) --------------------------------------------------
  // Adds a subscription for (user_id, session_id). Subscriptions are keyed by (user_id,
  // kind, app_id, endpoint): registering a key the user already has moves it to this session
  // and replaces its keys (a browser re-subscribing, or a new login on the same device) and
  // returns it with its original id and created_at. A new key beyond the limits is
  // kForbidden and writes nothing. Errors: kForbidden.
  virtual Result<PushSubscriptionRecord> put_push_subscription(const PushSubscriptionRecord& subscription,
                                                               const PushSubscriptionLimits& limits) = 0;
  // Deletes one subscription of the session. False when there was none with that id.
  virtual Result<bool> delete_push_subscription(int64_t user_id, int64_t session_id, int64_t id) = 0;
  // Deletes every subscription with this address, whoever registered it (a push service
  // answered 404/410, or a gateway reported the key rejected). Returns how many.
  virtual Result<int64_t> delete_push_address(std::string_view kind, std::string_view app_id,
                                              std::string_view endpoint) = 0;

  // Mutes the conversation for an active member until `muted_until` (0: unmutes). Only this
  // member's view changes: it takes the next version as the member's own change, so sync
  // reports the conversation to their devices. Returns that version.
  // Errors: kNotFound (not an active member).
  virtual Result<int64_t> set_muted_until(int64_t conversation_id, int64_t user_id, int64_t muted_until) = 0;
  // The user's notification preview: "full" (sender and text) or "hidden" ("New message").
  // Errors: kInvalidArgument (another value), kNotFound (no such user).
  virtual Status set_notification_preview(int64_t user_id, std::string_view preview) = 0;

  // ---- edits and deletions: primitives; the domain checks sender, kind and windows ----
  // The message at (conversation_id, seq), or nullopt.
  virtual Result<std::optional<MessageRecord>> message_at(int64_t conversation_id,
                                                          int64_t seq) = 0;
  // The message at (conversation_id, seq) as user_id sees it: nullopt unless the user is
  // or was a member and the seq is inside their window (joined_seq < seq, <= left_seq once
  // they left); hidden=true (text and attachment left out) when the user hid it or it is
  // withheld from them.
  virtual Result<std::optional<MessageRecord>> visible_message(int64_t user_id,
                                                               int64_t conversation_id,
                                                               int64_t seq) = 0;
  // Replaces the text, sets edited_at = now and re-indexes it for search. Same text:
  // changed=false, nothing written. Errors: kNotFound (no such message),
  // kInvalidArgument (deleted or not a text message).
  virtual Result<MessageChange> edit_message(int64_t conversation_id, int64_t seq,
                                             std::string_view text, int64_t now) = 0;
  // Delete for everyone: erases the text (and removes it from the search index), sets
  // deleted_at = now. Already deleted: changed=false. The erased bytes become
  // unrecoverable from the store's files soon after (see the implementation's notes).
  // Errors: kNotFound, kInvalidArgument (a system message).
  virtual Result<MessageChange> erase_message(int64_t conversation_id, int64_t seq,
                                              int64_t now) = 0;
  // Sets user_id's reaction to the message at (conversation_id, seq) to `emoji` (replacing
  // theirs), or removes it when `emoji` is empty. A change takes a new version, which becomes
  // the message's and the conversation's (so sync and message_changes carry it); the same
  // emoji again, or removing none, is changed=false and writes nothing. Errors: kNotFound
  // (no such message). The domain checks who may react to what.
  virtual Result<ReactionOutcome> set_reaction(int64_t user_id, int64_t conversation_id,
                                               int64_t seq, std::string_view emoji,
                                               int64_t now) = 0;
  // Pins/unpins and archives/unarchives a conversation for one user (a member, active or
  // not); absent fields stay. Pinning sets pinned_at = now (an already pinned one keeps
  // its time). A change takes a new version seen only by this user (sync of their
  // devices); no change writes nothing. Errors: kNotFound (never a member),
  // kInvalidArgument (the user would have more than max_pinned pinned conversations).
  virtual Result<ChatStateOutcome> set_chat_state(int64_t conversation_id, int64_t user_id,
                                                  std::optional<bool> pinned,
                                                  std::optional<bool> archived, int max_pinned,
                                                  int64_t now) = 0;
  // Delete for me: hides the message from user_id's reads. Repeats: changed=false.
  // Errors: kNotFound (no such message or the user cannot see it).
  virtual Result<HideOutcome> hide_message(int64_t user_id, int64_t conversation_id,
                                           int64_t seq) = 0;

  // ---- media (uploads) ------------------------------------------------------------------
  // Records a processed upload. Errors: kInvalidArgument when the id is taken.
  virtual Status insert_media(const MediaRecord& media) = 0;
  virtual Result<std::optional<MediaRecord>> find_media(std::string_view media_id) = 0;
  // Deletes at most `limit` uploads created before `created_before` that no message
  // references. Returns the blob keys (sha256 values) that no remaining upload uses: the
  // caller removes those blobs after the commit.
  // Records that user_id played the voice message at (conversation_id, seq), unless they
  // had (the first time stays). The domain checks who may. Errors: kInternal.
  virtual Result<PlayOutcome> mark_played(int64_t conversation_id, int64_t seq, int64_t user_id,
                                          int64_t now) = 0;
  virtual Result<std::vector<std::string>> delete_unreferenced_media(int64_t created_before,
                                                                     int limit) = 0;

  // ---- calls (calls_store.cc) -------------------------------------------------------------
  // Records a new call as given. Errors: kInvalidArgument when the id is taken.
  virtual Status insert_call(const CallRecord& call) = 0;
  // The call with this id, read inside the transaction; nullopt if none.
  virtual Result<std::optional<CallRecord>> call(std::string_view call_id) = 0;
  // Whether the user is a party of a call that is ringing and started at or after
  // `ringing_since`, or active and answered at or after `active_since` (older ones are
  // left over from a process that died, and count as over). A withheld call does not count
  // for its callee (it never rang for them).
  virtual Result<bool> in_call(int64_t user_id, int64_t ringing_since, int64_t active_since) = 0;
  // ringing -> active: sets answered_at = now, callee_session, and empties offer_sdp, only if
  // the call is still ringing. Result: whether it changed (false: someone else got there first).
  virtual Result<bool> answer_call(std::string_view call_id, int64_t callee_session, int64_t now) = 0;
  // `from` ("ringing" or "active") -> ended with `reason`, ended_at = now, offer_sdp emptied,
  // only if the call is in state `from`. A non-zero callee_session is recorded (the device that
  // declined). Result: whether it changed.
  virtual Result<bool> end_call(std::string_view call_id, std::string_view from, std::string_view reason,
                                int64_t callee_session, int64_t now) = 0;
};

// One unit of work in a write batch. The store calls apply() inside the transaction;
// the caller (not the store) delivers the outcome after write() returns.
//
// Each op is all-or-nothing: when apply() returns an error, everything it wrote is undone
// (the store takes a savepoint before each op and rolls back to it) and the versions it
// took are given back, while the other ops of the batch commit as usual. So an op may
// write first and discover later that it cannot finish (a group with one unknown member)
// without leaving half of itself behind.
class WriteOp {
 public:
  virtual ~WriteOp() = default;
  [[nodiscard]] virtual Status apply(WriteTxn& txn) = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // Runs every op's apply() in one transaction and commits it (durable once
  // flush_committed() has returned after it; reads never show it before); an op whose
  // apply() returned an error leaves no trace (see WriteOp). Returns an error (and rolls
  // everything back) if the transaction could not be committed or a storage failure
  // happened inside it; then no op's effects are stored. Single thread only.
  virtual Status write(std::span<WriteOp* const> ops) = 0;

  // Makes durable every batch write() has returned before this call; until then nothing
  // of such a batch may be acknowledged or published. A store whose write() returns only
  // once the batch is durable has nothing to do (the default). Thread-safe, and may run
  // while write() runs; an error means durability is unknown: the caller must stop.
  virtual Status flush_committed() { return Status{}; }

  // ---- reads: thread-safe, snapshot-consistent, durable ------------------------------
  // A read returns nothing of a commit that is not yet durable: it waits for the flush.

  virtual Result<std::optional<Credentials>> find_credentials(std::string_view username) = 0;
  virtual Result<std::optional<UserRecord>> find_user(int64_t user_id) = 0;
  virtual Result<std::optional<UserRecord>> find_user_by_name(std::string_view username) = 0;

  virtual Result<std::optional<SessionRecord>> find_session_by_token_hash(
      std::string_view token_hash) = 0;
  // Unrevoked sessions of the user with expires_at > now, oldest first.
  virtual Result<std::vector<SessionRecord>> live_sessions(int64_t user_id, int64_t now) = 0;

  // Visibility rules for every read that takes a user id:
  //  - a user sees a conversation they are or were a member of;
  //  - they see messages with joined_seq < seq, and, once they left, seq <= left_seq;
  //  - once they left, the conversation as they see it stops changing: its version is
  //    the version of their removal, last_seq/last_message stop at left_seq.

  // The conversation if it exists and user_id is or was a member; nullopt otherwise.
  virtual Result<std::optional<ConversationRecord>> conversation_for_member(
      int64_t conversation_id, int64_t user_id) = 0;

  // The user's conversations ordered by last_activity descending (ties: id descending),
  // only those after `before` in that order when given: last_activity < before.last_activity,
  // or equal with id < before.id. A total order, so paging never skips or repeats a row.
  virtual Result<Page<ConversationRecord>> list_conversations(
      int64_t user_id, std::optional<ChatListCursor> before, int limit) = 0;

  // A page of history. Errors: kNotFound when the conversation does not exist or user_id
  // is not a member.
  virtual Result<Page<MessageRecord>> history(int64_t user_id, const HistoryQuery& query) = 0;

  // The user's conversations with version > since, ordered by version ascending, at most
  // `limit`. version: when has_more, the version of the last conversation returned;
  // otherwise the store's current version at the read snapshot (>= since).
  virtual Result<SyncPage> changes_since(int64_t user_id, int64_t since, int limit) = 0;

  // The newest committed version.
  virtual Result<int64_t> current_version() = 0;

  virtual StoreStats stats() const = 0;

  // Active members of a conversation the viewer is an active member of, ordered by
  // (joined_at, user id). Errors: kNotFound (no such conversation, or not an active member).
  virtual Result<std::vector<MemberRecord>> group_members(int64_t conversation_id,
                                                          int64_t viewer_id) = 0;

  // For the message at `seq`: each other active member's delivery and read time (the
  // first receipt whose watermark reached seq). A member removed and re-added since seq is
  // listed with what they received and read in the membership that held seq, and left out
  // when that was nothing. Errors: kNotFound (no such message, the
  // viewer cannot see it, or the viewer is no longer an active member).
  virtual Result<std::vector<MessageReceipt>> message_receipts(int64_t conversation_id,
                                                               int64_t seq, int64_t viewer_id) = 0;

  // ---- contacts, blocking, presence ---------------------------------------------------
  // The owner's contacts ordered by nickname-or-display-name, case-insensitively.
  virtual Result<std::vector<ContactRecord>> contacts(int64_t owner_id) = 0;
  // Users whose username starts with `prefix` (already lower-case), ordered by username,
  // at most `limit` (1..50).
  virtual Result<std::vector<UserRecord>> search_users(std::string_view prefix, int limit) = 0;

  // When the account was disabled; nullopt when it is not.
  virtual Result<std::optional<int64_t>> disabled_at(int64_t user_id) = 0;
  // Totals for the operator (parleyd admin stats): each a COUNT over its table.
  virtual Result<StoreCounts> counts(int64_t now) = 0;
  // Users the blocker has blocked, most recent first.
  virtual Result<std::vector<UserRecord>> blocked_users(int64_t blocker_id) = 0;
  // True when `blocker_id` has blocked `blocked_id`.
  virtual Result<bool> is_blocked(int64_t blocker_id, int64_t blocked_id) = 0;
  // Of `targets`, those whose presence `viewer_id` may see: they share a conversation in
  // which both are active members, or each has the other as a contact (one side alone is
  // not enough); and neither has blocked the other. The viewer never appears in the result.
  virtual Result<std::vector<int64_t>> presence_audience(int64_t viewer_id,
                                                         const std::vector<int64_t>& targets) = 0;
  // Users among `user_ids` with a block between them and `user_id` in either direction.
  virtual Result<std::vector<int64_t>> block_relations(int64_t user_id,
                                                       const std::vector<int64_t>& user_ids) = 0;
  // Last-seen data of the given users (unknown ids are left out).
  virtual Result<std::vector<PresenceRecord>> presence(const std::vector<int64_t>& user_ids) = 0;
  // The user's privacy settings; nullopt for an unknown user.
  virtual Result<std::optional<PrivacySettings>> privacy_settings(int64_t user_id) = 0;

  // ---- changes and search ---------------------------------------------------------------
  // The messages of one conversation, visible to user_id, whose version > since, plus
  // those the user hid after `since` (hidden=true, no text): ordered by version, at most
  // `limit`. New messages, edits, deletions and hides alike, so a device that knows
  // `since` converges with work proportional to the changes. Errors: kNotFound (not a
  // member).
  virtual Result<Page<MessageRecord>> message_changes(int64_t user_id, int64_t conversation_id,
                                                      int64_t since, int limit) = 0;
  // Ranked full-text search over the messages user_id can see (their conversations'
  // messages inside their membership boundaries, not deleted, not hidden by them). Every
  // word of the query must match; the last one also matches as a prefix. Case and
  // diacritics are ignored. An empty query (no words) is kInvalidArgument.
  virtual Result<Page<SearchHit>> search(int64_t user_id, const SearchQuery& query) = 0;

  // ---- push subscriptions (push_reads.cc) ------------------------------------------------
  // The session's subscriptions, oldest first.
  virtual Result<std::vector<PushSubscriptionRecord>> push_subscriptions(int64_t user_id,
                                                                         int64_t session_id) = 0;
  // The subscriptions of the given users' live sessions (unrevoked, expires_at > now),
  // ordered by (user_id, id).
  virtual Result<std::vector<PushSubscriptionRecord>> push_targets(const std::vector<int64_t>& user_ids,
                                                                   int64_t now) = 0;

  // The user's notification preview ("full" or "hidden"); nullopt for an unknown user.
  virtual Result<std::optional<std::string>> notification_preview(int64_t user_id) = 0;
  // The user's unread messages over their active memberships: the sum of last_seq - read_seq
  // (the badge of a push).
  virtual Result<int64_t> unread_total(int64_t user_id) = 0;

  // ---- media --------------------------------------------------------------------------
  // The upload if `user_id` may fetch it, else nullopt (absent and forbidden look alike).
  // May fetch: the uploader while no message references it yet; anyone who can see (by the
  // visibility rules above) a message that references it.
  virtual Result<std::optional<MediaRecord>> media_for_user(std::string_view media_id,
                                                            int64_t user_id) = 0;
  // A page of the conversation's messages in `query.category` that `user_id` sees in history
  // (inside their membership window), newest first, leaving out messages deleted for
  // everyone and messages hidden from the viewer (deleted for them, or withheld). Errors:
  // kNotFound (no such conversation, or not a member, past or present).
  virtual Result<Page<MessageRecord>> conversation_media(int64_t user_id, const MediaQuery& query) = 0;
  // Any upload of these exact bytes (by source_sha256), to reuse its processing.
  virtual Result<std::optional<MediaRecord>> media_by_source(std::string_view source_sha256) = 0;
  // Who played the voice message at (conversation_id, seq) and when first: (user_id,
  // played_at) by user id. No access check (the caller made it).
  virtual Result<std::vector<std::pair<int64_t, int64_t>>> voice_plays(int64_t conversation_id,
                                                                       int64_t seq) = 0;

  // ---- calls (calls_store.cc) -------------------------------------------------------------
  virtual Result<std::optional<CallRecord>> find_call(std::string_view call_id) = 0;
  // Calls to `callee_id` that are ringing, oldest first.
  virtual Result<std::vector<CallRecord>> ringing_calls(int64_t callee_id) = 0;
  // Every call not ended (ringing or active), oldest first: the start-up sweep.
  virtual Result<std::vector<CallRecord>> open_calls() = 0;
};

}  // namespace parley::store
