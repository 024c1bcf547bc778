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

#include "common/result.h"

namespace parley::store::sqlite {

Status register_tokenizer(sqlite3* db);

}  // namespace parley::store::sqlite
