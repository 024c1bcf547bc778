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

Result<std::optional<MessageRecord>> load_message_by_client_id(Db& db, int64_t sender_id,
                                                               std::string_view client_id);

// The conversation with its members and last message, or nullopt.
Result<std::optional<ConversationRecord>> load_conversation(Db& db, int64_t conversation_id);

// Fills members (with their users) of every record, ordered by user id: one indexed query
// per conversation.
Status load_members(Db& db, std::vector<ConversationRecord>& conversations);

Result<std::vector<int64_t>> load_member_ids(Db& db, int64_t conversation_id);
Result<bool> is_member(Db& db, int64_t conversation_id, int64_t user_id);

// The last committed version as recorded in meta.
Result<int64_t> load_version(Db& db);

// ---- raw row decoding, for queries built on the column lists below ----

// c.id, c.kind, c.created_at, c.last_seq, c.last_activity, c.version, then the last
// message's columns (NULL when there is none), from
//   conversations c LEFT JOIN messages lm ON lm.id = c.last_message_id
#define PARLEY_STORE_CONVERSATION_COLUMNS                                              \
  "c.id, c.kind, c.created_at, c.last_seq, c.last_activity, c.version, "              \
  "lm.id, lm.conversation_id, lm.seq, lm.sender_id, lm.client_id, lm.kind, lm.text, " \
  "lm.ts, lm.version"
ConversationRecord read_conversation(const Stmt& stmt);

// id, conversation_id, seq, sender_id, client_id, kind, text, ts, version from column `first`.
#define PARLEY_STORE_MESSAGE_COLUMNS \
  "id, conversation_id, seq, sender_id, client_id, kind, text, ts, version"
MessageRecord read_message(const Stmt& stmt, int first = 0);

}  // namespace parley::store::sqlite
