#include "histogram.h"

#include <algorithm>
#include <bit>

#include <boost/json.hpp>

namespace bench {

namespace {

constexpr int kBuckets = 16 * 62;

int index_of(uint64_t v) {
  if (v < 16) return static_cast<int>(v);
  int msb = 63 - std::countl_zero(v);
  int e = msb - 4;
  return 16 * (e + 1) + static_cast<int>((v >> e) - 16);
}

uint64_t upper_of(int idx) {
  if (idx < 16) return static_cast<uint64_t>(idx);
  int e = idx / 16 - 1;
  uint64_t m = static_cast<uint64_t>(idx % 16 + 16);
  return ((m + 1) << e) - 1;
}

}  // namespace

Histogram::Histogram() : buckets_(kBuckets, 0) {}

void Histogram::record(uint64_t us) {
  int i = std::min(index_of(us), kBuckets - 1);
  ++buckets_[static_cast<std::size_t>(i)];
  ++count_;
  sum_ += us;
  max_ = std::max(max_, us);
}

void Histogram::merge(const Histogram& o) {
  for (std::size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += o.buckets_[i];
  count_ += o.count_;
  sum_ += o.sum_;
  max_ = std::max(max_, o.max_);
}

uint64_t Histogram::quantile(double q) const {
  if (count_ == 0) return 0;
  uint64_t rank = static_cast<uint64_t>(q * static_cast<double>(count_));
  if (rank >= count_) rank = count_ - 1;
  uint64_t seen = 0;
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen > rank) return std::min(upper_of(static_cast<int>(i)), max_);
  }
  return max_;
}

boost::json::value Histogram::to_json() const {
  boost::json::array b;
  for (std::size_t i = 0; i < buckets_.size(); ++i)
    if (buckets_[i]) b.push_back(boost::json::array{i, buckets_[i]});
  return boost::json::object{{"count", count_}, {"sum", sum_}, {"max", max_}, {"buckets", std::move(b)}};
}

Histogram Histogram::from_json(const boost::json::value& v) {
  Histogram h;
  const auto& o = v.as_object();
  h.count_ = o.at("count").to_number<uint64_t>();
  h.sum_ = o.at("sum").to_number<uint64_t>();
  h.max_ = o.at("max").to_number<uint64_t>();
  for (const auto& pair : o.at("buckets").as_array()) {
    const auto& p = pair.as_array();
    auto i = p.at(0).to_number<std::size_t>();
    if (i < h.buckets_.size()) h.buckets_[i] = p.at(1).to_number<uint64_t>();
  }
  return h;
}

}  // namespace bench
