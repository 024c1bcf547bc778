// Deleting an account at its user's request (WriteTxn::delete_account): what is personal
// goes, what other people were sent stays. secure_delete (sqlite_store.cc) overwrites the
// freed bytes in the pages; the erase purge then truncates the WAL that still holds them.
#include <string>
#include <vector>

#include "server/store/sqlite/rows.h"
#include "server/store/sqlite/write_txn.h"

namespace parley::store::sqlite {

Result<AccountDeletion> SqliteWriteTxn::delete_account(int64_t user_id, int64_t now) {
  if (failed()) return failed_error();
  return guard(do_delete_account(user_id, now));
}

Result<bool> SqliteWriteTxn::direct_peer_deleted(int64_t conversation_id, int64_t sender_id) {
  if (failed()) return failed_error();
  return guard([&]() -> Result<bool> {
    // The conversation by primary key, then its (two-row) member range, then one user row.
    PARLEY_STORE_ASSIGN(Stmt stmt, db_.prepare("SELECT 1 FROM conversations c"
                                             " JOIN members o ON o.conversation_id = c.id"
                                             " JOIN users u ON u.id = o.user_id"
                                             " WHERE c.id = ?1 AND c.kind = 'direct'"
                                             " AND o.user_id <> ?2 AND u.display_name = ''"));
    stmt.bind_all(conversation_id, sender_id);
    return stmt.step();
  }());
}

Result<std::vector<int64_t>> SqliteWriteTxn::user_conversations(int64_t user_id, bool groups) {
  PARLEY_STORE_ASSIGN(Stmt stmt, db_.prepare("SELECT m.conversation_id FROM members m"
                                             " JOIN conversations c ON c.id = m.conversation_id"
                                             " WHERE m.user_id = ? AND c.kind = ?"
                                             " AND (c.kind = 'direct' OR m.left_seq IS NULL)"
                                             " ORDER BY m.conversation_id"));
  stmt.bind_all(user_id, std::string_view(groups ? "group" : "direct"));
  PARLEY_STORE_ASSIGN(std::vector<int64_t> ids,
                      collect_rows(stmt, [](const Stmt& row) { return row.i64(0); }));
  return ids;
}

Result<AccountDeletion> SqliteWriteTxn::do_delete_account(int64_t user_id, int64_t now) {
  PARLEY_STORE_ASSIGN(auto user, load_user(db_, user_id));
  if (!user) return Error::make(Errc::kNotFound, "no such user");
  AccountDeletion outcome;
  if (user->deleted()) return outcome;
  outcome.changed = true;
  PARLEY_STORE_ASSIGN(outcome.active_group_ids, user_conversations(user_id, true));
  PARLEY_STORE_ASSIGN(outcome.direct_ids, user_conversations(user_id, false));

  const char* const statements[] = {
      "UPDATE users SET display_name = '', password_hash = '', last_seen_at = NULL,"
      " hide_last_seen = 0, groups_add = 'everyone', notification_preview = 'full',"
      " deleted_at = ?2 WHERE id = ?1",
      "DELETE FROM contacts WHERE owner_id = ?1 OR contact_id = ?1",
      "DELETE FROM blocks WHERE blocker_id = ?1 OR blocked_id = ?1",
      "DELETE FROM hidden_messages WHERE user_id = ?1",
      "UPDATE members SET pinned_at = NULL, archived = 0, muted_until = 0 WHERE user_id = ?1",
      "UPDATE sessions SET device_name = '' WHERE user_id = ?1",
      // Expired at once for the media sweep (media_service.cc), which also removes blobs.
      "UPDATE media SET created_at = 0 WHERE owner_id = ?1 AND NOT EXISTS"
      " (SELECT 1 FROM messages x WHERE x.media_id = media.id AND x.deleted_at IS NULL)",
  };
  for (const char* sql : statements) {
    PARLEY_STORE_ASSIGN(Stmt stmt, db_.prepare(sql));
    if (std::string_view(sql).find("?2") != std::string_view::npos)
      stmt.bind_all(user_id, now);
    else
      stmt.bind_all(user_id);
    PARLEY_STORE_TRY(stmt.run());
  }
  // The peer's view of each direct conversation changed (who they talk to).
  for (int64_t id : outcome.direct_ids) PARLEY_STORE_TRY(set_conversation_version(id, ++version_));
  erased_ = true;  // the purge of erased text also reaches what was erased here
  return outcome;
}

}  // namespace parley::store::sqlite
