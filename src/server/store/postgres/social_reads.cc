// The contacts, blocking and presence reads of PgStore. Each method is one snapshot
// (PgStore::read). Lists of user ids travel as one BIGINT[] parameter, unpacked by
// unnest, so a list of any length is one prepared statement and one query.
#include <optional>
#include <string>
#include <utility>

#include "server/store/postgres/pg_store_impl.h"
#include "server/store/postgres/rows.h"

namespace parley::store::pg {
namespace {

constexpr int kMaxSearchLimit = 50;

// "{1,2,3}": the ids as an array literal for a BIGINT[] parameter.
std::string array_ids(const std::vector<int64_t>& ids) {
  std::string text = "{";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) text += ',';
    text += std::to_string(ids[i]);
  }
  text += '}';
  return text;
}

// The smallest valid UTF-8 string above every string that starts with `prefix` (byte
// order, as users.username's "C" collation compares), or nullopt when there is none. The
// last code point is raised by one (PostgreSQL refuses text that is not valid UTF-8, so
// raising the last byte, as the embedded store does, would not do); U+10FFFF is dropped
// and the one before it raised instead.
std::optional<std::string> prefix_successor(std::string_view prefix) {
  std::string bound(prefix);
  while (!bound.empty()) {
    size_t start = bound.size() - 1;
    while (start > 0 && (static_cast<unsigned char>(bound[start]) & 0xC0) == 0x80) --start;
    const auto* p = reinterpret_cast<const unsigned char*>(bound.data() + start);
    const size_t length = bound.size() - start;
    char32_t cp = p[0];
    if (length == 2) cp = ((p[0] & 0x1F) << 6) | (p[1] & 0x3F);
    if (length == 3) cp = ((p[0] & 0x0F) << 12) | ((p[1] & 0x3F) << 6) | (p[2] & 0x3F);
    if (length == 4) {
      cp = ((p[0] & 0x07) << 18) | ((p[1] & 0x3F) << 12) | ((p[2] & 0x3F) << 6) | (p[3] & 0x3F);
    }
    bound.resize(start);
    if (cp >= 0x10FFFF) continue;
    ++cp;
    if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xE000;  // no surrogates in UTF-8
    if (cp < 0x80) {
      bound += static_cast<char>(cp);
    } else if (cp < 0x800) {
      bound += static_cast<char>(0xC0 | (cp >> 6));
      bound += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      bound += static_cast<char>(0xE0 | (cp >> 12));
      bound += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      bound += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      bound += static_cast<char>(0xF0 | (cp >> 18));
      bound += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      bound += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      bound += static_cast<char>(0x80 | (cp & 0x3F));
    }
    return bound;
  }
  return std::nullopt;
}

Result<std::vector<UserRecord>> all_users(Stmt& stmt) {
  std::vector<UserRecord> users;
  for (;;) {
    PARLEY_PG_ASSIGN(bool row, stmt.step());
    if (!row) break;
    users.push_back(read_user(stmt));
  }
  return users;
}

Result<std::vector<int64_t>> all_ids(Stmt& stmt) {
  std::vector<int64_t> ids;
  for (;;) {
    PARLEY_PG_ASSIGN(bool row, stmt.step());
    if (!row) break;
    ids.push_back(stmt.i64(0));
  }
  return ids;
}

}  // namespace

Result<std::vector<ContactRecord>> PgStore::contacts(int64_t owner_id) {
  return read([&](Conn& db) -> Result<std::vector<ContactRecord>> {
    // The owner's range of the clustered key, each contact's user by primary key, then a
    // sort of one user's contacts. Folding ASCII letters only, as the embedded store's
    // NOCASE does, whatever the database's locale.
    PARLEY_PG_ASSIGN(Stmt stmt,
                     db.prepare("SELECT " PARLEY_PG_USER_COLUMNS ", c.nickname, c.created_at"
                                " FROM contacts c JOIN users u ON u.id = c.contact_id"
                                " WHERE c.owner_id = ?"
                                " ORDER BY translate((CASE WHEN c.nickname <> '' THEN c.nickname"
                                " ELSE u.display_name END), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',"
                                " 'abcdefghijklmnopqrstuvwxyz') COLLATE \"C\", u.id"));
    stmt.bind_all(owner_id);
    std::vector<ContactRecord> contacts;
    for (;;) {
      PARLEY_PG_ASSIGN(bool row, stmt.step());
      if (!row) break;
      ContactRecord contact;
      contact.user = read_user(stmt);
      contact.nickname = stmt.text(4);
      contact.created_at = stmt.i64(5);
      contacts.push_back(std::move(contact));
    }
    return contacts;
  });
}

