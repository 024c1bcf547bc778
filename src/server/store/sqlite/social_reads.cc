// The contacts, blocking and presence reads of SqliteStore. Each method is one snapshot
// (SqliteStore::read). Lists of user ids travel as one JSON array parameter, unpacked by
// json_each, so a list of any length is one cached statement and one query.
#include <optional>
#include <string>
#include <utility>

#include "server/store/sqlite/rows.h"
#include "server/store/sqlite/sqlite_store_impl.h"

namespace parley::store::sqlite {
namespace {

constexpr int kMaxSearchLimit = 50;

// "[1,2,3]": the ids as a JSON array for json_each.
std::string json_ids(const std::vector<int64_t>& ids) {
  std::string json = "[";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) json += ',';
    json += std::to_string(ids[i]);
  }
  json += ']';
  return json;
}

// The smallest string above every string that starts with `prefix` (byte order, as the
// BINARY collation of users.username compares), or nullopt when there is none: an empty
// prefix, or one made only of 0xFF bytes.
std::optional<std::string> prefix_successor(std::string_view prefix) {
  std::string bound(prefix);
  while (!bound.empty()) {
    const auto last = static_cast<unsigned char>(bound.back());
    if (last != 0xFF) {
      bound.back() = static_cast<char>(last + 1);
      return bound;
    }
    bound.pop_back();
  }
  return std::nullopt;
}

Result<std::vector<UserRecord>> all_users(Stmt& stmt) {
  return collect_rows(stmt, [](const Stmt& row) { return read_user(row); });
}

Result<std::vector<int64_t>> all_ids(Stmt& stmt) {
  return collect_rows(stmt, [](const Stmt& row) { return row.i64(0); });
}

}  // namespace

Result<std::vector<ContactRecord>> SqliteStore::contacts(int64_t owner_id) {
  return read([&](Db& db) -> Result<std::vector<ContactRecord>> {
    // The owner's range of the clustered key, each contact's user by primary key, then a
    // sort of one user's contacts. NOCASE folds ASCII letters only.
    PARLEY_STORE_ASSIGN(Stmt stmt,
                        db.prepare("SELECT " PARLEY_STORE_USER_COLUMNS ", c.nickname, c.created_at"
                                   " FROM contacts c JOIN users u ON u.id = c.contact_id"
                                   " WHERE c.owner_id = ?"
                                   " ORDER BY (CASE WHEN c.nickname <> '' THEN c.nickname"
                                   " ELSE u.display_name END) COLLATE NOCASE, u.id"));
    stmt.bind_all(owner_id);
    return collect_rows(stmt, [](const Stmt& row) {
      ContactRecord contact;
      contact.user = read_user(row);
      contact.nickname = row.text(4);
      contact.created_at = row.i64(5);
      return contact;
    });
  });
}

Result<std::vector<UserRecord>> SqliteStore::search_users(std::string_view prefix, int limit) {
  if (limit < 1 || limit > kMaxSearchLimit) {
    return Error::make(Errc::kInvalidArgument,
                       "limit must be within 1.." + std::to_string(kMaxSearchLimit));
  }
  const std::optional<std::string> end = prefix_successor(prefix);
  return read([&](Db& db) -> Result<std::vector<UserRecord>> {
    // A range of the UNIQUE username index, already in username order: at most `limit`
    // entries visited, however many users there are. (LIKE 'p%' would not use the index
    // under its default case-insensitive matching.)
    if (end) {
      PARLEY_STORE_ASSIGN(Stmt stmt, db.prepare("SELECT " PARLEY_STORE_USER_COLUMNS
                                                " FROM users u WHERE u.display_name <> '' AND u.username >= ?"
                                                " AND u.username < ? ORDER BY u.username LIMIT ?"));
      stmt.bind_all(prefix, *end, limit);
      return all_users(stmt);
    }
    PARLEY_STORE_ASSIGN(Stmt stmt, db.prepare("SELECT " PARLEY_STORE_USER_COLUMNS
                                              " FROM users u WHERE u.display_name <> '' AND u.username >= ?"
                                              " ORDER BY u.username LIMIT ?"));
    stmt.bind_all(prefix, limit);
    return all_users(stmt);
  });
}

Result<std::vector<UserRecord>> SqliteStore::blocked_users(int64_t blocker_id) {
  return read([&](Db& db) -> Result<std::vector<UserRecord>> {
    // The blocker's range of the clustered key, sorted: block lists are short. Blocks made
    // in the same millisecond come newest-id first.
    PARLEY_STORE_ASSIGN(Stmt stmt, db.prepare("SELECT " PARLEY_STORE_USER_COLUMNS
                                              " FROM blocks b JOIN users u ON u.id = b.blocked_id"
                                              " WHERE b.blocker_id = ?"
                                              " ORDER BY b.created_at DESC, b.blocked_id DESC"));
    stmt.bind_all(blocker_id);
    return all_users(stmt);
  });
}

