#include "server/store/postgres/search_text.h"

#include <algorithm>
#include <cctype>
#include <vector>

#include "server/store/sqlite/tokenizer.h"

namespace parley::store::pg {
namespace {

using sqlite::SearchToken;

constexpr size_t kMaxQueryWords = 16;
constexpr int kMaxPosition = 16383;
constexpr int kSnippetTokens = 16;

// PostgreSQL's longest lexeme, in bytes.
constexpr size_t kMaxLexemeBytes = 2046;

// A token inside single quotes, as tsvector and tsquery input read it. A token longer
// than a lexeme may be is cut at a character boundary, on both the indexing and the
// query side, so a longer word still finds itself (and, rarely, another word sharing its
// first 2046 bytes).
void append_quoted(std::string& out, std::string_view token) {
  if (token.size() > kMaxLexemeBytes) {
    size_t cut = kMaxLexemeBytes;
    while (cut > 0 && (static_cast<unsigned char>(token[cut]) & 0xC0) == 0x80) --cut;
    token = token.substr(0, cut);
  }
  out += '\'';
  for (char c : token) {
    if (c == '\'' || c == '\\') out += c == '\'' ? '\'' : '\\';
    out += c;
  }
  out += '\'';
}

// The query's words (split as the embedded store splits them), each as its tokens.
Result<std::vector<std::vector<std::string>>> query_words(std::string_view text) {
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
  std::vector<std::vector<std::string>> out;
  for (const std::string& w : words) {
    auto tokens = sqlite::search_tokens(w);
    if (!tokens.ok()) return tokens.error();
    std::vector<std::string> texts;
    for (auto& t : *tokens) texts.push_back(std::move(t.text));
    out.push_back(std::move(texts));
  }
  return out;
}

}  // namespace

Result<std::string> tsvector_literal(std::string_view text) {
  auto tokens = sqlite::search_tokens(text);
  if (!tokens.ok()) return tokens.error();
  std::string out;
  int position = 0;
  for (const SearchToken& token : *tokens) {
    if (token.text.empty()) continue;
    position = std::min(position + 1, kMaxPosition);
    if (!out.empty()) out += ' ';
    append_quoted(out, token.text);
    out += ':';
    out += std::to_string(position);
  }
  return out;
}

Result<std::optional<std::string>> tsquery_literal(std::string_view query, bool prefix) {
  auto words = query_words(query);
  if (!words.ok()) return words.error();
  if (words->empty()) return std::optional<std::string>();
  std::string out;
  for (size_t w = 0; w < words->size(); ++w) {
    const auto& tokens = (*words)[w];
    if (tokens.empty()) return std::optional<std::string>(std::string());
    if (!out.empty()) out += " & ";
    out += '(';
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (i > 0) out += " <-> ";
      append_quoted(out, tokens[i]);
      if (prefix && w + 1 == words->size() && i + 1 == tokens.size()) out += ":*";
    }
    out += ')';
  }
  return std::optional<std::string>(std::move(out));
}

Result<std::string> snippet(std::string_view text, std::string_view query, bool prefix) {
  auto tokens = sqlite::search_tokens(text);
  if (!tokens.ok()) return tokens.error();
  auto words = query_words(query);
  if (!words.ok()) return words.error();
  const auto& t = *tokens;
  // Which tokens are part of an occurrence of one of the query's words (as a phrase).
  std::vector<bool> hit(t.size(), false);
  for (size_t w = 0; w < words->size(); ++w) {
    const auto& phrase = (*words)[w];
    if (phrase.empty() || phrase.size() > t.size()) continue;
    const bool last_is_prefix = prefix && w + 1 == words->size();
    for (size_t start = 0; start + phrase.size() <= t.size(); ++start) {
      bool match = true;
      for (size_t i = 0; i < phrase.size() && match; ++i) {
        const std::string& have = t[start + i].text;
        const bool as_prefix = last_is_prefix && i + 1 == phrase.size();
        match = as_prefix ? have.compare(0, phrase[i].size(), phrase[i]) == 0 : have == phrase[i];
      }
      if (match) std::fill(hit.begin() + start, hit.begin() + start + phrase.size(), true);
    }
  }
  // A window of kSnippetTokens tokens that starts a little before the first match.
  size_t first = std::find(hit.begin(), hit.end(), true) - hit.begin();
  if (first == t.size()) first = 0;
  size_t begin = first >= 2 ? first - 2 : 0;
  size_t end = std::min(t.size(), begin + kSnippetTokens);
  if (end - begin < kSnippetTokens) begin = end >= kSnippetTokens ? end - kSnippetTokens : 0;

  std::string out;
  size_t cursor = begin == 0 ? 0 : static_cast<size_t>(t[begin].start);
  if (begin > 0) out += "…";
  for (size_t i = begin; i < end; ++i) {
    const auto start = static_cast<size_t>(t[i].start);
    const auto stop = static_cast<size_t>(t[i].end);
    // Tokens cut from one folded word whose length changed share its bytes: shown once.
    if (start < cursor) continue;
    out.append(text.substr(cursor, start - cursor));
    // Adjacent matching tokens with nothing between them are one highlighted run.
    const bool opens = hit[i] && !(i > begin && hit[i - 1] && t[i - 1].end == t[i].start);
    const bool closes = hit[i] && !(i + 1 < end && hit[i + 1] && t[i + 1].start == t[i].end);
    if (opens) out += '\xFF';
    out.append(text.substr(start, stop - start));
    if (closes) out += '\xFE';
    cursor = stop;
  }
  if (end == t.size()) {
    out.append(text.substr(std::min(cursor, text.size())));
  } else {
    out += "…";
  }
  return out;
}

}  // namespace parley::store::pg
