// SendBatch: what a thread gives connections while a batch is open reaches each connection
// in one post, in the order given; nothing is kept once the batch closes; nested batches
// post once; a batch that reaches kFlushItems posts what it has and goes on.
#include "server/net/send_batch.h"

#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace parley::net {
namespace {

// Records each post_batch as one post: the frames' text, and "fn" for a function (which it
// runs, as the strand would).
class Recorder final : public BatchedConnection {
 public:
  void post_batch(std::vector<BatchItem> items) override {
    std::vector<std::string> post;
    for (BatchItem& item : items) {
      if (item.fn) {
        (*item.fn)();
        post.push_back("fn");
      } else {
        post.push_back(*item.frame + (item.since ? "@event" : ""));
      }
    }
    posts.push_back(std::move(post));
  }
  std::vector<std::vector<std::string>> posts;
};

BatchItem frame(std::string text, int64_t since = 0) {
  return BatchItem{std::make_shared<const std::string>(std::move(text)), since, nullptr};
}

TEST(SendBatch, NoBatchIsOpenOutsideOne) { EXPECT_EQ(SendBatch::current(), nullptr); }

TEST(SendBatch, EachConnectionGetsItsItemsInOnePostInOrder) {
  auto a = std::make_shared<Recorder>();
  auto b = std::make_shared<Recorder>();
  int ran = 0;
  {
    SendBatch batch;
    EXPECT_EQ(SendBatch::current(), &batch);
    batch.add(a, frame("a1", 7));
    batch.add(b, frame("b1"));
    batch.add(a, BatchItem{nullptr, 0, std::make_unique<std::function<void()>>([&] { ++ran; })});
    batch.add(a, frame("a2"));
    EXPECT_EQ(batch.size(), 4u);
    // Nothing is posted while the batch is open.
    EXPECT_TRUE(a->posts.empty());
    EXPECT_TRUE(b->posts.empty());
    EXPECT_EQ(ran, 0);
  }
  EXPECT_EQ(SendBatch::current(), nullptr);
  ASSERT_EQ(a->posts.size(), 1u);
  EXPECT_EQ(a->posts[0], (std::vector<std::string>{"a1@event", "fn", "a2"}));
  ASSERT_EQ(b->posts.size(), 1u);
  EXPECT_EQ(b->posts[0], (std::vector<std::string>{"b1"}));
  EXPECT_EQ(ran, 1);
}

TEST(SendBatch, NestedBatchesPostOnceWhenTheOutermostCloses) {
  auto a = std::make_shared<Recorder>();
  {
    SendBatch outer;
    {
      SendBatch inner;
      EXPECT_EQ(SendBatch::current(), &outer);
      inner.add(a, frame("x"));
    }
    EXPECT_TRUE(a->posts.empty());
    outer.add(a, frame("y"));
  }
  ASSERT_EQ(a->posts.size(), 1u);
  EXPECT_EQ(a->posts[0], (std::vector<std::string>{"x", "y"}));
}

TEST(SendBatch, AFullBatchPostsWhatItHasAndGoesOn) {
  auto a = std::make_shared<Recorder>();
  auto b = std::make_shared<Recorder>();
  {
    SendBatch batch;
    batch.add(b, frame("b-first"));
    for (std::size_t i = 1; i < SendBatch::kFlushItems; ++i) batch.add(a, frame(std::to_string(i)));
    // The kFlushItems-th item posted everything kept.
    EXPECT_EQ(batch.size(), 0u);
    ASSERT_EQ(a->posts.size(), 1u);
    EXPECT_EQ(a->posts[0].size(), SendBatch::kFlushItems - 1);
    EXPECT_EQ(a->posts[0].front(), "1");
    EXPECT_EQ(a->posts[0].back(), std::to_string(SendBatch::kFlushItems - 1));
    ASSERT_EQ(b->posts.size(), 1u);
    batch.add(a, frame("after"));
    EXPECT_EQ(batch.size(), 1u);
  }
  ASSERT_EQ(a->posts.size(), 2u);
  EXPECT_EQ(a->posts[1], (std::vector<std::string>{"after"}));
  EXPECT_EQ(b->posts.size(), 1u);
}

TEST(SendBatch, ABatchBelongsToItsThread) {
  SendBatch batch;
  SendBatch* seen = &batch;
  std::thread([&] { seen = SendBatch::current(); }).join();
  EXPECT_EQ(seen, nullptr);
}

TEST(SendBatch, AConnectionIsHeldOnlyUntilThePost) {
  auto a = std::make_shared<Recorder>();
  std::weak_ptr<Recorder> weak = a;
  {
    SendBatch batch;
    batch.add(a, frame("z"));
    a.reset();
    EXPECT_FALSE(weak.expired());  // the batch keeps the connection until it posts
  }
  EXPECT_TRUE(weak.expired());
}

}  // namespace
}  // namespace parley::net
