// The search index's tokenizer, "parley": SQLite's unicode61 (case folding in every script,
// Latin diacritics removed) plus what it lacks for a chat in any language:
//  - Greek accents (tonos, dialytika) are removed too, so "καλημερα" finds "Καλημέρα";
//  - Han ideographs and Japanese kana are one token each. These scripts do not separate
//    words with spaces, so unicode61 would make a whole sentence one token and a word
//    inside it unfindable; one token per character lets a query word match as a phrase of
//    adjacent characters ("東京" finds "我明天去東京").
// Registered on every connection before the schema is touched (the FTS5 table names it).
#pragma once

#include <sqlite3.h>

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace parley::store::sqlite {

Status register_tokenizer(sqlite3* db);

// One token of the "parley" tokenizer: its folded text and the bytes [start, end) of the
// source text it came from.
struct SearchToken {
  std::string text;
  int start = 0;
  int end = 0;
};

// The tokens the search index stores for `text` (valid UTF-8), in order. For stores that
// keep their own index (the PostgreSQL store), so that both stores find the same words.
// Thread-safe: each thread tokenizes on its own in-memory SQLite connection. Errors:
// kInternal when SQLite's FTS5 is unavailable.
Result<std::vector<SearchToken>> search_tokens(std::string_view text);

}  // namespace parley::store::sqlite
