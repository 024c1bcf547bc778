#include "setup.h"

#include <algorithm>
#include <cmath>

#include <boost/json.hpp>

#include "rpc.h"

namespace bench {

namespace json = boost::json;

namespace {

void digits(std::string& s, std::size_t at, std::size_t width, uint64_t v) {
  for (std::size_t i = 0; i < width; ++i) {
    s[at + width - 1 - i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
}

constexpr std::size_t kCounterWidth = 12;
constexpr std::size_t kStampWidth = 20;

}  // namespace

asio::awaitable<parley::Result<json::value>> http_call(HttpClient& http, std::string_view method, std::string path,
                                                      std::string body, std::string token) {
  std::string last;
  for (int attempt = 0; attempt < 30; ++attempt) {
    auto r = co_await http.request(method, path, body, token);
    if (!r) {
      last = r.error().message;
    } else if (r->status >= 200 && r->status < 300) {
      co_return std::move(r->body);
    } else if (r->status != 429 && r->status < 500) {
      co_return make_error(std::string(method) + " " + path + ": HTTP " + std::to_string(r->status) + " " +
                           json::serialize(r->body).substr(0, 200));
    } else {
      last = "HTTP " + std::to_string(r->status);
    }
    co_await sleep_for(std::chrono::milliseconds(200 * (attempt + 1)));
  }
  co_return make_error(std::string(method) + " " + path + " kept failing: " + last);
}


parley::Result<std::vector<Account>> register_accounts(Runtime& rt, const Target& target, const std::string& base,
                                                       std::size_t n, int concurrency) {
  std::vector<Account> out(n);
  std::vector<std::string> errors(rt.shards().size());
  std::atomic<std::size_t> next{0};
  rt.run_all([&](Shard& shard) -> asio::awaitable<void> {
    std::vector<std::unique_ptr<HttpClient>> clients;
    for (int i = 0; i < concurrency; ++i) clients.push_back(std::make_unique<HttpClient>(shard.io.get_executor(), target));
    co_await parallel_for(static_cast<std::size_t>(concurrency), concurrency, [&](std::size_t lane) -> asio::awaitable<void> {
      for (std::size_t i = next++; i < n && errors[shard.index].empty(); i = next++) {
        std::string name = base + "u" + std::to_string(i);
        json::object req{{"username", name}, {"display_name", name}, {"password", "bench-password-1"},
                         {"device_name", "parley-bench"}};
        auto r = co_await http_call(*clients[lane], "POST", "/api/v1/register", json::serialize(req), "");
        if (!r) {
          errors[shard.index] = "register " + name + ": " + r.error().message;
          co_return;
        }
        const auto& o = r->as_object();
        out[i].id = o.at("user").at("id").to_number<int64_t>();
        out[i].username = name;
        out[i].token = std::string(o.at("token").as_string());
      }
    });
  });
  for (const auto& e : errors)
    if (!e.empty()) return make_error(e);
  return out;
}

parley::Result<std::vector<int64_t>> create_conversations(Runtime& rt, const Target& target,
                                                          const std::vector<Account>& accounts,
                                                          const std::vector<std::pair<std::size_t, std::size_t>>& pairs,
                                                          int concurrency) {
  std::vector<int64_t> out(pairs.size());
  std::vector<std::string> errors(rt.shards().size());
  std::atomic<std::size_t> next{0};
  rt.run_all([&](Shard& shard) -> asio::awaitable<void> {
    std::vector<std::unique_ptr<HttpClient>> clients;
    for (int i = 0; i < concurrency; ++i) clients.push_back(std::make_unique<HttpClient>(shard.io.get_executor(), target));
    co_await parallel_for(static_cast<std::size_t>(concurrency), concurrency, [&](std::size_t lane) -> asio::awaitable<void> {
      for (std::size_t i = next++; i < pairs.size() && errors[shard.index].empty(); i = next++) {
        const Account& a = accounts[pairs[i].first];
        const Account& b = accounts[pairs[i].second];
        json::object req{{"peer_id", b.id}};
        auto r = co_await http_call(*clients[lane], "POST", "/api/v1/conversations", json::serialize(req), a.token);
        if (!r) {
          errors[shard.index] = "conversation " + a.username + "/" + b.username + ": " + r.error().message;
          co_return;
        }
        out[i] = r->at("conversation").at("id").to_number<int64_t>();
      }
    });
  });
  for (const auto& e : errors)
    if (!e.empty()) return make_error(e);
  return out;
}

parley::Result<std::vector<GroupCreated>> create_groups(Runtime& rt, const Target& target,
                                                       const std::vector<Account>& accounts,
                                                       const std::vector<std::vector<std::size_t>>& members,
                                                       const std::string& name, int concurrency) {
  std::vector<GroupCreated> out(members.size());
  std::vector<std::string> errors(rt.shards().size());
  std::atomic<std::size_t> next{0};
  rt.run_all([&](Shard& shard) -> asio::awaitable<void> {
    std::vector<std::unique_ptr<HttpClient>> clients;
    for (int i = 0; i < concurrency; ++i) clients.push_back(std::make_unique<HttpClient>(shard.io.get_executor(), target));
    co_await parallel_for(static_cast<std::size_t>(concurrency), concurrency, [&](std::size_t lane) -> asio::awaitable<void> {
      for (std::size_t i = next++; i < members.size() && errors[shard.index].empty(); i = next++) {
        const Account& creator = accounts[members[i].front()];
        json::array ids;
        for (std::size_t k = 1; k < members[i].size(); ++k) ids.push_back(accounts[members[i][k]].id);
        json::object req{{"name", name + "-" + std::to_string(i)}, {"member_ids", std::move(ids)}};
        auto r = co_await http_call(*clients[lane], "POST", "/api/v1/groups", json::serialize(req), creator.token);
        if (!r) {
          errors[shard.index] = "group " + std::to_string(i) + ": " + r.error().message;
          co_return;
        }
        const auto& c = r->at("conversation");
        out[i].id = c.at("id").to_number<int64_t>();
        out[i].last_seq = c.at("last_seq").to_number<int64_t>();
      }
    });
  });
  for (const auto& e : errors)
    if (!e.empty()) return make_error(e);
  return out;
}

parley::Result<std::vector<std::shared_ptr<WsConn>>> connect_all(Runtime& rt, const Target& target,
                                                                 const std::vector<std::string>& tokens,
                                                                 int concurrency, const char* latency_hist,
                                                                 const OnReady& on_ready) {
  std::vector<std::shared_ptr<WsConn>> out(tokens.size());
  std::vector<std::string> errors(rt.shards().size());
  std::size_t shards = rt.shards().size();
  rt.run_all([&](Shard& shard) -> asio::awaitable<void> {
    std::vector<std::size_t> mine;
    for (std::size_t i = static_cast<std::size_t>(shard.index); i < tokens.size(); i += shards) mine.push_back(i);
    co_await parallel_for(mine.size(), concurrency, [&](std::size_t k) -> asio::awaitable<void> {
      if (!errors[shard.index].empty()) co_return;
      std::size_t i = mine[k];
      auto c = WsConn::make(shard.io.get_executor(), target);
      uint64_t t0 = now_ns();
      auto r = co_await c->connect(tokens[i], std::chrono::seconds(30));
      if (!r) {
        errors[shard.index] = "connection " + std::to_string(i) + ": " + r.error().message;
        co_return;
      }
      if (latency_hist) shard.stats.hist(latency_hist).record((now_ns() - t0) / 1000);
      if (on_ready) on_ready(shard, i, *c);
      out[i] = std::move(c);
    });
  });
  for (const auto& e : errors)
    if (!e.empty()) return make_error(e);
  return out;
}

std::string vocab_word(uint32_t index) {
  static const char* const kSyllables[16] = {"ka", "lo", "mi", "re", "su", "te", "po", "na",
                                             "vi", "do", "ze", "gu", "ba", "fi", "ho", "ju"};
  std::string w;
  w += kSyllables[index % 16];
  w += kSyllables[(index / 16) % 16];
  w += kSyllables[(index / 256) % 16];
  if (index >= 4096) w += kSyllables[(index / 4096) % 16];
  return w;
}

uint32_t zipf_index(uint64_t uniform) {
  const double u = static_cast<double>(uniform >> 11) / static_cast<double>(1ULL << 53);
  const double x = std::exp(u * std::log(static_cast<double>(kVocabulary) + 1.0)) - 1.0;
  return std::min<uint32_t>(kVocabulary - 1, static_cast<uint32_t>(x));
}

SendFrame::SendFrame(int64_t conversation_id, int text_bytes, bool words) {
  words_ = words;
  conv_ = static_cast<uint64_t>(conversation_id);
  std::string head = R"({"type":"send","id":")";
  id_at_ = head.size();
  head += std::string(kCounterWidth, '0') + R"(","conversation_id":)" + std::to_string(conversation_id) +
          R"(,"client_id":"b)";
  client_at_ = head.size();
  head += std::string(kCounterWidth, '0') + R"(","text":"t)";
  stamp_at_ = head.size();
  std::size_t pad = static_cast<std::size_t>(text_bytes) > kStampWidth + 1 ? text_bytes - kStampWidth - 1 : 0;
  head += std::string(kStampWidth, '0');
  pad_at_ = head.size();
  pad_len_ = pad;
  head += std::string(pad, 'x') + R"("})";
  frame_ = std::move(head);
}

