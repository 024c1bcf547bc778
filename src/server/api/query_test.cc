#include "server/api/query.h"

#include <gtest/gtest.h>

namespace parley::api {
namespace {

TEST(SplitPath, DropsEmptySegments) {
  auto s = split_path("/api/v1//conversations/7/");
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[0], "api");
  EXPECT_EQ(s[3], "7");
}

TEST(PercentDecode, DecodesEscapesAndKeepsMalformedOnes) {
  EXPECT_EQ(percent_decode("a%20b+c"), "a b c");
  EXPECT_EQ(percent_decode("%zz%4"), "%zz%4");
  EXPECT_EQ(percent_decode("%C3%A9"), "\xC3\xA9");
}

TEST(Query, ReadsIntegersWithDefaultsAndBounds) {
  Query q("limit=20&before=5&junk=x&flag");
  EXPECT_TRUE(q.has("flag"));
  EXPECT_EQ(q.get_int("limit", 50, 1, 200).value(), 20);
  EXPECT_EQ(q.get_int("absent", 50, 1, 200).value(), 50);
  EXPECT_EQ(q.get_int("junk", 0, 0).error().code, Errc::kInvalidArgument);
  EXPECT_EQ(Query("limit=201").get_int("limit", 50, 1, 200).error().code, Errc::kInvalidArgument);
}

}  // namespace
}  // namespace parley::api
