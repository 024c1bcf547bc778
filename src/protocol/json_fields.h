// Typed access to fields of a client's JSON object, producing the protocol's errors:
// a missing required field or a wrong JSON type is kBadRequest; a value out of range is
// kInvalidArgument. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "common/result.h"

namespace parley::protocol {

// Parses `text` as one JSON object. Errors: kInvalidUtf8 when it does not parse because its
// bytes are not UTF-8 (or contain NUL) or it escapes an unpaired UTF-16 surrogate
// ("\ud800"); otherwise kBadRequest (not JSON, not an object, nested deeper than 16).
Result<boost::json::object> parse_object(std::string_view text);

Result<std::string> required_string(const boost::json::object& o, std::string_view key);
Result<std::optional<std::string>> optional_string(const boost::json::object& o,
                                                   std::string_view key);

// Integers must be whole JSON numbers in [min, max].
Result<int64_t> required_int(const boost::json::object& o, std::string_view key,
                             int64_t min = 0, int64_t max = INT64_MAX);
Result<std::optional<int64_t>> optional_int(const boost::json::object& o, std::string_view key,
                                            int64_t min = 0, int64_t max = INT64_MAX);

// The "id" of a client WebSocket frame (docs/protocol.md): absent or null gives null; a
// string of at most 64 bytes or an integer is returned as it is; anything else is
// kBadRequest.
Result<boost::json::value> frame_id(const boost::json::object& frame);

// Parses a decimal integer from a query-string value (kInvalidArgument when malformed).
Result<int64_t> parse_int(std::string_view text, std::string_view name, int64_t min = 0,
                          int64_t max = INT64_MAX);

}  // namespace parley::protocol
