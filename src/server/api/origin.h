// Which web pages may use this server through a visitor's browser (docs/protocol.md,
// "Browsers and origins"). Pure: no sockets, no clock; net/ says how the request arrived.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace parley::api {

// A serialized web origin (RFC 6454) reduced to its tuple: lower-case scheme ("http" or
// "https") and host, and the port with the scheme's default filled in. IPv6 hosts keep their
// brackets ("[::1]"), as browsers write them.
struct WebOrigin {
  std::string scheme;
  std::string host;
  uint16_t port = 0;
  bool operator==(const WebOrigin&) const = default;
};

// "scheme://host[:port]" with nothing after it; nullopt for anything else ("null", a path,
// another scheme, an empty host, a bad port).
std::optional<WebOrigin> parse_origin(std::string_view text);

// The Host header's "host[:port]"; port 0 when absent. nullopt when malformed.
struct HostPort {
  std::string host;  // lower case; IPv6 with brackets
  uint16_t port = 0;
};
std::optional<HostPort> parse_host(std::string_view text);

// localhost (and *.localhost), 127.0.0.0/8 written as a dotted quad, and [::1].
bool is_loopback_host(std::string_view host);

// How a request reached this server: over TLS or not, and the listening port.
struct Arrival {
  bool tls = false;
  uint16_t port = 0;
};

// The accepted origins. Constant after construction; thread-safe.
class OriginPolicy {
 public:
  // Accepts only loopback origins with the server's own scheme and port.
  OriginPolicy() = default;

  // `public_origins`: the origin(s) the web client is served from (--public-origin).
  // `allowed_origins`: other origins whose pages may use the server (--allowed-origins).
  // Errors: kInvalidArgument naming an entry that is not an origin.
  static Result<OriginPolicy> make(const std::vector<std::string>& public_origins,
                                   const std::vector<std::string>& allowed_origins);

  // Whether a browser request with header `origin` (empty: none sent) and `host` (the Host
  // header) may proceed. With no Origin: true (not a browser page; nothing to check).
  // Otherwise both must hold:
  //  - the Origin is listed (public or allowed), or, when no public origin is configured,
  //    it is a loopback host with the arrival's scheme and port;
  //  - the Host is a loopback name or the host (and port) of a listed origin, which a page
  //    at a rebinding domain cannot make its browser send.
  bool allows(std::string_view origin, std::string_view host, Arrival arrival) const;

 private:
  bool origin_listed(const WebOrigin& o) const;
  bool host_listed(const HostPort& h) const;

  std::vector<WebOrigin> public_;
  std::vector<WebOrigin> allowed_;
};

}  // namespace parley::api
