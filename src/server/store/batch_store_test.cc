// Several ops in one write batch, through the Store interface: what one batch writes must
// read exactly as if every op had been its own batch (seq, last message, versions, sync,
// watermarks, the search index), a retry inside the batch is answered with the original,
// and an op that fails leaves no trace while the others commit. The stores keep per-batch
// state in memory (the deferred search index, see sqlite/write_txn.h), so these are the
// cases that state could get wrong.
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "server/store/store_test_support.h"
#include "server/store/test_stores.h"

namespace parley::store {
namespace {

using test::in_txn;

class BatchStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    open();
    alice_ = in_txn(*store_, [](WriteTxn& t) { return t.create_user("alice", "Alice", "h", 1); }).value();
    bob_ = in_txn(*store_, [](WriteTxn& t) { return t.create_user("bob", "Bob", "h", 1); }).value();
    conversation_ = in_txn(*store_, [&](WriteTxn& t) { return t.get_or_create_direct(alice_.id, bob_.id, 2); })
                        .value()
                        .conversation.id;
  }

  void open() {
    store_.reset();
    auto opened = backing_.open();
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(opened).value();
  }

  NewMessage text(int64_t sender, std::string client_id, std::string words, int64_t ts = 100) {
    NewMessage m;
    m.conversation_id = conversation_;
    m.sender_id = sender;
    m.client_id = std::move(client_id);
    m.kind = "text";
    m.text = std::move(words);
    m.ts = ts;
    return m;
  }

  ConversationRecord seen_by(int64_t user_id) {
    auto c = store_->conversation_for_member(conversation_, user_id);
    EXPECT_TRUE(c.ok() && c->has_value());
    return c.ok() && c->has_value() ? **c : ConversationRecord{};
  }

  static const MemberRecord& member(const ConversationRecord& c, int64_t user_id) {
    for (const MemberRecord& m : c.members)
      if (m.user.id == user_id) return m;
    ADD_FAILURE() << "user " << user_id << " is not a member";
    static const MemberRecord kNone;
    return kNone;
  }

  // The seqs of `user_id`'s search hits for `words`, ascending.
  std::vector<int64_t> found(int64_t user_id, const std::string& words) {
    auto hits = store_->search(user_id, SearchQuery{words, std::nullopt, 50, 0});
    EXPECT_TRUE(hits.ok()) << (hits.ok() ? "" : hits.error().message);
    std::vector<int64_t> seqs;
    if (hits.ok())
      for (const SearchHit& hit : hits->items) seqs.push_back(hit.message.seq);
    std::sort(seqs.begin(), seqs.end());
    return seqs;
  }

  std::vector<MessageRecord> history(int64_t user_id) {
    auto page = store_->history(user_id, HistoryQuery{conversation_, std::nullopt, 0, 50});
    EXPECT_TRUE(page.ok());
    std::vector<MessageRecord> out = page.ok() ? page->items : std::vector<MessageRecord>{};
    std::sort(out.begin(), out.end(), [](const auto& x, const auto& y) { return x.seq < y.seq; });
    return out;
  }

  int64_t version() { return store_->current_version().value(); }

  test::TestStore backing_{GetParam()};
  std::unique_ptr<Store> store_;
  UserRecord alice_, bob_;
  int64_t conversation_ = 0;
};

