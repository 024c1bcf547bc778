// The hold-back with an injected clock: time moves only when a test says so.
#include "server/bus/hold_back.h"

#include <limits>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "server/bus/remote_envelope.h"

namespace parley::bus {
namespace {

constexpr int64_t kConv = 7;
constexpr int64_t kAlice = 1;
constexpr int64_t kBob = 2;

class HoldBackTest : public ::testing::Test {
 protected:
  std::unique_ptr<HoldBack> make(HoldBackOptions o = {}) {
    return std::make_unique<HoldBack>(
        o,
        [this](const Envelope& e) {  // as LocalBus: to the users with devices
          ++deliveries_;
          std::size_t n = 0;
          for (int64_t u : e.user_ids)
            if (!away_.count(u)) got_[u].push_back(*e.frame), ++n;
          return n;
        },
        [this](int64_t user) { return !away_.count(user); }, [this] { return now_; });
  }

  // A message event: the frame names its seq ("7:11"), an edit gets an "e" ("7:e11").
  static Envelope message(int64_t seq, std::vector<int64_t> users = {kAlice}, int64_t conv = kConv) {
    Envelope e;
    e.user_ids = std::move(users);
    e.conversation_id = conv;
    e.seq = seq;
    e.frame = std::make_shared<const std::string>(std::to_string(conv) + ":" + std::to_string(seq));
    return e;
  }
  static Envelope edit(int64_t seq, std::vector<int64_t> users = {kAlice}) {
    Envelope e = message(0, std::move(users));
    e.frame = std::make_shared<const std::string>(std::to_string(kConv) + ":e" + std::to_string(seq));
    return e;
  }
  std::vector<std::string> got(int64_t user) { return got_[user]; }

