// The PROXY protocol header (versions 1 and 2) that a reverse proxy such as haproxy sends
// first on each connection it opens to us, naming the client it relays
// (docs/protocol.md, "Client addresses behind a proxy"). Pure parsing, no sockets; thread-safe.
//
// Accepted:
//   v1  "PROXY TCP4 <src> <dst> <sport> <dport>\r\n", "PROXY TCP6 ...\r\n" and
//       "PROXY UNKNOWN...\r\n", the whole line at most 107 bytes;
//   v2  the 12-byte signature, version 2 with command LOCAL or PROXY, then the address
//       block (AF_INET or AF_INET6 over STREAM; any family for LOCAL; UNSPEC or UNIX for an
//       unknown client); trailing TLVs are skipped. At most kProxyHeaderMaxBytes in all.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace parley::net {

// The longest header accepted: a v2 header with a longer declared length is refused at
// once (the address blocks need at most 216 bytes; the rest would be TLVs we ignore).
inline constexpr std::size_t kProxyHeaderMaxBytes = 536;

struct ProxyHeader {
  enum class Source {
    kClient,   // a relayed client: `address` is its IP address
    kLocal,    // v2 LOCAL: the proxy's own connection (a health check): use the peer's address
    kUnknown,  // v1 UNKNOWN, v2 PROXY with an UNSPEC or UNIX family: the client is not known
  };
  Source source = Source::kUnknown;
  std::string address;  // kClient only: "203.0.113.7", "2001:db8::1" (inet_ntop's form)
  std::size_t length = 0;  // bytes the header takes at the start of the stream
};

// Parses the header at the start of `bytes` (what has arrived so far; later bytes belong
// to the connection's next layer and are left alone: see ProxyHeader::length).
// Returns the header when complete; std::nullopt when `bytes` is a valid beginning that
// needs more bytes (never once kProxyHeaderMaxBytes are there); kBadRequest with the
// reason when the bytes cannot begin a valid header (wrong signature, bad version or
// command, bad address or port, a v2 length above the limit, a v1 line too long).
Result<std::optional<ProxyHeader>> parse_proxy_header(std::string_view bytes);

}  // namespace parley::net