TEST_P(BatchStoreTest, TwoMessagesToOneConversationReadAsTwoCommits) {
  const int64_t before = version();
  std::optional<AppendOutcome> first, second;
  ASSERT_TRUE(test::write_batch(*store_, {
      [&](WriteTxn& t) { first = t.append_message(text(alice_.id, "a1", "morning walrus", 100)).value(); },
      [&](WriteTxn& t) { second = t.append_message(text(bob_.id, "b1", "evening walrus", 101)).value(); },
  }).ok());
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->message.seq, 1);
  EXPECT_EQ(second->message.seq, 2);
  EXPECT_EQ(first->message.version, before + 1);
  EXPECT_EQ(second->message.version, before + 2);
  EXPECT_EQ(version(), before + 2);
  EXPECT_EQ(second->member_ids, (std::vector<int64_t>{alice_.id, bob_.id}));

  const ConversationRecord c = seen_by(alice_.id);
  EXPECT_EQ(c.last_seq, 2);
  EXPECT_EQ(c.last_activity, 101);
  EXPECT_EQ(c.version, before + 2);
  ASSERT_TRUE(c.last_message.has_value());
  EXPECT_EQ(c.last_message->id, second->message.id);
  EXPECT_EQ(c.last_message->text, "evening walrus");
  // Each sender has read up to their own message; bob's send covered alice's.
  EXPECT_EQ(member(c, alice_.id).read_seq, 1);
  EXPECT_EQ(member(c, alice_.id).delivered_seq, 1);
  EXPECT_EQ(member(c, bob_.id).read_seq, 2);
  EXPECT_EQ(member(c, bob_.id).delivered_seq, 2);

  // Sync from before the batch: the conversation once, at its newest version.
  auto sync = store_->changes_since(bob_.id, before, 50);
  ASSERT_TRUE(sync.ok());
  ASSERT_EQ(sync->conversations.size(), 1u);
  EXPECT_EQ(sync->conversations[0].last_seq, 2);
  EXPECT_EQ(sync->conversations[0].version, before + 2);
  EXPECT_EQ(sync->version, before + 2);
  // Sync from the first message's version still sees the second.
  sync = store_->changes_since(bob_.id, before + 1, 50);
  ASSERT_TRUE(sync.ok());
  ASSERT_EQ(sync->conversations.size(), 1u);
  EXPECT_EQ(sync->conversations[0].last_seq, 2);

  EXPECT_EQ(found(bob_.id, "walrus"), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(found(alice_.id, "morning"), (std::vector<int64_t>{1}));

  // The next batch goes on from there.
  auto third = in_txn(*store_, [&](WriteTxn& t) { return t.append_message(text(alice_.id, "a2", "noon", 102)); });
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->message.seq, 3);
  EXPECT_EQ(third->message.version, before + 3);
}

TEST_P(BatchStoreTest, RetryInsideTheSameBatchGetsTheOriginalAndTakesNothing) {
  const int64_t before = version();
  std::optional<AppendOutcome> original, retry, other;
  ASSERT_TRUE(test::write_batch(*store_, {
      [&](WriteTxn& t) { original = t.append_message(text(alice_.id, "c1", "only once please")).value(); },
      // Same client id, different text and time: still the original.
      [&](WriteTxn& t) { retry = t.append_message(text(alice_.id, "c1", "changed my mind", 999)).value(); },
      [&](WriteTxn& t) { other = t.append_message(text(alice_.id, "c2", "second one")).value(); },
  }).ok());
  ASSERT_TRUE(original && retry && other);
  EXPECT_FALSE(original->duplicate);
  EXPECT_TRUE(retry->duplicate);
  EXPECT_EQ(retry->message.id, original->message.id);
  EXPECT_EQ(retry->message.seq, 1);
  EXPECT_EQ(retry->message.text, "only once please");
  EXPECT_EQ(retry->member_ids, (std::vector<int64_t>{alice_.id, bob_.id}));
  EXPECT_EQ(other->message.seq, 2);
  EXPECT_EQ(other->message.version, before + 2) << "the retry took no version";
  EXPECT_EQ(version(), before + 2);

  const auto messages = history(bob_.id);
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0].text, "only once please");
  EXPECT_EQ(found(bob_.id, "once"), (std::vector<int64_t>{1}));
  EXPECT_TRUE(found(bob_.id, "mind").empty());

  // And after a restart, in a later batch.
  open();
  auto again = in_txn(*store_, [&](WriteTxn& t) { return t.append_message(text(alice_.id, "c1", "x")); });
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->message.id, original->message.id);
  EXPECT_EQ(version(), before + 2);
}

