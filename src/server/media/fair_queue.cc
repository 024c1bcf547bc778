#include "server/media/fair_queue.h"

namespace parley::media {

void FairQueue::push(int64_t user, Job job) {
  auto& jobs = jobs_[user];
  if (jobs.empty()) line_.push_back(user);
  jobs.push_back(std::move(job));
  ++size_;
}

std::optional<FairQueue::Job> FairQueue::pop() {
  if (line_.empty()) return std::nullopt;
  int64_t user = line_.front();
  line_.pop_front();
  auto it = jobs_.find(user);
  Job job = std::move(it->second.front());
  it->second.pop_front();
  if (it->second.empty())
    jobs_.erase(it);
  else
    line_.push_back(user);  // the rest of its jobs wait for everyone else's turn
  --size_;
  return job;
}

std::size_t FairQueue::waiting(int64_t user) const {
  auto it = jobs_.find(user);
  return it == jobs_.end() ? 0 : it->second.size();
}

UserSlots::Slot::~Slot() { table_->release(user_); }

std::unique_ptr<UserSlots::Slot> UserSlots::acquire(int64_t user) {
  std::lock_guard lock(mu_);
  int& held = held_[user];
  if (held >= per_user_) return nullptr;
  ++held;
  return std::unique_ptr<Slot>(new Slot(shared_from_this(), user));
}

int UserSlots::held(int64_t user) const {
  std::lock_guard lock(mu_);
  auto it = held_.find(user);
  return it == held_.end() ? 0 : it->second;
}

void UserSlots::release(int64_t user) {
  std::lock_guard lock(mu_);
  auto it = held_.find(user);
  if (it != held_.end() && --it->second <= 0) held_.erase(it);
}

}  // namespace parley::media
