#include "server/net/proxy_header.h"

#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace parley::net {
namespace {

using Source = ProxyHeader::Source;

const std::string kSig("\r\n\r\n\0\r\nQUIT\n", 12);

// A v2 header: signature, version/command, family/transport, length, then `body`.
std::string v2(uint8_t ver_cmd, uint8_t fam, const std::string& body) {
  std::string h = kSig;
  h += static_cast<char>(ver_cmd);
  h += static_cast<char>(fam);
  h += static_cast<char>(body.size() >> 8);
  h += static_cast<char>(body.size() & 0xFF);
  return h + body;
}

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s += static_cast<char>(c);
  return s;
}

// 203.0.113.7:51000 -> 10.0.0.1:8080
const std::string kInet = bytes({203, 0, 113, 7, 10, 0, 0, 1, 0xC7, 0x38, 0x1F, 0x90});

ProxyHeader complete(std::string_view b) {
  auto r = parse_proxy_header(b);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  if (!r.ok() || !*r) {
    ADD_FAILURE() << "incomplete";
    return {};
  }
  return **r;
}

bool incomplete(std::string_view b) {
  auto r = parse_proxy_header(b);
  return r.ok() && !*r;
}

bool invalid(std::string_view b) {
  auto r = parse_proxy_header(b);
  return !r.ok() && r.error().code == Errc::kBadRequest;
}

TEST(ProxyHeader, V1Tcp4NamesTheSourceAndLeavesTheRest) {
  std::string line = "PROXY TCP4 203.0.113.7 10.0.0.1 51000 8080\r\n";
  auto h = complete(line + "GET / HTTP/1.1\r\n");
  EXPECT_EQ(h.source, Source::kClient);
  EXPECT_EQ(h.address, "203.0.113.7");
  EXPECT_EQ(h.length, line.size());
}

TEST(ProxyHeader, V1Tcp6IsWrittenInCanonicalForm) {
  auto h = complete("PROXY TCP6 2001:DB8:0:0:0:0:0:1 ::1 1 65535\r\n");
  EXPECT_EQ(h.source, Source::kClient);
  EXPECT_EQ(h.address, "2001:db8::1");
}

TEST(ProxyHeader, V1UnknownIgnoresTheRestOfTheLine) {
  EXPECT_EQ(complete("PROXY UNKNOWN\r\n").source, Source::kUnknown);
  auto h = complete("PROXY UNKNOWN whatever follows 1 2\r\nrest");
  EXPECT_EQ(h.source, Source::kUnknown);
  EXPECT_EQ(h.length, 36u);
}

TEST(ProxyHeader, V1EveryPrefixOfAValidLineIsIncomplete) {
  std::string line = "PROXY TCP4 203.0.113.7 10.0.0.1 51000 8080\r\n";
  for (std::size_t n = 0; n < line.size(); ++n) EXPECT_TRUE(incomplete(line.substr(0, n))) << n;
}

TEST(ProxyHeader, V1BadLinesAreRefused) {
  EXPECT_TRUE(invalid("PROXY TCP4 203.0.113.7 10.0.0.1 51000 8080\n"));     // no CR
  EXPECT_TRUE(invalid("PROXY TCP4 203.0.113.7 10.0.0.1 51000\r\n"));         // a port missing
  EXPECT_TRUE(invalid("PROXY TCP4 203.0.113.7 10.0.0.1 51000 8080 9\r\n"));  // one field too many
  EXPECT_TRUE(invalid("PROXY TCP4 203.0.113.7  10.0.0.1 51000 8080\r\n"));   // two spaces
  EXPECT_TRUE(invalid("PROXY TCP4 2001:db8::1 10.0.0.1 51000 8080\r\n"));    // family mismatch
  EXPECT_TRUE(invalid("PROXY TCP6 203.0.113.7 ::1 51000 8080\r\n"));
  EXPECT_TRUE(invalid("PROXY TCP4 203.0.113.256 10.0.0.1 1 2\r\n"));
  EXPECT_TRUE(invalid("PROXY TCP4 203.0.113.7 10.0.0.1 65536 8080\r\n"));
  EXPECT_TRUE(invalid("PROXY TCP4 203.0.113.7 10.0.0.1 08080 80\r\n"));
  EXPECT_TRUE(invalid("PROXY TCP4 203.0.113.7 10.0.0.1 -1 80\r\n"));
  EXPECT_TRUE(invalid("PROXY UDP4 203.0.113.7 10.0.0.1 1 2\r\n"));
  EXPECT_TRUE(invalid("PROXY TCP4 203.0.113.7\t10.0.0.1 1 2\r\n"));  // a control byte
  EXPECT_TRUE(invalid("PROXY TCP4 203.0.113.7\x01"));                  // ... seen before the end
}

TEST(ProxyHeader, V1LineLongerThan107BytesIsRefused) {
  std::string junk = "PROXY UNKNOWN " + std::string(200, 'x');
  EXPECT_TRUE(incomplete(junk.substr(0, 106)));
  EXPECT_TRUE(invalid(junk.substr(0, 107)));
  // Exactly 107 with its CRLF is still accepted.
  std::string edge = "PROXY UNKNOWN " + std::string(107 - 16, 'x') + "\r\n";
  ASSERT_EQ(edge.size(), 107u);
  EXPECT_EQ(complete(edge).length, 107u);
  std::string over = "PROXY UNKNOWN " + std::string(107 - 15, 'x') + "\r\n";
  EXPECT_TRUE(invalid(over));
}

