// The Range header of a download (RFC 9110, one "bytes=" range). Pure; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace parley::api {

struct ByteRange {
  uint64_t first = 0;
  uint64_t length = 0;
};

// One "bytes=" range of RFC 9110 against a body of `size` bytes. nullopt: serve the whole
// body (no Range, a malformed one, or several ranges, which we may ignore). An empty
// optional inside: unsatisfiable (416). A range inside always has length >= 1 and
// first + length <= size.
std::optional<std::optional<ByteRange>> parse_range(std::string_view header, uint64_t size);

}  // namespace parley::api
