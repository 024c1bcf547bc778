// Fuzz target: a client's WebSocket text frame, as WsChannel::on_text reads it before
// dispatch: protocol::parse_object (with its depth limit), protocol::frame_id, the "type",
// then each frame type's fields through the same extractors, with the same keys and
// ranges, as the operations' parsers (server/api/ops/*_ops.cc, through ops::Args), and the
// validators the domain applies to the strings.
// Properties: no crash, no sanitizer report; every answer is either a value within its
// documented range or one of the documented error codes; a parsed frame serialises and
// parses back to the same value (doubles to within rounding; see finite() for infinity).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/json/serialize.hpp>

#include "check.h"
#include "protocol/json_fields.h"
#include "protocol/validate.h"

namespace {

namespace json = boost::json;
using parley::Errc;
namespace protocol = parley::protocol;

enum class Kind { kRequiredInt, kOptionalInt, kRequiredString, kOptionalString };

struct Field {
  std::string_view key;
  Kind kind;
  int64_t min = 0;
  int64_t max = INT64_MAX;
};

struct FrameType {
  std::string_view type;
  std::initializer_list<Field> fields;
};

// The fields each frame type reads, in the order the dispatcher reads them.
const FrameType kFrameTypes[] = {
    {"auth", {{"token", Kind::kRequiredString}}},
    {"ping", {}},
    {"send",
     {{"conversation_id", Kind::kRequiredInt, 1},
      {"client_id", Kind::kRequiredString},
      {"media_id", Kind::kOptionalString},
      {"text", Kind::kOptionalString}}},
    {"delivered", {{"conversation_id", Kind::kRequiredInt, 1}, {"seq", Kind::kRequiredInt, 1}}},
    {"read", {{"conversation_id", Kind::kRequiredInt, 1}, {"seq", Kind::kRequiredInt, 1}}},
    {"sync", {{"since", Kind::kOptionalInt, 0}, {"limit", Kind::kOptionalInt, 1, 200}}},
    {"history",
     {{"conversation_id", Kind::kRequiredInt, 1},
      {"before", Kind::kOptionalInt, 0},
      {"after", Kind::kOptionalInt, 0},
      {"limit", Kind::kOptionalInt, 1, 200}}},
    {"typing", {{"conversation_id", Kind::kRequiredInt, 1}, {"state", Kind::kRequiredString}}},
    {"search",
     {{"q", Kind::kRequiredString},
      {"conversation_id", Kind::kOptionalInt, 1},
      {"limit", Kind::kOptionalInt, 1, 100},
      {"offset", Kind::kOptionalInt, 0, 1000}}},
    {"changes",
     {{"conversation_id", Kind::kRequiredInt, 1},
      {"since", Kind::kOptionalInt, 0},
      {"limit", Kind::kOptionalInt, 1, 200}}},
    {"edit",
     {{"conversation_id", Kind::kRequiredInt, 1},
      {"seq", Kind::kRequiredInt, 1},
      {"text", Kind::kRequiredString}}},
    {"delete",
     {{"conversation_id", Kind::kRequiredInt, 1},
      {"seq", Kind::kRequiredInt, 1},
      {"for", Kind::kRequiredString}}},
    {"call_start",
     {{"conversation_id", Kind::kRequiredInt, 1}, {"media", Kind::kRequiredString}, {"sdp", Kind::kRequiredString}}},
    {"call_accept", {{"call_id", Kind::kRequiredString}, {"sdp", Kind::kRequiredString}}},
    {"call_decline", {{"call_id", Kind::kRequiredString}}},
    {"call_hangup", {{"call_id", Kind::kRequiredString}}},
    {"call_ice", {{"call_id", Kind::kRequiredString}}},
    {"ice_servers", {}},
};

bool field_error(Errc code) { return code == Errc::kBadRequest || code == Errc::kInvalidArgument; }

// The validators the domain runs on client strings: each answers ok or its documented code.
void validate_string(std::string_view s) {
  const bool utf8 = protocol::is_valid_utf8(s);
  if (utf8) FUZZ_CHECK(protocol::utf8_length(s) <= s.size(), "more code points than bytes");

  auto text = protocol::validate_text(s);
  if (text.ok())
    FUZZ_CHECK(utf8 && !s.empty() && s.size() <= protocol::kMaxTextBytes, "accepted text out of bounds");
  else
    FUZZ_CHECK(text.error().code == Errc::kInvalidUtf8 || text.error().code == Errc::kMessageTooLong,
               "validate_text: undocumented error");

  auto client_id = protocol::validate_client_id(s);
  if (client_id.ok())
    FUZZ_CHECK(!s.empty() && s.size() <= protocol::kMaxClientIdChars, "accepted client_id out of bounds");
  else
    FUZZ_CHECK(client_id.error().code == Errc::kInvalidArgument, "validate_client_id: undocumented error");

  auto user = protocol::normalize_username(s);
  if (user.ok())
    FUZZ_CHECK(user->size() == s.size() && user->size() >= 3 && user->size() <= 32,
               "accepted username out of bounds");
  else
    FUZZ_CHECK(user.error().code == Errc::kInvalidArgument, "normalize_username: undocumented error");

  for (auto status : {protocol::validate_display_name(s), protocol::validate_device_name(s)}) {
    if (status.ok())
      FUZZ_CHECK(utf8 && protocol::utf8_length(s) <= protocol::kMaxDisplayNameChars,
                 "accepted name out of bounds");
    else
      FUZZ_CHECK(status.error().code == Errc::kInvalidArgument || status.error().code == Errc::kInvalidUtf8,
                 "name validation: undocumented error");
  }

  auto password = protocol::validate_password(s);
  if (password.ok())
    FUZZ_CHECK(s.size() >= protocol::kMinPasswordBytes && s.size() <= protocol::kMaxPasswordBytes,
               "accepted password out of bounds");
}

void read_field(const json::object& frame, const Field& f) {
  const json::value* raw = frame.if_contains(f.key);
  const bool present = raw && !raw->is_null();
  switch (f.kind) {
    case Kind::kRequiredInt:
    case Kind::kOptionalInt: {
      auto n = protocol::optional_int(frame, f.key, f.min, f.max);
      if (!n) {
        FUZZ_CHECK(present && field_error(n.error().code), "optional_int: undocumented error");
        break;
      }
      FUZZ_CHECK(n->has_value() == present, "optional_int: presence mismatch");
      if (n->has_value()) FUZZ_CHECK(**n >= f.min && **n <= f.max, "optional_int: out of range");
      if (f.kind == Kind::kRequiredInt) {
        auto r = protocol::required_int(frame, f.key, f.min, f.max);
        FUZZ_CHECK(r.ok() == present, "required_int disagrees with optional_int");
        if (r) FUZZ_CHECK(*r == **n, "required_int disagrees with optional_int");
      }
      break;
    }
    case Kind::kRequiredString:
    case Kind::kOptionalString: {
      auto s = protocol::optional_string(frame, f.key);
      if (!s) {
        FUZZ_CHECK(present && !raw->is_string() && s.error().code == Errc::kBadRequest,
                   "optional_string: undocumented error");
        break;
      }
      FUZZ_CHECK(s->has_value() == present, "optional_string: presence mismatch");
      if (!s->has_value()) break;
      FUZZ_CHECK(**s == std::string_view(raw->as_string()), "optional_string: value changed");
      if (f.kind == Kind::kRequiredString)
        FUZZ_CHECK(protocol::required_string(frame, f.key).ok(), "required_string disagrees");
      validate_string(**s);
      break;
    }
  }
}

// Equal values, except that doubles may differ in their last bits: Boost.JSON's default
// number parsing is not correctly rounded, so "1.1844674407370955e20" need not come back
// as the very double it was written from.
bool same(const json::value& a, const json::value& b) {
  if (a.is_double() && b.is_double()) {
    double x = a.get_double(), y = b.get_double();
    return x == y || std::fabs(x - y) <= 1e-12 * std::fabs(x);
  }
  if (a.kind() != b.kind()) return false;
  if (a.is_array()) {
    const auto &p = a.get_array(), &q = b.get_array();
    if (p.size() != q.size()) return false;
    for (std::size_t i = 0; i < p.size(); ++i)
      if (!same(p[i], q[i])) return false;
    return true;
  }
  if (a.is_object()) {
    const auto &p = a.get_object(), &q = b.get_object();
    if (p.size() != q.size()) return false;
    for (const auto& [k, v] : p) {
      const json::value* w = q.if_contains(k);
      if (!w || !same(v, *w)) return false;
    }
    return true;
  }
  return a == b;
}

// Whether every number in `v` is finite. Boost.JSON reads a number too big for a double
// (1e400) as infinity and would write it back as `Infinity`, which is not JSON: harmless
// only because the server never echoes a client's double (frame_id takes integers and
// strings only, and every other field goes through an extractor).
bool finite(const json::value& v) {
  if (v.is_double()) return std::isfinite(v.get_double());
  if (v.is_array()) {
    for (const auto& x : v.get_array())
      if (!finite(x)) return false;
  }
  if (v.is_object()) {
    for (const auto& [k, x] : v.get_object())
      if (!finite(x)) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto frame = protocol::parse_object(text);
  if (!frame) {
    // invalid_utf8 exactly when the bytes are not UTF-8 or a \u escape is an unpaired
    // surrogate (docs/protocol.md, "Errors"); any other failure is bad_request.
    const Errc code = frame.error().code;
    FUZZ_CHECK(code == Errc::kBadRequest || code == Errc::kInvalidUtf8, "parse_object: undocumented error");
    if (code == Errc::kBadRequest)
      FUZZ_CHECK(protocol::is_valid_utf8(text), "parse_object: bytes that are not UTF-8 must be invalid_utf8");
    return 0;
  }

  // What the server accepted must mean the same thing when written back (no lossy parse).
  const json::value parsed(*frame);
  if (finite(parsed)) {
    auto again = protocol::parse_object(json::serialize(parsed));
    FUZZ_CHECK(again.ok() && same(json::value(*again), parsed), "a parsed frame does not survive a round trip");
  }

  auto id = protocol::frame_id(*frame);
  if (id) {
    const json::value& v = *id;
    FUZZ_CHECK(v.is_null() || v.is_int64() || v.is_uint64() || (v.is_string() && v.as_string().size() <= 64),
               "frame_id: accepted an id of the wrong shape");
  } else {
    FUZZ_CHECK(id.error().code == Errc::kBadRequest, "frame_id: undocumented error");
  }

  auto type = protocol::required_string(*frame, "type");
  if (!type) {
    FUZZ_CHECK(type.error().code == Errc::kBadRequest, "type: undocumented error");
    return 0;
  }
  validate_string(*type);
  // A known type reads its own fields; an unknown one reads every type's fields, so that
  // each extractor sees whatever the input holds.
  bool known = false;
  for (const FrameType& t : kFrameTypes) known = known || t.type == *type;
  for (const FrameType& t : kFrameTypes)
    if (!known || t.type == *type)
      for (const Field& f : t.fields) read_field(*frame, f);
  return 0;
}
