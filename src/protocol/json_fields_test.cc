#include "protocol/json_fields.h"

#include <gtest/gtest.h>

namespace parley::protocol {
namespace {

TEST(ParseObject, RejectsNonObjectsAndGarbage) {
  EXPECT_EQ(parse_object("[1]").error().code, Errc::kBadRequest);
  EXPECT_EQ(parse_object("{\"a\":").error().code, Errc::kBadRequest);
  EXPECT_TRUE(parse_object("{\"a\":1}").ok());
}

TEST(ParseObject, RejectsDeepNesting) {
  std::string deep(100, '[');
  deep = "{\"a\":" + deep + std::string(100, ']') + "}";
  EXPECT_EQ(parse_object(deep).error().code, Errc::kBadRequest);
}

TEST(Fields, MissingIsBadRequestWrongTypeIsBadRequestRangeIsInvalidArgument) {
  auto o = parse_object(R"({"s":"x","n":5,"f":1.5,"neg":-1,"str_num":"5"})").value();
  EXPECT_EQ(required_string(o, "s").value(), "x");
  EXPECT_EQ(required_string(o, "missing").error().code, Errc::kBadRequest);
  EXPECT_EQ(required_string(o, "n").error().code, Errc::kBadRequest);
  EXPECT_EQ(required_int(o, "n").value(), 5);
  EXPECT_EQ(required_int(o, "f").error().code, Errc::kBadRequest);
  EXPECT_EQ(required_int(o, "str_num").error().code, Errc::kBadRequest);
  EXPECT_EQ(required_int(o, "neg").error().code, Errc::kInvalidArgument);
  EXPECT_FALSE(optional_int(o, "missing").value().has_value());
}

TEST(ParseInt, RejectsJunk) {
  EXPECT_EQ(parse_int("42", "x").value(), 42);
  EXPECT_FALSE(parse_int("4x", "x").ok());
  EXPECT_FALSE(parse_int("", "x").ok());
  EXPECT_FALSE(parse_int("500", "limit", 1, 200).ok());
}

}  // namespace
}  // namespace parley::protocol
