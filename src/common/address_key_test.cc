#include "common/address_key.h"

#include <gtest/gtest.h>

namespace parley {
namespace {

TEST(AddressKey, Ipv4CountsAsItself) {
  EXPECT_EQ(address_key("127.0.0.1"), "127.0.0.1");
  EXPECT_EQ(address_key("203.0.113.9"), "203.0.113.9");
}

TEST(AddressKey, Ipv4MappedIpv6CountsAsTheIpv4Address) {
  EXPECT_EQ(address_key("::ffff:203.0.113.9"), "203.0.113.9");
  EXPECT_EQ(address_key("::ffff:cb00:7109"), "203.0.113.9");
}

TEST(AddressKey, EveryAddressOfOneSlash64SharesOneKey) {
  EXPECT_EQ(address_key("2001:db8:1:2::1"), "2001:db8:1:2::/64");
  EXPECT_EQ(address_key("2001:db8:1:2:ffff:ffff:ffff:ffff"), "2001:db8:1:2::/64");
  EXPECT_EQ(address_key("2001:0db8:0001:0002:abcd:0:0:9"), "2001:db8:1:2::/64");
  EXPECT_NE(address_key("2001:db8:1:3::1"), address_key("2001:db8:1:2::1"));
}

TEST(AddressKey, LoopbackAndScopedIpv6) {
  EXPECT_EQ(address_key("::1"), "::/64");
  EXPECT_EQ(address_key("fe80::1%eth0"), "fe80::/64");
}

TEST(AddressKey, NotAnAddressIsReturnedUnchanged) {
  EXPECT_EQ(address_key(""), "");
  EXPECT_EQ(address_key("unix"), "unix");
  EXPECT_EQ(address_key("1.2.3.4.5"), "1.2.3.4.5");
  std::string long_text(200, 'a');
  EXPECT_EQ(address_key(long_text), long_text);
}

}  // namespace
}  // namespace parley
