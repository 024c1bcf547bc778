#include "protocol/json_fields.h"

#include <charconv>

#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>

namespace parley::protocol {

namespace json = boost::json;

Result<json::object> parse_object(std::string_view text) {
  json::parse_options options;
  options.max_depth = 16;  // deep nesting is never legitimate here and costs stack
  boost::system::error_code ec;
  json::value v = json::parse(text, ec, {}, options);
  if (ec) return Error::make(Errc::kBadRequest, "body is not valid JSON: " + ec.message());
  if (!v.is_object()) return Error::make(Errc::kBadRequest, "body must be a JSON object");
  return std::move(v.as_object());
}

namespace {

Error wrong_type(std::string_view key, const char* expected) {
  return Error::make(Errc::kBadRequest,
                     "field '" + std::string(key) + "' must be " + expected);
}

Result<std::optional<int64_t>> to_int(const json::value& v, std::string_view key, int64_t min,
                                      int64_t max) {
  int64_t n;
  if (v.is_int64()) {
    n = v.as_int64();
  } else if (v.is_uint64()) {
    if (v.as_uint64() > static_cast<uint64_t>(INT64_MAX)) return wrong_type(key, "an integer");
    n = static_cast<int64_t>(v.as_uint64());
  } else if (v.is_double()) {
    double d = v.as_double();
    // The range test comes first: converting a double outside int64's range is undefined.
    if (!(d >= -9.0e15 && d <= 9.0e15) || d != static_cast<double>(static_cast<int64_t>(d)))
      return wrong_type(key, "an integer");
    n = static_cast<int64_t>(d);
  } else {
    return wrong_type(key, "an integer");
  }
  if (n < min || n > max)
    return Error::make(Errc::kInvalidArgument, "field '" + std::string(key) + "' must be in " +
                                                   std::to_string(min) + ".." +
                                                   std::to_string(max));
  return std::optional<int64_t>(n);
}

}  // namespace

Result<std::optional<std::string>> optional_string(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return std::optional<std::string>();
  if (!it->value().is_string()) return wrong_type(key, "a string");
  const auto& s = it->value().get_string();
  return std::optional<std::string>(std::string(s.data(), s.size()));
}

Result<std::string> required_string(const json::object& o, std::string_view key) {
  auto r = optional_string(o, key);
  if (!r) return r.error();
  if (!r->has_value())
    return Error::make(Errc::kBadRequest, "field '" + std::string(key) + "' is required");
  return std::move(**r);
}

Result<std::optional<int64_t>> optional_int(const json::object& o, std::string_view key,
                                            int64_t min, int64_t max) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return std::optional<int64_t>();
  return to_int(it->value(), key, min, max);
}

Result<int64_t> required_int(const json::object& o, std::string_view key, int64_t min,
                             int64_t max) {
  auto r = optional_int(o, key, min, max);
  if (!r) return r.error();
  if (!r->has_value())
    return Error::make(Errc::kBadRequest, "field '" + std::string(key) + "' is required");
  return **r;
}

Result<json::value> frame_id(const json::object& frame) {
  const json::value* v = frame.if_contains("id");
  if (!v || v->is_null()) return json::value(nullptr);
  if ((v->is_string() && v->as_string().size() <= 64) || v->is_int64() || v->is_uint64()) return *v;
  return Error::make(Errc::kBadRequest,
                     "'id' must be a string of at most 64 characters or an integer");
}

Result<int64_t> parse_int(std::string_view text, std::string_view name, int64_t min,
                          int64_t max) {
  int64_t n = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || ptr != text.data() + text.size() || text.empty())
    return Error::make(Errc::kInvalidArgument,
                       "parameter '" + std::string(name) + "' must be an integer");
  if (n < min || n > max)
    return Error::make(Errc::kInvalidArgument, "parameter '" + std::string(name) +
                                                   "' must be in " + std::to_string(min) +
                                                   ".." + std::to_string(max));
  return n;
}

}  // namespace parley::protocol
