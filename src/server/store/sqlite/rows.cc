#include "server/store/sqlite/rows.h"

#include <algorithm>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace parley::store::sqlite {
namespace {

// The member columns joined with their user, for read_member.
#define PARLEY_STORE_MEMBER_COLUMNS                                        \
  "u.id, u.username, u.display_name, u.created_at, m.delivered_seq, "      \
  "m.read_seq, m.joined_at, m.role, m.joined_seq, m.left_seq, m.muted_until"

MemberRecord read_member(const Stmt& stmt) {
  MemberRecord member;
  member.user = read_user(stmt, 0);
  member.delivered_seq = stmt.i64(4);
  member.read_seq = stmt.i64(5);
  member.joined_at = stmt.i64(6);
  member.role = stmt.text(7);
  member.joined_seq = stmt.i64(8);
  if (!stmt.is_null(9)) member.left_seq = stmt.i64(9);
  member.muted_until = stmt.i64(10);
  return member;
}

Result<std::vector<MemberRecord>> all_members(Stmt& stmt) {
  PARLEY_STORE_ASSIGN(std::vector<MemberRecord> members,
                      collect_rows(stmt, [](const Stmt& row) { return read_member(row); }));
  return members;
}

Result<std::optional<UserRecord>> one_user(Stmt& stmt) {
  PARLEY_STORE_ASSIGN(bool row, stmt.step());
  if (!row) return std::optional<UserRecord>();
  return std::optional<UserRecord>(read_user(stmt, 0));
}

}  // namespace

UserRecord read_user(const Stmt& stmt, int first) {
  UserRecord user;
  user.id = stmt.i64(first);
  user.username = stmt.text(first + 1);
  user.display_name = stmt.text(first + 2);
  user.created_at = stmt.i64(first + 3);
  return user;
}

MessageRecord read_message(const Stmt& stmt, int first, int hidden_column) {
  MessageRecord message;
  message.id = stmt.i64(first);
  message.conversation_id = stmt.i64(first + 1);
  message.seq = stmt.i64(first + 2);
  message.sender_id = stmt.i64(first + 3);
  message.client_id = stmt.text(first + 4);
  message.kind = stmt.text(first + 5);
  message.text = stmt.text(first + 6);
  message.ts = stmt.i64(first + 7);
  message.version = stmt.i64(first + 8);
  if (!stmt.is_null(first + 9)) message.edited_at = stmt.i64(first + 9);
  if (!stmt.is_null(first + 10)) message.deleted_at = stmt.i64(first + 10);
  if (!stmt.is_null(first + 11)) message.media_id = stmt.text(first + 11);
  if (!stmt.is_null(first + 12)) message.attachment = stmt.text(first + 12);
  if (!stmt.is_null(first + 13)) message.reply_to = stmt.i64(first + 13);
  message.forwarded = !stmt.is_null(first + 14) && stmt.i64(first + 14) != 0;
  if (hidden_column >= 0 && stmt.i64(hidden_column) != 0) {
    message.hidden = true;
    message.text.clear();
    message.attachment.clear();
  }
  return message;
}

ConversationRecord read_conversation(const Stmt& stmt) {
  ConversationRecord conversation;
  conversation.id = stmt.i64(0);
  conversation.kind = stmt.text(1);
  conversation.created_at = stmt.i64(2);
  conversation.last_seq = stmt.i64(3);
  conversation.last_activity = stmt.i64(4);
  conversation.version = stmt.i64(5);
  conversation.name = stmt.text(6);
  conversation.description = stmt.text(7);
  if (!stmt.is_null(8)) conversation.last_message = read_message(stmt, 8, 8 + kMessageColumns);
  // The viewer's own pin/archive state follows the last message's columns.
  constexpr int kState = 8 + kMessageColumns + 1;
  if (!stmt.is_null(kState)) conversation.pinned_at = stmt.i64(kState);
  conversation.archived = stmt.i64(kState + 1) != 0;
  return conversation;
}

Result<std::optional<UserRecord>> load_user(Db& db, int64_t user_id) {
  PARLEY_STORE_ASSIGN(Stmt stmt, db.prepare("SELECT id, username, display_name, created_at "
                                            "FROM users WHERE id = ?"));
  stmt.bind_all(user_id);
  return one_user(stmt);
}

Result<std::optional<UserRecord>> load_user_by_name(Db& db, std::string_view username) {
  PARLEY_STORE_ASSIGN(Stmt stmt, db.prepare("SELECT id, username, display_name, created_at "
                                            "FROM users WHERE username = ?"));
  stmt.bind_all(username);
  return one_user(stmt);
}

Result<std::optional<PrivacySettings>> load_privacy(Db& db, int64_t user_id) {
  PARLEY_STORE_ASSIGN(Stmt stmt,
                      db.prepare("SELECT hide_last_seen, groups_add FROM users WHERE id = ?"));
  stmt.bind_all(user_id);
  PARLEY_STORE_ASSIGN(bool row, stmt.step());
  if (!row) return std::optional<PrivacySettings>();
  PrivacySettings settings;
  settings.hide_last_seen = stmt.i64(0) != 0;
  settings.groups_add = stmt.text(1);
  return std::optional<PrivacySettings>(std::move(settings));
}