  int64_t now_ = 1000;
  int deliveries_ = 0;
  std::set<int64_t> away_;  // users without devices here
  std::map<int64_t, std::vector<std::string>> got_;
};

using Frames = std::vector<std::string>;

TEST_F(HoldBackTest, InOrderEventsPassAtOnceAndNothingIsHeld) {
  auto hb = make();
  for (int64_t seq = 10; seq <= 14; ++seq) EXPECT_EQ(hb->publish(message(seq)), 1u);
  EXPECT_EQ(got(kAlice), (Frames{"7:10", "7:11", "7:12", "7:13", "7:14"}));
  EXPECT_EQ(hb->next_deadline(), -1);
  EXPECT_EQ(hb->stats().held_total, 0u);
}

TEST_F(HoldBackTest, ElevenBeforeTenIsDeliveredAsTenThenEleven) {
  auto hb = make();
  hb->publish(message(9));
  EXPECT_EQ(hb->publish(message(11)), 0u);  // held: 10 is missing
  EXPECT_EQ(got(kAlice), (Frames{"7:9"}));
  EXPECT_EQ(hb->stats().held, 1u);
  EXPECT_EQ(hb->publish(message(10)), 2u);
  EXPECT_EQ(got(kAlice), (Frames{"7:9", "7:10", "7:11"}));
  EXPECT_EQ(hb->stats().held, 0u);
  EXPECT_EQ(hb->stats().filled_total, 1u);
  // Its deadline no longer releases anything.
  now_ += 1000;
  EXPECT_EQ(hb->expire(), 0u);
  EXPECT_EQ(got(kAlice).size(), 3u);
}

TEST_F(HoldBackTest, AGapThatNeverFillsIsDeliveredInSeqOrderAtTheDeadline) {
  auto hb = make(HoldBackOptions{.hold_ms = 100});
  hb->publish(message(1));
  hb->publish(message(4));
  hb->publish(message(3));  // 2 never comes
  EXPECT_EQ(got(kAlice), (Frames{"7:1"}));
  EXPECT_EQ(hb->next_deadline(), 1100);
  now_ += 99;
  EXPECT_EQ(hb->expire(), 0u);
  EXPECT_EQ(got(kAlice), (Frames{"7:1"}));
  now_ += 1;
  EXPECT_EQ(hb->expire(), 1u);
  EXPECT_EQ(got(kAlice), (Frames{"7:1", "7:3", "7:4"}));
  EXPECT_EQ(hb->stats().expired_total, 1u);
  // The late 2 goes out at once; 5 follows 4 without waiting.
  EXPECT_EQ(hb->publish(message(2)), 1u);
  EXPECT_EQ(hb->publish(message(5)), 1u);
  EXPECT_EQ(got(kAlice), (Frames{"7:1", "7:3", "7:4", "7:2", "7:5"}));
  EXPECT_EQ(hb->stats().late_total, 1u);
}

TEST_F(HoldBackTest, ExpiryReleasesOnlyUpToTheExpiredSeqAndTheRunAfterIt) {
  auto hb = make(HoldBackOptions{.hold_ms = 100});
  hb->publish(message(1));
  hb->publish(message(3));  // waits for 2 from t=1000
  now_ = 1050;
  hb->publish(message(6));  // waits for 4 and 5 from t=1050
  now_ = 1100;
  EXPECT_EQ(hb->expire(), 1u);
  EXPECT_EQ(got(kAlice), (Frames{"7:1", "7:3"}));
  hb->publish(message(4));  // follows 3: out at once, 6 still waits for 5
  EXPECT_EQ(got(kAlice), (Frames{"7:1", "7:3", "7:4"}));
  now_ = 1150;
  EXPECT_EQ(hb->expire(), 1u);
  EXPECT_EQ(got(kAlice), (Frames{"7:1", "7:3", "7:4", "7:6"}));
}

TEST_F(HoldBackTest, TheLargestSeqIsHandledWithoutOverflow) {
  auto hb = make();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(hb->publish(message(kMax - 1)), 1u);
  EXPECT_EQ(hb->publish(message(kMax)), 1u);
  EXPECT_EQ(hb->publish(message(kMax)), 1u);  // late: at once
  EXPECT_EQ(hb->publish(message(3)), 1u);     // late: at once
  EXPECT_EQ(hb->stats().held, 0u);
  EXPECT_EQ(hb->stats().late_total, 2u);
}

TEST_F(HoldBackTest, TheFirstEventOfAConversationIsNeverHeld) {
  auto hb = make();
  EXPECT_EQ(hb->publish(message(42)), 1u);
  EXPECT_EQ(hb->publish(message(1, {kAlice}, 8)), 1u);
  EXPECT_EQ(got(kAlice), (Frames{"7:42", "8:1"}));
}

TEST_F(HoldBackTest, EachRecipientHasItsOwnOrder) {
  auto hb = make();
  hb->publish(message(10, {kAlice, kBob}));
  // The bus carries one stream per user: bob's 11 is here before his 12, alice's is not.
  hb->publish(message(12, {kAlice}));
  hb->publish(message(11, {kBob}));
  hb->publish(message(12, {kBob}));
  EXPECT_EQ(got(kBob), (Frames{"7:10", "7:11", "7:12"}));
  EXPECT_EQ(got(kAlice), (Frames{"7:10"}));
  hb->publish(message(11, {kAlice}));
  EXPECT_EQ(got(kAlice), (Frames{"7:10", "7:11", "7:12"}));
}

TEST_F(HoldBackTest, AGroupEnvelopeGoesOutOnceWhenNobodyWaits) {
  auto hb = make(HoldBackOptions{.hold_ms = 100});
  hb->publish(message(1, {kAlice, kBob, 3}));
  hb->publish(message(2, {kAlice, kBob, 3}));
  EXPECT_EQ(deliveries_, 2);
  // Bob missed 3 (say it went to the others only): his 4 waits, the others' do not.
  hb->publish(message(3, {kAlice, 3}));
  hb->publish(message(4, {kAlice, kBob, 3}));
  EXPECT_EQ(got(kAlice).back(), "7:4");
  EXPECT_EQ(got(3).back(), "7:4");
  EXPECT_EQ(got(kBob).back(), "7:2");
  now_ += 100;
  hb->expire();
  EXPECT_EQ(got(kBob), (Frames{"7:1", "7:2", "7:4"}));
}

TEST_F(HoldBackTest, AUserBackOnThisNodeIsNotHeldForWhatItMissedMeanwhile) {
  auto hb = make();
  hb->publish(message(5));
  hb->user_left(kAlice);
  away_.insert(kAlice);
  hb->publish(message(6));  // not here: neither delivered nor remembered
  now_ += 5000;
  away_.erase(kAlice);
  hb->user_arrived(kAlice);
  now_ += 10;
  EXPECT_EQ(hb->publish(message(9)), 1u);  // 7 and 8 went by while she was away
  EXPECT_EQ(hb->publish(message(11)), 0u);  // a real gap again
  EXPECT_EQ(hb->publish(message(10)), 2u);
  EXPECT_EQ(got(kAlice), (Frames{"7:5", "7:9", "7:10", "7:11"}));
}

TEST_F(HoldBackTest, AUserWhoStayedIsHeldForAGapAsAlways) {
  auto hb = make();
  hb->user_arrived(kAlice);
  now_ += 10;
  hb->publish(message(5));
  now_ += 5000;
  EXPECT_EQ(hb->publish(message(7)), 0u);
}

TEST_F(HoldBackTest, UsersWithoutDevicesHereAreNeitherTrackedNorHeld) {
  away_.insert(kBob);
  auto hb = make();
  hb->publish(message(1, {kAlice, kBob}));
  hb->publish(message(3, {kBob}));
  EXPECT_EQ(hb->stats().keys, 1u);
  EXPECT_EQ(hb->stats().held, 0u);
}

TEST_F(HoldBackTest, AnEditWaitsBehindTheHeldMessageItFollows) {
  auto hb = make();
  hb->publish(message(1));
  hb->publish(message(3));
  hb->publish(edit(3));  // arrived after 3: must not overtake it
  EXPECT_EQ(got(kAlice), (Frames{"7:1"}));
  hb->publish(message(2));
  EXPECT_EQ(got(kAlice), (Frames{"7:1", "7:2", "7:3", "7:e3"}));
  // With nothing held an edit goes out at once.
  EXPECT_EQ(hb->publish(edit(2)), 1u);
}

TEST_F(HoldBackTest, EnvelopesWithoutOrderPassAsBefore) {
  auto hb = make();
  hb->publish(message(1));
  hb->publish(message(3));
  Envelope plain = message(0);
  plain.conversation_id = 0;  // e.g. a receipt, presence
  EXPECT_EQ(hb->publish(plain), 1u);
  Envelope revoke;
  revoke.kind = Envelope::Kind::kRevokeSessions;
  revoke.user_ids = {kAlice};
  revoke.conversation_id = kConv;
  revoke.seq = 9;
  revoke.frame = std::make_shared<const std::string>("revoke");
  EXPECT_EQ(hb->publish(revoke), 1u);
  EXPECT_EQ(got(kAlice), (Frames{"7:1", "7:0", "revoke"}));
}

TEST_F(HoldBackTest, AnOldFormatEnvelopeFromAnotherNodeIsDeliveredAtOnce) {
  auto hb = make();
  hb->publish(message(1));
  hb->publish(message(3));
  // Version 1 bytes, as an earlier release sends them: no conversation, no seq.
  RemoteEnvelope r;
  r.frame = std::make_shared<const std::string>("old");
  auto decoded = decode_remote(encode_remote(r));
  ASSERT_TRUE(decoded);
  Envelope e;
  e.user_ids = {kAlice};
  e.frame = decoded->frame;
  e.conversation_id = decoded->conversation_id;
  e.seq = decoded->seq;
  EXPECT_EQ(hb->publish(e), 1u);
  EXPECT_EQ(got(kAlice), (Frames{"7:1", "old"}));
}

TEST_F(HoldBackTest, ADisabledHoldBackDeliversEverythingAtOnce) {
  auto hb = make(HoldBackOptions{.hold_ms = 0});
  hb->publish(message(1));
  hb->publish(message(3));
  hb->publish(message(2));
  EXPECT_EQ(got(kAlice), (Frames{"7:1", "7:3", "7:2"}));
  EXPECT_EQ(hb->stats().keys, 0u);
}

TEST_F(HoldBackTest, BeyondThePerConversationBoundHeldOnesGoOutInOrderAtOnce) {
  auto hb = make(HoldBackOptions{.hold_ms = 100, .max_held_per_key = 3});
  hb->publish(message(1));
  hb->publish(message(5));
  hb->publish(message(3));
  hb->publish(message(4));
  EXPECT_EQ(got(kAlice), (Frames{"7:1"}));
  hb->publish(message(7));  // a fourth would be held: all go, in seq order
  EXPECT_EQ(got(kAlice), (Frames{"7:1", "7:3", "7:4", "7:5", "7:7"}));
  EXPECT_EQ(hb->stats().overflow_total, 1u);
  EXPECT_EQ(hb->stats().held, 0u);
  hb->publish(message(8));
  EXPECT_EQ(got(kAlice).back(), "7:8");
}

TEST_F(HoldBackTest, BeyondTheTotalBoundHeldOnesGoOutInOrderAtOnce) {
  auto hb = make(HoldBackOptions{.hold_ms = 100, .max_held = 2});
  hb->publish(message(1, {kAlice}, 1));
  hb->publish(message(3, {kAlice}, 1));
  hb->publish(message(1, {kBob}));
  hb->publish(message(4, {kBob}));
  EXPECT_EQ(hb->stats().held, 2u);
  hb->publish(message(3, {kBob}));  // beyond the total: bob's 3 and 4 go, in order
  EXPECT_EQ(got(kBob), (Frames{"7:1", "7:3", "7:4"}));
  EXPECT_EQ(hb->stats().overflow_total, 1u);
  EXPECT_EQ(hb->stats().held, 1u);  // alice's still waits for its deadline
  EXPECT_EQ(got(kAlice), (Frames{"1:1"}));
}

TEST_F(HoldBackTest, TheLeastRecentlyUsedPairIsForgottenAndItsHeldOnesDelivered) {
  // One key per shard: conversations 64 apart share a shard.
  auto hb = make(HoldBackOptions{.hold_ms = 100, .max_keys = 64});
  hb->publish(message(1, {kAlice}, 64));
  hb->publish(message(3, {kAlice}, 64));
  hb->publish(message(5, {kAlice}, 128));  // evicts conversation 64, whose 3 goes out
  EXPECT_EQ(got(kAlice), (Frames{"64:1", "128:5", "64:3"}));
  EXPECT_EQ(hb->stats().evicted_total, 1u);
  EXPECT_EQ(hb->stats().keys, 1u);
  EXPECT_EQ(hb->stats().held, 0u);
  // Forgotten: its next event counts as the first one seen.
  EXPECT_EQ(hb->publish(message(9, {kAlice}, 64)), 1u);
}

TEST_F(HoldBackTest, HeldEnvelopesAreDeliveredWhenTheHoldBackCloses) {
  auto hb = make();
  hb->publish(message(1));
  hb->publish(message(4));
  hb->publish(message(3));
  hb.reset();
  EXPECT_EQ(got(kAlice), (Frames{"7:1", "7:3", "7:4"}));
}

TEST_F(HoldBackTest, MetricsNameTheCounters) {
  auto hb = make();
  hb->publish(message(1));
  hb->publish(message(3));
  const std::string text = hb->metrics_text();
  EXPECT_NE(text.find("parley_bus_order_held 1\n"), std::string::npos);
  EXPECT_NE(text.find("parley_bus_order_held_total 1\n"), std::string::npos);
  EXPECT_NE(text.find("parley_bus_order_expired_total 0\n"), std::string::npos);
  EXPECT_NE(text.find("parley_bus_order_late_total 0\n"), std::string::npos);
}

}  // namespace
}  // namespace parley::bus
