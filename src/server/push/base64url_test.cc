#include "server/push/base64url.h"

#include <gtest/gtest.h>

namespace parley::push {
namespace {

TEST(Base64Url, RoundTripsEveryLength) {
  std::string bytes;
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ(base64url_decode(base64url_encode(bytes)), bytes) << i;
    bytes.push_back(static_cast<char>(i * 37 + 250));
  }
}

TEST(Base64Url, UsesTheUrlAlphabetWithoutPadding) {
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  EXPECT_EQ(base64url_decode("-_8="), std::string("\xfb\xff"));
}

TEST(Base64Url, RefusesForeignCharactersImpossibleLengthsAndTrailingBits) {
  EXPECT_FALSE(base64url_decode("ab+c"));
  EXPECT_FALSE(base64url_decode("ab/c"));
  EXPECT_FALSE(base64url_decode("abcde"));
  EXPECT_FALSE(base64url_decode("-_9"));  // the last character carries a non-zero unused bit
  EXPECT_FALSE(base64url_decode("a b"));
}

}  // namespace
}  // namespace parley::push
