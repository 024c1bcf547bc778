#include "server/api/wire.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace parley::api {
namespace {

store::ConversationRecord direct_conversation() {
  store::ConversationRecord c;
  c.id = 7;
  c.kind = "direct";
  c.last_seq = 12;
  c.members = {{{1, "alice", "Alice", 0}, 12, 12, 0}, {{2, "bob", "Bob", 0}, 12, 9, 0}};
  return c;
}

TEST(Wire, ConversationShowsThePeerAndTheViewersUnreadCount) {
  auto c = direct_conversation();
  auto as_bob = wire::conversation(c, 2);
  EXPECT_EQ(as_bob["peer"].as_object()["username"].as_string(), "alice");
  EXPECT_EQ(as_bob["unread"].as_int64(), 3);
  auto as_alice = wire::conversation(c, 1);
  EXPECT_EQ(as_alice["peer"].as_object()["username"].as_string(), "bob");
  EXPECT_EQ(as_alice["unread"].as_int64(), 0);
  EXPECT_TRUE(as_alice["last_message"].is_null());
}

TEST(Wire, ErrorFrameCarriesCodeIdAndRetryAfterForRateLimits) {
  Error e = Error::make(Errc::kRateLimited, "slow down");
  e.retry_after_ms = 250;
  auto v = boost::json::parse(wire::error_frame("r1", e)).as_object();
  EXPECT_EQ(v["type"].as_string(), "error");
  EXPECT_EQ(v["id"].as_string(), "r1");
  EXPECT_EQ(v["code"].as_string(), "rate_limited");
  EXPECT_EQ(v["retry_after_ms"].as_int64(), 250);
  auto body = boost::json::parse(wire::error_body(Error::make(Errc::kNotFound, "x"))).as_object();
  EXPECT_EQ(body["error"].as_object()["code"].as_string(), "not_found");
}

}  // namespace
}  // namespace parley::api
