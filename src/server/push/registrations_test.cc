#include "server/push/registrations.h"

#include <gtest/gtest.h>

#include "server/push/preferences.h"

namespace parley::push {
namespace {

constexpr const char* kP256dh =
    "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
constexpr const char* kAuth = "BTBZMqHH6r4Tts7J_aSIgg";

chat::Principal alice() {
  chat::Principal p;
  p.user.id = 7;
  p.session_id = 11;
  return p;
}

NewRegistration web(std::string endpoint) {
  NewRegistration r;
  r.kind = "webpush";
  r.endpoint = std::move(endpoint);
  r.p256dh = kP256dh;
  r.auth = kAuth;
  return r;
}

Errc code_of(const NewRegistration& r, const RegistrationPolicy& policy = {}) {
  auto v = validate_registration(r, policy, alice(), 5);
  return v.ok() ? Errc::kInternal : v.error().code;  // kInternal: accepted (never produced)
}

TEST(Registration, AcceptsAWebPushSubscriptionForTheCallingSession) {
  auto v = validate_registration(web("https://fcm.googleapis.com/fcm/send/abc:def"), {}, alice(), 5);
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(v->user_id, 7);
  EXPECT_EQ(v->session_id, 11);
  EXPECT_EQ(v->kind, "webpush");
  EXPECT_EQ(v->p256dh, kP256dh);
  EXPECT_EQ(v->created_at, 5);
}

TEST(Registration, RefusesEndpointsThatAreNotHttpsUrls) {
  for (const char* bad : {"", "http://push.example/x", "ftp://push.example/x", "https://", "https:///x",
                          "https://user@push.example/x", "https://push.example/x#frag", "https://push example/x",
                          "https://push.example/\x01", "https://push.example/\xc3\xa9", "javascript:alert(1)",
                          "https://push.example\\x", "http://127.0.0.1:9/x"})
    EXPECT_EQ(code_of(web(bad)), Errc::kInvalidArgument) << bad;
  EXPECT_EQ(code_of(web("https://p.example/" + std::string(2048, 'a'))), Errc::kInvalidArgument);
}

TEST(Registration, HttpToLoopbackOnlyWhenAllowed) {
  RegistrationPolicy policy;
  policy.allow_insecure_loopback = true;
  EXPECT_EQ(code_of(web("http://127.0.0.1:9/x"), policy), Errc::kInternal);
  EXPECT_EQ(code_of(web("http://localhost:9/x"), policy), Errc::kInternal);
  EXPECT_EQ(code_of(web("http://[::1]:9/x"), policy), Errc::kInternal);
  EXPECT_EQ(code_of(web("http://127.0.0.1.evil.example/x"), policy), Errc::kInvalidArgument);
  EXPECT_EQ(code_of(web("http://10.0.0.1/x"), policy), Errc::kInvalidArgument);
}

TEST(Registration, RefusesKeysOfTheWrongSizeOrOffTheCurve) {
  auto r = web("https://p.example/x");
  r.p256dh = std::string(kP256dh).substr(0, 80);
  EXPECT_EQ(code_of(r), Errc::kInvalidArgument);
  r.p256dh = std::string(kP256dh);
  r.p256dh[30] = r.p256dh[30] == 'A' ? 'B' : 'A';  // almost surely not on the curve
  EXPECT_EQ(code_of(r), Errc::kInvalidArgument);
  r = web("https://p.example/x");
  r.auth = "BTBZMqHH6r4Tts7J_aSI";  // 15 bytes
  EXPECT_EQ(code_of(r), Errc::kInvalidArgument);
  r.auth = std::string(kAuth) + "AAAA";
  EXPECT_EQ(code_of(r), Errc::kInvalidArgument);
  r.auth = "BTBZMqHH6r4Tts7J+aSIgg";  // not base64url
  EXPECT_EQ(code_of(r), Errc::kInvalidArgument);
}

TEST(Registration, GatewayNeedsAConfiguredGatewayAndSaneIds) {
  NewRegistration g;
  g.kind = "gateway";
  g.app_id = "org.example.app";
  g.pushkey = "fcm-token:abc_123";
  EXPECT_EQ(code_of(g), Errc::kInvalidArgument);
  RegistrationPolicy policy;
  policy.gateway_configured = true;
  auto v = validate_registration(g, policy, alice(), 5);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->endpoint, "fcm-token:abc_123");
  EXPECT_EQ(v->app_id, "org.example.app");
  for (const char* bad_app : {"", "org example", "org/app", "ünï"}) {
    auto b = g;
    b.app_id = bad_app;
    EXPECT_EQ(code_of(b, policy), Errc::kInvalidArgument) << bad_app;
  }
  auto long_key = g;
  long_key.pushkey = std::string(513, 'k');
  EXPECT_EQ(code_of(long_key, policy), Errc::kInvalidArgument);
  auto spaced = g;
  spaced.pushkey = "a b";
  EXPECT_EQ(code_of(spaced, policy), Errc::kInvalidArgument);
  auto mixed = g;
  mixed.endpoint = "https://p.example/x";
  EXPECT_EQ(code_of(mixed, policy), Errc::kInvalidArgument);
}

TEST(Registration, RefusesUnknownKinds) {
  auto r = web("https://p.example/x");
  r.kind = "apns";
  EXPECT_EQ(code_of(r), Errc::kInvalidArgument);
}

TEST(Mute, DurationsMapToMutedUntil) {
  EXPECT_EQ(mute_until("8h", 1000).value(), 1000 + 8 * 3600 * 1000);
  EXPECT_EQ(mute_until("1w", 0).value(), 7LL * 24 * 3600 * 1000);
  EXPECT_EQ(mute_until("always", 0).value(), store::kMutedAlways);
  EXPECT_EQ(mute_until("off", 5).value(), 0);
  EXPECT_FALSE(mute_until("forever", 0).ok());
  EXPECT_FALSE(mute_until("", 0).ok());
}

}  // namespace
}  // namespace parley::push