TEST(ProxyHeader, WrongSignatureIsRefusedAtTheFirstDifferentByte) {
  EXPECT_TRUE(invalid("GET / HTTP/1.1\r\n\r\n"));
  EXPECT_TRUE(incomplete("P"));  // 'P' and "PRO" may still become "PROXY "
  EXPECT_TRUE(incomplete("PRO"));
  EXPECT_TRUE(invalid("PROXX"));
  EXPECT_TRUE(invalid("proxy TCP4 1.2.3.4 1.2.3.4 1 2\r\n"));
  EXPECT_TRUE(invalid(std::string("\x16\x03\x01", 3)));  // a TLS ClientHello
  EXPECT_TRUE(invalid(kSig.substr(0, 11) + "X"));
}

TEST(ProxyHeader, V2Inet) {
  std::string h = v2(0x21, 0x11, kInet);
  auto p = complete(h + "\x16\x03\x01");
  EXPECT_EQ(p.source, Source::kClient);
  EXPECT_EQ(p.address, "203.0.113.7");
  EXPECT_EQ(p.length, 28u);
}

TEST(ProxyHeader, V2Inet6AndTlvsAreSkipped) {
  std::string addrs = bytes({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x42});
  addrs += std::string(15, '\0') + '\x01';  // ::1
  addrs += bytes({0xC7, 0x38, 0x1F, 0x90});
  std::string tlv = bytes({0x01, 0x00, 0x02, 'h', '2'});  // PP2_TYPE_ALPN "h2"
  auto p = complete(v2(0x21, 0x21, addrs + tlv));
  EXPECT_EQ(p.source, Source::kClient);
  EXPECT_EQ(p.address, "2001:db8::42");
  EXPECT_EQ(p.length, 16u + 36 + 5);
}

TEST(ProxyHeader, V2MappedInet6IsWrittenAsMapped) {
  std::string addrs = std::string(10, '\0') + bytes({0xFF, 0xFF, 198, 51, 100, 9});
  addrs += std::string(16, '\0') + bytes({0, 1, 0, 2});
  EXPECT_EQ(complete(v2(0x21, 0x21, addrs)).address, "::ffff:198.51.100.9");
}

TEST(ProxyHeader, V2LocalIgnoresTheAddresses) {
  EXPECT_EQ(complete(v2(0x20, 0x00, "")).source, Source::kLocal);
  auto p = complete(v2(0x20, 0x11, kInet));
  EXPECT_EQ(p.source, Source::kLocal);
  EXPECT_TRUE(p.address.empty());
}

TEST(ProxyHeader, V2ProxyWithoutAnInternetAddressIsUnknown) {
  EXPECT_EQ(complete(v2(0x21, 0x00, "")).source, Source::kUnknown);
  EXPECT_EQ(complete(v2(0x21, 0x31, std::string(216, '\0'))).source, Source::kUnknown);
}

TEST(ProxyHeader, V2EveryPrefixIsIncomplete) {
  std::string h = v2(0x21, 0x11, kInet);
  for (std::size_t n = 0; n < h.size(); ++n) EXPECT_TRUE(incomplete(h.substr(0, n))) << n;
}

TEST(ProxyHeader, V2BadHeadersAreRefused) {
  EXPECT_TRUE(invalid(v2(0x11, 0x11, kInet)));  // version 1 in a v2 header
  EXPECT_TRUE(invalid(v2(0x31, 0x11, kInet)));
  EXPECT_TRUE(invalid(v2(0x22, 0x11, kInet)));  // command 2
  EXPECT_TRUE(invalid(kSig + "\x22"));           // ... seen before the length arrives
  EXPECT_TRUE(invalid(v2(0x21, 0x41, kInet)));  // family 4
  EXPECT_TRUE(invalid(v2(0x21, 0x13, kInet)));  // transport 3
  EXPECT_TRUE(invalid(v2(0x21, 0x12, kInet)));  // DGRAM
  EXPECT_TRUE(invalid(v2(0x21, 0x10, kInet)));  // INET over UNSPEC transport
  EXPECT_TRUE(invalid(v2(0x21, 0x11, kInet.substr(0, 11))));  // too short for INET
  EXPECT_TRUE(invalid(v2(0x21, 0x21, kInet)));                // too short for INET6
  EXPECT_TRUE(invalid(v2(0x21, 0x31, std::string(215, '\0'))));
}

TEST(ProxyHeader, V2OversizedIsRefusedFromItsLengthAlone) {
  std::string head = kSig + bytes({0x21, 0x11, 0x02, 0x09});  // declares 521 bytes: 537 in all
  EXPECT_TRUE(invalid(head));
  EXPECT_TRUE(invalid(kSig + bytes({0x21, 0x11, 0xFF, 0xFF})));
  // 536 in all is the most accepted.
  auto p = complete(v2(0x21, 0x11, kInet + std::string(kProxyHeaderMaxBytes - 16 - 12, '\0')));
  EXPECT_EQ(p.length, kProxyHeaderMaxBytes);
}

TEST(ProxyHeader, TruncatedNeverCompletesAndGarbageNeverAsksForMoreThanTheLimit) {
  // Whatever the bytes, once kProxyHeaderMaxBytes have arrived the answer is final.
  std::vector<std::string> inputs = {std::string(kProxyHeaderMaxBytes, 'P'),
                                     "PROXY " + std::string(kProxyHeaderMaxBytes, ' '),
                                     kSig + std::string(kProxyHeaderMaxBytes, '\0')};
  for (const auto& in : inputs) EXPECT_FALSE(incomplete(in));
}

}  // namespace
}  // namespace parley::net
