#include "server/media/signed_url.h"

#include <gtest/gtest.h>
#include <sodium.h>

namespace parley::media {
namespace {

SigningKey key_of(unsigned char fill) {
  SigningKey k;
  k.fill(fill);
  return k;
}

SignedRequest request() {
  return SignedRequest{"0123456789abcdef0123456789abcdef", "full", 7, 2000};
}

TEST(SignedUrl, ValidUntilItExpires) {
  ASSERT_GE(sodium_init(), 0);
  auto k = key_of(1);
  std::string s = sign(k, request());
  EXPECT_TRUE(verify(k, request(), s, 1999));
  EXPECT_FALSE(verify(k, request(), s, 2000));
}

TEST(SignedUrl, EveryFieldIsCovered) {
  auto k = key_of(1);
  std::string s = sign(k, request());
  auto r = request();
  r.variant = "thumbnail";
  EXPECT_FALSE(verify(k, r, s, 0));
  r = request();
  r.user_id = 8;
  EXPECT_FALSE(verify(k, r, s, 0));
  r = request();
  r.expires_s = 999999;
  EXPECT_FALSE(verify(k, r, s, 0));
  r = request();
  r.media_id[0] = '1';
  EXPECT_FALSE(verify(k, r, s, 0));
  EXPECT_FALSE(verify(key_of(2), request(), s, 0));
}

TEST(SignedUrl, TamperedOrTruncatedSignaturesFail) {
  auto k = key_of(1);
  std::string s = sign(k, request());
  std::string t = s;
  t[5] = t[5] == 'a' ? 'b' : 'a';
  EXPECT_FALSE(verify(k, request(), t, 0));
  EXPECT_FALSE(verify(k, request(), s.substr(0, 10), 0));
  EXPECT_FALSE(verify(k, request(), "", 0));
}

TEST(SignedUrl, PathNamesTheRequest) {
  auto k = key_of(1);
  EXPECT_EQ(signed_path(k, request()),
            "/media/0123456789abcdef0123456789abcdef/full?u=7&e=2000&s=" + sign(k, request()));
}

TEST(SignedUrl, KeysAreSixtyFourHexDigits) {
  SigningKey k;
  EXPECT_TRUE(parse_key(std::string(64, 'a'), k));
  EXPECT_EQ(k[0], 0xaa);
  EXPECT_FALSE(parse_key(std::string(63, 'a'), k));
  EXPECT_FALSE(parse_key(std::string(64, 'g'), k));
}

}  // namespace
}  // namespace parley::media
