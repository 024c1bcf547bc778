#include "client/store.h"

#include <sqlite3.h>

#include <algorithm>

#include "client/sql.h"

namespace parley::client {
namespace {

// Migrations are linear and numbered: kMigrations[i] takes user_version i to i + 1.
constexpr const char* kMigrations[] = {
    R"sql(
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT NOT NULL, display_name TEXT NOT NULL);
CREATE INDEX users_by_name ON users(username);
CREATE TABLE chats (
  id INTEGER PRIMARY KEY, kind TEXT NOT NULL, title TEXT NOT NULL, peer_id INTEGER NOT NULL,
  last_seq INTEGER NOT NULL, last_activity INTEGER NOT NULL, read_seq INTEGER NOT NULL,
  local_read_seq INTEGER NOT NULL DEFAULT 0, min_delivered_seq INTEGER NOT NULL,
  min_read_seq INTEGER NOT NULL, member_count INTEGER NOT NULL, left INTEGER NOT NULL,
  version INTEGER NOT NULL, changes_cursor INTEGER NOT NULL DEFAULT 0);
CREATE TABLE members (
  chat_id INTEGER NOT NULL, user_id INTEGER NOT NULL, delivered_seq INTEGER NOT NULL,
  read_seq INTEGER NOT NULL, PRIMARY KEY (chat_id, user_id));
CREATE TABLE messages (
  rowid INTEGER PRIMARY KEY, chat_id INTEGER NOT NULL, seq INTEGER NOT NULL, id INTEGER NOT NULL,
  sender_id INTEGER NOT NULL, client_id TEXT NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL,
  ts INTEGER NOT NULL, edited_at INTEGER NOT NULL, deleted INTEGER NOT NULL,
  hidden INTEGER NOT NULL, version INTEGER NOT NULL, UNIQUE (chat_id, seq));
-- Only visible text is indexed: deleted and hidden messages carry an empty text. FTS4 (the
-- full-text engine SQLCipher's SQLite 3.15 has), an external-content index over messages.
CREATE VIRTUAL TABLE messages_fts USING fts4(
  content='messages', text, tokenize=unicode61 "remove_diacritics=1");
CREATE TRIGGER messages_ai AFTER INSERT ON messages BEGIN
  INSERT INTO messages_fts(docid, text) VALUES (new.rowid, new.text);
END;
CREATE TRIGGER messages_bd BEFORE DELETE ON messages BEGIN
  DELETE FROM messages_fts WHERE docid = old.rowid;
END;
CREATE TRIGGER messages_bu BEFORE UPDATE OF text ON messages BEGIN
  DELETE FROM messages_fts WHERE docid = old.rowid;
END;
CREATE TRIGGER messages_au AFTER UPDATE OF text ON messages BEGIN
  INSERT INTO messages_fts(docid, text) VALUES (new.rowid, new.text);
END;
CREATE TABLE outbox (
  local_id INTEGER PRIMARY KEY AUTOINCREMENT, chat_id INTEGER NOT NULL,
  client_id TEXT NOT NULL UNIQUE, text TEXT NOT NULL, state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0, error TEXT NOT NULL DEFAULT '', created_at INTEGER NOT NULL);
)sql",
    // 2: photos. An outbox entry may send an uploaded photo; a message keeps its image object.
    R"sql(
ALTER TABLE outbox ADD COLUMN media_id TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN image TEXT NOT NULL DEFAULT '';
)sql",
    // 3: the thumbnail cache of an encrypted store lives inside it (a plain store keeps the
    // cache as files beside it).
    R"sql(
CREATE TABLE thumbnails (media_id TEXT PRIMARY KEY, data BLOB NOT NULL, used_at INTEGER NOT NULL);
CREATE INDEX thumbnails_by_use ON thumbnails(used_at);
)sql",
};

constexpr const char* kChatColumns =
    "id, kind, title, peer_id, last_seq, last_activity, read_seq, local_read_seq, "
    "min_delivered_seq, min_read_seq, member_count, left, version, changes_cursor";
constexpr const char* kMessageColumns =
    "chat_id, seq, id, sender_id, client_id, kind, text, ts, edited_at, deleted, hidden, version, image";
constexpr const char* kOutboxColumns =
    "local_id, chat_id, client_id, text, state, attempts, error, created_at, media_id";

