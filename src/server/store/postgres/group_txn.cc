// The group primitives of PgWriteTxn. The domain decides who may do what; these only
// keep the rows consistent. Same discipline as write_txn.cc: check first, write last, so
// an expected failure has written nothing; every change takes one new version, given to
// the conversation and (for membership changes) to the member's row.
#include <algorithm>
#include <string>
#include <utility>

#include "server/store/postgres/rows.h"
#include "server/store/postgres/write_txn.h"

namespace parley::store::pg {
namespace {

Status check_role(std::string_view role) {
  if (role == "admin" || role == "member") return Status{};
  return Error::make(Errc::kInvalidArgument, "role must be \"admin\" or \"member\"");
}

Error no_group() { return Error::make(Errc::kNotFound, "no such group"); }

}  // namespace

// ---- public entry points: refuse after a failure, record storage failures ----------

Result<ConversationRecord> PgWriteTxn::create_group(int64_t creator_id, std::string_view name,
                                                    std::string_view description, int64_t now) {
  if (failed()) return failed_error();
  return guard(do_create_group(creator_id, name, description, now));
}

Result<std::optional<ConversationRecord>> PgWriteTxn::conversation(int64_t conversation_id,
                                                                   int64_t viewer_id) {
  if (failed()) return failed_error();
  return guard(load_conversation(db_, conversation_id, viewer_id));
}

Result<std::optional<MemberRecord>> PgWriteTxn::member(int64_t conversation_id, int64_t user_id) {
  if (failed()) return failed_error();
  return guard(load_member(db_, conversation_id, user_id));
}

Result<std::vector<MemberRecord>> PgWriteTxn::active_members(int64_t conversation_id) {
  if (failed()) return failed_error();
  return guard(load_active_members(db_, conversation_id));
}

Status PgWriteTxn::add_member(int64_t conversation_id, int64_t user_id, std::string_view role,
                              int64_t joined_seq, int64_t now) {
  if (failed()) return failed_error();
  return guard(do_add_member(conversation_id, user_id, role, joined_seq, now));
}

Status PgWriteTxn::set_role(int64_t conversation_id, int64_t user_id, std::string_view role) {
  if (failed()) return failed_error();
  return guard(do_set_role(conversation_id, user_id, role));
}

Status PgWriteTxn::remove_member(int64_t conversation_id, int64_t user_id, int64_t left_seq) {
  if (failed()) return failed_error();
  return guard(do_remove_member(conversation_id, user_id, left_seq));
}

Status PgWriteTxn::set_group_info(int64_t conversation_id, std::string_view name,
                                  std::string_view description) {
  if (failed()) return failed_error();
  return guard(do_set_group_info(conversation_id, name, description));
}

// ---- checks -----------------------------------------------------------------------------

Result<int64_t> PgWriteTxn::find_group(int64_t conversation_id) {
  PARLEY_PG_ASSIGN(
      Stmt find, db_.prepare("SELECT last_seq FROM conversations WHERE id = ? AND kind = 'group'"));
  find.bind_all(conversation_id);
  PARLEY_PG_ASSIGN(bool row, find.step());
  if (!row) return no_group();
  return find.i64(0);
}

Result<MemberRecord> PgWriteTxn::find_active_member(int64_t conversation_id, int64_t user_id) {
  PARLEY_PG_ASSIGN(auto member, load_member(db_, conversation_id, user_id));
  if (!member || member->left_seq) {
    return Error::make(Errc::kNotFound, "not a member of the group");
  }
  return std::move(*member);
}

// ---- writes -----------------------------------------------------------------------------

Result<ConversationRecord> PgWriteTxn::do_create_group(int64_t creator_id, std::string_view name,
                                                       std::string_view description, int64_t now) {
  PARLEY_PG_ASSIGN(auto creator, load_user(db_, creator_id));
  if (!creator) return Error::make(Errc::kNotFound, "no such user");

  // The group and its first member are one change: one version. direct_key stays NULL,
  // which UNIQUE allows any number of times.
  const int64_t version = ++version_;
  PARLEY_PG_ASSIGN(Stmt insert, db_.prepare("INSERT INTO conversations (kind, created_at, last_seq,"
                                            " last_activity, version, name, description)"
                                            " VALUES ('group', ?, 0, ?, ?, ?, ?) RETURNING id"));
  insert.bind_all(now, now, version, name, description);
  PARLEY_PG_ASSIGN(bool inserted, insert.step());
  if (!inserted) return Error::make(Errc::kInternal, "INSERT RETURNING gave no row");
  const int64_t id = insert.i64(0);
  PARLEY_PG_ASSIGN(Stmt member,
                   db_.prepare("INSERT INTO members (conversation_id, user_id, delivered_seq,"
                               " read_seq, joined_at, version, role, joined_seq)"
                               " VALUES (?, ?, 0, 0, ?, ?, 'admin', 0)"));
  member.bind_all(id, creator_id, now, version);
  PARLEY_PG_TRY(member.run());
  PARLEY_PG_ASSIGN(auto created, load_conversation(db_, id, creator_id));
  if (!created) return Error::make(Errc::kInternal, "created group not readable");
  return std::move(*created);
}

Status PgWriteTxn::do_add_member(int64_t conversation_id, int64_t user_id, std::string_view role,
                                 int64_t joined_seq, int64_t now) {
  PARLEY_PG_TRY(check_role(role));
  PARLEY_PG_ASSIGN(int64_t last_seq, find_group(conversation_id));
  PARLEY_PG_ASSIGN(auto user, load_user(db_, user_id));
  if (!user) return Error::make(Errc::kNotFound, "no such user");
  if (joined_seq < 0 || joined_seq > last_seq) {
    return Error::make(Errc::kInvalidArgument,
                       "joined_seq must be within 0.." + std::to_string(last_seq));
  }
  PARLEY_PG_ASSIGN(auto existing, load_member(db_, conversation_id, user_id));
  if (existing && !existing->left_seq) {
    return Error::make(Errc::kInvalidArgument, "already a member of the group");
  }

  const int64_t version = ++version_;
  if (existing) {
    // A re-add starts a new membership: new history boundary, watermarks and join time
    // (so they rank as the newest member). The old receipt log entries all lie at or
    // below the old left_seq and do not disturb the new ones.
    PARLEY_PG_ASSIGN(Stmt update,
                     db_.prepare("UPDATE members SET role = ?, joined_seq = ?, left_seq = NULL,"
                                 " delivered_seq = ?, read_seq = ?, joined_at = ?, version = ?"
                                 " WHERE conversation_id = ? AND user_id = ?"));
    update.bind_all(role, joined_seq, joined_seq, joined_seq, now, version, conversation_id,
                    user_id);
    PARLEY_PG_TRY(update.run());
  } else {
    PARLEY_PG_ASSIGN(Stmt insert,
                     db_.prepare("INSERT INTO members (conversation_id, user_id, delivered_seq,"
                                 " read_seq, joined_at, version, role, joined_seq)"
                                 " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
    insert.bind_all(conversation_id, user_id, joined_seq, joined_seq, now, version, role,
                    joined_seq);
    PARLEY_PG_TRY(insert.run());
  }
  return set_conversation_version(conversation_id, version);
}

Status PgWriteTxn::do_set_role(int64_t conversation_id, int64_t user_id, std::string_view role) {
  PARLEY_PG_TRY(check_role(role));
  PARLEY_PG_TRY(find_group(conversation_id));
  PARLEY_PG_TRY(find_active_member(conversation_id, user_id));

  const int64_t version = ++version_;
  PARLEY_PG_ASSIGN(Stmt update, db_.prepare("UPDATE members SET role = ?, version = ?"
                                            " WHERE conversation_id = ? AND user_id = ?"));
  update.bind_all(role, version, conversation_id, user_id);
  PARLEY_PG_TRY(update.run());
  return set_conversation_version(conversation_id, version);
}

Status PgWriteTxn::do_remove_member(int64_t conversation_id, int64_t user_id, int64_t left_seq) {
  PARLEY_PG_ASSIGN(int64_t last_seq, find_group(conversation_id));
  PARLEY_PG_ASSIGN(MemberRecord member, find_active_member(conversation_id, user_id));
  if (left_seq < member.joined_seq || left_seq > last_seq) {
    return Error::make(Errc::kInvalidArgument, "left_seq must be within " +
                                                   std::to_string(member.joined_seq) + ".." +
                                                   std::to_string(last_seq));
  }

  // The member's row is frozen from here on (until a re-add), so its version is the one
  // their view of the conversation keeps. Watermarks are clamped to what they still see.
  const int64_t version = ++version_;
  PARLEY_PG_ASSIGN(Stmt update, db_.prepare("UPDATE members SET left_seq = ?, delivered_seq = ?,"
                                            " read_seq = ?, version = ?"
                                            " WHERE conversation_id = ? AND user_id = ?"));
  update.bind_all(left_seq, std::min(member.delivered_seq, left_seq),
                  std::min(member.read_seq, left_seq), version, conversation_id, user_id);
  PARLEY_PG_TRY(update.run());
  return set_conversation_version(conversation_id, version);
}

Status PgWriteTxn::do_set_group_info(int64_t conversation_id, std::string_view name,
                                     std::string_view description) {
  PARLEY_PG_TRY(find_group(conversation_id));
  const int64_t version = ++version_;
  PARLEY_PG_ASSIGN(Stmt update,
                   db_.prepare("UPDATE conversations SET name = ?, description = ?, version = ?"
                               " WHERE id = ?"));
  update.bind_all(name, description, version, conversation_id);
  return update.run();
}

}  // namespace parley::store::pg
