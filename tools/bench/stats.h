// What one worker (thread or process) measured: counters, latency histograms and error
// descriptions. Counters named "max_*" merge by maximum, all others by sum. Errors are
// correctness failures: any error makes the run fail.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "histogram.h"

namespace bench {

// Names are looked up without building a std::string (transparent comparators): add() and
// hist() run once or more per delivered message, and a name longer than the small-string
// buffer would otherwise cost an allocation per call.
struct Stats {
  std::map<std::string, double, std::less<>> counters;
  std::map<std::string, Histogram, std::less<>> hists;
  std::vector<std::string> errors;

  void add(std::string_view name, double n = 1);
  void set_max(std::string_view name, double v);
  double get(std::string_view name) const;
  Histogram& hist(std::string_view name);
  void error(std::string what);  // keeps the first 50 descriptions, counts the rest
  void merge(const Stats& other);

  boost::json::value to_json() const;
  static Stats from_json(const boost::json::value& v);
};

}  // namespace bench