Result<std::optional<MessageRecord>> load_message_by_client_id(Db& db, int64_t sender_id,
                                                               std::string_view client_id) {
  PARLEY_STORE_ASSIGN(Stmt stmt,
                      db.prepare("SELECT " PARLEY_STORE_MESSAGE_COLUMNS
                                 " FROM messages WHERE sender_id = ? AND client_id = ?"));
  stmt.bind_all(sender_id, client_id);
  PARLEY_STORE_ASSIGN(bool row, stmt.step());
  if (!row) return std::optional<MessageRecord>();
  return std::optional<MessageRecord>(read_message(stmt));
}

Result<std::optional<ConversationRecord>> load_conversation(Db& db, int64_t conversation_id,
                                                            int64_t viewer_id) {
  std::vector<ConversationRecord> found;
  {
    PARLEY_STORE_ASSIGN(Stmt stmt, db.prepare("SELECT " PARLEY_STORE_CONVERSATION_COLUMNS
                                              PARLEY_STORE_CONVERSATION_VIEW
                                              " WHERE m.conversation_id = ? AND m.user_id = ?"));
    stmt.bind_all(conversation_id, viewer_id);
    PARLEY_STORE_ASSIGN(bool row, stmt.step());
    if (!row) return std::optional<ConversationRecord>();
    found.push_back(read_conversation(stmt));
  }
  PARLEY_STORE_TRY(load_details(db, found, viewer_id));
  return std::optional<ConversationRecord>(std::move(found.front()));
}

Status load_details(Db& db, std::vector<ConversationRecord>& conversations, int64_t viewer_id) {
  for (ConversationRecord& conversation : conversations) {
    if (conversation.kind == "direct") {
      // Both members, on the clustered primary key.
      PARLEY_STORE_ASSIGN(Stmt stmt, db.prepare("SELECT " PARLEY_STORE_MEMBER_COLUMNS
                                                " FROM members m JOIN users u ON u.id = m.user_id"
                                                " WHERE m.conversation_id = ? ORDER BY m.user_id"));
      stmt.bind_all(conversation.id);
      PARLEY_STORE_ASSIGN(conversation.members, all_members(stmt));
    } else {
      // A group may have hundreds of members: only the viewer's own entry travels here.
      PARLEY_STORE_ASSIGN(auto mine, load_member(db, conversation.id, viewer_id));
      conversation.members.clear();
      if (mine) conversation.members.push_back(std::move(*mine));
    }
    // One range of the active-members index (or of the clustered key) per conversation.
    PARLEY_STORE_ASSIGN(Stmt totals,
                        db.prepare("SELECT count(*), coalesce(min(delivered_seq), 0),"
                                   " coalesce(min(read_seq), 0) FROM members"
                                   " WHERE conversation_id = ? AND left_seq IS NULL"));
    totals.bind_all(conversation.id);
    PARLEY_STORE_ASSIGN(bool row, totals.step());
    if (!row) return Error::make(Errc::kInternal, "aggregate returned no row");
    conversation.member_count = totals.i64(0);
    // A viewer who left sees nothing past left_seq, so nothing "delivered to all" past it;
    // and no receipts at all: the active members' watermarks keep moving after the
    // removal, and would tell them who read what since.
    const bool viewer_left = std::any_of(conversation.members.begin(), conversation.members.end(),
                                         [&](const MemberRecord& m) {
                                           return m.user.id == viewer_id && m.left_seq;
                                         });
    conversation.min_delivered_seq = viewer_left ? 0 : std::min(totals.i64(1), conversation.last_seq);
    conversation.min_read_seq = viewer_left ? 0 : std::min(totals.i64(2), conversation.last_seq);
  }
  std::vector<MessageRecord*> last_messages;
  for (ConversationRecord& conversation : conversations)
    if (conversation.last_message) last_messages.push_back(&*conversation.last_message);
  return load_reactions(db, viewer_id, last_messages);
}

Result<std::optional<MemberRecord>> load_member(Db& db, int64_t conversation_id,
                                                int64_t user_id) {
  PARLEY_STORE_ASSIGN(Stmt stmt, db.prepare("SELECT " PARLEY_STORE_MEMBER_COLUMNS
                                            " FROM members m JOIN users u ON u.id = m.user_id"
                                            " WHERE m.conversation_id = ? AND m.user_id = ?"));
  stmt.bind_all(conversation_id, user_id);
  PARLEY_STORE_ASSIGN(bool row, stmt.step());
  if (!row) return std::optional<MemberRecord>();
  return std::optional<MemberRecord>(read_member(stmt));
}

