#include "report.h"

#include <cstdio>

#include <boost/json.hpp>

namespace bench {

namespace {

std::string fixed(double v, int precision) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", precision, v);
  return buf;
}

std::string pad(std::string s, std::size_t width) {
  if (s.size() < width) s.resize(width, ' ');
  return s;
}

}  // namespace

void Report::value(const std::string& key, const std::string& label, double v, const std::string& unit, int precision) {
  lines_.push_back("  " + pad(label, 50) + fixed(v, precision) + (unit.empty() ? "" : " " + unit));
  json_[key] = v;
}

void Report::latency(const std::string& key, const std::string& label, const Histogram& h) {
  auto ms = [](uint64_t us) { return static_cast<double>(us) / 1000.0; };
  lines_.push_back("  " + pad(label + " (ms)", 50) + "p50 " + fixed(ms(h.quantile(0.5)), 2) + "  p90 " +
                   fixed(ms(h.quantile(0.9)), 2) + "  p99 " + fixed(ms(h.quantile(0.99)), 2) + "  p99.9 " +
                   fixed(ms(h.quantile(0.999)), 2) + "  max " + fixed(ms(h.max()), 2) + "  (n=" +
                   std::to_string(h.count()) + ")");
  json_[key] = boost::json::object{{"count", h.count()},          {"mean_ms", h.mean() / 1000.0},
                                   {"p50_ms", ms(h.quantile(0.5))}, {"p90_ms", ms(h.quantile(0.9))},
                                   {"p99_ms", ms(h.quantile(0.99))}, {"p999_ms", ms(h.quantile(0.999))},
                                   {"max_ms", ms(h.max())}};
}

void Report::note(const std::string& text) { lines_.push_back("  " + text); }

std::string Report::table() const {
  std::string t = title_ + "\n" + std::string(title_.size(), '-') + "\n";
  for (const auto& l : lines_) t += l + "\n";
  return t;
}

}  // namespace bench
