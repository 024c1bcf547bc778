// What a reaction may be: exactly one emoji, checked by a small grammar over code points
// (docs/protocol.md, "Reactions", gives the same grammar to client authors). No Unicode
// tables beyond the ranges below, so the rule is the same on every server and client version.
//
//   emoji    := flag | keycap | tagged | sequence
//   flag     := RI RI                              (two regional indicators, U+1F1E6..U+1F1FF)
//   keycap   := [0-9#*] U+FE0F? U+20E3
//   tagged   := U+1F3F4 TAG{1,8} U+E007F           (TAG: U+E0020..U+E007E; subdivision flags)
//   sequence := element (U+200D element){0,4}      (at most five joined by zero-width joiners)
//   element  := PICT (U+FE0F | U+FE0E)? MODIFIER?  (MODIFIER: skin tones U+1F3FB..U+1F3FF)
//   PICT     := U+00A9 U+00AE U+203C U+2049 U+2122 U+2139 U+2194..U+21AA U+231A..U+23FF U+24C2
//               U+25AA..U+25FE U+2600..U+27BF U+2934..U+2935 U+2B05..U+2BFF U+3030 U+303D
//               U+3297 U+3299 U+1F000..U+1FAFF, except regional indicators and modifiers
//
// and at most kMaxEmojiBytes bytes of UTF-8 in all.
#pragma once

#include <cstddef>
#include <string_view>

namespace parley::protocol {

inline constexpr std::size_t kMaxEmojiBytes = 64;

// True when `s` is valid UTF-8 forming exactly one emoji by the grammar above. Pure.
bool is_single_emoji(std::string_view s);

}  // namespace parley::protocol
