// Fuzz target: a push registration as a client sends it (push::validate_registration), and
// the base64url decoder behind its keys. The input is split at '\n' into kind, endpoint,
// p256dh, auth, app_id and pushkey; its first byte chooses the policy.
// Properties: an accepted Web Push registration has an https:// endpoint (http:// only to a
// loopback host and only when allowed) within the length limit, a p256dh that decodes to a
// 65-byte point and an auth of 16 bytes, stored in canonical base64url; an accepted gateway
// registration has the app id and push key as given, within limits; base64url decoding and
// encoding are inverse on everything decode accepts.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "check.h"
#include "server/push/base64url.h"
#include "server/push/registrations.h"

namespace {

using namespace parley::push;

std::vector<std::string> fields(std::string_view in) {
  std::vector<std::string> out;
  while (out.size() < 5) {
    const auto nl = in.find('\n');
    if (nl == std::string_view::npos) break;
    out.emplace_back(in.substr(0, nl));
    in.remove_prefix(nl + 1);
  }
  out.emplace_back(in);
  out.resize(6);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);

  // base64url: decode then encode gives the input back without padding, and the reverse.
  if (auto decoded = base64url_decode(in)) {
    std::string_view trimmed = in;
    while (!trimmed.empty() && trimmed.back() == '=') trimmed.remove_suffix(1);
    FUZZ_CHECK(base64url_encode(*decoded) == trimmed, "see the properties above");
  }
  FUZZ_CHECK(base64url_decode(base64url_encode(in)) == std::string(in), "see the properties above");

  RegistrationPolicy policy;
  policy.allow_insecure_loopback = data[0] & 1;
  policy.gateway_configured = data[0] & 2;
  const auto f = fields(in);
  NewRegistration r{f[0], f[1], f[2], f[3], f[4], f[5]};
  parley::chat::Principal who;
  who.user.id = 1;
  who.session_id = 2;
  auto v = validate_registration(r, policy, who, 3);
  if (!v) {
    FUZZ_CHECK(v.error().code == parley::Errc::kInvalidArgument, "see the properties above");
    return 0;
  }
  FUZZ_CHECK(v->user_id == 1 && v->session_id == 2, "see the properties above");
  if (v->kind == "webpush") {
    const bool https = v->endpoint.rfind("https://", 0) == 0;
    FUZZ_CHECK(https || (policy.allow_insecure_loopback && v->endpoint.rfind("http://", 0) == 0), "see the properties above");
    FUZZ_CHECK(v->endpoint.size() <= policy.max_endpoint_bytes, "see the properties above");
    for (unsigned char c : v->endpoint) FUZZ_CHECK(c > 0x20 && c < 0x7F && c != '#', "see the properties above");
    auto point = base64url_decode(v->p256dh);
    auto secret = base64url_decode(v->auth);
    FUZZ_CHECK(point && point->size() == 65 && (*point)[0] == 0x04, "see the properties above");
    FUZZ_CHECK(secret && secret->size() == 16, "see the properties above");
    FUZZ_CHECK(base64url_encode(*point) == v->p256dh, "see the properties above");
  } else {
    FUZZ_CHECK(v->kind == "gateway" && policy.gateway_configured, "see the properties above");
    FUZZ_CHECK(v->app_id == r.app_id && v->endpoint == r.pushkey, "see the properties above");
    FUZZ_CHECK(!v->app_id.empty() && v->app_id.size() <= policy.max_app_id_bytes, "see the properties above");
    FUZZ_CHECK(!v->endpoint.empty() && v->endpoint.size() <= policy.max_pushkey_bytes, "see the properties above");
  }
  return 0;
}
