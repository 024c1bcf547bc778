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

// 1..64 characters, valid UTF-8, no control characters (kInvalidArgument / kInvalidUtf8).
Status validate_display_name(std::string_view name);

// 0..64 characters, valid UTF-8, no control characters.
Status validate_device_name(std::string_view name);

// kMinPasswordBytes..kMaxPasswordBytes bytes (kInvalidArgument).
Status validate_password(std::string_view password);

// 1..64 of [A-Za-z0-9_-] (kInvalidArgument).
Status validate_client_id(std::string_view id);

// Message text: valid UTF-8 without NUL (kInvalidUtf8), 1..max_bytes bytes (kMessageTooLong).
Status validate_text(std::string_view text, std::size_t max_bytes = kMaxTextBytes);

}  // namespace parley::protocol
