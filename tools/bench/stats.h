// What one worker (thread or process) measured: counters, latency histograms and error
// descriptions. Counters named "max_*" merge by maximum, all others by sum. Errors are
// correctness failures: any error makes the run fail.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "histogram.h"

namespace bench {

struct Stats {
  std::map<std::string, double> counters;
  std::map<std::string, Histogram> hists;
  std::vector<std::string> errors;

  void add(const std::string& name, double n = 1) { counters[name] += n; }
  void set_max(const std::string& name, double v);
  double get(const std::string& name) const;
  Histogram& hist(const std::string& name) { return hists[name]; }
  void error(std::string what);  // keeps the first 50 descriptions, counts the rest
  void merge(const Stats& other);

  boost::json::value to_json() const;
  static Stats from_json(const boost::json::value& v);
};

}  // namespace bench