Result<bool> SqliteStore::is_blocked(int64_t blocker_id, int64_t blocked_id) {
  return read([&](Db& db) -> Result<bool> {
    PARLEY_STORE_ASSIGN(Stmt stmt, db.prepare("SELECT 1 FROM blocks"
                                              " WHERE blocker_id = ? AND blocked_id = ?"));
    stmt.bind_all(blocker_id, blocked_id);
    return stmt.step();
  });
}

Result<std::vector<int64_t>> SqliteStore::presence_audience(int64_t viewer_id,
                                                            const std::vector<int64_t>& targets) {
  if (targets.empty()) return std::vector<int64_t>();
  const std::string list = json_ids(targets);
  return read([&](Db& db) -> Result<std::vector<int64_t>> {
    // Per distinct target, cheapest first: two seeks into blocks (one per direction), two
    // into contacts (a contact counts only when it is mutual: adding someone on one side
    // must not reveal their presence), then the shared conversation, which walks the viewer's active
    // memberships on members_active_by_user and seeks the target's membership in each
    // until one is active. Conversations themselves are never read.
    PARLEY_STORE_ASSIGN(
        Stmt stmt,
        db.prepare("SELECT t.id FROM (SELECT DISTINCT value AS id FROM json_each(?1)) t"
                   " WHERE t.id <> ?2"
                   " AND NOT EXISTS (SELECT 1 FROM blocks"
                   " WHERE blocker_id = ?2 AND blocked_id = t.id)"
                   " AND NOT EXISTS (SELECT 1 FROM blocks"
                   " WHERE blocker_id = t.id AND blocked_id = ?2)"
                   " AND ((EXISTS (SELECT 1 FROM contacts WHERE owner_id = ?2 AND contact_id = t.id)"
                   " AND EXISTS (SELECT 1 FROM contacts WHERE owner_id = t.id AND contact_id = ?2))"
                   " OR EXISTS (SELECT 1 FROM members mv JOIN members mt"
                   " ON mt.conversation_id = mv.conversation_id"
                   " WHERE mv.user_id = ?2 AND mv.left_seq IS NULL"
                   " AND mt.user_id = t.id AND mt.left_seq IS NULL))"
                   " ORDER BY t.id"));
    stmt.bind_all(list, viewer_id);
    return all_ids(stmt);
  });
}

Result<std::vector<int64_t>> SqliteStore::block_relations(int64_t user_id,
                                                          const std::vector<int64_t>& user_ids) {
  if (user_ids.empty()) return std::vector<int64_t>();
  const std::string list = json_ids(user_ids);
  return read([&](Db& db) -> Result<std::vector<int64_t>> {
    // Two seeks per distinct id: the primary key one way, blocks_by_blocked the other.
    PARLEY_STORE_ASSIGN(
        Stmt stmt,
        db.prepare("SELECT t.id FROM (SELECT DISTINCT value AS id FROM json_each(?1)) t"
                   " WHERE EXISTS (SELECT 1 FROM blocks WHERE blocker_id = ?2 AND blocked_id = t.id)"
                   " OR EXISTS (SELECT 1 FROM blocks WHERE blocker_id = t.id AND blocked_id = ?2)"
                   " ORDER BY t.id"));
    stmt.bind_all(list, user_id);
    return all_ids(stmt);
  });
}

Result<std::vector<PresenceRecord>> SqliteStore::presence(const std::vector<int64_t>& user_ids) {
  if (user_ids.empty()) return std::vector<PresenceRecord>();
  const std::string list = json_ids(user_ids);
  return read([&](Db& db) -> Result<std::vector<PresenceRecord>> {
    // One primary-key seek per distinct id.
    PARLEY_STORE_ASSIGN(Stmt stmt,
                        db.prepare("SELECT id, last_seen_at, hide_last_seen FROM users"
                                   " WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id"));
    stmt.bind_all(list);
    return collect_rows(stmt, [](const Stmt& row) {
      PresenceRecord record;
      record.user_id = row.i64(0);
      if (!row.is_null(1)) record.last_seen_at = row.i64(1);
      record.hide_last_seen = row.i64(2) != 0;
      return record;
    });
  });
}

Result<std::optional<PrivacySettings>> SqliteStore::privacy_settings(int64_t user_id) {
  return read([&](Db& db) { return load_privacy(db, user_id); });
}

}  // namespace parley::store::sqlite
