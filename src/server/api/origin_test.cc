#include "server/api/origin.h"

#include <gtest/gtest.h>

namespace parley::api {
namespace {

const Arrival kHttp8080{false, 8080};
const Arrival kHttps8443{true, 8443};

TEST(ParseOrigin, FillsDefaultPortsAndLowerCases) {
  EXPECT_EQ(parse_origin("https://Chat.Example.COM"), (WebOrigin{"https", "chat.example.com", 443}));
  EXPECT_EQ(parse_origin("HTTP://127.0.0.1:8080"), (WebOrigin{"http", "127.0.0.1", 8080}));
  EXPECT_EQ(parse_origin("http://[::1]:9"), (WebOrigin{"http", "[::1]", 9}));
  EXPECT_EQ(parse_origin("http://a.example:80"), parse_origin("http://a.example"));
}

TEST(ParseOrigin, RefusesWhatIsNotATupleOrigin) {
  for (const char* bad : {"null", "", "chat.example.com", "ftp://x.example", "http://", "http://x.example/",
                          "http://x.example/path", "http://x.example:", "http://x.example:0", "http://x.example:65536",
                          "http://x.example:8o", "http://user@x.example", "http://[::1", "http://x example",
                          "http://x.example?q", "*"})
    EXPECT_FALSE(parse_origin(bad).has_value()) << bad;
}

TEST(ParseHost, SplitsHostAndOptionalPort) {
  auto h = parse_host("Chat.Example.com:8443");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->host, "chat.example.com");
  EXPECT_EQ(h->port, 8443);
  EXPECT_EQ(parse_host("[::1]")->port, 0);
  EXPECT_EQ(parse_host("[::1]:7")->host, "[::1]");
  EXPECT_FALSE(parse_host(""));
  EXPECT_FALSE(parse_host("x.example:"));
  EXPECT_FALSE(parse_host("x.example:port"));
}

TEST(IsLoopbackHost, KnowsTheLoopbackNames) {
  for (const char* h : {"localhost", "LOCALHOST", "app.localhost", "127.0.0.1", "127.255.0.9", "[::1]"})
    EXPECT_TRUE(is_loopback_host(h)) << h;
  for (const char* h : {"localhost.evil.example", "127.0.0.1.evil.example", "127.0.0.256", "127.1", "128.0.0.1",
                        "10.0.0.1", "[::2]", "evil.example", "localhostx", ""})
    EXPECT_FALSE(is_loopback_host(h)) << h;
}

TEST(OriginPolicy, NoOriginIsNotABrowserPageAndPasses) {
  OriginPolicy p;
  EXPECT_TRUE(p.allows("", "anything.example", kHttp8080));
}

TEST(OriginPolicy, DefaultAcceptsLoopbackWithOwnSchemeAndPortOnly) {
  OriginPolicy p;
  EXPECT_TRUE(p.allows("http://127.0.0.1:8080", "127.0.0.1:8080", kHttp8080));
  EXPECT_TRUE(p.allows("http://localhost:8080", "localhost:8080", kHttp8080));
  EXPECT_TRUE(p.allows("http://[::1]:8080", "[::1]:8080", kHttp8080));
  EXPECT_TRUE(p.allows("https://localhost:8443", "localhost:8443", kHttps8443));
  EXPECT_FALSE(p.allows("https://127.0.0.1:8080", "127.0.0.1:8080", kHttp8080)) << "scheme differs";
  EXPECT_FALSE(p.allows("http://localhost:8443", "localhost:8443", kHttps8443)) << "scheme differs";
  EXPECT_FALSE(p.allows("http://127.0.0.1:8081", "127.0.0.1:8080", kHttp8080)) << "port differs";
  EXPECT_FALSE(p.allows("http://127.0.0.1", "127.0.0.1:8080", kHttp8080)) << "port 80 is not 8080";
  EXPECT_FALSE(p.allows("http://192.168.1.5:8080", "192.168.1.5:8080", kHttp8080)) << "not loopback";
  EXPECT_FALSE(p.allows("null", "127.0.0.1:8080", kHttp8080));
}

TEST(OriginPolicy, HostEqualToOriginIsNotEnough) {
  // DNS rebinding: the page at evil.example sends Origin and Host both evil.example.
  OriginPolicy p;
  EXPECT_FALSE(p.allows("http://evil.example:8080", "evil.example:8080", kHttp8080));
  EXPECT_FALSE(p.allows("http://evil.example", "evil.example", kHttp8080));
  EXPECT_FALSE(p.allows("http://localhost:8080", "evil.example:8080", kHttp8080)) << "foreign Host";
  EXPECT_FALSE(p.allows("http://localhost:8080", "", kHttp8080)) << "no Host";
}

TEST(OriginPolicy, PublicOriginsReplaceTheLoopbackDefault) {
  auto p = OriginPolicy::make({"https://chat.example.com"}, {});
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->allows("https://chat.example.com", "chat.example.com", kHttp8080));
  EXPECT_TRUE(p->allows("https://chat.example.com:443", "chat.example.com:443", kHttp8080));
  EXPECT_TRUE(p->allows("https://chat.example.com", "127.0.0.1:8080", kHttp8080)) << "a proxy rewriting Host";
  EXPECT_FALSE(p->allows("http://chat.example.com", "chat.example.com", kHttp8080)) << "scheme";
  EXPECT_FALSE(p->allows("https://chat.example.com:8443", "chat.example.com:8443", kHttp8080)) << "port";
  EXPECT_FALSE(p->allows("http://127.0.0.1:8080", "127.0.0.1:8080", kHttp8080)) << "loopback not listed";
  EXPECT_FALSE(p->allows("https://chat.example.com", "evil.example", kHttp8080)) << "Host not ours";
  EXPECT_FALSE(p->allows("https://chat.example.com", "chat.example.com:8443", kHttp8080)) << "Host port";
}

TEST(OriginPolicy, AllowedOriginsAddToEitherMode) {
  auto p = OriginPolicy::make({}, {"https://app.example.com"});
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->allows("https://app.example.com", "127.0.0.1:8080", kHttp8080));
  EXPECT_TRUE(p->allows("http://127.0.0.1:8080", "127.0.0.1:8080", kHttp8080)) << "loopback still default";
  EXPECT_FALSE(p->allows("https://app.example.com.evil.example", "127.0.0.1:8080", kHttp8080));
  EXPECT_FALSE(p->allows("http://app.example.com", "127.0.0.1:8080", kHttp8080));
}

TEST(OriginPolicy, RefusesConfigurationThatIsNotAnOrigin) {
  for (const char* bad : {"*", "chat.example.com", "https://chat.example.com/", "null"}) {
    auto p = OriginPolicy::make({bad}, {});
    ASSERT_FALSE(p) << bad;
    EXPECT_EQ(p.error().code, Errc::kInvalidArgument);
    EXPECT_NE(p.error().message.find("--public-origin"), std::string::npos);
    EXPECT_FALSE(OriginPolicy::make({}, {bad})) << bad;
  }
}

}  // namespace
}  // namespace parley::api
