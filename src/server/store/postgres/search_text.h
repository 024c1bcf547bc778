// Full-text search on PostgreSQL, the parts done in C++: the words of a message as a
// tsvector, a user's query as a tsquery, and the highlighted snippet of a hit. Words come
// from the embedded store's tokenizer (sqlite/tokenizer.h), so both stores fold case and
// diacritics alike and split Han and kana per character; PostgreSQL's own parsers and
// dictionaries are never involved (the literals below are cast to tsvector / tsquery).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace parley::store::pg {

// The tsvector literal of `text`: every token quoted, with its position (1-based; past
// 16383, PostgreSQL's limit, positions stay at 16383). "" when there are no tokens.
Result<std::string> tsvector_literal(std::string_view text);

// The user's words as a tsquery literal: words split at whitespace and ASCII punctuation
// (at most 16), each word's tokens a phrase of adjacent tokens (<->), all words required
// (&), the last word's last token also a prefix (:*) when `prefix`. Every token is
// quoted, so nothing the user types is query syntax. nullopt when there are no words;
// "" when there are words but none of them has a token (nothing can match).
Result<std::optional<std::string>> tsquery_literal(std::string_view query, bool prefix);

// The part of `text` around the first match of the query: at most 16 tokens, "…" where
// cut, every run of matching tokens between the bytes 0xFF and 0xFE.
Result<std::string> snippet(std::string_view text, std::string_view query, bool prefix);

}  // namespace parley::store::pg
