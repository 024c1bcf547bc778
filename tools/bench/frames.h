// Parsing server frames quickly: a JSON parse into a stack buffer, and typed field access
// that never throws.
#pragma once

#include <cstdint>
#include <string_view>

#include <boost/json.hpp>

namespace bench {

// Parses `frame` into `out` using `mr` for storage; false when it is not a JSON object.
inline bool parse_frame(std::string_view frame, boost::json::monotonic_resource& mr, boost::json::value& out) {
  boost::system::error_code ec;
  out = boost::json::parse(frame, ec, &mr);
  return !ec && out.is_object();
}

inline std::string_view str_field(const boost::json::object& o, std::string_view key) {
  const boost::json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

inline int64_t int_field(const boost::json::object& o, std::string_view key) {
  const boost::json::value* v = o.if_contains(key);
  if (!v) return 0;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<int64_t>(v->get_uint64());
  return 0;
}

inline const boost::json::object* obj_field(const boost::json::object& o, std::string_view key) {
  const boost::json::value* v = o.if_contains(key);
  return v ? v->if_object() : nullptr;
}

}  // namespace bench
