#include "server/api/request_log.h"

#include <set>

#include <gtest/gtest.h>

namespace parley::api {
namespace {

TEST(RequestLog, KeepsAnAcceptableOfferedId) {
  RequestLog log;
  EXPECT_EQ(log.request_id("haproxy-7f3a.1_b"), "haproxy-7f3a.1_b");
  EXPECT_EQ(log.request_id(std::string(64, 'a')), std::string(64, 'a'));
}

TEST(RequestLog, ReplacesEmptyLongOrUnsafeIds) {
  RequestLog log;
  for (std::string bad : {std::string(), std::string(65, 'a'), std::string("a b"), std::string("a\nb"),
                          std::string("x\"y"), std::string("\xc3\xa9"), std::string("a/b")}) {
    const std::string id = log.request_id(bad);
    EXPECT_NE(id, bad);
    EXPECT_TRUE(RequestLog::acceptable(id)) << id;
  }
}

TEST(RequestLog, GeneratedIdsAreDistinctAndShareTheProcessPrefix) {
  RequestLog log;
  std::set<std::string> seen;
  std::string prefix;
  for (int i = 0; i < 1000; ++i) {
    const std::string id = log.request_id("");
    ASSERT_TRUE(seen.insert(id).second) << id;
    const auto dash = id.find('-');
    ASSERT_EQ(dash, 8u) << id;
    if (prefix.empty()) prefix = id.substr(0, dash);
    EXPECT_EQ(id.substr(0, dash), prefix);
  }
}

TEST(RequestLog, FinishAddsTheHeader) {
  RequestLog log;
  HttpRequest req;
  req.method = "GET";
  req.path = "/api/v1/me";
  req.request_id = "abc-1";
  auto entry = log.begin(req);
  HttpResponse r;
  r.status = 401;
  r.error = Errc::kUnauthenticated;
  RequestLog::finish(entry, r);
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].first, "X-Request-Id");
  EXPECT_EQ(r.headers[0].second, "abc-1");
}

}  // namespace
}  // namespace parley::api
