#include "server/api/ice_servers.h"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

namespace parley::api {
namespace {

// Expected values computed independently:
//   printf '%s' "1700003600:42" | openssl dgst -sha1 -hmac "s3cret-shared-with-coturn" -binary | base64
TEST(IceServers, TurnCredentialIsBase64OfHmacSha1OfTheUsername) {
  EXPECT_EQ(turn_credential("s3cret-shared-with-coturn", "1700003600:42"), "qOW9urrl4OYyH7wPhqytpFRDAeg=");
  EXPECT_EQ(turn_credential("k", "1700000060:7"), "jZSZ2/Bcjuyyo31i4rMMobLhwgQ=");
}

TEST(IceServers, UsernameIsTheExpiryAndTheUserAndStunComesFirst) {
  IceConfig c;
  c.stun_urls = {"stun:stun.example.com:3478"};
  c.turn_urls = {"turn:turn.example.com:3478?transport=udp", "turns:turn.example.com:5349"};
  c.secret = "s3cret-shared-with-coturn";
  c.ttl_s = 3600;
  const auto o = ice_servers_json(c, 42, 1700000000);
  EXPECT_EQ(boost::json::serialize(o),
            R"({"ice_servers":[{"urls":["stun:stun.example.com:3478"]},)"
            R"({"urls":["turn:turn.example.com:3478?transport=udp","turns:turn.example.com:5349"],)"
            R"("username":"1700003600:42","credential":"qOW9urrl4OYyH7wPhqytpFRDAeg="}],"ttl_s":3600})");
}

TEST(IceServers, NothingConfiguredIsAnEmptyList) {
  EXPECT_EQ(boost::json::serialize(ice_servers_json(IceConfig{}, 1, 5)), R"({"ice_servers":[],"ttl_s":3600})");
}

TEST(IceServers, ValidationRefusesWrongSchemesAndTurnWithoutASecret) {
  IceConfig c;
  EXPECT_TRUE(validate(c).ok());
  c.stun_urls = {"http://stun.example.com"};
  EXPECT_FALSE(validate(c).ok());
  c.stun_urls = {"stuns:stun.example.com"};
  EXPECT_TRUE(validate(c).ok());
  c.turn_urls = {"turn:turn.example.com"};
  EXPECT_FALSE(validate(c).ok());  // no secret
  c.secret = "x";
  EXPECT_TRUE(validate(c).ok());
  c.turn_urls = {"stun:turn.example.com"};
  EXPECT_FALSE(validate(c).ok());
}

}  // namespace
}  // namespace parley::api
