#include "server/store/postgres/import_sqlite.h"

#include <sodium.h>

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "server/store/postgres/conn.h"
#include "server/store/postgres/pg_store.h"
#include "server/store/postgres/search_text.h"
#include "server/store/sqlite/db.h"
#include "server/store/sqlite/migrations.h"

namespace parley::store {
namespace {

using Value = std::optional<std::string>;
using Row = std::vector<Value>;

constexpr int kChunkRows = 500;

// A table as both stores have it: the columns copied, and the key that orders its rows.
struct TableSpec {
  const char* name;
  std::vector<const char*> columns;
  std::vector<const char*> key;  // a prefix of `columns`
  bool identity = false;         // key is one BIGINT identity column "id"
};

// In foreign-key order.
const std::vector<TableSpec>& tables() {
  static const std::vector<TableSpec> kTables = {
      {"users",
       {"id", "username", "display_name", "password_hash", "created_at", "last_seen_at",
        "hide_last_seen", "groups_add", "notification_preview"},
       {"id"},
       true},
      {"sessions",
       {"id", "user_id", "token_hash", "device_name", "created_at", "expires_at", "revoked"},
       {"id"},
       true},
      {"push_subscriptions",
       {"id", "user_id", "session_id", "kind", "endpoint", "app_id", "p256dh", "auth", "created_at"},
       {"id"},
       true},
      {"media",
       {"id", "owner_id", "source_sha256", "mime", "sha256", "size", "width", "height",
        "thumb_mime", "thumb_sha256", "thumb_size", "thumb_width", "thumb_height", "placeholder",
        "created_at", "kind", "name"},
       {"id"}},
      {"conversations",
       {"id", "kind", "direct_key", "created_at", "last_seq", "last_activity", "last_message_id",
        "version", "name", "description"},
       {"id"},
       true},
      {"members",
       {"conversation_id", "user_id", "delivered_seq", "read_seq", "joined_at", "version", "role",
        "joined_seq", "left_seq", "own_version", "muted_until", "pinned_at", "archived"},
       {"conversation_id", "user_id"}},
      {"messages",
       {"id", "conversation_id", "seq", "sender_id", "client_id", "kind", "text", "ts", "version",
        "edited_at", "deleted_at", "media_id", "attachment", "reply_to", "forwarded"},
       {"id"},
       true},
      {"receipt_log",
       {"id", "conversation_id", "user_id", "delivered_seq", "read_seq", "ts"},
       {"id"},
       true},
      {"contacts",
       {"owner_id", "contact_id", "nickname", "created_at"},
       {"owner_id", "contact_id"}},
      {"blocks", {"blocker_id", "blocked_id", "created_at"}, {"blocker_id", "blocked_id"}},
      {"hidden_messages",
       {"user_id", "message_id", "conversation_id", "version"},
       {"user_id", "message_id"}},
      {"disabled_accounts", {"user_id", "disabled_at"}, {"user_id"}},
      {"voice_plays", {"conversation_id", "seq", "user_id", "played_at"}, {"conversation_id", "seq", "user_id"}},
      {"calls",
       {"id", "conversation_id", "caller_id", "callee_id", "media", "state", "started_at", "answered_at",
        "ended_at", "end_reason", "caller_session", "callee_session", "withheld", "offer_sdp"},
       {"id"}},
  };
  return kTables;
}

std::string join(const std::vector<const char*>& parts, const std::string& suffix = "") {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? ", " : "") + std::string(parts[i]) + suffix;
  return out;
}

// The next chunk of rows after `after` (all key columns; empty: from the start), in key
// order. Text keys compare bytewise on both sides.
std::string chunk_sql(const TableSpec& t, bool after, bool postgres) {
  const std::string collate = postgres ? " COLLATE \"C\"" : "";
  std::vector<std::string> keys;
  for (const char* k : t.key) {
    keys.push_back(std::string(k) + (std::string(k) == "id" && !t.identity ? collate : ""));
  }
  std::string key_list;
  for (size_t i = 0; i < keys.size(); ++i) key_list += (i ? ", " : "") + keys[i];
  std::string sql = "SELECT " + join(t.columns) + " FROM " + t.name;
  if (after) {
    sql += " WHERE (" + key_list + ") > (";
    for (size_t i = 0; i < keys.size(); ++i) sql += i ? ", ?" : "?";
    sql += ")";
  }
  return sql + " ORDER BY " + key_list + " LIMIT " + std::to_string(kChunkRows);
}

template <class Stmt>
Result<std::vector<Row>> collect(Stmt& stmt, size_t columns) {
  std::vector<Row> rows;
  for (;;) {
    auto row = stmt.step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    Row values(columns);
    for (size_t c = 0; c < columns; ++c) {
      if (!stmt.is_null(static_cast<int>(c))) values[c] = stmt.text(static_cast<int>(c));
    }
    rows.push_back(std::move(values));
  }
  return rows;
}

// Binds the key values of `last` (the key columns come first in `columns`).
template <class Stmt>
void bind_key(Stmt& stmt, const TableSpec& t, const Row& last) {
  for (size_t i = 0; i < t.key.size(); ++i) stmt.bind(static_cast<int>(i + 1), *last[i]);
}

Result<std::vector<Row>> sqlite_chunk(sqlite::Db& db, const TableSpec& t, const Row* after) {
  auto stmt = db.prepare(chunk_sql(t, after != nullptr, false));
  if (!stmt.ok()) return stmt.error();
  if (after) bind_key(*stmt, t, *after);
  return collect(*stmt, t.columns.size());
}

Result<std::vector<Row>> pg_chunk(pg::Conn& conn, const TableSpec& t, const Row* after) {
  auto stmt = conn.prepare(chunk_sql(t, after != nullptr, true));
  if (!stmt.ok()) return stmt.error();
  if (after) bind_key(*stmt, t, *after);
  return collect(*stmt, t.columns.size());
}

// One multi-row INSERT of the chunk, skipping rows already there (a resumed run).
Status insert_chunk(pg::Conn& conn, const TableSpec& t, const std::vector<Row>& rows) {
  const bool messages = std::string(t.name) == "messages";
  const size_t width = t.columns.size() + (messages ? 1 : 0);
  std::string sql = "INSERT INTO " + std::string(t.name) + " (" + join(t.columns) +
                    (messages ? ", search" : "") + ") VALUES ";
  std::vector<Value> params;
  params.reserve(rows.size() * width);
  for (size_t r = 0; r < rows.size(); ++r) {
    sql += r ? ", (" : "(";
    for (size_t c = 0; c < width; ++c) {
      sql += (c ? ", $" : "$") + std::to_string(r * width + c + 1);
      if (messages && c + 1 == width) sql += "::TSVECTOR";
    }
    sql += ")";
    params.insert(params.end(), rows[r].begin(), rows[r].end());
    if (messages) {
      // The search words, as the PostgreSQL store writes them (write_txn.cc, edit_txn.cc):
      // none for system messages and messages deleted for everyone.
      const Row& m = rows[r];
      const bool indexed = m[5] != "system" && !m[10].has_value();
      if (indexed) {
        auto words = pg::tsvector_literal(m[6].value_or(""));
        if (!words.ok()) return words.error();
        params.push_back(*words);
      } else {
        params.push_back(std::nullopt);
      }
    }
  }
  sql += " ON CONFLICT DO NOTHING";
  return conn.exec_params(sql, params);
}

// Row count and SHA-256 over every row in key order (values as text, NULL distinct).
template <class Fetch>
Result<std::pair<int64_t, std::string>> checksum(const TableSpec& t, Fetch fetch) {
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  int64_t count = 0;
  std::optional<Row> last;
  for (;;) {
    auto rows = fetch(last ? &*last : nullptr);
    if (!rows.ok()) return rows.error();
    for (const Row& row : *rows) {
      std::string line;
      for (const Value& v : row)
        line += (v ? "v" + std::to_string(v->size()) + ":" + *v : "n") + "|";
      line += '\n';
      crypto_hash_sha256_update(&state, reinterpret_cast<const unsigned char*>(line.data()),
                                line.size());
      ++count;
    }
    if (rows->size() < static_cast<size_t>(kChunkRows)) break;
    last = rows->back();
  }
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&state, digest);
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
  return std::make_pair(count, std::string(hex));
}

