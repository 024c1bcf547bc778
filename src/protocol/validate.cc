#include "protocol/validate.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace parley::protocol {

bool is_valid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    unsigned char c = *p;
    if (c == 0) return false;
    if (c < 0x80) { ++p; continue; }
    int extra;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) { extra = 1; cp = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { extra = 2; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { extra = 3; cp = c & 0x07; }
    else return false;
    if (end - p <= extra) return false;
    for (int i = 1; i <= extra; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    // Reject overlong forms, UTF-16 surrogates and values past Unicode's range.
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    p += extra + 1;
  }
  return true;
}

std::size_t utf8_length(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

Result<std::string> normalize_username(std::string_view raw) {
  if (raw.size() < 3 || raw.size() > 32)
    return Error::make(Errc::kInvalidArgument, "username must be 3 to 32 characters");
  std::string out(raw);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
    if (!ok)
      return Error::make(Errc::kInvalidArgument,
                         "username may contain only a-z, 0-9, '_' and '.'");
  }
  if (!(out[0] >= 'a' && out[0] <= 'z'))
    return Error::make(Errc::kInvalidArgument, "username must start with a letter");
  return out;
}

namespace {

// Decodes well-formed UTF-8 (checked by the caller) into code points.
std::vector<uint32_t> code_points(std::string_view s) {
  std::vector<uint32_t> out;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    unsigned char c = *p;
    int extra = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : 3;
    uint32_t cp = extra == 0 ? c : extra == 1 ? (c & 0x1F) : extra == 2 ? (c & 0x0F) : (c & 0x07);
    for (int i = 1; i <= extra && p + i < end; ++i) cp = (cp << 6) | (p[i] & 0x3F);
    out.push_back(cp);
    p += std::min<std::ptrdiff_t>(extra + 1, end - p);
  }
  return out;
}

bool is_control(uint32_t cp) { return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F); }

bool is_direction_control(uint32_t cp) {
  return cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069);
}

bool is_invisible(uint32_t cp) {
  return cp == 0x200B || cp == 0x2060 || cp == 0xFEFF || cp == 0x2028 || cp == 0x2029;
}

bool is_joiner(uint32_t cp) { return cp == 0x200C || cp == 0x200D; }

// A neighbour that makes a joiner legitimate: a visible character outside ASCII.
bool joinable(uint32_t cp) {
  return cp >= 0x80 && !is_control(cp) && !is_direction_control(cp) && !is_invisible(cp) &&
         !is_joiner(cp);
}

}  // namespace

Status validate_visible(std::string_view s, std::string_view what, bool allow_newline) {
  auto refuse = [&](const char* kind) {
    return Error::make(Errc::kInvalidArgument,
                       std::string(what) + " must not contain " + kind);
  };
  const std::vector<uint32_t> cps = code_points(s);
  for (std::size_t i = 0; i < cps.size(); ++i) {
    const uint32_t cp = cps[i];
    if (is_control(cp) && !(allow_newline && cp == '\n')) return refuse("control characters");
    if (is_direction_control(cp)) return refuse("text direction controls");
    if (is_invisible(cp)) return refuse("invisible characters");
    if (is_joiner(cp) && !(i > 0 && i + 1 < cps.size() && joinable(cps[i - 1]) && joinable(cps[i + 1])))
      return refuse("invisible characters");
  }
  return {};
}

Status validate_not_blank(std::string_view s, std::string_view what) {
  for (uint32_t cp : code_points(s)) {
    const bool blank = cp == 0x20 || cp == '\n' || cp == 0xA0 || cp == 0x1680 ||
                       (cp >= 0x2000 && cp <= 0x200A) || cp == 0x202F || cp == 0x205F ||
                       cp == 0x3000;
    if (!blank) return {};
  }
  return Error::make(Errc::kInvalidArgument, std::string(what) + " must not be only spaces");
}

namespace {

Status validate_name(std::string_view name, std::size_t min_chars, std::size_t max_chars,
                     const char* what) {
  if (!is_valid_utf8(name))
    return Error::make(Errc::kInvalidUtf8, std::string(what) + " is not valid UTF-8");
  std::size_t n = utf8_length(name);
  if (n < min_chars || n > max_chars)
    return Error::make(Errc::kInvalidArgument, std::string(what) + " must be " +
                                                   std::to_string(min_chars) + " to " +
                                                   std::to_string(max_chars) + " characters");
  if (Status s = validate_visible(name, what); !s) return s;
  // An optional name (a device's) may be empty; one that must show something may not be
  // blank either.
  if (min_chars > 0) return validate_not_blank(name, what);
  return {};
}

}  // namespace

Status validate_display_name(std::string_view name) {
  return validate_name(name, 1, kMaxDisplayNameChars, "display_name");
}

Status validate_device_name(std::string_view name) {
  return validate_name(name, 0, kMaxDeviceNameChars, "device_name");
}

Status validate_password(std::string_view password) {
  if (password.size() < kMinPasswordBytes || password.size() > kMaxPasswordBytes)
    return Error::make(Errc::kInvalidArgument, "password must be 8 to 256 bytes");
  return {};
}

Status validate_client_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxClientIdChars)
    return Error::make(Errc::kInvalidArgument, "client_id must be 1 to 64 characters");
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok)
      return Error::make(Errc::kInvalidArgument,
                         "client_id may contain only A-Z, a-z, 0-9, '_' and '-'");
  }
  return {};
}

Status validate_text(std::string_view text, std::size_t max_bytes) {
  if (!is_valid_utf8(text)) return Error::make(Errc::kInvalidUtf8, "text is not valid UTF-8");
  if (text.empty()) return Error::make(Errc::kMessageTooLong, "text is empty");
  if (text.size() > max_bytes)
    return Error::make(Errc::kMessageTooLong, "text is " + std::to_string(text.size()) +
                                                  " bytes; the limit is " +
                                                  std::to_string(max_bytes));
  return {};
}

}  // namespace parley::protocol
