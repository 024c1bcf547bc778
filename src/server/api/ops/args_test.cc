#include "server/api/ops/args.h"

#include <gtest/gtest.h>

#include "protocol/json_fields.h"

namespace parley::api::ops {
namespace {

TEST(Args, JsonFieldsOfTheWrongTypeAreBadRequestAndOutOfRangeInvalidArgument) {
  auto o = protocol::parse_object(R"({"limit":"5","seq":0,"ok":7,"flag":1,"ids":[1,-2]})").value();
  Args a(o);
  EXPECT_EQ(a.optional_int("limit", 1).error().code, Errc::kBadRequest);
  EXPECT_EQ(a.required_int("seq", 1).error().code, Errc::kInvalidArgument);
  EXPECT_EQ(a.required_int("ok", 1).value(), 7);
  EXPECT_EQ(a.required_int("absent").error().code, Errc::kBadRequest);
  EXPECT_EQ(a.optional_bool("flag").error().code, Errc::kBadRequest);
  EXPECT_EQ(a.optional_ids("ids").error().code, Errc::kBadRequest);
  EXPECT_FALSE(a.optional_int("absent").value().has_value());
}

TEST(Args, QueryValuesThatAreNotIntegersAreInvalidArgumentAndPathIdsNotFound) {
  Query q("limit=abc&offset=1.5&before=&prefix=2&n=42&q=a%20b");
  Args a({{"conversation_id", "x7"}, {"seq", "0"}, {"username", "al%69ce"}}, q, nullptr);
  EXPECT_EQ(a.optional_int("limit", 1).error().code, Errc::kInvalidArgument);
  EXPECT_EQ(a.optional_int("offset").error().code, Errc::kInvalidArgument);
  EXPECT_EQ(a.optional_int("before").error().code, Errc::kInvalidArgument);
  EXPECT_EQ(a.optional_bool("prefix").error().code, Errc::kInvalidArgument);
  EXPECT_EQ(a.required_int("n").value(), 42);
  EXPECT_EQ(a.required_string("q").value(), "a b");
  EXPECT_EQ(a.required_int("conversation_id", 1).error().code, Errc::kNotFound);
  EXPECT_EQ(a.required_int("seq", 1).error().code, Errc::kNotFound);
  EXPECT_EQ(a.required_string("username").value(), "alice");
  EXPECT_EQ(a.required_string("absent").error().code, Errc::kBadRequest);
}

TEST(Args, PathComesBeforeQueryAndQueryBeforeBody) {
  auto body = protocol::parse_object(R"({"conversation_id":1,"limit":3,"text":"hi"})").value();
  Query q("limit=9");
  Args a({{"conversation_id", "5"}}, q, &body);
  EXPECT_EQ(a.required_int("conversation_id", 1).value(), 5);
  EXPECT_EQ(a.required_int("limit").value(), 9);
  EXPECT_EQ(a.required_string("text").value(), "hi");
}

}  // namespace
}  // namespace parley::api::ops