Status copy_table(sqlite::Db& source, pg::Conn& target, const TableSpec& t) {
  std::optional<Row> last;
  if (t.identity) {
    // Resume after the highest id already copied (ids are copied in order).
    auto max_id = target.query_text(std::string("SELECT max(id) FROM ") + t.name);
    if (!max_id.ok()) return max_id.error();
    if (!max_id->empty()) last = Row{*max_id};
  }
  for (;;) {
    auto rows = sqlite_chunk(source, t, last ? &*last : nullptr);
    if (!rows.ok()) return rows.error();
    if (rows->empty()) return Status{};
    PARLEY_PG_TRY(target.exec("BEGIN"));
    Status inserted = insert_chunk(target, t, *rows);
    if (inserted.ok()) inserted = target.exec("COMMIT");
    if (!inserted.ok()) {
      (void)target.exec("ROLLBACK");
      return inserted;
    }
    if (rows->size() < static_cast<size_t>(kChunkRows)) return Status{};
    last = rows->back();
  }
}

// Marks the target as holding an import (meta 'sqlite_import': 0 running, 1 finished),
// or refuses a target that holds anything else.
Status claim_target(pg::Conn& target) {
  auto state = target.query_text("SELECT value FROM meta WHERE key = 'sqlite_import'");
  if (!state.ok()) return state.error();
  if (!state->empty()) return Status{};
  auto used = target.query_text(
      "SELECT (SELECT count(*) FROM users) + (SELECT value FROM meta WHERE key = 'version')");
  if (!used.ok()) return used.error();
  if (*used != "0") {
    return Error::make(Errc::kInvalidArgument,
                       "the target database is not empty and holds no unfinished import");
  }
  return target.exec("INSERT INTO meta (key, value) VALUES ('sqlite_import', 0)");
}

