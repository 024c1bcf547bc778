// The offline store of the native client: one SQLite file holding what the account's device
// knows — chats, their members, messages (with a full-text index), receipt watermarks, sync
// cursors, the session and the outbox of messages not yet acknowledged by the server.
//
// Everything the app shows is read from here, so it works with no connection. Writes are
// committed before the call returns (WAL, synchronous=NORMAL: a killed process loses nothing
// committed; a power loss may lose the last transactions, never corrupt the file).
// Not thread-safe: one owner (the core's network thread, or a test).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

struct sqlite3;

namespace parley::client {

struct User {
  int64_t id = 0;
  std::string username;
  std::string display_name;
};

// One row of the chat list. `read_seq` is the account's read watermark as the server
// reported it; `local_read_seq` what the user read on this device (sent when online).
struct Chat {
  int64_t id = 0;
  std::string kind;   // "direct" or "group"
  std::string title;  // the peer's display name, or the group's name
  int64_t peer_id = 0;
  int64_t last_seq = 0;
  int64_t last_activity = 0;
  int64_t read_seq = 0;
  int64_t local_read_seq = 0;
  int64_t min_delivered_seq = 0;
  int64_t min_read_seq = 0;
  int64_t member_count = 0;
  bool left = false;
  int64_t version = 0;
  int64_t changes_cursor = 0;  // the version up to which this chat's messages are stored
  // Filled by reads only:
  int64_t unread = 0;          // last_seq - max(read_seq, local_read_seq)
  int64_t pending = 0;         // messages in the outbox (sending or failed)
};

struct Message {
  int64_t chat_id = 0;
  int64_t seq = 0;
  int64_t id = 0;
  int64_t sender_id = 0;
  std::string client_id;
  std::string kind;  // "text", "system", "image" or a kind this client does not know
  std::string text;
  int64_t ts = 0;
  int64_t edited_at = 0;
  bool deleted = false;
  bool hidden = false;
  int64_t version = 0;
  std::string image;  // the "image" object of a photo message, as JSON text; empty otherwise
};

// A message the user sent that the server has not acknowledged. `local_id` orders the outbox.
struct OutboxEntry {
  int64_t local_id = 0;
  int64_t chat_id = 0;
  std::string client_id;
  std::string text;
  std::string state;  // "sending" or "failed"
  int attempts = 0;
  std::string error;  // the last error code, for "failed"
  int64_t created_at = 0;
  std::string media_id;  // an uploaded photo to send (text is then its caption), or empty
};

struct SearchHit {
  Message message;
  std::string snippet;  // the matched words between [ and ]
};

class Store {
 public:
  // Opens (creating when missing) the store at `path` and brings its schema up to date.
  // With a non-empty `key` the whole file (and its write-ahead log) is encrypted with
  // SQLCipher: 64 hex digits are used as the raw 256-bit key, any other string as a
  // passphrase (PBKDF2). A new store is created encrypted; an existing one opens only with
  // the key it was created with.
  // Errors: kInvalidCredentials when the key does not open the file (wrong key, a plain
  // store opened with a key, an encrypted one without, or a file that is not a store);
  // kInvalidArgument for a key with a NUL byte; kInternal when the file cannot be opened.
  static Result<std::unique_ptr<Store>> open(const std::string& path, std::string_view key = {});
  // True when the store was opened with a key (its file is encrypted).
  bool encrypted() const { return encrypted_; }
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Groups the writes until end_batch() into one transaction (one disk sync instead of one
  // per write). Batches do not nest; a failed write inside keeps the others.
  Status begin_batch();
  Status end_batch();

  // Small named values: "token", "server", "me", "sync_version"... Empty when absent.
  std::string setting(std::string_view key) const;
  Status set_setting(std::string_view key, std::string_view value);

  Status put_user(const User& user);
  std::optional<User> user(int64_t id) const;
  std::optional<User> user_by_name(std::string_view username) const;

  // Stores the server's view of a chat, keeping this device's cursors (`changes_cursor`,
  // `local_read_seq`): they only move forward.
  Status put_chat(const Chat& chat);
  std::optional<Chat> chat(int64_t id) const;
  // Most recent activity first (a message queued offline counts as activity).
  std::vector<Chat> chats(int limit) const;
  Status set_changes_cursor(int64_t chat_id, int64_t version);
  // Moves this device's read watermark forward (never back). Unknown chat: kNotFound.
  Status mark_read_locally(int64_t chat_id, int64_t seq);
  // Chats whose local read watermark is ahead of the server's: receipts still to send.
  std::vector<Chat> unsent_reads() const;
  // A receipt for one member; the chat's min watermarks are the caller's to refresh.
  Status put_member(int64_t chat_id, int64_t user_id, int64_t delivered_seq, int64_t read_seq);

  // Inserts or replaces the message at (chat_id, seq). An own message whose client_id is in
  // the outbox leaves the outbox in the same transaction. Returns true when it was new.
  Result<bool> put_message(const Message& message);
  std::optional<Message> message(int64_t chat_id, int64_t seq) const;
  // Up to `limit` stored messages with seq < before (0: the newest), oldest first.
  std::vector<Message> messages(int64_t chat_id, int64_t before, int limit) const;
  // Messages of `sender_id` with after < seq <= upto, oldest first.
  std::vector<Message> messages_of(int64_t chat_id, int64_t sender_id, int64_t after, int64_t upto) const;
  // The lowest seq stored contiguously below the newest stored message (for pagination).
  int64_t lowest_contiguous_seq(int64_t chat_id) const;

  // Words of `query` must all occur (the last as a prefix), case and diacritics ignored;
  // best match first. chat_id 0: every chat. Hidden and deleted messages are not found.
  std::vector<SearchHit> search(std::string_view query, int64_t chat_id, int limit) const;

  // Adds a message (a photo when `media_id` is set) to the end of the outbox in state
  // "sending", durably, before returning. kNotFound for an unknown chat.
  Result<OutboxEntry> enqueue(int64_t chat_id, std::string_view client_id, std::string_view text,
                              int64_t now_ms, std::string_view media_id = {});
  // Entries in state "sending", in the order they were queued.
  std::vector<OutboxEntry> sendable() const;
  // Every entry of a chat (sending and failed), in order.
  std::vector<OutboxEntry> outbox(int64_t chat_id) const;
  std::optional<OutboxEntry> outbox_entry(std::string_view client_id) const;
  // Counts an attempt; returns the new count (kNotFound when the entry is gone).
  Result<int> count_attempt(std::string_view client_id);
  Status fail(std::string_view client_id, std::string_view error_code);
  // Puts a failed entry back to "sending" with its attempts reset. kNotFound when absent.
  Status retry(std::string_view client_id);

  // The thumbnail cache inside the store (used when it is encrypted, so thumbnails are too).
  // thumbnail() marks the entry used at `now_ms`; put_thumbnail() stores one and then drops
  // the least recently used others until the cache holds at most `cap_bytes` (the one just
  // stored always stays, even if alone it is bigger).
  std::optional<std::string> thumbnail(std::string_view media_id, int64_t now_ms);
  Status put_thumbnail(std::string_view media_id, std::string_view data, int64_t now_ms, int64_t cap_bytes);

 private:
  explicit Store(sqlite3* db);
  Status migrate();

  sqlite3* db_;  // owned
  bool encrypted_ = false;
};

}  // namespace parley::client
