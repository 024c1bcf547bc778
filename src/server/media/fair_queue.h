// Sharing photo processing fairly between users.
//
// FairQueue: jobs served round-robin over the users who have work waiting. Each turn takes
// the oldest job of the next user in line, so a user's backlog delays anyone else's job by
// at most one job per other busy user, however much of it there is.
//
// UserSlots: at most `per_user` things in progress per user; a slot is released by
// destroying the Slot that holds it, from any thread.
//
// Thread-safety: FairQueue is not thread-safe (its owner locks); UserSlots is.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

namespace parley::media {

class FairQueue {
 public:
  using Job = std::function<void()>;

  // Appends `job` to `user`'s jobs; the user joins the end of the line if it had none.
  void push(int64_t user, Job job);
  // The next job in round-robin order, or nullopt when nothing waits.
  std::optional<Job> pop();

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // How many jobs of `user` wait.
  std::size_t waiting(int64_t user) const;

 private:
  std::unordered_map<int64_t, std::deque<Job>> jobs_;  // only users with jobs waiting
  std::deque<int64_t> line_;                           // those users, next served first
  std::size_t size_ = 0;
};

class UserSlots : public std::enable_shared_from_this<UserSlots> {
 public:
  // A held slot; destroying it releases the slot (the table outlives it).
  class Slot {
   public:
    ~Slot();
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;

   private:
    friend class UserSlots;
    Slot(std::shared_ptr<UserSlots> table, int64_t user) : table_(std::move(table)), user_(user) {}
    std::shared_ptr<UserSlots> table_;
    int64_t user_;
  };

  static std::shared_ptr<UserSlots> make(int per_user) {
    return std::shared_ptr<UserSlots>(new UserSlots(per_user));
  }

  // A slot for `user`, or null when it already holds `per_user` of them.
  std::unique_ptr<Slot> acquire(int64_t user);
  // How many slots `user` holds.
  int held(int64_t user) const;

 private:
  explicit UserSlots(int per_user) : per_user_(per_user) {}
  void release(int64_t user);

  const int per_user_;
  mutable std::mutex mu_;
  std::unordered_map<int64_t, int> held_;  // guarded by mu_; users holding none are absent
};

}  // namespace parley::media
