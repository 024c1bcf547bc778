#include "server/api/byte_range.h"

#include <gtest/gtest.h>

namespace parley::api {
namespace {

TEST(ParseRange, OneRangeOfEachFormIsClampedToTheBody) {
  auto r = parse_range("bytes=0-99", 1000);
  ASSERT_TRUE(r && *r);
  EXPECT_EQ((*r)->first, 0u);
  EXPECT_EQ((*r)->length, 100u);
  r = parse_range("bytes=900-", 1000);
  ASSERT_TRUE(r && *r);
  EXPECT_EQ((*r)->first, 900u);
  EXPECT_EQ((*r)->length, 100u);
  r = parse_range("bytes=-5000", 1000);  // more than the body: all of it
  ASSERT_TRUE(r && *r);
  EXPECT_EQ((*r)->first, 0u);
  EXPECT_EQ((*r)->length, 1000u);
  r = parse_range("bytes=10-99999", 1000);
  ASSERT_TRUE(r && *r);
  EXPECT_EQ((*r)->length, 990u);
}

TEST(ParseRange, PastTheEndIsUnsatisfiable) {
  auto r = parse_range("bytes=1000-", 1000);
  ASSERT_TRUE(r);
  EXPECT_FALSE(*r);
  r = parse_range("bytes=-0", 1000);
  ASSERT_TRUE(r);
  EXPECT_FALSE(*r);
  r = parse_range("bytes=0-", 0);
  ASSERT_TRUE(r);
  EXPECT_FALSE(*r);
}

TEST(ParseRange, MalformedOrSeveralRangesServeTheWholeBody) {
  for (const char* h : {"", "bytes=", "bytes=-", "items=0-1", "bytes=5-1", "bytes=0-1,3-4",
                        "bytes=a-b", "bytes= 0-1", "bytes=9999999999999999999-"})
    EXPECT_FALSE(parse_range(h, 1000)) << h;
}

}  // namespace
}  // namespace parley::api