Result<std::vector<UserRecord>> PgStore::search_users(std::string_view prefix, int limit) {
  if (limit < 1 || limit > kMaxSearchLimit) {
    return Error::make(Errc::kInvalidArgument,
                       "limit must be within 1.." + std::to_string(kMaxSearchLimit));
  }
  const std::optional<std::string> end = prefix_successor(prefix);
  return read([&](Conn& db) -> Result<std::vector<UserRecord>> {
    // A range of the UNIQUE username index, already in username order: at most `limit`
    // entries visited, however many users there are.
    if (end) {
      PARLEY_PG_ASSIGN(Stmt stmt, db.prepare("SELECT " PARLEY_PG_USER_COLUMNS
                                             " FROM users u WHERE u.display_name <> '' AND u.username >= ?"
                                             " AND u.username < ? ORDER BY u.username LIMIT ?"));
      stmt.bind_all(prefix, *end, limit);
      return all_users(stmt);
    }
    PARLEY_PG_ASSIGN(
        Stmt stmt, db.prepare("SELECT " PARLEY_PG_USER_COLUMNS " FROM users u WHERE u.display_name <> '' AND u.username >= ?"
                              " ORDER BY u.username LIMIT ?"));
    stmt.bind_all(prefix, limit);
    return all_users(stmt);
  });
}

Result<std::vector<UserRecord>> PgStore::blocked_users(int64_t blocker_id) {
  return read([&](Conn& db) -> Result<std::vector<UserRecord>> {
    // The blocker's range of the clustered key, sorted: block lists are short. Blocks made
    // in the same millisecond come newest-id first.
    PARLEY_PG_ASSIGN(Stmt stmt, db.prepare("SELECT " PARLEY_PG_USER_COLUMNS
                                           " FROM blocks b JOIN users u ON u.id = b.blocked_id"
                                           " WHERE b.blocker_id = ?"
                                           " ORDER BY b.created_at DESC, b.blocked_id DESC"));
    stmt.bind_all(blocker_id);
    return all_users(stmt);
  });
}

Result<bool> PgStore::is_blocked(int64_t blocker_id, int64_t blocked_id) {
  return read([&](Conn& db) -> Result<bool> {
    PARLEY_PG_ASSIGN(Stmt stmt, db.prepare("SELECT 1 FROM blocks"
                                           " WHERE blocker_id = ? AND blocked_id = ?"));
    stmt.bind_all(blocker_id, blocked_id);
    return stmt.step();
  });
}

Result<std::vector<int64_t>> PgStore::presence_audience(int64_t viewer_id,
                                                        const std::vector<int64_t>& targets) {
  if (targets.empty()) return std::vector<int64_t>();
  const std::string list = array_ids(targets);
  return read([&](Conn& db) -> Result<std::vector<int64_t>> {
    // Per distinct target, cheapest first: two seeks into blocks (one per direction), two
    // into contacts (a contact counts only when it is mutual: adding someone on one side
    // must not reveal their presence), then the shared conversation, which walks the viewer's
    // active memberships on members_active_by_user and seeks the target's membership in each until
    // one is active. Conversations themselves are never read.
    PARLEY_PG_ASSIGN(
        Stmt stmt,
        db.prepare(
            "SELECT t.id FROM (SELECT DISTINCT id FROM unnest(?1::BIGINT[]) AS id) t"
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

Result<std::vector<int64_t>> PgStore::block_relations(int64_t user_id,
                                                      const std::vector<int64_t>& user_ids) {
  if (user_ids.empty()) return std::vector<int64_t>();
  const std::string list = array_ids(user_ids);
  return read([&](Conn& db) -> Result<std::vector<int64_t>> {
    // Two seeks per distinct id: the primary key one way, blocks_by_blocked the other.
    PARLEY_PG_ASSIGN(
        Stmt stmt,
        db.prepare(
            "SELECT t.id FROM (SELECT DISTINCT id FROM unnest(?1::BIGINT[]) AS id) t"
            " WHERE EXISTS (SELECT 1 FROM blocks WHERE blocker_id = ?2 AND blocked_id = t.id)"
            " OR EXISTS (SELECT 1 FROM blocks WHERE blocker_id = t.id AND blocked_id = ?2)"
            " ORDER BY t.id"));
    stmt.bind_all(list, user_id);
    return all_ids(stmt);
  });
}

Result<std::vector<PresenceRecord>> PgStore::presence(const std::vector<int64_t>& user_ids) {
  if (user_ids.empty()) return std::vector<PresenceRecord>();
  const std::string list = array_ids(user_ids);
  return read([&](Conn& db) -> Result<std::vector<PresenceRecord>> {
    // One primary-key seek per distinct id.
    PARLEY_PG_ASSIGN(Stmt stmt, db.prepare("SELECT id, last_seen_at, hide_last_seen FROM users"
                                           " WHERE id = ANY (?::BIGINT[]) ORDER BY id"));
    stmt.bind_all(list);
    std::vector<PresenceRecord> records;
    for (;;) {
      PARLEY_PG_ASSIGN(bool row, stmt.step());
      if (!row) break;
      PresenceRecord record;
      record.user_id = stmt.i64(0);
      if (!stmt.is_null(1)) record.last_seen_at = stmt.i64(1);
      record.hide_last_seen = stmt.i64(2) != 0;
      records.push_back(record);
    }
    return records;
  });
}

Result<std::optional<PrivacySettings>> PgStore::privacy_settings(int64_t user_id) {
  return read([&](Conn& db) { return load_privacy(db, user_id); });
}

}  // namespace parley::store::pg
