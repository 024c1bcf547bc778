#include "stats.h"

#include <algorithm>

#include <boost/json.hpp>

namespace bench {

namespace json = boost::json;

void Stats::add(std::string_view name, double n) {
  auto it = counters.find(name);
  if (it == counters.end()) it = counters.emplace(std::string(name), 0.0).first;
  it->second += n;
}

Histogram& Stats::hist(std::string_view name) {
  auto it = hists.find(name);
  if (it == hists.end()) it = hists.emplace(std::string(name), Histogram{}).first;
  return it->second;
}

void Stats::set_max(std::string_view name, double v) {
  auto it = counters.find(name);
  if (it == counters.end()) counters.emplace(std::string(name), v);
  else it->second = std::max(it->second, v);
}

double Stats::get(std::string_view name) const {
  auto it = counters.find(name);
  return it == counters.end() ? 0 : it->second;
}

void Stats::error(std::string what) {
  add("errors");
  if (errors.size() < 50) errors.push_back(std::move(what));
}

void Stats::merge(const Stats& o) {
  for (const auto& [k, v] : o.counters) {
    if (k.rfind("max_", 0) == 0) set_max(k, v);
    else counters[k] += v;
  }
  for (const auto& [k, h] : o.hists) hists[k].merge(h);
  for (const auto& e : o.errors)
    if (errors.size() < 50) errors.push_back(e);
}

json::value Stats::to_json() const {
  json::object c, h;
  for (const auto& [k, v] : counters) c[k] = v;
  for (const auto& [k, v] : hists) h[k] = v.to_json();
  json::array e;
  for (const auto& s : errors) e.push_back(json::string(s));
  return json::object{{"counters", std::move(c)}, {"hists", std::move(h)}, {"errors", std::move(e)}};
}

Stats Stats::from_json(const json::value& v) {
  Stats s;
  const auto& o = v.as_object();
  for (const auto& [k, x] : o.at("counters").as_object()) s.counters[std::string(k)] = x.to_number<double>();
  for (const auto& [k, x] : o.at("hists").as_object()) s.hists[std::string(k)] = Histogram::from_json(x);
  for (const auto& x : o.at("errors").as_array()) s.errors.emplace_back(x.as_string());
  return s;
}

}  // namespace bench
