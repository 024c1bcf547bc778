#include "server/api/address_list.h"

#include <gtest/gtest.h>

namespace parley::api {
namespace {

TEST(AddressList, MatchesIpv4Ranges) {
  auto l = AddressList::parse("127.0.0.0/8, 10.1.0.0/16,192.168.1.7");
  ASSERT_TRUE(l);
  EXPECT_TRUE(l->contains("127.0.0.1"));
  EXPECT_TRUE(l->contains("127.255.255.255"));
  EXPECT_TRUE(l->contains("10.1.200.3"));
  EXPECT_FALSE(l->contains("10.2.0.1"));
  EXPECT_TRUE(l->contains("192.168.1.7"));
  EXPECT_FALSE(l->contains("192.168.1.8")) << "a bare address is one host";
  EXPECT_FALSE(l->contains("128.0.0.1"));
}

TEST(AddressList, MatchesIpv6AndIpv4MappedPeers) {
  auto l = AddressList::parse("::1,fd00::/8,127.0.0.0/8");
  ASSERT_TRUE(l);
  EXPECT_TRUE(l->contains("::1"));
  EXPECT_FALSE(l->contains("::2"));
  EXPECT_TRUE(l->contains("fd12:3456::1"));
  EXPECT_FALSE(l->contains("fe80::1"));
  EXPECT_TRUE(l->contains("::ffff:127.0.0.1")) << "a dual-stack socket's IPv4 peer";
  EXPECT_FALSE(l->contains("::ffff:10.0.0.1"));
}

TEST(AddressList, PrefixBoundariesAreExact) {
  auto l = AddressList::parse("10.0.0.0/9,2001:db8::/33");
  ASSERT_TRUE(l);
  EXPECT_TRUE(l->contains("10.127.255.255"));
  EXPECT_FALSE(l->contains("10.128.0.0"));
  EXPECT_TRUE(l->contains("2001:db8:7fff::1"));
  EXPECT_FALSE(l->contains("2001:db8:8000::1"));
}

TEST(AddressList, ZeroPrefixesMatchEverything) {
  auto l = AddressList::parse("0.0.0.0/0");
  ASSERT_TRUE(l);
  EXPECT_TRUE(l->contains("8.8.8.8"));
  EXPECT_FALSE(l->contains("2001:db8::1")) << "an IPv4 range holds no IPv6 address";
  EXPECT_TRUE(AddressList::parse("::/0")->contains("2001:db8::1"));
}

TEST(AddressList, EmptyMatchesNothingAndGarbageIsNoAddress) {
  auto l = AddressList::parse("");
  ASSERT_TRUE(l);
  EXPECT_FALSE(l->contains("127.0.0.1"));
  EXPECT_FALSE(AddressList::parse("127.0.0.0/8")->contains("localhost"));
  EXPECT_FALSE(AddressList::parse("127.0.0.0/8")->contains(""));
}

TEST(AddressList, RefusesBadEntries) {
  for (const char* bad : {"localhost", "127.0.0.0/33", "::1/129", "10.0.0.0/", "10.0.0.0/x", "10.0.0/8",
                          "1.2.3.4/8/8", "10.0.0.0/-1"}) {
    auto l = AddressList::parse(bad);
    ASSERT_FALSE(l) << bad;
    EXPECT_EQ(l.error().code, Errc::kInvalidArgument);
  }
}

}  // namespace
}  // namespace parley::api
