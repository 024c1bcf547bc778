// The calls of the store, through the Store interface: every state change is conditional on
// the state it leaves, so of two racing changes exactly one happens, also between two stores
// (processes) on one database.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "server/store/store_test_support.h"
#include "server/store/test_stores.h"

namespace parley::store {
namespace {

using test::in_txn;

// Runs against every store (test_stores.h).
class CallsStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto opened = backing_.open();
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(opened).value();
    for (const char* name : {"alice", "bob", "carol"})
      users_.push_back(in_txn(*store_, [&](WriteTxn& t) { return t.create_user(name, name, "hash", 1); }).value());
    conversation_ = in_txn(*store_, [&](WriteTxn& t) { return t.get_or_create_direct(id(0), id(1), 2); })
                        .value()
                        .conversation.id;
  }

  int64_t id(int i) const { return users_[i].id; }

  CallRecord ringing(const std::string& call_id, int64_t started_at = 1000) {
    CallRecord c;
    c.id = call_id;
    c.conversation_id = conversation_;
    c.caller_id = id(0);
    c.callee_id = id(1);
    c.media = "audio";
    c.state = "ringing";
    c.started_at = started_at;
    c.caller_session = 11;
    c.offer_sdp = "v=0 offer";
    EXPECT_TRUE(in_txn(*store_, [&](WriteTxn& t) { return t.insert_call(c); }).ok());
    return c;
  }

  CallRecord find(const std::string& call_id) {
    auto c = store_->find_call(call_id);
    EXPECT_TRUE(c.ok() && c->has_value());
    return c.ok() && c->has_value() ? **c : CallRecord{};
  }

  test::TestStore backing_{GetParam()};
  std::unique_ptr<Store> store_;
  std::vector<UserRecord> users_;
  int64_t conversation_ = 0;
};

const std::string kA(32, 'a'), kB(32, 'b');

TEST_P(CallsStoreTest, ARingingCallReadsBackAsInsertedAndItsIdIsUnique) {
  CallRecord c = ringing(kA);
  CallRecord back = find(kA);
  EXPECT_EQ(back.caller_id, id(0));
  EXPECT_EQ(back.callee_id, id(1));
  EXPECT_EQ(back.state, "ringing");
  EXPECT_EQ(back.offer_sdp, "v=0 offer");
  EXPECT_EQ(back.caller_session, 11);
  EXPECT_FALSE(back.answered_at);
  EXPECT_FALSE(back.ended_at);
  EXPECT_FALSE(back.withheld);
  auto again = in_txn(*store_, [&](WriteTxn& t) { return t.insert_call(c); });
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, Errc::kInvalidArgument);
  EXPECT_FALSE(store_->find_call(kB)->has_value());
}

TEST_P(CallsStoreTest, TheFirstAnswerWinsAndTheSecondChangesNothing) {
  ringing(kA);
  EXPECT_TRUE(in_txn(*store_, [&](WriteTxn& t) { return t.answer_call(kA, 21, 2000); }).value());
  EXPECT_FALSE(in_txn(*store_, [&](WriteTxn& t) { return t.answer_call(kA, 22, 2001); }).value());
  CallRecord c = find(kA);
  EXPECT_EQ(c.state, "active");
  EXPECT_EQ(c.answered_at, 2000);
  EXPECT_EQ(c.callee_session, 21);
  EXPECT_EQ(c.offer_sdp, "");  // the offer is not kept past ringing
  // A decline that lost the race changes nothing either.
  EXPECT_FALSE(in_txn(*store_, [&](WriteTxn& t) { return t.end_call(kA, "ringing", "declined", 22, 2002); }).value());
  EXPECT_EQ(find(kA).state, "active");
}

