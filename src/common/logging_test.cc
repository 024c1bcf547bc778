#include "common/logging.h"

#include <sstream>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

namespace parley {
namespace {

std::string escaped(std::string_view s) {
  std::string out;
  append_json_escaped(out, s);
  return out;
}

TEST(JsonEscape, QuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(escaped("a\"b\\c"), "a\\\"b\\\\c");
  EXPECT_EQ(escaped("line\nnext\ttab"), "line\\nnext\\ttab");
  EXPECT_EQ(escaped(std::string("nul\0bell\x07", 9)), "nul\\u0000bell\\u0007");
  EXPECT_EQ(escaped("\x1b[31m"), "\\u001b[31m");  // a terminal escape cannot reach the reader raw
}

TEST(JsonEscape, KeepsUtf8AndEscapesEveryInvalidByte) {
  EXPECT_EQ(escaped("h\xc3\xa9llo \xf0\x9f\x98\x80"), "h\xc3\xa9llo \xf0\x9f\x98\x80");
  EXPECT_EQ(escaped("\xff\xfe"), "\\u00ff\\u00fe");
  EXPECT_EQ(escaped("\xc3"), "\\u00c3");              // truncated sequence
  EXPECT_EQ(escaped("\xc0\xaf"), "\\u00c0\\u00af");   // overlong '/'
  EXPECT_EQ(escaped("\xed\xa0\x80"), "\\u00ed\\u00a0\\u0080");  // a UTF-16 surrogate
}

TEST(ConfigureLogging, RejectsUnknownLevelsAndFormats) {
  EXPECT_EQ(configure_logging("loud", "text").error().code, Errc::kInvalidArgument);
  EXPECT_EQ(configure_logging("info", "xml").error().code, Errc::kInvalidArgument);
}

TEST(ConfigureLogging, JsonWritesOneParseableObjectPerLine) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("test", sink));
  ASSERT_TRUE(configure_logging("debug", "json"));
  spdlog::info("user {} said \"{}\"", 42, std::string("a\nb\xff"));
  spdlog::debug("second");
  spdlog::set_default_logger(previous);

  std::istringstream lines(out.str());
  std::string line;
  ASSERT_TRUE(std::getline(lines, line));
  auto first = boost::json::parse(line).as_object();
  EXPECT_EQ(first.at("level").as_string(), "info");
  // The invalid byte 0xFF travels as the escape \u00ff, which a JSON reader turns into U+00FF.
  EXPECT_EQ(std::string(first.at("msg").as_string()), "user 42 said \"a\nb\xc3\xbf\"");
  const std::string ts(first.at("ts").as_string());
  ASSERT_EQ(ts.size(), 24u) << ts;  // 2026-12-02T23:50:01.123Z
  EXPECT_EQ(ts[10], 'T');
  EXPECT_EQ(ts.back(), 'Z');
  ASSERT_TRUE(std::getline(lines, line));
  EXPECT_EQ(boost::json::parse(line).as_object().at("level").as_string(), "debug");
  EXPECT_FALSE(std::getline(lines, line));
}

}  // namespace
}  // namespace parley