TEST_P(BatchStoreTest, FailingOpBetweenTwoGoodOnesLeavesNoTrace) {
  const int64_t before = version();
  std::optional<AppendOutcome> first, last;
  Status status = test::write_ops(*store_, {
      [&](WriteTxn& t) -> Status {
        first = t.append_message(text(alice_.id, "g1", "alpha walrus", 100)).value();
        return {};
      },
      // Appends (and edits what it appended), then fails: none of it may remain.
      [&](WriteTxn& t) -> Status {
        auto m = t.append_message(text(bob_.id, "bad", "bravo walrus", 101));
        if (!m) return m.error();
        auto e = t.edit_message(conversation_, m->message.seq, "bravo narwhal", 102);
        if (!e) return e.error();
        return Error::make(Errc::kInvalidArgument, "changed its mind");
      },
      [&](WriteTxn& t) -> Status {
        last = t.append_message(text(alice_.id, "g2", "charlie walrus", 103)).value();
        return {};
      },
      // The last op of the batch fails too: nothing after it reuses what it took.
      [&](WriteTxn& t) -> Status {
        auto m = t.append_message(text(bob_.id, "bad2", "delta walrus", 104));
        if (!m) return m.error();
        return Error::make(Errc::kInvalidArgument, "changed its mind again");
      },
  });
  ASSERT_TRUE(status.ok());
  ASSERT_TRUE(first && last);
  EXPECT_EQ(first->message.seq, 1);
  EXPECT_EQ(last->message.seq, 2) << "the failed op's seq was given back";
  EXPECT_EQ(last->message.version, before + 2) << "and its versions";
  EXPECT_EQ(version(), before + 2);

  const ConversationRecord c = seen_by(bob_.id);
  EXPECT_EQ(c.last_seq, 2);
  EXPECT_EQ(c.last_activity, 103);
  EXPECT_EQ(c.version, before + 2);
  ASSERT_TRUE(c.last_message.has_value());
  EXPECT_EQ(c.last_message->text, "charlie walrus");
  EXPECT_EQ(member(c, bob_.id).read_seq, 0) << "bob's failed send marked nothing";
  EXPECT_EQ(member(c, alice_.id).read_seq, 2);

  const auto messages = history(bob_.id);
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[1].text, "charlie walrus");
  EXPECT_EQ(found(bob_.id, "walrus"), (std::vector<int64_t>{1, 2}));
  EXPECT_TRUE(found(bob_.id, "bravo").empty());
  EXPECT_TRUE(found(bob_.id, "narwhal").empty());
  EXPECT_TRUE(found(bob_.id, "delta").empty());
  // The client id of the failed send is free: its retry is a new message.
  auto retry = in_txn(*store_, [&](WriteTxn& t) { return t.append_message(text(bob_.id, "bad", "bravo", 104)); });
  ASSERT_TRUE(retry.ok());
  EXPECT_FALSE(retry->duplicate);
  EXPECT_EQ(retry->message.seq, 3);
  EXPECT_EQ(found(bob_.id, "bravo"), (std::vector<int64_t>{3}));
  // The next message may reuse the row the failed ops had taken: it is found by its own
  // words only.
  auto echo = in_txn(*store_, [&](WriteTxn& t) { return t.append_message(text(bob_.id, "e", "echo", 105)); });
  ASSERT_TRUE(echo.ok());
  EXPECT_EQ(found(bob_.id, "echo"), (std::vector<int64_t>{4}));
  EXPECT_TRUE(found(bob_.id, "delta").empty());
  EXPECT_TRUE(found(bob_.id, "narwhal").empty());
}

