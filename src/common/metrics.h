// Process metrics in Prometheus' text format (served at GET /metrics). Lock-free
// counters and fixed-bucket histograms; every method is thread-safe and cheap enough for
// the hot path.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "common/error.h"

namespace parley {

class Counter {
 public:
  void add(uint64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

class Gauge {
 public:
  void add(int64_t n) { v_.fetch_add(n, std::memory_order_relaxed); }
  int64_t value() const { return v_.load(std::memory_order_relaxed); }
  // Adds n only if the value stays at or below `max`; false (and nothing added) otherwise.
  bool try_add(int64_t n, int64_t max) {
    int64_t v = v_.load(std::memory_order_relaxed);
    while (v + n <= max)
      if (v_.compare_exchange_weak(v, v + n, std::memory_order_relaxed)) return true;
    return false;
  }

 private:
  std::atomic<int64_t> v_{0};
};

// Appends one metric in the Prometheus text format: its HELP and TYPE lines ("counter",
// "gauge") and its value.
void append_metric(std::string& out, const std::string& name, const char* type, const std::string& help,
                   uint64_t value);

// Appends a summary without quantiles, in seconds: HELP and TYPE, then `name_sum` (from
// microseconds, written exactly: "12.000345") and `name_count`.
void append_summary_us(std::string& out, const std::string& name, const std::string& help, uint64_t sum_us,
                       uint64_t count);

// Cumulative histogram with fixed upper bounds (in the metric's unit).
class Histogram {
 public:
  explicit Histogram(std::initializer_list<double> bounds);
  void observe(double value);
  // Appends the _bucket, _sum and _count lines for `name`.
  void render(std::string& out, const std::string& name, const std::string& help) const;

 private:
  std::vector<double> bounds_;
  std::vector<std::atomic<uint64_t>> counts_;  // one per bound, plus +Inf
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_micro_{0};  // sum * 1e6, to stay integral and lock-free
};

struct Metrics {
  Metrics();

  Gauge ws_connections;
  Counter ws_connections_total;
  Counter http_requests;
  Counter frames_in, frames_out, bytes_in, bytes_out;
  Counter messages_committed;      // new messages made durable
  Counter message_events;          // message frames handed to recipients' queues
  Counter slow_client_disconnects; // write queue overflowed
  Counter connections_refused;     // closed at accept: a connection cap was reached
  Counter connections_shed;        // idle connections closed to make room for new ones
  Counter proxy_headers_refused;   // trusted proxies' connections closed: no valid PROXY header
  Gauge ws_queued_bytes;           // bytes queued for all WebSocket clients (the budget's use)
  Counter queue_budget_disconnects; // connections cut because the server-wide budget was full
  Counter rate_limited;
  Counter presence_changes;        // users going online or offline (after coalescing)
  Counter presence_frames;         // presence frames handed to subscribed devices
  Counter push_sent;               // pushes a push service or the gateway accepted
  Counter push_failed;             // pushes given up (attempts exhausted, refused, queues full)
  Counter push_retried;            // push attempts scheduled again after a 429, 5xx or timeout
  Counter push_subscriptions_removed;  // registrations deleted on 404/410 or a gateway's rejection
  std::array<Counter, 32> errors;  // by Errc (room for codes still to come)
  Histogram send_to_durable_seconds;   // send frame parsed -> committed
  Histogram commit_seconds;            // one batch's transaction
  Histogram commit_batch_size;         // ops per batch
  Histogram media_processing_seconds;  // one upload decoded, re-encoded and stored
  Histogram event_delivery_seconds;    // an event handed to a connection -> its last byte written

  void count_error(Errc code) { errors[static_cast<std::size_t>(code)].add(); }
  // The whole exposition; `subscribers` is the bus's current device count.
  std::string render(std::size_t subscribers) const;
};

}  // namespace parley
