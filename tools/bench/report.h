// The results of a run: a readable table and the same figures as JSON.
#pragma once

#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "histogram.h"

namespace bench {

class Report {
 public:
  explicit Report(std::string title) : title_(std::move(title)) {}
  void value(const std::string& key, const std::string& label, double v, const std::string& unit, int precision = 1);
  // A latency histogram recorded in microseconds, shown in milliseconds.
  void latency(const std::string& key, const std::string& label, const Histogram& h);
  void note(const std::string& text);
  std::string table() const;
  boost::json::object& json() { return json_; }

 private:
  std::string title_;
  std::vector<std::string> lines_;
  boost::json::object json_;
};

}  // namespace bench
