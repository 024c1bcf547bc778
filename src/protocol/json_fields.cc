#include "protocol/json_fields.h"

#include <charconv>

#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>

#include "protocol/validate.h"

namespace parley::protocol {

namespace json = boost::json;

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The code unit of a \uXXXX escape starting at text[i] (the backslash), or -1.
int escaped_unit(std::string_view text, std::size_t i) {
  if (i + 6 > text.size() || text[i] != '\\' || text[i + 1] != 'u') return -1;
  int unit = 0;
  for (std::size_t k = i + 2; k < i + 6; ++k) {
    int d = hex_digit(text[k]);
    if (d < 0) return -1;
    unit = unit * 16 + d;
  }
  return unit;
}

// True when `text` has a \u escape of a UTF-16 surrogate that is not part of a pair
// (Boost.JSON reports some as syntax errors, others as surrogate errors).
bool has_unpaired_surrogate_escape(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') continue;
    const int unit = escaped_unit(text, i);
    if (unit < 0) {
      ++i;  // another escape (\\, \", ...): skip its second character
      continue;
    }
    if (unit >= 0xDC00 && unit <= 0xDFFF) return true;  // a low half without a high one
    if (unit >= 0xD800 && unit <= 0xDBFF) {
      const int next = escaped_unit(text, i + 6);
      if (next < 0xDC00 || next > 0xDFFF) return true;
      i += 6;  // the pair's low half
    }
    i += 5;
  }
  return false;
}

}  // namespace

Result<json::object> parse_object(std::string_view text) {
  json::parse_options options;
  options.max_depth = 16;  // deep nesting is never legitimate here and costs stack
  boost::system::error_code ec;
  json::value v = json::parse(text, ec, {}, options);
  // Text that is not UTF-8 is invalid JSON too (RFC 8259), but the protocol names the cause.
  if (ec && (!is_valid_utf8(text) || has_unpaired_surrogate_escape(text)))
    return Error::make(Errc::kInvalidUtf8, "the text is not valid UTF-8 (or has an unpaired surrogate escape)");
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
