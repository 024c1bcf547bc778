#include "protocol/emoji.h"

#include <gtest/gtest.h>

#include <string>

namespace parley::protocol {
namespace {

TEST(SingleEmoji, AcceptsEveryShapeOfTheGrammar) {
  for (const char* ok : {"👍", "❤️", "❤", "😂", "🎉", "👍🏽", "👩‍💻", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🇫🇷",
                         "1️⃣", "#⃣", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "©️", "☕", "🫠"}) {
    EXPECT_TRUE(is_single_emoji(ok)) << ok;
  }
}

TEST(SingleEmoji, RefusesTextSeveralEmojiAndBrokenSequences) {
  for (const char* bad : {"", "a", "ok", "1", "👍👍", "👍 ", " 👍", "🇫", "🇫🇷🇩🇪", "\u200D👍",
                          "👍\u200D", "👍\u200D\u200D👍", "🏽", "\uFE0F", "👍🏽🏽", "<b>", "👍a",
                          "🏴\U000E0067", "\u202E👍", "😀‍😀‍😀‍😀‍😀‍😀"}) {
    EXPECT_FALSE(is_single_emoji(bad)) << bad;
  }
}

TEST(SingleEmoji, RefusesMalformedUtf8AndOversizedInput) {
  EXPECT_FALSE(is_single_emoji(std::string("\xF0\x9F\x91", 3)));      // truncated
  EXPECT_FALSE(is_single_emoji(std::string("\xC0\xAF")));             // overlong
  EXPECT_FALSE(is_single_emoji(std::string("\xED\xA0\x80")));         // a surrogate
  EXPECT_FALSE(is_single_emoji(std::string("\xF0\x9F\x91\x8D\x00", 5)));  // NUL
  std::string long_one = "👍";
  for (int i = 0; i < 20; ++i) long_one += "\u200D👍";
  EXPECT_GT(long_one.size(), kMaxEmojiBytes);
  EXPECT_FALSE(is_single_emoji(long_one));
}

}  // namespace
}  // namespace parley::protocol
