// Row loaders shared by the read side and the write transaction. Every function runs on
// the connection it is given and sees whatever that connection's current transaction sees.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "server/store/sqlite/db.h"
#include "server/store/store.h"

namespace parley::store::sqlite {

Result<std::optional<UserRecord>> load_user(Db& db, int64_t user_id);
Result<std::optional<UserRecord>> load_user_by_name(Db& db, std::string_view username);
// The user's privacy settings; nullopt for an unknown user.
Result<std::optional<PrivacySettings>> load_privacy(Db& db, int64_t user_id);

Result<std::optional<MessageRecord>> load_message_by_client_id(Db& db, int64_t sender_id,
                                                               std::string_view client_id);

// The conversation as `viewer_id` sees it (store.h visibility rules), with its members
// (direct: both; group: the viewer's own entry), counts and last visible message; nullopt
// when it does not exist or the viewer never was a member.
Result<std::optional<ConversationRecord>> load_conversation(Db& db, int64_t conversation_id,
                                                            int64_t viewer_id);

// Fills members, member_count and min_* of records read with the view columns below, as
// `viewer_id` sees them: a few indexed queries per conversation.
Status load_details(Db& db, std::vector<ConversationRecord>& conversations, int64_t viewer_id);

// One member row (active or not), with its user; nullopt if the user never was a member.
Result<std::optional<MemberRecord>> load_member(Db& db, int64_t conversation_id, int64_t user_id);
// The messages a member sees: joined_seq < seq, and seq <= left_seq once they left.
struct MemberWindow {
  int64_t joined_seq = 0;
  std::optional<int64_t> left_seq;
};
// From the members row alone; nullopt when user_id never was a member.
Result<std::optional<MemberWindow>> load_member_window(Db& db, int64_t conversation_id, int64_t user_id);
// Active members ordered by (joined_at, user id).
Result<std::vector<MemberRecord>> load_active_members(Db& db, int64_t conversation_id);
// Active member ids ordered by user id (fan-out lists).
Result<std::vector<int64_t>> load_member_ids(Db& db, int64_t conversation_id);

// Fills the reactions of `messages` as `viewer_id` sees them (store.h, MessageRecord):
// none on hidden messages, and in direct conversations none by users the viewer blocked.
// One statement per 64 of them, with the same text whatever the page.
Status load_reactions(Db& db, int64_t viewer_id, const std::vector<MessageRecord*>& messages);
// The same for a page of messages.
Status load_reactions(Db& db, int64_t viewer_id, std::vector<MessageRecord>& messages);

// The last committed version as recorded in meta.
Result<int64_t> load_version(Db& db);
// The number of the last commit as recorded in meta (written only when COMMIT does not
// flush; wal_flush.h). As a transaction's first statement, it says which commits its
// snapshot holds: those numbered up to the value.
Result<int64_t> load_commit_number(Db& db);

// ---- raw row decoding, for queries built on the column lists below ----

// u.id, u.username, u.display_name, u.created_at (users aliased as u) from column `first`.
#define PARLEY_STORE_USER_COLUMNS "u.id, u.username, u.display_name, u.created_at"
UserRecord read_user(const Stmt& stmt, int first = 0);

// The conversation as the member row `m` sees it. While m is active that is the
// conversation itself; once m.left_seq is set it stops at left_seq: last_seq, the last
// message and its activity are those of left_seq, and the version is that of the removal
// (m.version; a left member's row is never written again until a re-add). The last message
// is only shown when the viewer may see it (seq > joined_seq).
#define PARLEY_STORE_VIEW_SEQ \
  "(CASE WHEN m.left_seq IS NULL THEN c.last_seq ELSE min(c.last_seq, m.left_seq) END)"
#define PARLEY_STORE_VIEW_ACTIVITY \
  "(CASE WHEN m.left_seq IS NULL THEN c.last_activity ELSE coalesce(lm.ts, c.created_at) END)"
// A member's own changes (messages they hid) count too: max(..., m.own_version).
#define PARLEY_STORE_VIEW_VERSION \
  "max(CASE WHEN m.left_seq IS NULL THEN c.version ELSE m.version END, m.own_version)"
// FROM clause for the columns below: filter on m.user_id (the viewer).
#define PARLEY_STORE_CONVERSATION_VIEW                                         \
  " FROM members m JOIN conversations c ON c.id = m.conversation_id"          \
  " LEFT JOIN messages lm ON lm.conversation_id = c.id"                       \
  " AND lm.seq = " PARLEY_STORE_VIEW_SEQ " AND lm.seq > m.joined_seq"
// c.id, c.kind, c.created_at, seen_last_seq, seen_activity, seen_version, c.name,
// c.description, then the last visible message's columns (NULL when there is none).
#define PARLEY_STORE_CONVERSATION_COLUMNS                                                \
  "c.id, c.kind, c.created_at, " PARLEY_STORE_VIEW_SEQ " AS seen_last_seq, "            \
  PARLEY_STORE_VIEW_ACTIVITY " AS seen_activity, " PARLEY_STORE_VIEW_VERSION              \
  " AS seen_version, c.name, c.description, "                                            \
  "lm.id, lm.conversation_id, lm.seq, lm.sender_id, lm.client_id, lm.kind, lm.text, "    \
  "lm.ts, lm.version, lm.edited_at, lm.deleted_at, lm.media_id, lm.attachment, lm.reply_to, lm.forwarded, "         \
  "EXISTS (SELECT 1 FROM hidden_messages h WHERE h.user_id = m.user_id"                  \
  " AND h.message_id = lm.id), m.pinned_at, m.archived"
ConversationRecord read_conversation(const Stmt& stmt);

// id, conversation_id, seq, sender_id, client_id, kind, text, ts, version, edited_at,
// deleted_at, media_id, attachment, reply_to, forwarded from column `first` (kMessageColumns of them); with
// `hidden_column` >= 0, that column says whether the viewer hid it (then the text and
// attachment are left out).
#define PARLEY_STORE_MESSAGE_COLUMNS                                                    \
  "id, conversation_id, seq, sender_id, client_id, kind, text, ts, version, edited_at, " \
  "deleted_at, media_id, attachment, reply_to, forwarded"
inline constexpr int kMessageColumns = 15;
// The same, qualified by the alias msg.
#define PARLEY_STORE_MSG_COLUMNS                                                        \
  "msg.id, msg.conversation_id, msg.seq, msg.sender_id, msg.client_id, msg.kind, msg.text, " \
  "msg.ts, msg.version, msg.edited_at, msg.deleted_at, msg.media_id, msg.attachment, msg.reply_to, msg.forwarded"
// Whether the viewer (bound as a parameter) hid msg.
#define PARLEY_STORE_MSG_HIDDEN \
  "EXISTS (SELECT 1 FROM hidden_messages h WHERE h.user_id = ?1 AND h.message_id = msg.id)"
MessageRecord read_message(const Stmt& stmt, int first = 0, int hidden_column = -1);

}  // namespace parley::store::sqlite
