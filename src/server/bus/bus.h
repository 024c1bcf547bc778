// Cross-connection (and, later, cross-node) event delivery. The domain publishes
// envelopes; the bus hands them to the subscribers (connections) of the named users.
// The in-process bus (local_bus.h) delivers on the publishing thread; the NATS bus
// (nats_bus.h) also carries envelopes between nodes and delivers them to each node's local
// subscribers.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace parley::bus {

// One connected, authenticated device. Implementations must be thread-safe: deliver()
// and revoke() are called from any thread and must not block (they enqueue).
class Subscriber {
 public:
  virtual ~Subscriber() = default;
  virtual uint64_t connection_id() const = 0;
  virtual int64_t session_id() const = 0;
  // Queues an encoded frame for sending. The frame is shared by all recipients.
  virtual void deliver(const std::shared_ptr<const std::string>& frame) = 0;
  // The device's session was revoked: tell it and close the connection.
  virtual void revoke() = 0;
};

struct Envelope {
  enum class Kind { kFrame, kRevokeSessions };
  Kind kind = Kind::kFrame;
  std::vector<int64_t> user_ids;            // recipients (each of their devices)
  uint64_t exclude_connection = 0;          // kFrame: skip this connection (the sender's)
  std::shared_ptr<const std::string> frame; // kFrame: the encoded frame, encoded once
  std::vector<int64_t> session_ids;         // kRevokeSessions: which sessions of user_ids[0];
                                            // kFrame: non-empty = only the devices of these
                                            // sessions (one device of a call: docs/protocol.md)
  int64_t exclude_session = 0;              // kFrame: skip the devices of this session
  // kFrame: the conversation the event belongs to and, for a new message, its seq. A
  // cluster node hands each user a conversation's seq > 0 events in seq order and keeps
  // its seq == 0 events behind them (hold_back.h); 0 and 0: delivered as they come.
  int64_t conversation_id = 0;
  int64_t seq = 0;
};

class Bus {
 public:
  virtual ~Bus() = default;
  // Registers a device of user_id. The bus keeps only a weak reference.
  virtual void subscribe(int64_t user_id, const std::shared_ptr<Subscriber>& subscriber) = 0;
  // Removes the device; unknown ids are ignored.
  virtual void unsubscribe(int64_t user_id, uint64_t connection_id) = 0;
  // Delivers to every subscribed device of the recipients. Envelopes published from one
  // thread reach each subscriber in publishing order. Thread-safe. Returns the number of
  // local devices it was handed to.
  virtual std::size_t publish(const Envelope& envelope) = 0;
  // Number of subscribed devices (for metrics).
  virtual std::size_t subscriber_count() const = 0;
  // Prometheus text for the bus's own counters, appended to /metrics; empty by default.
  virtual std::string metrics_text() const { return {}; }
};

}  // namespace parley::bus
