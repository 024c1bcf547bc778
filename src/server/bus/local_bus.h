// The in-process bus: a sharded registry user_id -> devices. publish() delivers
// synchronously on the caller's thread; each subscriber only enqueues, so a slow
// device never slows the publisher.
#pragma once

#include <array>
#include <mutex>
#include <unordered_map>

#include "server/bus/bus.h"

namespace parley::bus {

class LocalBus final : public Bus {
 public:
  void subscribe(int64_t user_id, const std::shared_ptr<Subscriber>& subscriber) override;
  void unsubscribe(int64_t user_id, uint64_t connection_id) override;
  std::size_t publish(const Envelope& envelope) override;
  std::size_t subscriber_count() const override;
  // Hands `frame` to every subscribed device; returns how many.
  std::size_t deliver_all(const std::shared_ptr<const std::string>& frame);
  // Whether at least one device of user_id is subscribed.
  bool has_devices(int64_t user_id) const;

 private:
  struct Device {
    uint64_t connection_id;
    int64_t session_id;
    std::weak_ptr<Subscriber> subscriber;
  };
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<int64_t, std::vector<Device>> devices;  // guarded by mu
  };
  static constexpr std::size_t kShards = 64;

  Shard& shard_for(int64_t user_id) { return shards_[static_cast<uint64_t>(user_id) % kShards]; }
  const Shard& shard_for(int64_t user_id) const { return shards_[static_cast<uint64_t>(user_id) % kShards]; }

  std::array<Shard, kShards> shards_;
};

}  // namespace parley::bus
