// Message changes since a version and full-text search: the read side of edits,
// deletions and hides (edit_txn.cc).
#include <algorithm>
#include <cctype>
#include <limits>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "server/store/sqlite/rows.h"
#include "server/store/sqlite/sqlite_store_impl.h"

namespace parley::store::sqlite {
namespace {

// Above this many conversations the search is not confined inside the index (one OR
// term per conversation would cost more than it saves); the membership join still
// confines the results.
constexpr std::size_t kMaxConversationTerms = 256;
constexpr std::size_t kMaxQueryWords = 16;

// A user's words as an FTS5 query: each word a quoted string (so nothing the user types
// is FTS syntax), all required, the last one also as a prefix (search as you type).
// Words are split at whitespace and at ASCII punctuation; the tokenizer splits further.
std::string match_words(std::string_view text, bool prefix) {
  std::vector<std::string> words;
  std::string word;
  auto flush = [&] {
    if (!word.empty() && words.size() < kMaxQueryWords) words.push_back(word);
    word.clear();
  };
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    const bool separator = u <= 0x20 || (u < 0x80 && !std::isalnum(u) && c != '_');
    if (separator) {
      flush();
    } else {
      word.push_back(c);
    }
  }
  flush();
  std::string query;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0) query += ' ';
    query += '"';
    for (char c : words[i]) {
      if (c == '"') query += '"';
      query += c;
    }
    query += '"';
    if (prefix && i + 1 == words.size()) query += '*';
  }
  return query;
}

}  // namespace

Result<Page<MessageRecord>> SqliteStore::message_changes(int64_t user_id, int64_t conversation_id,
                                                         int64_t since, int limit) {
  if (limit < 1) return Error::make(Errc::kInvalidArgument, "limit must be at least 1");
  return read([&](Db& db) -> Result<Page<MessageRecord>> {
    PARLEY_STORE_ASSIGN(auto member, load_member(db, conversation_id, user_id));
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
      PARLEY_STORE_ASSIGN(
          Stmt stmt,
          db.prepare("SELECT " PARLEY_STORE_MSG_COLUMNS ", " PARLEY_STORE_MSG_HIDDEN
                     " FROM messages msg WHERE msg.conversation_id = ?2 AND msg.version > ?3"
                     " AND msg.seq > ?4 AND msg.seq <= ?5 ORDER BY msg.version LIMIT ?6"));
      stmt.bind_all(user_id, conversation_id, since, low, high, fetch);
      for (;;) {
        PARLEY_STORE_ASSIGN(bool row, stmt.step());
        if (!row) break;
        changed.push_back(read_message(stmt, 0, kMessageColumns));
      }
      if (static_cast<int64_t>(changed.size()) == fetch) more = true;
    }
    {
      PARLEY_STORE_ASSIGN(
          Stmt stmt,
          db.prepare("SELECT " PARLEY_STORE_MSG_COLUMNS ", 1, h.version FROM hidden_messages h"
                     " JOIN messages msg ON msg.id = h.message_id"
                     " WHERE h.user_id = ?1 AND h.conversation_id = ?2 AND h.version > ?3"
                     " ORDER BY h.version LIMIT ?4"));
      stmt.bind_all(user_id, conversation_id, since, fetch);
      std::size_t hides = 0;
      for (;;) {
        PARLEY_STORE_ASSIGN(bool row, stmt.step());
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
    PARLEY_STORE_TRY(load_reactions(db, user_id, page.items));
    return page;
  });
}

Result<Page<SearchHit>> SqliteStore::search(int64_t user_id, const SearchQuery& query) {
  if (query.limit < 1) return Error::make(Errc::kInvalidArgument, "limit must be at least 1");
  if (query.offset < 0) return Error::make(Errc::kInvalidArgument, "offset must not be negative");
  std::string words = match_words(query.text, query.prefix);
  if (words.empty()) return Error::make(Errc::kInvalidArgument, "the query has no words");
  return read([&](Db& db) -> Result<Page<SearchHit>> {
    // The conversations to search, as index terms.
    std::vector<int64_t> conversations;
    if (query.conversation_id) {
      PARLEY_STORE_ASSIGN(auto member, load_member(db, *query.conversation_id, user_id));
      if (!member) return Error::make(Errc::kNotFound, "no such conversation");
      conversations.push_back(*query.conversation_id);
    } else {
      PARLEY_STORE_ASSIGN(Stmt stmt,
                          db.prepare("SELECT conversation_id FROM members WHERE user_id = ?"));
      stmt.bind_all(user_id);
      for (;;) {
        PARLEY_STORE_ASSIGN(bool row, stmt.step());
        if (!row) break;
        conversations.push_back(stmt.i64(0));
      }
      if (conversations.empty()) return Page<SearchHit>{};
    }
    std::string match = "text : (" + words + ")";
    if (conversations.size() <= kMaxConversationTerms) {
      match += " AND conv : (";
      for (std::size_t i = 0; i < conversations.size(); ++i) {
        if (i > 0) match += " OR ";
        match += 'c' + std::to_string(conversations[i]);
      }
      match += ')';
    }

    // bm25 weighs only the text column. The membership join applies the history
    // boundaries (joined_seq < seq <= left_seq); deleted messages are not in the index.
    PARLEY_STORE_ASSIGN(
        Stmt stmt,
        db.prepare("SELECT " PARLEY_STORE_MSG_COLUMNS ","
                   " snippet(message_search, 0, ?6, ?7, '…', 16),"
                   " bm25(message_search, 1.0, 0.0) AS score"
                   " FROM message_search JOIN messages msg ON msg.id = message_search.rowid"
                   " JOIN members m ON m.conversation_id = msg.conversation_id AND m.user_id = ?1"
                   " WHERE message_search MATCH ?2 AND msg.deleted_at IS NULL"
                   " AND msg.seq > m.joined_seq AND (m.left_seq IS NULL OR msg.seq <= m.left_seq)"
                   " AND (?3 = 0 OR msg.conversation_id = ?3)"
                   " AND NOT EXISTS (SELECT 1 FROM hidden_messages h"
                   "  WHERE h.user_id = ?1 AND h.message_id = msg.id)"
                   " ORDER BY score, msg.id DESC LIMIT ?4 OFFSET ?5"));
    // Highlight markers that cannot occur in the (valid UTF-8) text itself.
    stmt.bind_all(user_id, match, query.conversation_id.value_or(0),
                  static_cast<int64_t>(query.limit) + 1, static_cast<int64_t>(query.offset),
                  std::string_view("\xFF"), std::string_view("\xFE"));
    Page<SearchHit> page;
    for (;;) {
      PARLEY_STORE_ASSIGN(bool row, stmt.step());
      if (!row) break;
      if (static_cast<int>(page.items.size()) == query.limit) {
        page.has_more = true;
        break;
      }
      SearchHit hit;
      hit.message = read_message(stmt);
      hit.snippet = stmt.text(kMessageColumns);
      hit.rank = stmt.f64(kMessageColumns + 1);
      page.items.push_back(std::move(hit));
    }
    return page;
  });
}

}  // namespace parley::store::sqlite