Result<std::optional<MemberWindow>> load_member_window(Db& db, int64_t conversation_id, int64_t user_id) {
  PARLEY_STORE_ASSIGN(Stmt stmt, db.prepare("SELECT joined_seq, left_seq FROM members"
                                            " WHERE conversation_id = ? AND user_id = ?"));
  stmt.bind_all(conversation_id, user_id);
  PARLEY_STORE_ASSIGN(bool row, stmt.step());
  if (!row) return std::optional<MemberWindow>();
  MemberWindow window{stmt.i64(0), std::nullopt};
  if (!stmt.is_null(1)) window.left_seq = stmt.i64(1);
  return std::optional<MemberWindow>(window);
}

Result<std::vector<MemberRecord>> load_active_members(Db& db, int64_t conversation_id) {
  // members_active is in exactly this order: no sort, and those who left are not visited.
  PARLEY_STORE_ASSIGN(Stmt stmt, db.prepare("SELECT " PARLEY_STORE_MEMBER_COLUMNS
                                            " FROM members m JOIN users u ON u.id = m.user_id"
                                            " WHERE m.conversation_id = ? AND m.left_seq IS NULL"
                                            " ORDER BY m.joined_at, m.user_id"));
  stmt.bind_all(conversation_id);
  return all_members(stmt);
}

Result<std::vector<int64_t>> load_member_ids(Db& db, int64_t conversation_id) {
  PARLEY_STORE_ASSIGN(Stmt stmt, db.prepare("SELECT user_id FROM members"
                                            " WHERE conversation_id = ? AND left_seq IS NULL"
                                            " ORDER BY user_id"));
  stmt.bind_all(conversation_id);
  PARLEY_STORE_ASSIGN(std::vector<int64_t> ids,
                      collect_rows(stmt, [](const Stmt& row) { return row.i64(0); }));
  return ids;
}

Result<int64_t> load_version(Db& db) {
  PARLEY_STORE_ASSIGN(Stmt stmt, db.prepare("SELECT value FROM meta WHERE key = 'version'"));
  PARLEY_STORE_ASSIGN(bool row, stmt.step());
  if (!row) return Error::make(Errc::kInternal, "meta has no 'version' row");
  return stmt.i64(0);
}

Result<int64_t> load_commit_number(Db& db) {
  PARLEY_STORE_ASSIGN(Stmt stmt, db.prepare("SELECT value FROM meta WHERE key = 'commit'"));
  PARLEY_STORE_ASSIGN(bool row, stmt.step());
  if (!row) return Error::make(Errc::kInternal, "meta has no 'commit' row");
  return stmt.i64(0);
}

Status load_reactions(Db& db, int64_t viewer_id, const std::vector<MessageRecord*>& messages) {
  // One statement text whatever the page: the ids go in a fixed number of parameters (the
  // unused ones NULL, which match nothing), a page of more runs it once per slice. A text
  // per page would be parsed at every call and kept by the statement cache.
  // CROSS JOIN keeps reactions the outer loop: without statistics SQLite would otherwise
  // start from the ids in messages and conversations, two seeks per message of the page
  // even when none has a reaction; this way a message without reactions costs one probe.
  constexpr int kIds = 64;
  static const std::string sql = [] {
    std::string text =
        "SELECT r.message_id, r.user_id, r.emoji, r.created_at FROM reactions r"
        " CROSS JOIN messages msg ON msg.id = r.message_id"
        " JOIN conversations c ON c.id = msg.conversation_id"
        " WHERE r.message_id IN (";
    for (int i = 0; i < kIds; ++i) text += (i == 0 ? "?" : ",?") + std::to_string(i + 2);
    text += ") AND NOT (c.kind = 'direct' AND EXISTS (SELECT 1 FROM blocks b"
            " WHERE b.blocker_id = ?1 AND b.blocked_id = r.user_id))"
            " ORDER BY r.message_id, r.created_at, r.user_id";
    return text;
  }();
  std::unordered_map<int64_t, MessageRecord*> by_id;
  std::vector<int64_t> ids;
  for (MessageRecord* m : messages) {
    if (m->hidden) continue;
    m->reactions.clear();
    if (by_id.emplace(m->id, m).second) ids.push_back(m->id);
  }
  for (std::size_t from = 0; from < ids.size(); from += kIds) {
    PARLEY_STORE_ASSIGN(Stmt stmt, db.prepare(sql));
    stmt.bind(1, viewer_id);
    for (int i = 0; i < kIds; ++i) {
      const std::size_t at = from + static_cast<std::size_t>(i);
      if (at < ids.size()) {
        stmt.bind(i + 2, ids[at]);
      } else {
        stmt.bind(i + 2, std::nullopt);
      }
    }
    for (;;) {
      PARLEY_STORE_ASSIGN(bool row, stmt.step());
      if (!row) break;
      auto it = by_id.find(stmt.i64(0));
      if (it != by_id.end())
        it->second->reactions.push_back(Reaction{stmt.i64(1), stmt.text(2), stmt.i64(3)});
    }
  }
  return Status{};
}

Status load_reactions(Db& db, int64_t viewer_id, std::vector<MessageRecord>& messages) {
  std::vector<MessageRecord*> all;
  all.reserve(messages.size());
  for (MessageRecord& m : messages) all.push_back(&m);
  return load_reactions(db, viewer_id, all);
}

}  // namespace parley::store::sqlite