Chat read_chat(const Stmt& q, int c = 0) {
  Chat chat;
  chat.id = q.i(c++);
  chat.kind = q.s(c++);
  chat.title = q.s(c++);
  chat.peer_id = q.i(c++);
  chat.last_seq = q.i(c++);
  chat.last_activity = q.i(c++);
  chat.read_seq = q.i(c++);
  chat.local_read_seq = q.i(c++);
  chat.min_delivered_seq = q.i(c++);
  chat.min_read_seq = q.i(c++);
  chat.member_count = q.i(c++);
  chat.left = q.i(c++) != 0;
  chat.version = q.i(c++);
  chat.changes_cursor = q.i(c++);
  chat.unread = std::max<int64_t>(0, chat.last_seq - std::max(chat.read_seq, chat.local_read_seq));
  return chat;
}

Message read_message(const Stmt& q, int c = 0) {
  Message m;
  m.chat_id = q.i(c++);
  m.seq = q.i(c++);
  m.id = q.i(c++);
  m.sender_id = q.i(c++);
  m.client_id = q.s(c++);
  m.kind = q.s(c++);
  m.text = q.s(c++);
  m.ts = q.i(c++);
  m.edited_at = q.i(c++);
  m.deleted = q.i(c++) != 0;
  m.hidden = q.i(c++) != 0;
  m.version = q.i(c++);
  m.image = q.s(c++);
  return m;
}

OutboxEntry read_outbox(const Stmt& q) {
  OutboxEntry e;
  e.local_id = q.i(0);
  e.chat_id = q.i(1);
  e.client_id = q.s(2);
  e.text = q.s(3);
  e.state = q.s(4);
  e.attempts = static_cast<int>(q.i(5));
  e.error = q.s(6);
  e.created_at = q.i(7);
  e.media_id = q.s(8);
  return e;
}

// FTS4 query from plain words: each word quoted (so OR, NEAR, -, quotes are text), the last
// one a prefix ("word"*). Words are split on whitespace; the tokenizer handles punctuation.
// FTS4 has no escape for '"' inside a phrase: it is dropped, as is '*' (the tokenizer treats
// both as separators anyway), so only the last word is ever a prefix.
std::string fts_query(std::string_view words) {
  std::vector<std::string> terms;
  std::string current;
  auto flush = [&] {
    if (!current.empty()) terms.push_back(std::move(current));
    current.clear();
  };
  for (char ch : words) {
    if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
      flush();
    } else if (ch == '"' || ch == '*') {
      continue;
    } else {
      current += ch;
    }
  }
  flush();
  std::string q;
  for (size_t i = 0; i < terms.size(); ++i) {
    if (!q.empty()) q += ' ';
    q += '"' + terms[i] + (i + 1 == terms.size() ? "*\"" : "\"");
  }
  return q;
}

}  // namespace

Store::Store(sqlite3* db) : db_(db) {}
Store::~Store() { sqlite3_close(db_); }

namespace {

bool is_raw_key(std::string_view key) {
  return key.size() == 64 && std::all_of(key.begin(), key.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
         });
}

// The PRAGMA that hands SQLCipher the key: 64 hex digits are the raw 256-bit key (no key
// derivation), anything else a passphrase (SQLCipher derives the key with PBKDF2).
std::string key_pragma(std::string_view key) {
  std::string sql = "PRAGMA key = ";
  if (is_raw_key(key)) {
    sql += "\"x'";
    sql += key;
    sql += "'\"";
    return sql;
  }
  sql += '\'';
  for (char c : key) {
    if (c == '\'') sql += '\'';
    sql += c;
  }
  sql += '\'';
  return sql;
}

}  // namespace

Result<std::unique_ptr<Store>> Store::open(const std::string& path, std::string_view key) {
  if (key.find('\0') != std::string_view::npos) {
    return Error::make(Errc::kInvalidArgument, "the database key contains a NUL byte");
  }
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return Error::make(Errc::kInternal, "cannot open the store " + path + ": " + message);
  }
  sqlite3_busy_timeout(db, 5000);
  std::unique_ptr<Store> store(new Store(db));
  // The key must be the first statement on the connection; nothing is read before it.
  if (!key.empty()) {
    if (Status s = exec(db, key_pragma(key)); !s) return s.error();
  }
  // The first read of the schema tells a wrong key (or a plain store opened with a key, or an
  // encrypted one without) from a good one: SQLite then sees no valid database header.
  if (Status s = exec(db, "SELECT count(*) FROM sqlite_master"); !s) {
    return Error::make(Errc::kInvalidCredentials,
                       key.empty() ? "the store is encrypted (or not a store): a database key is needed"
                                   : "the database key does not open this store (or it is not a store)");
  }
  if (Status s = exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA secure_delete=ON;"); !s) return s.error();
  if (Status s = store->migrate(); !s) return s.error();
  store->encrypted_ = !key.empty();
  return store;
}

