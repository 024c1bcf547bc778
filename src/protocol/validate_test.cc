#include "protocol/validate.h"

#include <gtest/gtest.h>

namespace parley::protocol {
namespace {

TEST(Utf8, AcceptsAsciiAccentsCjkAndEmoji) {
  EXPECT_TRUE(is_valid_utf8("hello"));
  EXPECT_TRUE(is_valid_utf8("caf\xC3\xA9"));
  EXPECT_TRUE(is_valid_utf8("\xE4\xBD\xA0\xE5\xA5\xBD"));
  EXPECT_TRUE(is_valid_utf8("\xF0\x9F\x98\x80"));
}

TEST(Utf8, RejectsTruncatedOverlongSurrogateAndNul) {
  EXPECT_FALSE(is_valid_utf8("\xC3"));
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));      // U+D800
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // > U+10FFFF
  EXPECT_FALSE(is_valid_utf8(std::string_view("a\0b", 3)));
  EXPECT_FALSE(is_valid_utf8("\xFF"));
}

TEST(Username, IsLowerCasedAndChecked) {
  EXPECT_EQ(normalize_username("Alice_1").value(), "alice_1");
  EXPECT_EQ(normalize_username("ab").error().code, Errc::kInvalidArgument);
  EXPECT_EQ(normalize_username("1abc").error().code, Errc::kInvalidArgument);
  EXPECT_EQ(normalize_username("bad name").error().code, Errc::kInvalidArgument);
  EXPECT_EQ(normalize_username(std::string(33, 'a')).error().code, Errc::kInvalidArgument);
}

TEST(Text, EmptyTooLongAndBadUtf8HaveDistinctCodes) {
  EXPECT_TRUE(validate_text("hi").ok());
  EXPECT_EQ(validate_text("").error().code, Errc::kMessageTooLong);
  EXPECT_EQ(validate_text(std::string(kMaxTextBytes + 1, 'x')).error().code,
            Errc::kMessageTooLong);
  EXPECT_TRUE(validate_text(std::string(kMaxTextBytes, 'x')).ok());
  EXPECT_EQ(validate_text("\xC3").error().code, Errc::kInvalidUtf8);
}

TEST(ClientId, AllowsUuidsRejectsOthers) {
  EXPECT_TRUE(validate_client_id("5f0c2a7e-3c1d-4b8e-9d1e-0a5b4c3d2e1f").ok());
  EXPECT_FALSE(validate_client_id("").ok());
  EXPECT_FALSE(validate_client_id("has space").ok());
  EXPECT_FALSE(validate_client_id(std::string(65, 'a')).ok());
}

TEST(DisplayName, CountsCharactersNotBytesAndRejectsControls) {
  EXPECT_TRUE(validate_display_name(std::string(64, 'a')).ok());
  std::string accented;
  for (int i = 0; i < 64; ++i) accented += "\xC3\xA9";
  EXPECT_TRUE(validate_display_name(accented).ok());
  EXPECT_FALSE(validate_display_name("").ok());
  EXPECT_FALSE(validate_display_name("tab\there").ok());
}

}  // namespace
}  // namespace parley::protocol
