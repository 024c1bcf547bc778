#include "server/api/query.h"

#include "protocol/json_fields.h"

namespace parley::api {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < path.size()) {
    std::size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) out.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

std::string percent_decode(std::string_view s) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int h = hex(s[i + 1]), l = hex(s[i + 2]);
      if (h >= 0 && l >= 0) {
        out += static_cast<char>(h * 16 + l);
        i += 2;
        continue;
      }
    }
    out += s[i] == '+' ? ' ' : s[i];
  }
  return out;
}

Query::Query(std::string_view query) {
  std::size_t i = 0;
  while (i < query.size()) {
    std::size_t j = query.find('&', i);
    if (j == std::string_view::npos) j = query.size();
    std::string_view kv = query.substr(i, j - i);
    if (!kv.empty()) {
      std::size_t eq = kv.find('=');
      std::string_view k = kv.substr(0, eq);
      std::string_view v = eq == std::string_view::npos ? std::string_view() : kv.substr(eq + 1);
      params_.emplace_back(percent_decode(k), percent_decode(v));
    }
    i = j + 1;
  }
}

const std::string* Query::find(std::string_view key) const {
  for (const auto& [k, v] : params_)
    if (k == key) return &v;
  return nullptr;
}

bool Query::has(std::string_view key) const { return find(key) != nullptr; }

std::optional<std::string> Query::get(std::string_view key) const {
  const std::string* v = find(key);
  if (!v) return std::nullopt;
  return *v;
}

Result<int64_t> Query::get_int(std::string_view key, int64_t fallback, int64_t min,
                               int64_t max) const {
  const std::string* v = find(key);
  if (!v) return fallback;
  return protocol::parse_int(*v, key, min, max);
}

}  // namespace parley::api
