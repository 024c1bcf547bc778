// Small helpers for URL paths and query strings. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace parley::api {

// "/api/v1/x/" -> {"api","v1","x"} (empty segments dropped; views into `path`).
std::vector<std::string_view> split_path(std::string_view path);

// Decodes %XX and '+' (as space). Malformed escapes are kept as they are.
std::string percent_decode(std::string_view s);

// A parsed query string ("a=1&b=x").
class Query {
 public:
  explicit Query(std::string_view query);
  bool has(std::string_view key) const;
  // The decoded value of `key`, or empty when absent.
  std::optional<std::string> get(std::string_view key) const;
  // The integer value of `key`, or `fallback` when absent. kInvalidArgument when malformed
  // or outside [min, max].
  Result<int64_t> get_int(std::string_view key, int64_t fallback, int64_t min,
                          int64_t max = INT64_MAX) const;

 private:
  const std::string* find(std::string_view key) const;
  std::vector<std::pair<std::string, std::string>> params_;
};

}  // namespace parley::api
