#include "server/media/fair_queue.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace parley::media {
namespace {

void drain(FairQueue& q) {
  while (auto job = q.pop()) (*job)();
}

TEST(FairQueue, ServesUsersRoundRobinWhateverTheirBacklog) {
  FairQueue q;
  std::vector<std::string> served;
  auto job = [&](std::string name) { return [&served, name] { served.push_back(name); }; };
  for (int i = 1; i <= 4; ++i) q.push(1, job("a" + std::to_string(i)));  // a heavy user first
  q.push(2, job("b1"));
  q.push(3, job("c1"));
  q.push(2, job("b2"));
  EXPECT_EQ(q.size(), 7u);
  EXPECT_EQ(q.waiting(1), 4u);
  drain(q);
  EXPECT_EQ(served, (std::vector<std::string>{"a1", "b1", "c1", "a2", "b2", "a3", "a4"}));
  EXPECT_TRUE(q.empty());
  EXPECT_FALSE(q.pop());
}

TEST(FairQueue, AUserArrivingLaterWaitsForAtMostOneJobOfEachBusyUser) {
  FairQueue q;
  std::vector<std::string> served;
  auto job = [&](std::string name) { return [&served, name] { served.push_back(name); }; };
  q.push(1, job("a1"));
  q.push(1, job("a2"));
  q.push(1, job("a3"));
  (*q.pop())();  // a1 runs
  q.push(2, job("b1"));
  drain(q);
  EXPECT_EQ(served, (std::vector<std::string>{"a1", "a2", "b1", "a3"}));
}

TEST(UserSlots, EachUserHasItsOwnCapAndDestroyingASlotFreesIt) {
  auto slots = UserSlots::make(2);
  auto a1 = slots->acquire(1);
  auto a2 = slots->acquire(1);
  ASSERT_TRUE(a1 && a2);
  EXPECT_FALSE(slots->acquire(1)) << "a third slot for the same user";
  auto b1 = slots->acquire(2);
  EXPECT_TRUE(b1) << "another user is not affected";
  EXPECT_EQ(slots->held(1), 2);
  a1.reset();
  EXPECT_EQ(slots->held(1), 1);
  EXPECT_TRUE(slots->acquire(1)) << "a freed slot can be taken again";
}

TEST(UserSlots, ASlotMayOutliveEveryOtherOwnerOfTheTable) {
  auto slots = UserSlots::make(1);
  auto slot = slots->acquire(7);
  slots.reset();
  slot.reset();  // releases into a table only the slot still kept alive
}

}  // namespace
}  // namespace parley::media
