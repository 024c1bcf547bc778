// Lower-case hexadecimal text of bytes: ids, digests, keys.
#pragma once

#include <cstddef>
#include <span>
#include <string>

namespace parley {

// Two characters per byte, most significant nibble first.
inline std::string to_hex(std::span<const unsigned char> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

}  // namespace parley
