#include "server/push/https_client.h"

#include <gtest/gtest.h>

namespace parley::push {
namespace {

TEST(PublicAddress, RefusesTheServersOwnNetworks) {
  for (const char* a : {"127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254",
                        "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fc00::1",
                        "fd12:3456::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "not an address"})
    EXPECT_FALSE(is_public_address(a)) << a;
}

TEST(PublicAddress, AcceptsPublicOnes) {
  for (const char* a : {"8.8.8.8", "142.250.185.10", "172.32.0.1", "192.169.0.1", "2001:4860:4860::8888",
                        "::ffff:8.8.8.8"})
    EXPECT_TRUE(is_public_address(a)) << a;
}

}  // namespace
}  // namespace parley::push
