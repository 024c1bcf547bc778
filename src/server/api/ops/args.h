// The fields of one request, read the same way whichever transport carried them: a
// WebSocket frame (a JSON object), or an HTTP request's path parameters, query string and
// JSON body. Errors follow docs/protocol.md:
//  - JSON field: missing required or wrong JSON type kBadRequest, out of range kInvalidArgument;
//  - query parameter: missing required kBadRequest, not an integer (or not 0/1 for a
//    boolean) or out of range kInvalidArgument;
//  - path parameter ({conversation_id}, {seq}, ...): not a positive integer kNotFound.
// Lookup order over HTTP: path, then query, then body. Not thread-safe; views the inputs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>

#include "common/result.h"
#include "server/api/query.h"

// Declares `decl` from the value of a Result expression, or returns its error:
//   PARLEY_ARG(auto limit, args.optional_int("limit", 1, 200));
#define PARLEY_ARG(decl, expr) PARLEY_ARG_IMPL(PARLEY_ARG_CONCAT(parley_arg_, __LINE__), decl, expr)
#define PARLEY_ARG_CONCAT(a, b) PARLEY_ARG_CONCAT_INNER(a, b)
#define PARLEY_ARG_CONCAT_INNER(a, b) a##b
#define PARLEY_ARG_IMPL(tmp, decl, expr) \
  auto tmp = (expr);                     \
  if (!tmp) return tmp.error();          \
  decl = std::move(*tmp)

namespace parley::api::ops {

class Args {
 public:
  using PathParams = std::vector<std::pair<std::string_view, std::string_view>>;

  // Fields of a JSON object only (a WebSocket frame).
  explicit Args(const boost::json::object& fields) : body_(&fields) {}
  // An HTTP request: path parameters (raw segments), query, optional JSON body.
  Args(PathParams path, const Query& query, const boost::json::object* body)
      : path_(std::move(path)), query_(&query), body_(body) {}

  bool has(std::string_view key) const;
  Result<int64_t> required_int(std::string_view key, int64_t min = 0, int64_t max = INT64_MAX) const;
  Result<std::optional<int64_t>> optional_int(std::string_view key, int64_t min = 0,
                                              int64_t max = INT64_MAX) const;
  Result<std::string> required_string(std::string_view key) const;
  Result<std::optional<std::string>> optional_string(std::string_view key) const;
  // JSON true/false; in a query string 1/0.
  Result<std::optional<bool>> optional_bool(std::string_view key) const;
  // A JSON array of positive integers (kBadRequest otherwise); absent: nullopt.
  Result<std::optional<std::vector<int64_t>>> optional_ids(std::string_view key) const;
  // A JSON object field of a JSON body (kBadRequest when absent or not an object); a view
  // into the body.
  Result<const boost::json::object*> required_object(std::string_view key) const;
  // A JSON array of strings (kBadRequest otherwise); absent: nullopt.
  Result<std::optional<std::vector<std::string>>> optional_strings(std::string_view key) const;

 private:
  const std::string_view* path_param(std::string_view key) const;

  PathParams path_;
  const Query* query_ = nullptr;
  const boost::json::object* body_ = nullptr;
};

}  // namespace parley::api::ops
