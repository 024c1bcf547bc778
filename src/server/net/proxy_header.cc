#include "server/net/proxy_header.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>

namespace parley::net {

namespace {

constexpr std::string_view kV1Prefix = "PROXY ";
constexpr std::size_t kV1MaxLine = 107;  // with its CRLF
constexpr std::string_view kV2Signature("\r\n\r\n\0\r\nQUIT\n", 12);
constexpr std::size_t kV2FixedBytes = 16;

Error bad(std::string reason) { return Error::make(Errc::kBadRequest, "PROXY header: " + std::move(reason)); }

// Whether `bytes` and `prefix` agree on their common length.
bool agrees_with(std::string_view bytes, std::string_view prefix) {
  std::size_t n = std::min(bytes.size(), prefix.size());
  return bytes.substr(0, n) == prefix.substr(0, n);
}

// A textual address as inet_ntop writes it, from the family's bytes.
std::string address_text(int family, const unsigned char* bytes) {
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (::inet_ntop(family, bytes, text.data(), text.size()) == nullptr) return {};
  return text.data();
}

// A v1 port: decimal, 0..65535, no sign, no leading zero (but "0" itself).
bool valid_port(std::string_view s) {
  if (s.empty() || s.size() > 5 || (s.size() > 1 && s[0] == '0')) return false;
  uint32_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  return v <= 65535;
}

// Splits `line` at single spaces; false if there are not exactly `n` fields.
template <std::size_t N>
bool split_fields(std::string_view line, std::array<std::string_view, N>& out) {
  std::size_t i = 0;
  while (true) {
    std::size_t sp = line.find(' ');
    if (i == N) return false;
    out[i++] = line.substr(0, sp);
    if (out[i - 1].empty()) return false;
    if (sp == std::string_view::npos) break;
    line.remove_prefix(sp + 1);
  }
  return i == N;
}

Result<std::optional<ProxyHeader>> parse_v1(std::string_view bytes) {
  std::size_t lf = bytes.substr(0, kV1MaxLine).find('\n');
  if (lf == std::string_view::npos) {
    if (bytes.size() >= kV1MaxLine) return bad("v1 line longer than 107 bytes");
    // Only printable ASCII may come before the CRLF; fail early on anything else.
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(bytes[i]);
      if ((c < 0x20 || c > 0x7E) && !(c == '\r' && i + 1 == bytes.size())) return bad("v1 line has a control byte");
    }
    return std::optional<ProxyHeader>{};
  }
  if (lf == 0 || bytes[lf - 1] != '\r') return bad("v1 line does not end with CRLF");
  std::string_view line = bytes.substr(kV1Prefix.size(), lf - 1 - kV1Prefix.size());
  for (char c : line) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7E) return bad("v1 line has a control byte");
  }
  ProxyHeader h;
  h.length = lf + 1;
  // "UNKNOWN" may be followed by anything; the receiver ignores it.
  if (line == "UNKNOWN" || line.rfind("UNKNOWN ", 0) == 0) {
    h.source = ProxyHeader::Source::kUnknown;
    return std::optional<ProxyHeader>(std::move(h));
  }
  std::array<std::string_view, 5> f;
  if (!split_fields(line, f)) return bad("v1 line needs a protocol, two addresses and two ports");
  int family = 0;
  if (f[0] == "TCP4") family = AF_INET;
  else if (f[0] == "TCP6") family = AF_INET6;
  else return bad("v1 protocol is not TCP4, TCP6 or UNKNOWN");
  std::array<unsigned char, 16> raw{};
  for (int i : {1, 2}) {
    if (f[i].size() >= INET6_ADDRSTRLEN) return bad("v1 address too long");
    std::string text(f[i]);
    if (::inet_pton(family, text.c_str(), raw.data()) != 1) return bad("v1 address is not a valid " + std::string(f[0]) + " address");
    if (i == 1) h.address = address_text(family, raw.data());
  }
  if (!valid_port(f[3]) || !valid_port(f[4])) return bad("v1 port is not a number in 0..65535");
  if (h.address.empty()) return bad("v1 source address cannot be written");
  h.source = ProxyHeader::Source::kClient;
  return std::optional<ProxyHeader>(std::move(h));
}

Result<std::optional<ProxyHeader>> parse_v2(std::string_view bytes) {
  if (bytes.size() < kV2FixedBytes) {
    if (bytes.size() > 12) {
      auto ver_cmd = static_cast<unsigned char>(bytes[12]);
      if ((ver_cmd >> 4) != 2) return bad("v2 version is not 2");
      if ((ver_cmd & 0x0F) > 1) return bad("v2 command is not LOCAL or PROXY");
    }
    return std::optional<ProxyHeader>{};
  }
  const auto* u = reinterpret_cast<const unsigned char*>(bytes.data());
  const unsigned char ver_cmd = u[12], fam = u[13];
  const std::size_t len = (std::size_t{u[14]} << 8) | u[15];
  if ((ver_cmd >> 4) != 2) return bad("v2 version is not 2");
  const unsigned command = ver_cmd & 0x0F;
  if (command > 1) return bad("v2 command is not LOCAL or PROXY");
  if (kV2FixedBytes + len > kProxyHeaderMaxBytes) return bad("v2 header longer than 536 bytes");
  const unsigned family = fam >> 4, transport = fam & 0x0F;
  if (family > 3 || transport > 2) return bad("v2 address family or transport is not defined");
  // The address block's size per family (UNSPEC has none; UNIX: two 108-byte paths).
  static constexpr std::array<std::size_t, 4> kAddressBytes = {0, 12, 36, 216};
  if (len < kAddressBytes[family]) return bad("v2 length too short for its address family");
  if (bytes.size() < kV2FixedBytes + len) return std::optional<ProxyHeader>{};

  ProxyHeader h;
  h.length = kV2FixedBytes + len;
  if (command == 0) {
    h.source = ProxyHeader::Source::kLocal;
    return std::optional<ProxyHeader>(std::move(h));
  }
  if (family == 1 || family == 2) {
    if (transport != 1) return bad("v2 PROXY of a transport other than STREAM");
    h.address = address_text(family == 1 ? AF_INET : AF_INET6, u + kV2FixedBytes);
    if (h.address.empty()) return bad("v2 source address cannot be written");
    h.source = ProxyHeader::Source::kClient;
  } else {
    h.source = ProxyHeader::Source::kUnknown;
  }
  return std::optional<ProxyHeader>(std::move(h));
}

}  // namespace

Result<std::optional<ProxyHeader>> parse_proxy_header(std::string_view bytes) {
  if (bytes.empty()) return std::optional<ProxyHeader>{};
  if (bytes[0] == kV1Prefix[0]) {
    if (!agrees_with(bytes, kV1Prefix)) return bad("no PROXY signature");
    if (bytes.size() < kV1Prefix.size()) return std::optional<ProxyHeader>{};
    return parse_v1(bytes);
  }
  if (!agrees_with(bytes, kV2Signature)) return bad("no PROXY signature");
  if (bytes.size() < kV2Signature.size()) return std::optional<ProxyHeader>{};
  return parse_v2(bytes);
}

}  // namespace parley::net
