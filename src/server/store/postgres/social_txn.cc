// The contacts, blocking and presence primitives of PgWriteTxn. Same discipline as
// write_txn.cc: check first, write last, so an expected failure has written nothing.
// None of these take a store-wide version: contacts, blocks and last-seen are not part of
// conversation sync (store.h), and no conversation as any member sees it changes.
#include <optional>
#include <string>
#include <utility>

#include "server/store/postgres/rows.h"
#include "server/store/postgres/write_txn.h"

namespace parley::store::pg {

// ---- public entry points: refuse after a failure, record storage failures ----------

Result<ContactRecord> PgWriteTxn::upsert_contact(int64_t owner_id, int64_t contact_id,
                                                 std::string_view nickname, int64_t now) {
  if (failed()) return failed_error();
  return guard(do_upsert_contact(owner_id, contact_id, nickname, now));
}

Result<bool> PgWriteTxn::remove_contact(int64_t owner_id, int64_t contact_id) {
  if (failed()) return failed_error();
  return guard(do_remove_contact(owner_id, contact_id));
}

Result<bool> PgWriteTxn::set_block(int64_t blocker_id, int64_t blocked_id, bool on, int64_t now) {
  if (failed()) return failed_error();
  return guard(do_set_block(blocker_id, blocked_id, on, now));
}

Result<std::optional<MessageRecord>> PgWriteTxn::find_sent_message(int64_t sender_id,
                                                                   std::string_view client_id) {
  if (failed()) return failed_error();
  return guard(load_message_by_client_id(db_, sender_id, client_id));
}

Result<bool> PgWriteTxn::blocked_in_direct(int64_t conversation_id, int64_t sender_id) {
  if (failed()) return failed_error();
  return guard(do_blocked_in_direct(conversation_id, sender_id));
}

Status PgWriteTxn::set_last_seen(int64_t user_id, int64_t ts) {
  if (failed()) return failed_error();
  return guard(do_set_last_seen(user_id, ts));
}

Status PgWriteTxn::set_hide_last_seen(int64_t user_id, bool hide) {
  if (failed()) return failed_error();
  return guard(do_set_hide_last_seen(user_id, hide));
}

Status PgWriteTxn::set_groups_add(int64_t user_id, std::string_view who) {
  if (failed()) return failed_error();
  return guard(do_set_groups_add(user_id, who));
}

Result<PrivacySettings> PgWriteTxn::privacy(int64_t user_id) {
  if (failed()) return failed_error();
  auto settings = guard(load_privacy(db_, user_id));
  if (!settings) return settings.error();
  if (!*settings) return Error::make(Errc::kNotFound, "no such user");
  return std::move(**settings);
}

Result<std::vector<int64_t>> PgWriteTxn::group_add_refusals(
    int64_t actor_id, const std::vector<int64_t>& candidates) {
  if (failed()) return failed_error();
  return guard(do_group_add_refusals(actor_id, candidates));
}

// ---- checks -----------------------------------------------------------------------------

Result<UserRecord> PgWriteTxn::find_other_user(int64_t self, int64_t other) {
  if (self == other) return Error::make(Errc::kInvalidArgument, "the two users must differ");
  PARLEY_PG_ASSIGN(auto me, load_user(db_, self));
  if (!me) return Error::make(Errc::kNotFound, "no such user");
  PARLEY_PG_ASSIGN(auto them, load_user(db_, other));
  if (!them) return Error::make(Errc::kNotFound, "no such user");
  return std::move(*them);
}

// ---- contacts ---------------------------------------------------------------------------

Result<ContactRecord> PgWriteTxn::do_upsert_contact(int64_t owner_id, int64_t contact_id,
                                                    std::string_view nickname, int64_t now) {
  PARLEY_PG_ASSIGN(UserRecord user, find_other_user(owner_id, contact_id));
  std::optional<int64_t> created_at;
  {
    PARLEY_PG_ASSIGN(Stmt find, db_.prepare("SELECT created_at FROM contacts"
                                            " WHERE owner_id = ? AND contact_id = ?"));
    find.bind_all(owner_id, contact_id);
    PARLEY_PG_ASSIGN(bool row, find.step());
    if (row) created_at = find.i64(0);
  }
  if (created_at) {
    // A rename keeps the entry's age: "added on" is when it was first added.
    PARLEY_PG_ASSIGN(Stmt update, db_.prepare("UPDATE contacts SET nickname = ?"
                                              " WHERE owner_id = ? AND contact_id = ?"));
    update.bind_all(nickname, owner_id, contact_id);
    PARLEY_PG_TRY(update.run());
  } else {
    PARLEY_PG_ASSIGN(Stmt insert,
                     db_.prepare("INSERT INTO contacts (owner_id, contact_id, nickname,"
                                 " created_at) VALUES (?, ?, ?, ?)"));
    insert.bind_all(owner_id, contact_id, nickname, now);
    PARLEY_PG_TRY(insert.run());
  }
  ContactRecord contact;
  contact.user = std::move(user);
  contact.nickname = std::string(nickname);
  contact.created_at = created_at.value_or(now);
  return contact;
}

Result<bool> PgWriteTxn::do_remove_contact(int64_t owner_id, int64_t contact_id) {
  PARLEY_PG_ASSIGN(Stmt remove,
                   db_.prepare("DELETE FROM contacts WHERE owner_id = ? AND contact_id = ?"));
  remove.bind_all(owner_id, contact_id);
  PARLEY_PG_TRY(remove.run());
  return remove.changes() == 1;
}

// ---- blocking ---------------------------------------------------------------------------

Result<bool> PgWriteTxn::do_set_block(int64_t blocker_id, int64_t blocked_id, bool on,
                                      int64_t now) {
  PARLEY_PG_TRY(find_other_user(blocker_id, blocked_id));
  // One statement either way; a repeat (block twice, unblock when not blocked) changes no
  // row, and the first block's time is kept (blocked_users orders by it).
  PARLEY_PG_ASSIGN(Stmt change,
                   db_.prepare(on ? "INSERT INTO blocks (blocker_id, blocked_id, created_at)"
                                    " VALUES (?, ?, ?) ON CONFLICT DO NOTHING"
                                  : "DELETE FROM blocks WHERE blocker_id = ? AND blocked_id = ?"));
  if (on) {
    change.bind_all(blocker_id, blocked_id, now);
  } else {
    change.bind_all(blocker_id, blocked_id);
  }
  PARLEY_PG_TRY(change.run());
  return change.changes() == 1;
}

Result<bool> PgWriteTxn::do_blocked_in_direct(int64_t conversation_id, int64_t sender_id) {
  // The conversation by primary key, the sender's membership, the (two-row) member range
  // of the primary key, then one primary-key seek into blocks.
  // A sender who is not a member has no "other member": false (append_message then
  // reports kNotFound).
  PARLEY_PG_ASSIGN(Stmt find, db_.prepare("SELECT EXISTS (SELECT 1 FROM conversations c"
                                          " JOIN members me ON me.conversation_id = c.id"
                                          " AND me.user_id = ?2"
                                          " JOIN members other ON other.conversation_id = c.id"
                                          " AND other.user_id <> ?2"
                                          " JOIN blocks b ON b.blocker_id = other.user_id"
                                          " AND b.blocked_id = ?2"
                                          " WHERE c.id = ?1 AND c.kind = 'direct')"));
  find.bind_all(conversation_id, sender_id);
  PARLEY_PG_ASSIGN(bool row, find.step());
  if (!row) return Error::make(Errc::kInternal, "EXISTS returned no row");
  return find.i64(0) != 0;
}

// ---- presence ---------------------------------------------------------------------------

Status PgWriteTxn::do_set_last_seen(int64_t user_id, int64_t ts) {
  PARLEY_PG_ASSIGN(auto user, load_user(db_, user_id));
  if (!user) return Error::make(Errc::kNotFound, "no such user");
  PARLEY_PG_ASSIGN(Stmt update, db_.prepare("UPDATE users SET last_seen_at = ? WHERE id = ?"));
  update.bind_all(ts, user_id);
  return update.run();
}

Status PgWriteTxn::do_set_hide_last_seen(int64_t user_id, bool hide) {
  PARLEY_PG_ASSIGN(auto user, load_user(db_, user_id));
  if (!user) return Error::make(Errc::kNotFound, "no such user");
  PARLEY_PG_ASSIGN(Stmt update, db_.prepare("UPDATE users SET hide_last_seen = ? WHERE id = ?"));
  update.bind_all(hide ? 1 : 0, user_id);
  return update.run();
}

Status PgWriteTxn::do_set_groups_add(int64_t user_id, std::string_view who) {
  if (who != "everyone" && who != "contacts" && who != "nobody") {
    return Error::make(Errc::kInvalidArgument,
                       "groups_add must be \"everyone\", \"contacts\" or \"nobody\"");
  }
  PARLEY_PG_ASSIGN(auto user, load_user(db_, user_id));
  if (!user) return Error::make(Errc::kNotFound, "no such user");
  PARLEY_PG_ASSIGN(Stmt update, db_.prepare("UPDATE users SET groups_add = ? WHERE id = ?"));
  update.bind_all(who, user_id);
  return update.run();
}

Result<std::vector<int64_t>> PgWriteTxn::do_group_add_refusals(
    int64_t actor_id, const std::vector<int64_t>& candidates) {
  std::vector<int64_t> refused;
  if (candidates.empty()) return refused;
  // The ids as one array parameter, so any number of them is one prepared statement.
  std::string list = "{";
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (i > 0) list += ',';
    list += std::to_string(candidates[i]);
  }
  list += '}';
  // Per distinct candidate: its users row, two seeks into blocks (one per direction) and,
  // for "contacts", one into contacts.
  PARLEY_PG_ASSIGN(
      Stmt stmt,
      db_.prepare("SELECT u.id FROM users u"
                  " WHERE u.id = ANY (?1::BIGINT[]) AND u.id <> ?2"
                  " AND (u.groups_add = 'nobody' OR u.display_name = ''"
                  " OR (u.groups_add = 'contacts' AND NOT EXISTS (SELECT 1 FROM contacts"
                  " WHERE owner_id = u.id AND contact_id = ?2))"
                  " OR EXISTS (SELECT 1 FROM blocks WHERE blocker_id = u.id AND blocked_id = ?2)"
                  " OR EXISTS (SELECT 1 FROM blocks WHERE blocker_id = ?2 AND blocked_id = u.id))"
                  " ORDER BY u.id"));
  stmt.bind_all(list, actor_id);
  for (;;) {
    PARLEY_PG_ASSIGN(bool row, stmt.step());
    if (!row) break;
    refused.push_back(stmt.i64(0));
  }
  return refused;
}

}  // namespace parley::store::pg