Status Store::migrate() {
  Stmt q(db_, "PRAGMA user_version");
  if (!q.step()) return q.status().ok() ? Error::make(Errc::kInternal, "no user_version") : q.status().error();
  int64_t version = q.i(0);
  const int64_t latest = std::size(kMigrations);
  if (version > latest) {
    return Error::make(Errc::kInternal, "the store was written by a newer client");
  }
  for (; version < latest; ++version) {
    std::string sql = "BEGIN; ";
    sql += kMigrations[version];
    sql += "PRAGMA user_version=" + std::to_string(version + 1) + "; COMMIT;";
    if (Status s = exec(db_, sql); !s) {
      (void)exec(db_, "ROLLBACK");
      return s;
    }
  }
  return {};
}

Status Store::begin_batch() { return exec(db_, "BEGIN"); }
Status Store::end_batch() { return exec(db_, "COMMIT"); }

std::string Store::setting(std::string_view key) const {
  Stmt q(db_, "SELECT value FROM settings WHERE key = ?");
  q.bind(key);
  return q.step() ? q.s(0) : std::string();
}

Status Store::set_setting(std::string_view key, std::string_view value) {
  return Stmt(db_, "INSERT OR REPLACE INTO settings(key, value) VALUES (?, ?)").bind(key).bind(value).run();
}

Status Store::put_user(const User& u) {
  return Stmt(db_, "INSERT OR REPLACE INTO users(id, username, display_name) VALUES (?, ?, ?)")
      .bind(u.id).bind(u.username).bind(u.display_name).run();
}

std::optional<User> Store::user(int64_t id) const {
  Stmt q(db_, "SELECT id, username, display_name FROM users WHERE id = ?");
  q.bind(id);
  if (!q.step()) return std::nullopt;
  return User{q.i(0), q.s(1), q.s(2)};
}

std::optional<User> Store::user_by_name(std::string_view username) const {
  Stmt q(db_, "SELECT id, username, display_name FROM users WHERE username = ?");
  q.bind(username);
  if (!q.step()) return std::nullopt;
  return User{q.i(0), q.s(1), q.s(2)};
}

Status Store::put_chat(const Chat& c) {
  // Insert-or-merge in two statements (SQLite 3.15 has no upsert): the row is created with
  // this device's cursors at zero, then merged so watermarks only move forward.
  Status s = Stmt(db_, std::string("INSERT OR IGNORE INTO chats(") + kChatColumns +
                           ") VALUES (?, ?, ?, ?, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)")
                 .bind(c.id).bind(c.kind).bind(c.title).bind(c.peer_id).run();
  if (!s) return s;
  return Stmt(db_, "UPDATE chats SET kind = ?, title = ?, peer_id = ?, last_seq = max(last_seq, ?), "
                   "last_activity = max(last_activity, ?), read_seq = max(read_seq, ?), "
                   "min_delivered_seq = max(min_delivered_seq, ?), min_read_seq = max(min_read_seq, ?), "
                   "member_count = ?, left = ?, version = max(version, ?) WHERE id = ?")
      .bind(c.kind).bind(c.title).bind(c.peer_id).bind(c.last_seq).bind(c.last_activity)
      .bind(c.read_seq).bind(c.min_delivered_seq).bind(c.min_read_seq).bind(c.member_count)
      .bind(static_cast<int64_t>(c.left)).bind(c.version).bind(c.id).run();
}

std::optional<Chat> Store::chat(int64_t id) const {
  Stmt q(db_, std::string("SELECT ") + kChatColumns +
                  ", (SELECT count(*) FROM outbox o WHERE o.chat_id = chats.id) FROM chats WHERE id = ?");
  q.bind(id);
  if (!q.step()) return std::nullopt;
  Chat chat = read_chat(q);
  chat.pending = q.i(14);
  return chat;
}