TEST_P(CallsStoreTest, AnEndHappensOnceFromTheStateItNames) {
  ringing(kA);
  EXPECT_FALSE(in_txn(*store_, [&](WriteTxn& t) { return t.end_call(kA, "active", "completed", 0, 1500); }).value());
  EXPECT_TRUE(in_txn(*store_, [&](WriteTxn& t) { return t.end_call(kA, "ringing", "declined", 23, 1600); }).value());
  EXPECT_FALSE(in_txn(*store_, [&](WriteTxn& t) { return t.end_call(kA, "ringing", "no_answer", 0, 1700); }).value());
  CallRecord c = find(kA);
  EXPECT_EQ(c.state, "ended");
  EXPECT_EQ(c.end_reason, "declined");
  EXPECT_EQ(c.ended_at, 1600);
  EXPECT_EQ(c.callee_session, 23);  // the declining device
  EXPECT_EQ(c.offer_sdp, "");
  EXPECT_FALSE(in_txn(*store_, [&](WriteTxn& t) { return t.answer_call(kA, 21, 1800); }).value());
}

TEST_P(CallsStoreTest, InCallCountsOnlyRecentRingingAndActiveCallsOfEitherParty) {
  ringing(kA, 1000);
  auto in_call = [&](int user, int64_t ringing_since, int64_t active_since) {
    return in_txn(*store_, [&](WriteTxn& t) { return t.in_call(id(user), ringing_since, active_since); }).value();
  };
  EXPECT_TRUE(in_call(0, 1000, 0));
  EXPECT_TRUE(in_call(1, 1000, 0));
  EXPECT_FALSE(in_call(2, 0, 0));
  EXPECT_FALSE(in_call(1, 1001, 0));  // rang too long ago: left over, not counted
  EXPECT_TRUE(in_txn(*store_, [&](WriteTxn& t) { return t.answer_call(kA, 21, 5000); }).value());
  EXPECT_TRUE(in_call(1, 99999, 5000));
  EXPECT_FALSE(in_call(1, 0, 5001));
  EXPECT_TRUE(in_txn(*store_, [&](WriteTxn& t) { return t.end_call(kA, "active", "completed", 0, 6000); }).value());
  EXPECT_FALSE(in_call(0, 0, 0));
}

TEST_P(CallsStoreTest, RingingAndOpenCallsAreListedOldestFirst) {
  ringing(kB, 2000);
  ringing(kA, 1000);
  auto r = store_->ringing_calls(id(1));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].id, kA);
  EXPECT_TRUE(store_->ringing_calls(id(0))->empty());  // the caller's are not ringing for him
  EXPECT_TRUE(in_txn(*store_, [&](WriteTxn& t) { return t.answer_call(kA, 21, 3000); }).value());
  EXPECT_EQ(store_->ringing_calls(id(1))->size(), 1u);
  EXPECT_EQ(store_->open_calls()->size(), 2u);
  EXPECT_TRUE(in_txn(*store_, [&](WriteTxn& t) { return t.end_call(kB, "ringing", "no_answer", 0, 4000); }).value());
  auto open = store_->open_calls();
  ASSERT_EQ(open->size(), 1u);
  EXPECT_EQ((*open)[0].state, "active");
}

// Two stores on one database (two processes): racing accepts, each in its own transaction on
// its own writer, and exactly one wins.
TEST_P(CallsStoreTest, TwoStoresRacingToAnswerOneCallAgreeOnOneWinner) {
  auto second = backing_.open();
  ASSERT_TRUE(second.ok()) << second.error().message;
  for (int round = 0; round < 10; ++round) {
    const std::string call_id = std::string(31, 'c') + std::to_string(round);
    ringing(call_id);
    std::atomic<int> wins{0};
    auto answer = [&](Store& s, int64_t session) {
      auto r = in_txn(s, [&](WriteTxn& t) { return t.answer_call(call_id, session, 2000); });
      ASSERT_TRUE(r.ok()) << r.error().message;
      if (*r) wins.fetch_add(1);
    };
    std::thread a([&] { answer(*store_, 31); });
    std::thread b([&] { answer(**second, 32); });
    a.join();
    b.join();
    EXPECT_EQ(wins.load(), 1);
    EXPECT_EQ(find(call_id).state, "active");
  }
}

INSTANTIATE_TEST_SUITE_P(Stores, CallsStoreTest, ::testing::ValuesIn(test::store_kinds()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace parley::store
