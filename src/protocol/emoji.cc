#include "protocol/emoji.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace parley::protocol {
namespace {

// Strict UTF-8 to code points; nullopt on any malformed, overlong or surrogate sequence.
std::optional<std::vector<char32_t>> decode(std::string_view s) {
  std::vector<char32_t> out;
  for (std::size_t i = 0; i < s.size();) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    int extra = 0;
    char32_t cp = 0;
    if (b0 < 0x80) {
      cp = b0;
    } else if (b0 >= 0xC2 && b0 <= 0xDF) {
      extra = 1, cp = b0 & 0x1F;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      extra = 2, cp = b0 & 0x0F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      extra = 3, cp = b0 & 0x07;
    } else {
      return std::nullopt;
    }
    if (extra > 0 && i + static_cast<std::size_t>(extra) >= s.size()) return std::nullopt;
    for (int k = 1; k <= extra; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) return std::nullopt;
      cp = (cp << 6) | (b & 0x3F);
    }
    if ((extra == 2 && cp < 0x800) || (extra == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0)
      return std::nullopt;
    out.push_back(cp);
    i += 1 + static_cast<std::size_t>(extra);
  }
  return out;
}

bool in(char32_t c, char32_t lo, char32_t hi) { return c >= lo && c <= hi; }
bool regional(char32_t c) { return in(c, 0x1F1E6, 0x1F1FF); }
bool modifier(char32_t c) { return in(c, 0x1F3FB, 0x1F3FF); }
bool selector(char32_t c) { return c == 0xFE0F || c == 0xFE0E; }

bool pictographic(char32_t c) {
  if (regional(c) || modifier(c)) return false;
  switch (c) {
    case 0xA9: case 0xAE: case 0x203C: case 0x2049: case 0x2122: case 0x2139: case 0x24C2:
    case 0x3030: case 0x303D: case 0x3297: case 0x3299:
      return true;
    default:
      break;
  }
  return in(c, 0x2194, 0x21AA) || in(c, 0x231A, 0x23FF) || in(c, 0x25AA, 0x25FE) ||
         in(c, 0x2600, 0x27BF) || in(c, 0x2934, 0x2935) || in(c, 0x2B05, 0x2BFF) ||
         in(c, 0x1F000, 0x1FAFF);
}

bool keycap(const std::vector<char32_t>& cps) {
  const char32_t base = cps[0];
  if (!(in(base, '0', '9') || base == '#' || base == '*')) return false;
  if (cps.size() == 2) return cps[1] == 0x20E3;
  return cps.size() == 3 && cps[1] == 0xFE0F && cps[2] == 0x20E3;
}

bool tagged(const std::vector<char32_t>& cps) {
  if (cps.size() < 3 || cps.size() > 10 || cps.front() != 0x1F3F4 || cps.back() != 0xE007F)
    return false;
  for (std::size_t i = 1; i + 1 < cps.size(); ++i)
    if (!in(cps[i], 0xE0020, 0xE007E)) return false;
  return true;
}

bool sequence(const std::vector<char32_t>& cps) {
  std::size_t i = 0, elements = 0;
  for (;;) {
    if (i >= cps.size() || !pictographic(cps[i])) return false;
    ++i;
    if (i < cps.size() && selector(cps[i])) ++i;
    if (i < cps.size() && modifier(cps[i])) ++i;
    if (++elements > 5) return false;
    if (i == cps.size()) return true;
    if (cps[i] != 0x200D) return false;
    ++i;
  }
}

}  // namespace

bool is_single_emoji(std::string_view s) {
  if (s.empty() || s.size() > kMaxEmojiBytes) return false;
  auto cps = decode(s);
  if (!cps || cps->empty()) return false;
  if (cps->size() == 2 && regional((*cps)[0]) && regional((*cps)[1])) return true;
  return keycap(*cps) || tagged(*cps) || sequence(*cps);
}

}  // namespace parley::protocol