Status finish(sqlite::Db& source, pg::Conn& target) {
  auto version = source.query_text("SELECT value FROM meta WHERE key = 'version'");
  if (!version.ok()) return version.error();
  std::string sql =
      "BEGIN; UPDATE meta SET value = " + (version->empty() ? "0" : *version) +
      " WHERE key = 'version'; UPDATE meta SET value = 1 WHERE key = 'sqlite_import';";
  // New rows continue after the copied ids.
  for (const auto& t : tables()) {
    if (!t.identity) continue;
    const std::string name = t.name;
    sql += " SELECT setval(pg_get_serial_sequence('" + name +
           "', 'id'), coalesce(max(id), 0) + 1,"
           " false) FROM " +
           name + ";";
  }
  return target.exec(sql + " COMMIT");
}

}  // namespace

Result<ImportReport> import_sqlite(const std::string& data_dir, const std::string& pg_uri,
                                   const std::function<void(const std::string&)>& progress) {
  const std::string path = (std::filesystem::path(data_dir) / "parley.db").string();
  if (!std::filesystem::exists(path)) {
    return Error::make(Errc::kInvalidArgument, "no database at " + path);
  }
  if (sodium_init() < 0) return Error::make(Errc::kInternal, "libsodium failed to initialise");
  auto source = sqlite::Db::open(path);
  if (!source.ok()) return source.error();
  sqlite::Db& db = **source;
  auto version = db.query_text("PRAGMA user_version");
  if (!version.ok()) return version.error();
  if (*version != std::to_string(sqlite::latest_schema_version())) {
    return Error::make(Errc::kInvalidArgument, "the embedded database has schema version " +
                                                   *version + ", this build " +
                                                   std::to_string(sqlite::latest_schema_version()) +
                                                   ": start this parleyd on it once first");
  }
  {
    // Creates (or updates) the target's schema.
    auto store = open_pg_store(PgOptions{pg_uri, 1});
    if (!store.ok()) return store.error();
  }
  auto target_conn = pg::Conn::open(pg_uri);
  if (!target_conn.ok()) return target_conn.error();
  pg::Conn& target = **target_conn;
  PARLEY_PG_TRY(claim_target(target));
  // One snapshot of the source for the copy and its verification.
  PARLEY_PG_TRY(db.exec("BEGIN"));
  for (const auto& t : tables()) {
    PARLEY_PG_TRY(copy_table(db, target, t));
    progress(std::string("copied ") + t.name);
  }
  PARLEY_PG_TRY(finish(db, target));

  ImportReport report;
  for (const auto& t : tables()) {
    TableReport row;
    row.table = t.name;
    auto from = checksum(t, [&](const Row* after) { return sqlite_chunk(db, t, after); });
    if (!from.ok()) return from.error();
    auto to = checksum(t, [&](const Row* after) { return pg_chunk(target, t, after); });
    if (!to.ok()) return to.error();
    row.source_rows = from->first;
    row.source_checksum = from->second;
    row.target_rows = to->first;
    row.target_checksum = to->second;
    report.tables.push_back(std::move(row));
  }
  (void)db.exec("COMMIT");
  return report;
}

}  // namespace parley::store
