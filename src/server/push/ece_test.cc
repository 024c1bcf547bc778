#include "server/push/ece.h"

#include <gtest/gtest.h>

#include "server/push/base64url.h"

namespace parley::push {
namespace {

std::string b64(std::string_view s) { return base64url_decode(s).value(); }

// RFC 8291, Appendix A: every input fixed, so the body is known byte for byte.
constexpr std::string_view kPlaintext = "When I grow up, I want to be a watermelon";
constexpr std::string_view kAsPrivate = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw";
constexpr std::string_view kAsPublic =
    "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8";
constexpr std::string_view kUaPublic =
    "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
constexpr std::string_view kUaPrivate = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94";
constexpr std::string_view kAuth = "BTBZMqHH6r4Tts7J_aSIgg";
constexpr std::string_view kSalt = "DGv6ra1nlYgDCS1FRnbzlw";
constexpr std::string_view kBody =
    "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_"
    "yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN";

TEST(Ece, ReproducesRfc8291AppendixAByteForByte) {
  auto as = P256Key::from_private(b64(kAsPrivate));
  ASSERT_TRUE(as.ok());
  EXPECT_EQ(base64url_encode(as->public_point()), kAsPublic);
  auto body = encrypt_aes128gcm(kPlaintext, b64(kUaPublic), b64(kAuth), EceFixed{*as, b64(kSalt)});
  ASSERT_TRUE(body.ok()) << body.error().message;
  EXPECT_EQ(base64url_encode(*body), kBody);
}

TEST(Ece, TheSubscriptionKeyDerivesTheSameSecret) {
  auto ua = P256Key::from_private(b64(kUaPrivate));
  auto as = P256Key::from_private(b64(kAsPrivate));
  ASSERT_TRUE(ua.ok() && as.ok());
  EXPECT_EQ(base64url_encode(ua->public_point()), kUaPublic);
  EXPECT_EQ(ua->ecdh(*as).value(), as->ecdh(*ua).value());
}

TEST(Ece, FreshEncryptionsDifferAndCarryTheHeader) {
  auto a = encrypt_aes128gcm(kPlaintext, b64(kUaPublic), b64(kAuth));
  auto b = encrypt_aes128gcm(kPlaintext, b64(kUaPublic), b64(kAuth));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
  ASSERT_EQ(a->size(), 86 + kPlaintext.size() + 1 + 16);
  EXPECT_EQ(a->substr(16, 5), std::string("\x00\x00\x10\x00\x41", 5));
}

TEST(Ece, RefusesBadKeysAndOversizedPayloads) {
  EXPECT_EQ(encrypt_aes128gcm("x", b64(kUaPublic).substr(1), b64(kAuth)).error().code, Errc::kInvalidArgument);
  std::string off_curve = b64(kUaPublic);
  off_curve[40] ^= 1;
  EXPECT_EQ(encrypt_aes128gcm("x", off_curve, b64(kAuth)).error().code, Errc::kInvalidArgument);
  EXPECT_EQ(encrypt_aes128gcm("x", b64(kUaPublic), "short").error().code, Errc::kInvalidArgument);
  EXPECT_EQ(encrypt_aes128gcm(std::string(kMaxPushPlaintext + 1, 'a'), b64(kUaPublic), b64(kAuth)).error().code,
            Errc::kMessageTooLong);
  EXPECT_TRUE(encrypt_aes128gcm(std::string(kMaxPushPlaintext, 'a'), b64(kUaPublic), b64(kAuth)).ok());
}

TEST(Hkdf, MatchesRfc5869TestCase1) {
  const std::string ikm(22, '\x0b');
  const std::string salt("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c", 13);
  const std::string info = "\xf0\xf1\xf2\xf3\xf4\xf5\xf6\xf7\xf8\xf9";
  auto okm = hkdf_sha256(salt, ikm, info, 42);
  ASSERT_TRUE(okm.ok());
  EXPECT_EQ(base64url_encode(*okm), "PLJfJfqs1XqQQ09k0DYvKi0tCpDPGlpMXbAtVuzExb80AHII1biHGFhl");
}

}  // namespace
}  // namespace parley::push
