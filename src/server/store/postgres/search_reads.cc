// Message changes since a version and full-text search: the read side of edits,
// deletions and hides (edit_txn.cc).
#include <algorithm>
#include <limits>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "server/store/postgres/pg_store_impl.h"
#include "server/store/postgres/rows.h"
#include "server/store/postgres/search_text.h"

namespace parley::store::pg {

Result<Page<MessageRecord>> PgStore::message_changes(int64_t user_id, int64_t conversation_id,
                                                     int64_t since, int limit) {
  if (limit < 1) return Error::make(Errc::kInvalidArgument, "limit must be at least 1");
  return read([&](Conn& db) -> Result<Page<MessageRecord>> {
    PARLEY_PG_ASSIGN(auto member, load_member(db, conversation_id, user_id));
    if (!member) return Error::make(Errc::kNotFound, "no such conversation");
    const int64_t low = member->joined_seq;
    const int64_t high = member->left_seq.value_or(std::numeric_limits<int64_t>::max());
    const int64_t fetch = static_cast<int64_t>(limit) + 1;

    // Two index ranges, each in version order: the conversation's changed messages
    // (messages_changes) and this user's hides (hidden_changes). A hide's change has the
    // hide's version.
    std::vector<MessageRecord> changed;
    bool more = false;
    {
      PARLEY_PG_ASSIGN(
          Stmt stmt,
          db.prepare("SELECT " PARLEY_PG_MSG_COLUMNS ", " PARLEY_PG_MSG_HIDDEN
                     " FROM messages msg WHERE msg.conversation_id = ?2 AND msg.version > ?3"
                     " AND msg.seq > ?4 AND msg.seq <= ?5 ORDER BY msg.version LIMIT ?6"));
      stmt.bind_all(user_id, conversation_id, since, low, high, fetch);
      for (;;) {
        PARLEY_PG_ASSIGN(bool row, stmt.step());
        if (!row) break;
        changed.push_back(read_message(stmt, 0, kMessageColumns));
      }
      if (static_cast<int64_t>(changed.size()) == fetch) more = true;
    }
    {
      PARLEY_PG_ASSIGN(
          Stmt stmt,
          db.prepare("SELECT " PARLEY_PG_MSG_COLUMNS ", 1, h.version FROM hidden_messages h"
                     " JOIN messages msg ON msg.id = h.message_id"
                     " WHERE h.user_id = ?1 AND h.conversation_id = ?2 AND h.version > ?3"
                     " ORDER BY h.version LIMIT ?4"));
      stmt.bind_all(user_id, conversation_id, since, fetch);
      std::size_t hides = 0;
      for (;;) {
        PARLEY_PG_ASSIGN(bool row, stmt.step());
        if (!row) break;
        // Column kMessageColumns is the constant 1: hidden, so read_message drops the content.
        MessageRecord message = read_message(stmt, 0, kMessageColumns);
        message.version = std::max(message.version, stmt.i64(kMessageColumns + 1));
        changed.push_back(std::move(message));
        ++hides;
      }
      if (static_cast<int64_t>(hides) == fetch) more = true;
    }
    // One entry per message, at its newest change as this user sees it.
    std::unordered_map<int64_t, std::size_t> newest;
    std::vector<MessageRecord> merged;
    for (auto& message : changed) {
      auto [it, inserted] = newest.emplace(message.id, merged.size());
      if (inserted) {
        merged.push_back(std::move(message));
      } else if (message.version > merged[it->second].version) {
        merged[it->second] = std::move(message);
      }
    }
    std::sort(merged.begin(), merged.end(),
              [](const MessageRecord& a, const MessageRecord& b) { return a.version < b.version; });
    Page<MessageRecord> page;
    if (static_cast<int>(merged.size()) > limit) {
      merged.resize(static_cast<std::size_t>(limit));
      more = true;
    }
    page.items = std::move(merged);
    page.has_more = more;
    PARLEY_PG_TRY(load_reactions(db, user_id, page.items));
    return page;
  });
}

Result<Page<SearchHit>> PgStore::search(int64_t user_id, const SearchQuery& query) {
  if (query.limit < 1) return Error::make(Errc::kInvalidArgument, "limit must be at least 1");
  if (query.offset < 0) return Error::make(Errc::kInvalidArgument, "offset must not be negative");
  PARLEY_PG_ASSIGN(std::optional<std::string> words, tsquery_literal(query.text, query.prefix));
  if (!words) return Error::make(Errc::kInvalidArgument, "the query has no words");
  return read([&](Conn& db) -> Result<Page<SearchHit>> {
    if (query.conversation_id) {
      PARLEY_PG_ASSIGN(auto member, load_member(db, *query.conversation_id, user_id));
      if (!member) return Error::make(Errc::kNotFound, "no such conversation");
    }
    Page<SearchHit> page;
    if (words->empty()) return page;  // words without a single token match nothing
    // The GIN index finds the messages with every word; the membership join applies the
    // history boundaries (joined_seq < seq <= left_seq); deleted messages have no words.
    // ts_rank_cd (cover density) rewards messages where the words occur often and close
    // together, normalised by 1 + log(length) (flag 1); unlike SQLite's bm25 it knows
    // nothing of how rare a word is across the store (docs/architecture.md).
    PARLEY_PG_ASSIGN(
        Stmt stmt,
        db.prepare("SELECT " PARLEY_PG_MSG_COLUMNS ","
                   " -ts_rank_cd(msg.search, ?2::TSQUERY, 1) AS score"
                   " FROM messages msg"
                   " JOIN members m ON m.conversation_id = msg.conversation_id AND m.user_id = ?1"
                   " WHERE msg.search @@ ?2::TSQUERY AND msg.deleted_at IS NULL"
                   " AND msg.seq > m.joined_seq AND (m.left_seq IS NULL OR msg.seq <= m.left_seq)"
                   " AND (?3::BIGINT = 0 OR msg.conversation_id = ?3::BIGINT)"
                   " AND NOT EXISTS (SELECT 1 FROM hidden_messages h"
                   "  WHERE h.user_id = ?1 AND h.message_id = msg.id)"
                   " ORDER BY score, msg.id DESC LIMIT ?4 OFFSET ?5"));
    stmt.bind_all(user_id, *words, query.conversation_id.value_or(0),
                  static_cast<int64_t>(query.limit) + 1, static_cast<int64_t>(query.offset));
    for (;;) {
      PARLEY_PG_ASSIGN(bool row, stmt.step());
      if (!row) break;
      if (static_cast<int>(page.items.size()) == query.limit) {
        page.has_more = true;
        break;
      }
      SearchHit hit;
      hit.message = read_message(stmt);
      hit.rank = stmt.f64(kMessageColumns);
      PARLEY_PG_ASSIGN(hit.snippet, snippet(hit.message.text, query.text, query.prefix));
      page.items.push_back(std::move(hit));
    }
    return page;
  });
}

}  // namespace parley::store::pg
