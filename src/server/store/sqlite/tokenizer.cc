#include "server/store/sqlite/tokenizer.h"

#include <memory>
#include <string>

namespace parley::store::sqlite {
namespace {

// One decoded code point of valid UTF-8 (FTS5 hands the tokenizer what unicode61 produced
// from valid text).
struct CodePoint {
  char32_t value = 0;
  int length = 1;
};

CodePoint decode(const unsigned char* p, int left) {
  const unsigned char c = p[0];
  if (c < 0x80 || left < 2) return {c, 1};
  if ((c & 0xE0) == 0xC0) return {static_cast<char32_t>(((c & 0x1F) << 6) | (p[1] & 0x3F)), 2};
  if ((c & 0xF0) == 0xE0 && left >= 3)
    return {static_cast<char32_t>(((c & 0x0F) << 12) | ((p[1] & 0x3F) << 6) | (p[2] & 0x3F)), 3};
  if ((c & 0xF8) == 0xF0 && left >= 4)
    return {static_cast<char32_t>(((c & 0x07) << 18) | ((p[1] & 0x3F) << 12) | ((p[2] & 0x3F) << 6) |
                                  (p[3] & 0x3F)),
            4};
  return {c, 1};
}

void encode(char32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Lower-case Greek letters with tonos or dialytika, without them (unicode61 has already
// folded case). Every mapping keeps the UTF-8 length (2 bytes).
char32_t fold_greek(char32_t cp) {
  switch (cp) {
    case U'ά': return U'α';
    case U'έ': return U'ε';
    case U'ή': return U'η';
    case U'ί': case U'ϊ': case U'ΐ': return U'ι';
    case U'ό': return U'ο';
    case U'ύ': case U'ϋ': case U'ΰ': return U'υ';
    case U'ώ': return U'ω';
    default: return cp;
  }
}

// Scripts written without spaces between words: Han (CJK unified ideographs and their
// extensions and compatibility block) and Japanese kana.
bool is_unspaced(char32_t cp) {
  return (cp >= 0x3040 && cp <= 0x30FF) ||    // hiragana, katakana
         (cp >= 0x3400 && cp <= 0x4DBF) ||    // extension A
         (cp >= 0x4E00 && cp <= 0x9FFF) ||    // unified ideographs
         (cp >= 0xF900 && cp <= 0xFAFF) ||    // compatibility ideographs
         (cp >= 0x20000 && cp <= 0x3134F);    // extensions B..G
}

struct Tokenizer {
  fts5_tokenizer inner_api{};
  Fts5Tokenizer* inner = nullptr;
};

struct Forward {
  void* ctx;
  int (*token)(void*, int, const char*, int, int, int);
};

int on_token(void* p, int tflags, const char* token, int n, int start, int end) {
  auto* fwd = static_cast<Forward*>(p);
  const auto* bytes = reinterpret_cast<const unsigned char*>(token);
  // Byte offsets inside the token map to the source text when folding kept the length.
  const bool aligned = end - start == n;
  std::string run;  // pending characters of spaced scripts
  int run_start = 0;
  int pos = 0;
  auto flush = [&](int at) -> int {
    if (run.empty()) return SQLITE_OK;
    int rc = fwd->token(fwd->ctx, tflags, run.data(), static_cast<int>(run.size()),
                        aligned ? start + run_start : start, aligned ? start + at : end);
    run.clear();
    return rc;
  };
  while (pos < n) {
    CodePoint cp = decode(bytes + pos, n - pos);
    if (is_unspaced(cp.value)) {
      if (int rc = flush(pos); rc != SQLITE_OK) return rc;
      int rc = fwd->token(fwd->ctx, tflags, token + pos, cp.length, aligned ? start + pos : start,
                          aligned ? start + pos + cp.length : end);
      if (rc != SQLITE_OK) return rc;
    } else {
      if (run.empty()) run_start = pos;
      encode(fold_greek(cp.value), run);
    }
    pos += cp.length;
  }
  return flush(n);
}

int create(void* api_ptr, const char** args, int nargs, Fts5Tokenizer** out) {
  (void)args;
  (void)nargs;
  auto* api = static_cast<fts5_api*>(api_ptr);
  auto* t = new Tokenizer();
  void* inner_ctx = nullptr;
  int rc = api->xFindTokenizer(api, "unicode61", &inner_ctx, &t->inner_api);
  if (rc == SQLITE_OK) {
    const char* inner_args[] = {"remove_diacritics", "2"};
    rc = t->inner_api.xCreate(inner_ctx, inner_args, 2, &t->inner);
  }
  if (rc != SQLITE_OK) {
    delete t;
    return rc;
  }
  *out = reinterpret_cast<Fts5Tokenizer*>(t);
  return SQLITE_OK;
}

void destroy(Fts5Tokenizer* p) {
  auto* t = reinterpret_cast<Tokenizer*>(p);
  if (t->inner) t->inner_api.xDelete(t->inner);
  delete t;
}

int tokenize(Fts5Tokenizer* p, void* ctx, int flags, const char* text, int n,
             int (*token)(void*, int, const char*, int, int, int)) {
  auto* t = reinterpret_cast<Tokenizer*>(p);
  Forward fwd{ctx, token};
  return t->inner_api.xTokenize(t->inner, &fwd, flags, text, n, on_token);
}

}  // namespace

Status register_tokenizer(sqlite3* db) {
  fts5_api* api = nullptr;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &stmt, nullptr) != SQLITE_OK) {
    return Error::make(Errc::kInternal, std::string("FTS5 is not available: ") + sqlite3_errmsg(db));
  }
  sqlite3_bind_pointer(stmt, 1, &api, "fts5_api_ptr", nullptr);
  sqlite3_step(stmt);
  sqlite3_finalize(stmt);
  if (api == nullptr) return Error::make(Errc::kInternal, "FTS5 is not available");
  fts5_tokenizer tokenizer{create, destroy, tokenize};
  if (api->xCreateTokenizer(api, "parley", api, &tokenizer, nullptr) != SQLITE_OK) {
    return Error::make(Errc::kInternal, std::string("registering the tokenizer: ") + sqlite3_errmsg(db));
  }
  return Status{};
}

namespace {

// A private in-memory connection with the tokenizer registered, and one instance of it.
struct ThreadTokenizer {
  sqlite3* db = nullptr;
  fts5_tokenizer api{};
  Fts5Tokenizer* instance = nullptr;
  ~ThreadTokenizer() {
    if (instance) api.xDelete(instance);
    if (db) sqlite3_close_v2(db);
  }
};

Result<ThreadTokenizer*> thread_tokenizer() {
  thread_local std::unique_ptr<ThreadTokenizer> cached;
  if (cached) return cached.get();
  auto made = std::make_unique<ThreadTokenizer>();
  if (sqlite3_open_v2(":memory:", &made->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK) {
    return Error::make(Errc::kInternal, "opening an in-memory SQLite for the tokenizer");
  }
  if (Status registered = register_tokenizer(made->db); !registered.ok()) {
    return registered.error();
  }
  fts5_api* api = nullptr;
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(made->db, "SELECT fts5(?1)", -1, &stmt, nullptr);
  sqlite3_bind_pointer(stmt, 1, &api, "fts5_api_ptr", nullptr);
  sqlite3_step(stmt);
  sqlite3_finalize(stmt);
  void* user_data = nullptr;
  if (api == nullptr ||
      api->xFindTokenizer(api, "parley", &user_data, &made->api) != SQLITE_OK ||
      made->api.xCreate(user_data, nullptr, 0, &made->instance) != SQLITE_OK) {
    return Error::make(Errc::kInternal, "the search tokenizer is not available");
  }
  cached = std::move(made);
  return cached.get();
}

int collect(void* out, int, const char* token, int n, int start, int end) {
  static_cast<std::vector<SearchToken>*>(out)->push_back(
      SearchToken{std::string(token, static_cast<size_t>(n)), start, end});
  return SQLITE_OK;
}

}  // namespace

Result<std::vector<SearchToken>> search_tokens(std::string_view text) {
  auto tokenizer = thread_tokenizer();
  if (!tokenizer.ok()) return tokenizer.error();
  std::vector<SearchToken> tokens;
  ThreadTokenizer& t = **tokenizer;
  if (t.api.xTokenize(t.instance, &tokens, FTS5_TOKENIZE_DOCUMENT, text.data(),
                      static_cast<int>(text.size()), collect) != SQLITE_OK) {
    return Error::make(Errc::kInternal, "tokenizing text for search failed");
  }
  return tokens;
}

}  // namespace parley::store::sqlite
