// Fuzz target: net::parse_proxy_header, the PROXY protocol header a trusted proxy sends
// first on each connection. The input is exactly the bytes given, so any read past the end
// is an AddressSanitizer report.
// Properties: a complete header never claims more bytes than it was given nor more than
// kProxyHeaderMaxBytes; its claimed length is independent of what follows it; every prefix
// of a complete header is "need more"; once kProxyHeaderMaxBytes have arrived the answer
// is never "need more"; a client address is a textual IP address.
#include <arpa/inet.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "check.h"
#include "server/net/proxy_header.h"

namespace {

using parley::net::kProxyHeaderMaxBytes;
using parley::net::parse_proxy_header;
using parley::net::ProxyHeader;

bool is_ip(const std::string& s) {
  std::array<unsigned char, 16> buf{};
  return ::inet_pton(AF_INET, s.c_str(), buf.data()) == 1 || ::inet_pton(AF_INET6, s.c_str(), buf.data()) == 1;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto r = parse_proxy_header(in);
  if (!r) {
    FUZZ_CHECK(!r.error().message.empty(), "a refusal without a reason");
    return 0;
  }
  if (!*r) {
    FUZZ_CHECK(size < kProxyHeaderMaxBytes, "asked for more after the most a header may take");
    return 0;
  }
  const ProxyHeader& h = **r;
  FUZZ_CHECK(h.length > 0 && h.length <= size && h.length <= kProxyHeaderMaxBytes, "a length out of range");
  if (h.source == ProxyHeader::Source::kClient)
    FUZZ_CHECK(is_ip(h.address), "a client address that is not an IP address");
  else
    FUZZ_CHECK(h.address.empty(), "an address without a client");
  // What follows the header does not change it.
  auto alone = parse_proxy_header(in.substr(0, h.length));
  FUZZ_CHECK(alone && *alone && (*alone)->length == h.length && (*alone)->address == h.address &&
                 (*alone)->source == h.source,
             "the header alone parses differently");
  for (std::size_t n = 0; n < h.length; n += 1 + n / 8) {
    auto prefix = parse_proxy_header(in.substr(0, n));
    FUZZ_CHECK(prefix && !*prefix, "a prefix of a complete header is not \"need more\"");
  }
  return 0;
}