std::vector<Chat> Store::chats(int limit) const {
  Stmt q(db_, std::string("SELECT ") + kChatColumns +
                  ", (SELECT count(*) FROM outbox o WHERE o.chat_id = chats.id) AS pending, "
                  "max(last_activity, coalesce((SELECT max(created_at) FROM outbox o "
                  "WHERE o.chat_id = chats.id), 0)) AS activity "
                  "FROM chats ORDER BY activity DESC, id DESC LIMIT ?");
  q.bind(static_cast<int64_t>(limit));
  std::vector<Chat> out;
  while (q.step()) {
    out.push_back(read_chat(q));
    out.back().pending = q.i(14);
    out.back().last_activity = q.i(15);
  }
  return out;
}

Status Store::set_changes_cursor(int64_t chat_id, int64_t version) {
  return Stmt(db_, "UPDATE chats SET changes_cursor = max(changes_cursor, ?) WHERE id = ?")
      .bind(version).bind(chat_id).run();
}

Status Store::mark_read_locally(int64_t chat_id, int64_t seq) {
  if (!chat(chat_id)) return Error::make(Errc::kNotFound, "no such chat");
  return Stmt(db_, "UPDATE chats SET local_read_seq = max(local_read_seq, min(?, last_seq)) WHERE id = ?")
      .bind(seq).bind(chat_id).run();
}

std::vector<Chat> Store::unsent_reads() const {
  Stmt q(db_, std::string("SELECT ") + kChatColumns +
                  " FROM chats WHERE local_read_seq > read_seq AND left = 0");
  std::vector<Chat> out;
  while (q.step()) out.push_back(read_chat(q));
  return out;
}

Status Store::put_member(int64_t chat_id, int64_t user_id, int64_t delivered_seq, int64_t read_seq) {
  Status s = Stmt(db_, "INSERT OR IGNORE INTO members(chat_id, user_id, delivered_seq, read_seq) VALUES (?, ?, 0, 0)")
                 .bind(chat_id).bind(user_id).run();
  if (!s) return s;
  return Stmt(db_, "UPDATE members SET delivered_seq = max(delivered_seq, ?), read_seq = max(read_seq, ?) "
                   "WHERE chat_id = ? AND user_id = ?")
      .bind(delivered_seq).bind(read_seq).bind(chat_id).bind(user_id).run();
}

