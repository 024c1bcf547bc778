// libparley over TLS: with the server's certificate trusted, cores chat over https/wss;
// a certificate that is not trusted, or that names another host, is refused.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "client/testing/self_signed.h"
#include "client/testing/server_process.h"
#include "client/testing/test_client.h"

namespace parley::client::testing {
namespace {

namespace json = boost::json;

class ClientTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cert_ = server_.scratch() + "/cert.pem";
    const std::string key = server_.scratch() + "/key.pem";
    ASSERT_TRUE(write_self_signed("localhost", cert_, key));
    server_.use_tls(cert_, key);
    ASSERT_TRUE(server_.start());
  }
  std::string db(const std::string& name) { return server_.scratch() + "/" + name + ".db"; }
  std::string cert_;
  ServerProcess server_;
};

TEST_F(ClientTlsTest, WithTheCertificateTrustedTwoCoresChatOverTls) {
  TestClient alice(server_.url(), db("alice"), {{"ca_file", cert_}});
  alice.register_user("alice");
  TestClient bob(server_.url(), db("bob"), {{"ca_file", cert_}});
  bob.register_user("bob");
  const int64_t chat = alice.open_direct("bob");
  alice.send_text(chat, "over tls");
  auto got = bob.wait_for([](const Update& u) {
    return str(u, "type") == "new_message" && str(u.at("message").as_object(), "text") == "over tls";
  });
  EXPECT_EQ(str(got, "type"), "new_message");
}

TEST_F(ClientTlsTest, AnUntrustedCertificateIsRefused) {
  // The system's roots do not include the test's self-signed certificate.
  TestClient alice(server_.url(), db("alice"));
  auto a = alice.call({{"type", "register"}, {"username", "alice"}, {"password", "pw-alice-long-enough"}});
  EXPECT_EQ(str(a, "code"), "unavailable") << json::serialize(a);
}

TEST_F(ClientTlsTest, ACertificateForAnotherNameIsRefused) {
  // Trusted, but it names "localhost" and the client asked for 127.0.0.1.
  TestClient alice("https://127.0.0.1:" + std::to_string(server_.port()), db("alice"), {{"ca_file", cert_}});
  auto a = alice.call({{"type", "register"}, {"username", "alice"}, {"password", "pw-alice-long-enough"}});
  EXPECT_EQ(str(a, "code"), "unavailable") << json::serialize(a);
}

TEST_F(ClientTlsTest, AMissingCaFileIsReportedWhenConnecting) {
  TestClient alice(server_.url(), db("alice"), {{"ca_file", server_.scratch() + "/no-such.pem"}});
  auto a = alice.call({{"type", "register"}, {"username", "alice"}, {"password", "pw-alice-long-enough"}});
  EXPECT_EQ(str(a, "code"), "unavailable") << json::serialize(a);
}

}  // namespace
}  // namespace parley::client::testing
