#include "protocol/json_fields.h"

#include <gtest/gtest.h>

namespace parley::protocol {
namespace {

TEST(ParseObject, RejectsNonObjectsAndGarbage) {
  EXPECT_EQ(parse_object("[1]").error().code, Errc::kBadRequest);
  EXPECT_EQ(parse_object("{\"a\":").error().code, Errc::kBadRequest);
  EXPECT_TRUE(parse_object("{\"a\":1}").ok());
}

TEST(ParseObject, TextThatIsNotUtf8IsInvalidUtf8NotBadRequest) {
  EXPECT_EQ(parse_object("{\"a\":\"\xff\xfe\"}").error().code, Errc::kInvalidUtf8);
  EXPECT_EQ(parse_object("{\"a\":\"\xc3\x28\"}").error().code, Errc::kInvalidUtf8);
  EXPECT_EQ(parse_object("{\"a\":\"\xff").error().code, Errc::kInvalidUtf8);  // truncated too
  EXPECT_EQ(parse_object(R"({"a":"\ud800"})").error().code, Errc::kInvalidUtf8);
  EXPECT_EQ(parse_object(R"({"a":"x\udc00"})").error().code, Errc::kInvalidUtf8);
  EXPECT_EQ(parse_object(R"({"a":"\ud800\u0041"})").error().code, Errc::kInvalidUtf8);
  EXPECT_EQ(parse_object(R"({"a":"\uD83D"})").error().code, Errc::kInvalidUtf8);
}

TEST(ParseObject, PairedSurrogatesAndEscapedBackslashesAreFine) {
  auto o = parse_object(R"({"a":"\ud83d\ude00","b":"\\ud800"})");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->at("a").as_string(), "\xf0\x9f\x98\x80");
  EXPECT_EQ(o->at("b").as_string(), "\\ud800");
  // Broken JSON whose escapes are all well-formed stays bad_request.
  EXPECT_EQ(parse_object(R"({"a":"\\ud800)").error().code, Errc::kBadRequest);
  EXPECT_EQ(parse_object(R"({"a":"\ud83d\ude00",)").error().code, Errc::kBadRequest);
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

TEST(Fields, WholeDoublesAreIntegersButHugeOrFractionalOnesAreBadRequest) {
  auto o = parse_object(R"({"whole":7.0,"huge":1e300,"tiny":5e-324,"neg":-1e19,"edge":9e15})").value();
  EXPECT_EQ(required_int(o, "whole").value(), 7);
  EXPECT_EQ(required_int(o, "edge").value(), 9000000000000000);
  EXPECT_EQ(required_int(o, "huge").error().code, Errc::kBadRequest);
  EXPECT_EQ(required_int(o, "tiny").error().code, Errc::kBadRequest);
  EXPECT_EQ(required_int(o, "neg", INT64_MIN).error().code, Errc::kBadRequest);
}

TEST(FrameId, AbsentOrNullIsNullShortStringOrIntegerPassesElseBadRequest) {
  EXPECT_TRUE(frame_id(parse_object(R"({"type":"ping"})").value()).value().is_null());
  EXPECT_TRUE(frame_id(parse_object(R"({"id":null})").value()).value().is_null());
  EXPECT_EQ(frame_id(parse_object(R"({"id":"r7"})").value()).value().as_string(), "r7");
  EXPECT_EQ(frame_id(parse_object(R"({"id":18446744073709551615})").value()).value().as_uint64(),
            18446744073709551615u);
  EXPECT_EQ(frame_id(parse_object(R"({"id":-3})").value()).value().as_int64(), -3);
  std::string long_id = R"({"id":")" + std::string(65, 'x') + R"("})";
  EXPECT_EQ(frame_id(parse_object(long_id).value()).error().code, Errc::kBadRequest);
  EXPECT_EQ(frame_id(parse_object(R"({"id":1.5})").value()).error().code, Errc::kBadRequest);
  EXPECT_EQ(frame_id(parse_object(R"({"id":[1]})").value()).error().code, Errc::kBadRequest);
  EXPECT_EQ(frame_id(parse_object(R"({"id":true})").value()).error().code, Errc::kBadRequest);
}

TEST(ParseInt, RejectsJunk) {
  EXPECT_EQ(parse_int("42", "x").value(), 42);
  EXPECT_FALSE(parse_int("4x", "x").ok());
  EXPECT_FALSE(parse_int("", "x").ok());
  EXPECT_FALSE(parse_int("500", "limit", 1, 200).ok());
}

}  // namespace
}  // namespace parley::protocol
