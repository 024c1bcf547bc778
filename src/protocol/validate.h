// Validation of client-supplied values, with the limits of docs/protocol.md ("Limits").
// Pure functions: no I/O, thread-safe. Each returns the protocol error to report.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/result.h"

namespace parley::protocol {

inline constexpr std::size_t kMaxTextBytes = 16384;
inline constexpr std::size_t kMaxClientIdChars = 64;
inline constexpr std::size_t kMaxDisplayNameChars = 64;
inline constexpr std::size_t kMaxDeviceNameChars = 64;
inline constexpr std::size_t kMinPasswordBytes = 8;
inline constexpr std::size_t kMaxPasswordBytes = 256;
inline constexpr int kMaxPageLimit = 200;

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF) without NUL.
bool is_valid_utf8(std::string_view s);

// Number of code points in well-formed UTF-8.
std::size_t utf8_length(std::string_view s);

// Lower-cases ASCII letters and checks the username pattern: 3..32 of [a-z0-9_.],
// first a letter. Returns the normalised name or kInvalidArgument.
Result<std::string> normalize_username(std::string_view raw);

// Checks user-chosen names and descriptions (valid UTF-8 expected) for characters that
// hide text or change its direction, so that what one user types cannot make another's
// screen show something else ("Bob\u202Egnp.exe", an invisible name, a forged admin).
// kInvalidArgument naming `what` when `s` contains:
//  - a C0 control (U+0000..U+001F; with allow_newline, '\n' is kept), DEL or a C1
//    control (U+0080..U+009F);
//  - a direction control: U+061C, U+200E, U+200F, U+202A..U+202E, U+2066..U+2069;
//  - an invisible character: U+200B, U+2060, U+FEFF, or the line/paragraph separators
//    U+2028, U+2029;
//  - a zero-width non-joiner or joiner (U+200C, U+200D) unless it stands between two
//    characters that are neither ASCII nor invisible: Persian and Indic words and emoji
//    sequences need them there, while "ad\u200Dmin" or a name made only of them is refused.
// Refused, never stripped: what is stored is exactly what the user sent.
Status validate_visible(std::string_view s, std::string_view what, bool allow_newline = false);

// A name that must show something (display names, group names) is refused when it is made
// only of spaces (U+0020, U+00A0, U+1680, U+2000..U+200A, U+202F, U+205F, U+3000) or line
// breaks: it would show as nobody (kInvalidArgument). Spaces inside or around a name stay.
Status validate_not_blank(std::string_view s, std::string_view what);

// 1..64 characters, valid UTF-8, no control, direction or invisible characters
// (validate_visible), not only spaces (validate_not_blank) (kInvalidArgument / kInvalidUtf8).
Status validate_display_name(std::string_view name);

// 0..64 characters, valid UTF-8, same characters refused as in display names.
Status validate_device_name(std::string_view name);

// kMinPasswordBytes..kMaxPasswordBytes bytes (kInvalidArgument).
Status validate_password(std::string_view password);

// 1..64 of [A-Za-z0-9_-] (kInvalidArgument).
Status validate_client_id(std::string_view id);

// Message text: valid UTF-8 without NUL (kInvalidUtf8), 1..max_bytes bytes (kMessageTooLong).
Status validate_text(std::string_view text, std::size_t max_bytes = kMaxTextBytes);

}  // namespace parley::protocol