TEST_P(BatchStoreTest, EditAndEraseInTheBatchThatSentTheMessageReachTheSearchIndex) {
  ASSERT_TRUE(test::write_batch(*store_, {
      [&](WriteTxn& t) { ASSERT_TRUE(t.append_message(text(alice_.id, "e1", "first draft")).ok()); },
      [&](WriteTxn& t) { ASSERT_TRUE(t.edit_message(conversation_, 1, "final wording", 200).ok()); },
      [&](WriteTxn& t) { ASSERT_TRUE(t.edit_message(conversation_, 1, "final final wording", 201).ok()); },
      [&](WriteTxn& t) { ASSERT_TRUE(t.append_message(text(bob_.id, "e2", "secret walrus")).ok()); },
      [&](WriteTxn& t) { ASSERT_TRUE(t.erase_message(conversation_, 2, 202).ok()); },
  }).ok());
  EXPECT_TRUE(found(bob_.id, "draft").empty());
  EXPECT_EQ(found(bob_.id, "final"), (std::vector<int64_t>{1}));
  EXPECT_TRUE(found(bob_.id, "walrus").empty()) << "deleted text never shows";
  EXPECT_TRUE(found(bob_.id, "secret").empty());

  // An edit of a message from an earlier batch, in an op that then fails: the old text
  // stays findable, the new one is not.
  Status status = test::write_ops(*store_, {
      [&](WriteTxn& t) -> Status {
        auto e = t.edit_message(conversation_, 1, "rewritten", 300);
        if (!e) return e.error();
        return Error::make(Errc::kInvalidArgument, "no");
      },
      [&](WriteTxn& t) -> Status {
        auto e = t.erase_message(conversation_, 1, 301);
        if (!e) return e.error();
        return Error::make(Errc::kInvalidArgument, "no");
      },
  });
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(found(bob_.id, "final"), (std::vector<int64_t>{1}));
  EXPECT_TRUE(found(bob_.id, "rewritten").empty());

  // Still so after a restart: the index was written with the batch.
  open();
  EXPECT_EQ(found(bob_.id, "final"), (std::vector<int64_t>{1}));
  EXPECT_TRUE(found(bob_.id, "walrus").empty());
  auto erased = in_txn(*store_, [&](WriteTxn& t) { return t.erase_message(conversation_, 1, 400); });
  ASSERT_TRUE(erased.ok());
  EXPECT_TRUE(found(bob_.id, "final").empty());
}

TEST_P(BatchStoreTest, FailedBatchWritesNoneOfItsOps) {
  const int64_t before = version();
  // A storage failure is kInternal; an op can't cause one on purpose, but a thrown
  // exception fails the whole batch the same way (write()'s contract).
  std::vector<std::function<void(WriteTxn&)>> ops = {
      [&](WriteTxn& t) { ASSERT_TRUE(t.append_message(text(alice_.id, "f1", "lost walrus")).ok()); },
      [&](WriteTxn&) { throw std::runtime_error("boom"); },
  };
  Status status = test::write_batch(*store_, std::move(ops));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, Errc::kInternal);
  EXPECT_EQ(version(), before);
  EXPECT_TRUE(history(alice_.id).empty());
  EXPECT_EQ(seen_by(alice_.id).last_seq, 0);
  EXPECT_TRUE(found(alice_.id, "walrus").empty());
  // The next batch starts from the committed state.
  auto next = in_txn(*store_, [&](WriteTxn& t) { return t.append_message(text(alice_.id, "f1", "kept walrus")); });
  ASSERT_TRUE(next.ok());
  EXPECT_FALSE(next->duplicate);
  EXPECT_EQ(next->message.seq, 1);
  EXPECT_EQ(next->message.version, before + 1);
  EXPECT_EQ(found(alice_.id, "walrus"), (std::vector<int64_t>{1}));
}

INSTANTIATE_TEST_SUITE_P(Stores, BatchStoreTest, ::testing::ValuesIn(test::store_kinds()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace parley::store