Result<bool> Store::put_message(const Message& m) {
  if (Status s = exec(db_, "SAVEPOINT put_message"); !s) return s.error();
  bool existed = false;
  {
    Stmt q(db_, "SELECT 1 FROM messages WHERE chat_id = ? AND seq = ?");
    q.bind(m.chat_id).bind(m.seq);
    existed = q.step();
  }
  // A stored message is replaced by a copy at least as new (an edit, a deletion); the text
  // is only rewritten when it changed, so the full-text index is not churned.
  Status s = existed
                 ? Stmt(db_, "UPDATE messages SET edited_at = ?, deleted = ?, hidden = ?, version = ?, image = ? "
                             "WHERE chat_id = ? AND seq = ? AND version <= ?")
                       .bind(m.edited_at).bind(static_cast<int64_t>(m.deleted)).bind(static_cast<int64_t>(m.hidden))
                       .bind(m.version).bind(m.image).bind(m.chat_id).bind(m.seq).bind(m.version).run()
                 : Stmt(db_, std::string("INSERT INTO messages(") + kMessageColumns +
                                 ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
                       .bind(m.chat_id).bind(m.seq).bind(m.id).bind(m.sender_id).bind(m.client_id)
                       .bind(m.kind).bind(m.text).bind(m.ts).bind(m.edited_at)
                       .bind(static_cast<int64_t>(m.deleted)).bind(static_cast<int64_t>(m.hidden))
                       .bind(m.version).bind(m.image).run();
  if (s.ok() && existed) {
    s = Stmt(db_, "UPDATE messages SET text = ? WHERE chat_id = ? AND seq = ? AND version = ? AND text <> ?")
            .bind(m.text).bind(m.chat_id).bind(m.seq).bind(m.version).bind(m.text).run();
  }
  if (s.ok()) {
    s = Stmt(db_, "UPDATE chats SET last_seq = max(last_seq, ?), last_activity = max(last_activity, ?) "
                  "WHERE id = ?")
            .bind(m.seq).bind(m.ts).bind(m.chat_id).run();
  }
  if (s.ok() && !m.client_id.empty()) {
    const std::string me = setting("me");
    if (!me.empty() && std::to_string(m.sender_id) == me) {
      s = Stmt(db_, "DELETE FROM outbox WHERE client_id = ?").bind(m.client_id).run();
      // Sending marks everything before it read for the sender (as the server does), so an
      // own message never shows as unread, even before the next sync.
      if (s.ok()) {
        s = Stmt(db_, "UPDATE chats SET read_seq = max(read_seq, ?) WHERE id = ?").bind(m.seq).bind(m.chat_id).run();
      }
    }
  }
  if (!s.ok()) {
    (void)exec(db_, "ROLLBACK TO put_message; RELEASE put_message");
    return s.error();
  }
  if (Status r = exec(db_, "RELEASE put_message"); !r) return r.error();
  return !existed;
}

std::optional<Message> Store::message(int64_t chat_id, int64_t seq) const {
  Stmt q(db_, std::string("SELECT ") + kMessageColumns + " FROM messages WHERE chat_id = ? AND seq = ?");
  q.bind(chat_id).bind(seq);
  if (!q.step()) return std::nullopt;
  return read_message(q);
}

std::vector<Message> Store::messages(int64_t chat_id, int64_t before, int limit) const {
  Stmt q(db_, std::string("SELECT ") + kMessageColumns +
                  " FROM messages WHERE chat_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?");
  q.bind(chat_id).bind(before > 0 ? before : INT64_MAX).bind(static_cast<int64_t>(limit));
  std::vector<Message> out;
  while (q.step()) out.push_back(read_message(q));
  std::reverse(out.begin(), out.end());
  return out;
}

std::vector<Message> Store::messages_of(int64_t chat_id, int64_t sender_id, int64_t after,
                                        int64_t upto) const {
  Stmt q(db_, std::string("SELECT ") + kMessageColumns +
                  " FROM messages WHERE chat_id = ? AND sender_id = ? AND seq > ? AND seq <= ? ORDER BY seq");
  q.bind(chat_id).bind(sender_id).bind(after).bind(upto);
  std::vector<Message> out;
  while (q.step()) out.push_back(read_message(q));
  return out;
}

int64_t Store::lowest_contiguous_seq(int64_t chat_id) const {
  // The stored seqs form runs; the newest run starts after the highest gap.
  Stmt q(db_, "SELECT seq FROM messages WHERE chat_id = ? ORDER BY seq DESC");
  q.bind(chat_id);
  int64_t lowest = 0;
  while (q.step()) {
    const int64_t seq = q.i(0);
    if (lowest != 0 && seq != lowest - 1) break;
    lowest = seq;
  }
  return lowest;
}

std::vector<SearchHit> Store::search(std::string_view query, int64_t chat_id, int limit) const {
  std::vector<SearchHit> out;
  const std::string match = fts_query(query);
  if (match.empty()) return out;
  std::string sql = "SELECT ";
  for (std::string_view col : {"chat_id", "seq", "id", "sender_id", "client_id", "kind", "text",
                               "ts", "edited_at", "deleted", "hidden", "version", "image"}) {
    sql += "m." + std::string(col) + ", ";
  }
  // Newest first, as a messenger lists matches (FTS4 has no bm25 ranking).
  sql += "snippet(messages_fts, '[', ']', '...', 0, 12) FROM messages_fts "
         "JOIN messages m ON m.rowid = messages_fts.docid "
         "WHERE messages_fts MATCH ? AND m.deleted = 0 AND m.hidden = 0";
  if (chat_id != 0) sql += " AND m.chat_id = ?";
  sql += " ORDER BY m.ts DESC, m.rowid DESC LIMIT ?";
  Stmt q(db_, sql);
  q.bind(match);
  if (chat_id != 0) q.bind(chat_id);
  q.bind(static_cast<int64_t>(limit));
  while (q.step()) out.push_back(SearchHit{read_message(q), q.s(13)});
  return out;
}

Result<OutboxEntry> Store::enqueue(int64_t chat_id, std::string_view client_id, std::string_view text,
                                   int64_t now_ms, std::string_view media_id) {
  if (!chat(chat_id)) return Error::make(Errc::kNotFound, "no such chat");
  Status s = Stmt(db_, "INSERT INTO outbox(chat_id, client_id, text, state, created_at, media_id) "
                       "VALUES (?, ?, ?, 'sending', ?, ?)")
                 .bind(chat_id).bind(client_id).bind(text).bind(now_ms).bind(media_id).run();
  if (!s) return s.error();
  auto entry = outbox_entry(client_id);
  if (!entry) return Error::make(Errc::kInternal, "outbox entry vanished");
  return *entry;
}

std::vector<OutboxEntry> Store::sendable() const {
  Stmt q(db_, std::string("SELECT ") + kOutboxColumns +
                  " FROM outbox WHERE state = 'sending' ORDER BY local_id");
  std::vector<OutboxEntry> out;
  while (q.step()) out.push_back(read_outbox(q));
  return out;
}

std::vector<OutboxEntry> Store::outbox(int64_t chat_id) const {
  Stmt q(db_, std::string("SELECT ") + kOutboxColumns + " FROM outbox WHERE chat_id = ? ORDER BY local_id");
  q.bind(chat_id);
  std::vector<OutboxEntry> out;
  while (q.step()) out.push_back(read_outbox(q));
  return out;
}

std::optional<OutboxEntry> Store::outbox_entry(std::string_view client_id) const {
  Stmt q(db_, std::string("SELECT ") + kOutboxColumns + " FROM outbox WHERE client_id = ?");
  q.bind(client_id);
  if (!q.step()) return std::nullopt;
  return read_outbox(q);
}

Result<int> Store::count_attempt(std::string_view client_id) {
  Status s = Stmt(db_, "UPDATE outbox SET attempts = attempts + 1 WHERE client_id = ?").bind(client_id).run();
  if (!s) return s.error();
  auto e = outbox_entry(client_id);
  if (!e) return Error::make(Errc::kNotFound, "not in the outbox");
  return e->attempts;
}

Status Store::fail(std::string_view client_id, std::string_view error_code) {
  return Stmt(db_, "UPDATE outbox SET state = 'failed', error = ? WHERE client_id = ?")
      .bind(error_code).bind(client_id).run();
}

Status Store::retry(std::string_view client_id) {
  auto e = outbox_entry(client_id);
  if (!e) return Error::make(Errc::kNotFound, "not in the outbox");
  return Stmt(db_, "UPDATE outbox SET state = 'sending', attempts = 0, error = '' WHERE client_id = ?")
      .bind(client_id).run();
}

std::optional<std::string> Store::thumbnail(std::string_view media_id, int64_t now_ms) {
  std::optional<std::string> out;
  {
    Stmt q(db_, "SELECT data FROM thumbnails WHERE media_id = ?");
    q.bind(media_id);
    if (!q.step()) return std::nullopt;
    out = q.s(0);
  }
  (void)Stmt(db_, "UPDATE thumbnails SET used_at = max(used_at, ?) WHERE media_id = ?").bind(now_ms).bind(media_id).run();
  return out;
}

Status Store::put_thumbnail(std::string_view media_id, std::string_view data, int64_t now_ms, int64_t cap_bytes) {
  if (Status s = exec(db_, "SAVEPOINT put_thumbnail"); !s) return s;
  Status s = Stmt(db_, "INSERT OR REPLACE INTO thumbnails(media_id, data, used_at) VALUES (?, ?, ?)")
                 .bind(media_id).bind_blob(data).bind(now_ms).run();
  // Least recently used first, never the one just stored.
  int64_t total = 0;
  std::vector<std::pair<std::string, int64_t>> rows;
  if (s.ok()) {
    Stmt q(db_, "SELECT media_id, length(data) FROM thumbnails ORDER BY used_at, media_id");
    while (q.step()) {
      rows.emplace_back(q.s(0), q.i(1));
      total += rows.back().second;
    }
    s = q.status();
  }
  for (const auto& [id, size] : rows) {
    if (!s.ok() || total <= cap_bytes) break;
    if (id == media_id) continue;
    s = Stmt(db_, "DELETE FROM thumbnails WHERE media_id = ?").bind(id).run();
    total -= size;
  }
  if (!s.ok()) {
    (void)exec(db_, "ROLLBACK TO put_thumbnail; RELEASE put_thumbnail");
    return s;
  }
  return exec(db_, "RELEASE put_thumbnail");
}

}  // namespace parley::client
