#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "server/chat/calls.h"

namespace parley::chat {
namespace {

store::CallRecord ended(std::string reason, std::optional<int64_t> answered_at) {
  store::CallRecord c;
  c.id = std::string(32, 'a');
  c.conversation_id = 7;
  c.caller_id = 1;
  c.callee_id = 2;
  c.media = "audio";
  c.state = "ended";
  c.started_at = 1000;
  c.answered_at = answered_at;
  c.ended_at = 61000;
  c.end_reason = std::move(reason);
  return c;
}

std::string outcome(const store::CallRecord& c) {
  return std::string(call_history_event(c).at("call").at("outcome").as_string());
}

TEST(CallHistory, AnAnsweredCallIsCompletedWithItsDurationHoweverItEnded) {
  for (const char* reason : {"completed", "disconnected"}) {
    auto e = call_history_event(ended(reason, 4000));
    EXPECT_EQ(e.at("call").at("outcome").as_string(), "completed");
    EXPECT_EQ(e.at("call").at("duration_ms").as_int64(), 57000);
    EXPECT_EQ(e.at("actor_id").as_int64(), 1);
    EXPECT_EQ(e.at("event").as_string(), "call");
  }
}

TEST(CallHistory, AnUnansweredCallIsMissedDeclinedBusyOrCancelledWithNoDuration) {
  EXPECT_EQ(outcome(ended("no_answer", std::nullopt)), "missed");
  EXPECT_EQ(outcome(ended("disconnected", std::nullopt)), "missed");
  EXPECT_EQ(outcome(ended("declined", std::nullopt)), "declined");
  EXPECT_EQ(outcome(ended("busy", std::nullopt)), "busy");
  EXPECT_EQ(outcome(ended("cancelled", std::nullopt)), "cancelled");
  EXPECT_EQ(call_history_event(ended("no_answer", std::nullopt)).at("call").at("duration_ms").as_int64(), 0);
}

TEST(CallHistory, TheCallObjectShowsNullsUntilThingsHappenAndAnOverriddenReason) {
  store::CallRecord c = ended("completed", 4000);
  c.state = "ringing";
  c.answered_at.reset();
  c.ended_at.reset();
  EXPECT_EQ(boost::json::serialize(call_json(c)),
            R"({"call_id":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","conversation_id":7,"caller_id":1,"callee_id":2,)"
            R"("media":"audio","state":"ringing","started_at":1000,"answered_at":null,"ended_at":null,"end_reason":null})");
  c.state = "active";
  EXPECT_EQ(call_json(c, "answered_elsewhere").at("end_reason").as_string(), "answered_elsewhere");
}

}  // namespace
}  // namespace parley::chat
