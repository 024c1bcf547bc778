// The origin policy (origin.h) and Api::origin_allowed, the WebSocket upgrade's check.
#include "server/api/origin.h"

#include <algorithm>
#include <cctype>

#include "server/api/api.h"

namespace parley::api {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<uint16_t> parse_port(std::string_view s) {
  if (s.empty() || s.size() > 5) return std::nullopt;
  uint32_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  if (v == 0 || v > 65535) return std::nullopt;
  return static_cast<uint16_t>(v);
}

uint16_t default_port(std::string_view scheme) { return scheme == "https" ? 443 : 80; }

// A host name or IPv4 literal: letters, digits, '-', '.'; an IPv6 literal in brackets.
bool valid_host(std::string_view h) {
  if (h.empty()) return false;
  if (h.front() == '[') {
    if (h.size() < 3 || h.back() != ']') return false;
    return std::all_of(h.begin() + 1, h.end() - 1, [](char c) {
      return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
    });
  }
  return std::all_of(h.begin(), h.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
  });
}

// "host[:port]" with the port optional; the host keeps IPv6 brackets.
std::optional<HostPort> split_host_port(std::string_view s) {
  HostPort hp;
  std::string_view host = s, port;
  if (!s.empty() && s.front() == '[') {
    auto close = s.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = s.substr(0, close + 1);
    std::string_view rest = s.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = rest.substr(1);
      if (port.empty()) return std::nullopt;
    }
  } else if (auto colon = s.find(':'); colon != std::string_view::npos) {
    host = s.substr(0, colon);
    port = s.substr(colon + 1);
    if (port.empty()) return std::nullopt;
  }
  if (!valid_host(host)) return std::nullopt;
  hp.host = lower(host);
  if (!port.empty()) {
    auto p = parse_port(port);
    if (!p) return std::nullopt;
    hp.port = *p;
  }
  return hp;
}

}  // namespace

std::optional<WebOrigin> parse_origin(std::string_view text) {
  auto sep = text.find("://");
  if (sep == std::string_view::npos) return std::nullopt;
  std::string scheme = lower(text.substr(0, sep));
  if (scheme != "http" && scheme != "https") return std::nullopt;
  auto hp = split_host_port(text.substr(sep + 3));
  if (!hp) return std::nullopt;
  uint16_t port = hp->port ? hp->port : default_port(scheme);
  return WebOrigin{std::move(scheme), std::move(hp->host), port};
}

std::optional<HostPort> parse_host(std::string_view text) { return split_host_port(text); }

bool is_loopback_host(std::string_view host) {
  std::string h = lower(host);
  if (h == "localhost" || h == "[::1]") return true;
  constexpr std::string_view kSubdomain = ".localhost";
  if (h.size() > kSubdomain.size() && h.compare(h.size() - kSubdomain.size(), kSubdomain.size(), kSubdomain) == 0)
    return true;
  // 127.a.b.c: four decimal parts of at most three digits, each at most 255.
  if (h.rfind("127.", 0) != 0) return false;
  int parts = 0;
  std::size_t i = 0;
  while (i <= h.size()) {
    std::size_t j = h.find('.', i);
    if (j == std::string::npos) j = h.size();
    std::string_view part(h.data() + i, j - i);
    if (part.empty() || part.size() > 3 ||
        !std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        std::stoi(std::string(part)) > 255)
      return false;
    ++parts;
    i = j + 1;
  }
  return parts == 4;
}

Result<OriginPolicy> OriginPolicy::make(const std::vector<std::string>& public_origins,
                                        const std::vector<std::string>& allowed_origins) {
  OriginPolicy p;
  auto add = [](std::vector<WebOrigin>& to, const std::vector<std::string>& from,
                const char* option) -> Status {
    for (const auto& text : from) {
      auto o = parse_origin(text);
      if (!o)
        return Error::make(Errc::kInvalidArgument,
                           std::string(option) + ": '" + text +
                               "' is not an origin (scheme://host[:port], http or https, no path)");
      to.push_back(std::move(*o));
    }
    return {};
  };
  if (Status s = add(p.public_, public_origins, "--public-origin"); !s) return s.error();
  if (Status s = add(p.allowed_, allowed_origins, "--allowed-origins"); !s) return s.error();
  return p;
}

bool OriginPolicy::origin_listed(const WebOrigin& o) const {
  return std::find(public_.begin(), public_.end(), o) != public_.end() ||
         std::find(allowed_.begin(), allowed_.end(), o) != allowed_.end();
}

bool OriginPolicy::host_listed(const HostPort& h) const {
  auto match = [&h](const WebOrigin& o) {
    return o.host == h.host && (h.port ? h.port == o.port : o.port == default_port(o.scheme));
  };
  return std::any_of(public_.begin(), public_.end(), match) ||
         std::any_of(allowed_.begin(), allowed_.end(), match);
}

bool OriginPolicy::allows(std::string_view origin, std::string_view host, Arrival arrival) const {
  // Native clients send no Origin; the check exists to stop other web sites' pages from
  // using a visitor's browser against this server.
  if (origin.empty()) return true;
  auto o = parse_origin(origin);
  if (!o) return false;
  bool origin_ok = origin_listed(*o);
  if (!origin_ok && public_.empty())
    origin_ok = is_loopback_host(o->host) && o->scheme == (arrival.tls ? "https" : "http") &&
                o->port == arrival.port;
  if (!origin_ok) return false;
  // DNS rebinding: a page whose own name was made to point at this server sends that name
  // as Host. Only this server's names pass: loopback ones (a rebinding page cannot make its
  // browser send them) and the listed origins' hosts.
  auto h = parse_host(host);
  return h && (is_loopback_host(h->host) || host_listed(*h));
}

namespace {

// "application/json", in any letter case, with or without parameters ("; charset=utf-8").
bool is_json_type(std::string_view content_type) {
  std::string_view type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
  return lower(type) == "application/json";
}

}  // namespace

Status Api::check_cross_site(const HttpRequest& r, bool json_body) const {
  if (r.method == "GET" || r.method == "HEAD") return {};
  if (!options_.origins.allows(r.origin, r.host, Arrival{r.tls, r.local_port}))
    return Error::make(Errc::kForbidden, "origin not allowed");
  // A page on another site can post text/plain, form-encoded or multipart bodies without
  // the browser asking this server first (no CORS preflight); it cannot send JSON.
  if (json_body && !r.body.empty() && !is_json_type(r.content_type))
    return Error::make(Errc::kUnsupportedContentType, "the body must be sent as Content-Type: application/json");
  return {};
}

bool Api::origin_allowed(std::string_view origin, std::string_view host, Arrival arrival) const {
  return options_.origins.allows(origin, host, arrival);
}

}  // namespace parley::api