std::string SendFrame::make(uint64_t counter, uint64_t stamp_ns) const {
  std::string f = frame_;
  digits(f, id_at_, kCounterWidth, counter);
  digits(f, client_at_, kCounterWidth, counter);
  digits(f, stamp_at_, kStampWidth, stamp_ns);
  if (words_ && pad_len_ > 1) {
    // " word word word..." from a generator seeded by the counter (splitmix64).
    uint64_t state = counter * 0x9E3779B97F4A7C15ULL + conv_ * 0xD1B54A32D192ED03ULL + 1;
    auto next = [&state] {
      uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
      return z ^ (z >> 31);
    };
    std::string text;
    while (text.size() < pad_len_) text += ' ' + vocab_word(zipf_index(next()));
    f.replace(pad_at_, pad_len_, text, 0, pad_len_);
  }
  return f;
}

uint64_t text_stamp(std::string_view text) {
  if (text.size() < kStampWidth + 1 || text[0] != 't') return 0;
  uint64_t v = 0;
  for (std::size_t i = 1; i <= kStampWidth; ++i) {
    char c = text[i];
    if (c < '0' || c > '9') return 0;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

uint64_t answer_counter(const json::value& id) {
  const json::string* s = id.if_string();
  if (!s || s->size() != kCounterWidth) return UINT64_MAX;
  uint64_t v = 0;
  for (char c : *s) {
    if (c < '0' || c > '9') return UINT64_MAX;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

}  // namespace bench
