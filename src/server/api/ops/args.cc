#include "server/api/ops/args.h"

#include "protocol/json_fields.h"

namespace parley::api::ops {

namespace json = boost::json;

namespace {

Error missing(std::string_view key) {
  return Error::make(Errc::kBadRequest, "field '" + std::string(key) + "' is required");
}

// What a path parameter names, for the not_found message.
std::string_view noun(std::string_view key) {
  if (key == "conversation_id") return "conversation";
  if (key == "seq") return "message";
  if (key == "session_id") return "live session";
  return "user";
}

}  // namespace

const std::string_view* Args::path_param(std::string_view key) const {
  for (const auto& [k, v] : path_)
    if (k == key) return &v;
  return nullptr;
}

bool Args::has(std::string_view key) const {
  return path_param(key) || (query_ && query_->has(key)) || (body_ && body_->contains(key));
}

Result<std::optional<int64_t>> Args::optional_int(std::string_view key, int64_t min, int64_t max) const {
  if (const std::string_view* raw = path_param(key)) {
    auto n = protocol::parse_int(*raw, key, std::max<int64_t>(min, 1), max);
    if (!n) return Error::make(Errc::kNotFound, "no such " + std::string(noun(key)));
    return std::optional<int64_t>(*n);
  }
  if (query_ && query_->has(key)) {
    auto n = query_->get_int(key, 0, min, max);
    if (!n) return n.error();
    return std::optional<int64_t>(*n);
  }
  if (body_) return protocol::optional_int(*body_, key, min, max);
  return std::optional<int64_t>();
}

Result<int64_t> Args::required_int(std::string_view key, int64_t min, int64_t max) const {
  auto n = optional_int(key, min, max);
  if (!n) return n.error();
  if (!n->has_value()) return missing(key);
  return **n;
}

Result<std::optional<std::string>> Args::optional_string(std::string_view key) const {
  if (const std::string_view* raw = path_param(key)) return std::optional<std::string>(percent_decode(*raw));
  if (query_ && query_->has(key)) return query_->get(key);
  if (body_) return protocol::optional_string(*body_, key);
  return std::optional<std::string>();
}

Result<std::string> Args::required_string(std::string_view key) const {
  auto s = optional_string(key);
  if (!s) return s.error();
  if (!s->has_value()) return missing(key);
  return std::move(**s);
}

Result<std::optional<bool>> Args::optional_bool(std::string_view key) const {
  if (query_ && query_->has(key)) {
    auto n = query_->get_int(key, 0, 0, 1);
    if (!n) return n.error();
    return std::optional<bool>(*n == 1);
  }
  const json::value* v = body_ ? body_->if_contains(key) : nullptr;
  if (!v) return std::optional<bool>();
  if (!v->is_bool())
    return Error::make(Errc::kBadRequest, "field '" + std::string(key) + "' must be true or false");
  return std::optional<bool>(v->as_bool());
}

Result<std::optional<std::vector<int64_t>>> Args::optional_ids(std::string_view key) const {
  const json::value* v = body_ ? body_->if_contains(key) : nullptr;
  if (!v) return std::optional<std::vector<int64_t>>();
  const Error wrong =
      Error::make(Errc::kBadRequest, "field '" + std::string(key) + "' must be an array of integers");
  if (!v->is_array()) return wrong;
  std::vector<int64_t> ids;
  for (const auto& x : v->as_array()) {
    if (!x.is_int64() || x.as_int64() < 1) return wrong;
    ids.push_back(x.as_int64());
  }
  return std::optional<std::vector<int64_t>>(std::move(ids));
}

Result<const json::object*> Args::required_object(std::string_view key) const {
  const json::value* v = body_ ? body_->if_contains(key) : nullptr;
  if (!v) return missing(key);
  if (!v->is_object()) return Error::make(Errc::kBadRequest, "field '" + std::string(key) + "' must be an object");
  return &v->as_object();
}

Result<std::optional<std::vector<std::string>>> Args::optional_strings(std::string_view key) const {
  const json::value* v = body_ ? body_->if_contains(key) : nullptr;
  if (!v) return std::optional<std::vector<std::string>>();
  const Error wrong =
      Error::make(Errc::kBadRequest, "field '" + std::string(key) + "' must be an array of strings");
  if (!v->is_array()) return wrong;
  std::vector<std::string> out;
  for (const auto& x : v->as_array()) {
    if (!x.is_string()) return wrong;
    out.emplace_back(x.as_string().c_str(), x.as_string().size());
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

}  // namespace parley::api::ops
