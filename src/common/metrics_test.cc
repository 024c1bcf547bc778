#include "common/metrics.h"

#include <gtest/gtest.h>

#include <string>

namespace parley {
namespace {

TEST(Metrics, AppendMetricWritesHelpTypeAndValue) {
  std::string out;
  append_metric(out, "parley_x_total", "counter", "Things.", 42);
  EXPECT_EQ(out, "# HELP parley_x_total Things.\n# TYPE parley_x_total counter\nparley_x_total 42\n");
}

// The sum keeps every microsecond however large it grows: a rate over a short window of a
// sum that has run for days must still move.
TEST(Metrics, SummaryWritesMicrosecondsAsExactSeconds) {
  std::string out;
  append_summary_us(out, "parley_y_seconds", "Time.", 12'000'345, 7);
  EXPECT_EQ(out,
            "# HELP parley_y_seconds Time.\n# TYPE parley_y_seconds summary\n"
            "parley_y_seconds_sum 12.000345\nparley_y_seconds_count 7\n");
  out.clear();
  append_summary_us(out, "s", "h", 0, 0);
  EXPECT_NE(out.find("s_sum 0.000000\ns_count 0\n"), std::string::npos);
  out.clear();
  append_summary_us(out, "s", "h", 864'000'000'000'001, 1);  // 10,000 days and a microsecond
  EXPECT_NE(out.find("s_sum 864000000.000001\n"), std::string::npos);
}

}  // namespace
}  // namespace parley
