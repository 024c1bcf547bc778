// Latency histogram: log-linear buckets (16 per power of two, under 6.25% error), in
// microseconds. Mergeable across threads and processes; serialisable to JSON.
#pragma once

#include <cstdint>
#include <vector>

#include <boost/json/value.hpp>

namespace bench {

class Histogram {
 public:
  Histogram();
  void record(uint64_t us);
  void merge(const Histogram& other);
  uint64_t count() const { return count_; }
  uint64_t max() const { return max_; }
  double mean() const { return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0; }
  // The value at quantile q in [0, 1] (upper edge of its bucket, capped by max); 0 when empty.
  uint64_t quantile(double q) const;

  boost::json::value to_json() const;
  static Histogram from_json(const boost::json::value& v);

 private:
  std::vector<uint64_t> buckets_;
  uint64_t count_ = 0;
  uint64_t sum_ = 0;
  uint64_t max_ = 0;
};

}  // namespace bench
