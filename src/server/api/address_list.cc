#include "server/api/address_list.h"

#include <arpa/inet.h>

#include <optional>
#include <string>

namespace parley::api {

namespace {

// IPv4 becomes ::ffff:a.b.c.d so that one comparison serves both families; `v4` says
// which family was written.
std::optional<std::array<uint8_t, 16>> parse_address(std::string_view text, bool& v4) {
  std::string s(text);
  std::array<uint8_t, 16> out{};
  unsigned char buf[16];
  if (inet_pton(AF_INET, s.c_str(), buf) == 1) {
    out[10] = out[11] = 0xff;
    std::copy(buf, buf + 4, out.begin() + 12);
    v4 = true;
    return out;
  }
  if (inet_pton(AF_INET6, s.c_str(), buf) == 1) {
    std::copy(buf, buf + 16, out.begin());
    v4 = false;
    return out;
  }
  return std::nullopt;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

Result<AddressList> AddressList::parse(std::string_view text) {
  AddressList list;
  std::size_t i = 0;
  while (i <= text.size()) {
    std::size_t j = text.find(',', i);
    if (j == std::string_view::npos) j = text.size();
    std::string_view entry = trim(text.substr(i, j - i));
    i = j + 1;
    if (entry.empty()) continue;
    auto bad = [&](const char* why) {
      return Error::make(Errc::kInvalidArgument, "'" + std::string(entry) + "' " + why);
    };
    std::string_view addr = entry, prefix;
    if (auto slash = entry.find('/'); slash != std::string_view::npos) {
      addr = entry.substr(0, slash);
      prefix = entry.substr(slash + 1);
    }
    bool v4 = false;
    auto bytes = parse_address(addr, v4);
    if (!bytes) return bad("is not an IPv4 or IPv6 address (with an optional /prefix)");
    int max = v4 ? 32 : 128;
    int bits = max;
    if (entry.find('/') != std::string_view::npos) {
      if (prefix.empty() || prefix.size() > 3) return bad("has a bad prefix length");
      bits = 0;
      for (char c : prefix) {
        if (c < '0' || c > '9') return bad("has a bad prefix length");
        bits = bits * 10 + (c - '0');
      }
      if (bits > max) return bad("has a prefix longer than the address");
    }
    list.ranges_.push_back(Range{*bytes, v4 ? bits + 96 : bits});
  }
  return list;
}

bool AddressList::contains(std::string_view address) const {
  bool v4 = false;
  auto bytes = parse_address(address, v4);
  if (!bytes) return false;
  for (const Range& r : ranges_) {
    int left = r.prefix;
    bool match = true;
    for (std::size_t k = 0; k < 16 && left > 0 && match; ++k, left -= 8) {
      uint8_t mask = left >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - left));
      match = ((*bytes)[k] & mask) == (r.bytes[k] & mask);
    }
    if (match) return true;
  }
  return false;
}

}  // namespace parley::api
