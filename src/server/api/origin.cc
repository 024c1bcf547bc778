// Api::origin_allowed: the WebSocket upgrade's Origin check (docs/protocol.md).
#include <algorithm>
#include <cctype>

#include "server/api/api.h"

namespace parley::api {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

bool Api::origin_allowed(std::string_view origin, std::string_view host) const {
  // Native clients send no Origin; the check exists to stop other web sites' pages from
  // using a visitor's browser against this server.
  if (origin.empty()) return true;
  for (const auto& allowed : options_.allowed_origins)
    if (allowed == "*" || iequals(allowed, origin)) return true;
  auto scheme_end = origin.find("://");
  if (scheme_end == std::string_view::npos) return false;
  std::string_view origin_host = origin.substr(scheme_end + 3);
  return !host.empty() && iequals(origin_host, host);
}

}  // namespace parley::api
