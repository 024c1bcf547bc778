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

TEST(DisplayName, RefusesOnlySpacesKeepsSpacesAroundText) {
  for (std::string_view blank : {" ", "   ", "\xC2\xA0", "\xE3\x80\x80 ", "\xE2\x80\x83\xE2\x80\xAF"})
    EXPECT_EQ(validate_display_name(blank).error().code, Errc::kInvalidArgument) << blank;
  EXPECT_TRUE(validate_display_name(" Al ").ok());
  EXPECT_TRUE(validate_display_name("Ana Lu").ok());
  EXPECT_TRUE(validate_device_name("").ok());
  EXPECT_TRUE(validate_device_name("  ").ok());
  EXPECT_EQ(validate_not_blank(" \n ", "description").error().code, Errc::kInvalidArgument);
  EXPECT_TRUE(validate_not_blank(" x ", "group name").ok());
}

TEST(Visible, RefusesDirectionControlsEverywhere) {
  for (const char* bad : {"Bob\u202Egnp.exe", "\u202Ax", "\u202Bx", "\u202Cx", "\u202Dx",
                          "\u2066x", "\u2067x", "\u2068x", "x\u2069", "Ad\u200Emin",
                          "Ad\u200Fmin", "x\u061Cy"}) {
    EXPECT_EQ(validate_display_name(bad).error().code, Errc::kInvalidArgument) << bad;
    EXPECT_EQ(validate_visible(bad, "description", true).error().code, Errc::kInvalidArgument) << bad;
  }
}

TEST(Visible, RefusesInvisibleCharactersAndStrayJoiners) {
  for (const char* bad : {"Bo\u200Bb", "\uFEFFBob", "Bob\u2060", "a\u2028b", "a\u2029b",
                          "\u200C", "\u200D", "ad\u200Dmin", "\u200D\u05D0", "\u05D0\u200D",
                          "\u05D0\u200D\u200D\u05D1"}) {
    EXPECT_EQ(validate_display_name(bad).error().code, Errc::kInvalidArgument) << bad;
  }
}

TEST(Visible, KeepsJoinersThatScriptsAndEmojiNeed) {
  EXPECT_TRUE(validate_display_name("\U0001F468\u200D\U0001F469\u200D\U0001F467").ok());  // family
  EXPECT_TRUE(validate_display_name("\u0645\u06CC\u200C\u062E\u0648\u0627\u0647\u0645").ok());  // Persian
  EXPECT_TRUE(validate_display_name("\u0915\u094D\u200D\u0937").ok());  // Devanagari
  EXPECT_TRUE(validate_display_name("\u05E9\u05DC\u05D5\u05DD Shalom").ok());  // RTL text itself is fine
}

TEST(Visible, RefusesC0AndC1ControlsKeepingNewlinesOnlyWhereAsked) {
  EXPECT_FALSE(validate_display_name("a\nb").ok());
  EXPECT_FALSE(validate_display_name("a\x7F").ok());
  EXPECT_FALSE(validate_display_name("Bob\u0085").ok());
  EXPECT_FALSE(validate_display_name("x\u009By").ok());
  EXPECT_FALSE(validate_device_name("Phone\u202E").ok());
  EXPECT_TRUE(validate_visible("line one\nline two", "description", true).ok());
  EXPECT_FALSE(validate_visible("line one\nline two", "group name").ok());
  EXPECT_FALSE(validate_visible("ring\abell", "description", true).ok());
  EXPECT_FALSE(validate_visible("tab\there", "description", true).ok());
  EXPECT_EQ(validate_visible("x\u202E", "group name").error().message,
            "group name must not contain text direction controls");
}

}  // namespace
}  // namespace parley::protocol
