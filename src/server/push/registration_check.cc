// The checks of a push registration (docs/protocol.md, "POST /api/v1/push/subscriptions"):
// pure, so that the fuzz target (fuzz/fuzz_push.cc) compiles them without the committer.
#include <algorithm>

#include "server/push/base64url.h"
#include "server/push/p256.h"
#include "server/push/registrations.h"
#include "server/push/vapid.h"

namespace parley::push {

namespace {

Error invalid(std::string message) { return Error::make(Errc::kInvalidArgument, std::move(message)); }

bool is_loopback_host(std::string_view host) {
  if (host == "localhost" || host == "[::1]") return true;
  if (host.rfind("127.", 0) != 0) return false;
  return std::all_of(host.begin(), host.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
}

Status check_endpoint(std::string_view url, const RegistrationPolicy& policy) {
  if (url.empty() || url.size() > policy.max_endpoint_bytes)
    return invalid("endpoint must be 1 to " + std::to_string(policy.max_endpoint_bytes) + " bytes");
  for (unsigned char c : url)
    if (c <= 0x20 || c >= 0x7F || c == '#' || c == '\\')
      return invalid("endpoint must be an absolute URL of printable ASCII without spaces or fragments");
  const bool https = url.rfind("https://", 0) == 0;
  const bool http = url.rfind("http://", 0) == 0;
  if (!https && !http) return invalid("endpoint must be an https URL");
  const std::string origin = url_origin(url);
  if (origin.empty()) return invalid("endpoint must be an absolute URL with a host and no user info");
  std::string_view authority = std::string_view(origin).substr(origin.find("://") + 3);
  std::string_view host = authority;
  if (host.front() == '[') {
    const auto close = host.find(']');
    if (close == std::string_view::npos) return invalid("endpoint has a malformed host");
    host = host.substr(0, close + 1);
  } else if (const auto colon = host.find(':'); colon != std::string_view::npos) {
    host = host.substr(0, colon);
  }
  if (host.empty() || host == "[]") return invalid("endpoint has no host");
  if (http && !(policy.allow_insecure_loopback && is_loopback_host(host)))
    return invalid("endpoint must be an https URL");
  return {};
}

bool app_id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '-';
}

}  // namespace

Result<store::PushSubscriptionRecord> validate_registration(const NewRegistration& r, const RegistrationPolicy& policy,
                                                            const chat::Principal& who, int64_t now) {
  store::PushSubscriptionRecord s;
  s.user_id = who.user.id;
  s.session_id = who.session_id;
  s.created_at = now;
  s.kind = r.kind;
  if (r.kind == "webpush") {
    if (Status ok = check_endpoint(r.endpoint, policy); !ok) return ok.error();
    auto point = base64url_decode(r.p256dh);
    if (r.p256dh.size() > 100 || !point || !P256Key::from_public(*point).ok())
      return invalid("p256dh must be a P-256 public key (65 bytes) in base64url");
    auto secret = base64url_decode(r.auth);
    if (r.auth.size() > 32 || !secret || secret->size() != 16)
      return invalid("auth must be a 16-byte secret in base64url");
    if (!r.app_id.empty() || !r.pushkey.empty()) return invalid("app_id and pushkey belong to kind \"gateway\"");
    s.endpoint = r.endpoint;
    // Stored re-encoded, so a key sent with padding and without compares equal.
    s.p256dh = base64url_encode(*point);
    s.auth = base64url_encode(*secret);
    return s;
  }
  if (r.kind == "gateway") {
    if (!policy.gateway_configured) return invalid("this server has no push gateway");
    if (r.app_id.empty() || r.app_id.size() > policy.max_app_id_bytes ||
        !std::all_of(r.app_id.begin(), r.app_id.end(), app_id_char))
      return invalid("app_id must be 1 to " + std::to_string(policy.max_app_id_bytes) +
                     " characters of A-Z, a-z, 0-9, '.', '_' and '-'");
    if (r.pushkey.empty() || r.pushkey.size() > policy.max_pushkey_bytes ||
        !std::all_of(r.pushkey.begin(), r.pushkey.end(), [](unsigned char c) { return c > 0x20 && c < 0x7F; }))
      return invalid("pushkey must be 1 to " + std::to_string(policy.max_pushkey_bytes) +
                     " printable ASCII characters without spaces");
    if (!r.endpoint.empty() || !r.p256dh.empty() || !r.auth.empty())
      return invalid("endpoint, p256dh and auth belong to kind \"webpush\"");
    s.app_id = r.app_id;
    s.endpoint = r.pushkey;
    return s;
  }
  return invalid("kind must be \"webpush\" or \"gateway\"");
}

}  // namespace parley::push
