#include "server/push/vapid.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "server/push/base64url.h"

namespace parley::push {
namespace {

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "parley-vapid-XXXXXX").string();
    path = ::mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

// Splits "vapid t=H.C.S, k=K" and checks the signature with the public key in k.
struct Token {
  boost::json::object header, claims;
  bool signature_valid = false;
  std::string k;
};
Token read_token(const std::string& auth) {
  Token t;
  const auto t_at = auth.find("t="), k_at = auth.find(", k=");
  EXPECT_EQ(auth.rfind("vapid t=", 0), 0u);
  const std::string jwt = auth.substr(t_at + 2, k_at - t_at - 2);
  t.k = auth.substr(k_at + 4);
  const auto d1 = jwt.find('.'), d2 = jwt.rfind('.');
  t.header = boost::json::parse(base64url_decode(jwt.substr(0, d1)).value()).as_object();
  t.claims = boost::json::parse(base64url_decode(jwt.substr(d1 + 1, d2 - d1 - 1)).value()).as_object();
  auto pub = P256Key::from_public(base64url_decode(t.k).value());
  t.signature_valid = pub.ok() && pub->verify_es256(jwt.substr(0, d2), base64url_decode(jwt.substr(d2 + 1)).value());
  return t;
}

TEST(Vapid, TokenIsAnEs256JwtForTheEndpointsOrigin) {
  auto v = Vapid::from_private_base64url("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw", "mailto:ops@example.org");
  ASSERT_TRUE(v.ok());
  auto auth = v->authorization("https://Push.Example.net:8443/wpush/v2/abc?x=1", 1'700'000'000);
  ASSERT_TRUE(auth.ok());
  Token t = read_token(*auth);
  EXPECT_TRUE(t.signature_valid);
  EXPECT_EQ(t.k, v->public_key());
  EXPECT_EQ(t.header.at("alg").as_string(), "ES256");
  EXPECT_EQ(t.claims.at("aud").as_string(), "https://push.example.net:8443");
  EXPECT_EQ(t.claims.at("exp").as_int64(), 1'700'000'000 + 12 * 3600);
  EXPECT_EQ(t.claims.at("sub").as_string(), "mailto:ops@example.org");
}

TEST(Vapid, ATamperedTokenDoesNotVerify) {
  auto v = Vapid::from_private_base64url("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw", "mailto:a@b.c");
  std::string data = "a.b";
  auto sig = v->key().sign_es256(data).value();
  EXPECT_TRUE(v->key().verify_es256(data, sig));
  EXPECT_FALSE(v->key().verify_es256("a.c", sig));
  sig[5] ^= 1;
  EXPECT_FALSE(v->key().verify_es256(data, sig));
}

TEST(Vapid, RefusesEndpointsWithoutOrigin) {
  auto v = Vapid::from_private_base64url("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw", "mailto:a@b.c");
  EXPECT_FALSE(v->authorization("push.example.net/x", 1).ok());
  EXPECT_FALSE(v->authorization("https://user@push.example.net/x", 1).ok());
}

TEST(Vapid, RefusesMalformedConfiguredKeys) {
  EXPECT_FALSE(Vapid::from_private_base64url("not base64!", "s").ok());
  EXPECT_FALSE(Vapid::from_private_base64url(base64url_encode(std::string(32, '\0')), "s").ok());
  EXPECT_FALSE(Vapid::from_private_base64url(base64url_encode(std::string(31, '\1')), "s").ok());
  EXPECT_FALSE(Vapid::from_private_base64url(base64url_encode(std::string(32, '\xff')), "s").ok());  // >= order
}

TEST(Vapid, KeyIsCreatedOnceWithMode0600AndKeptAcrossStarts) {
  TempDir dir;
  auto first = Vapid::load_or_create(dir.path, "mailto:a@b.c");
  ASSERT_TRUE(first.ok()) << first.error().message;
  struct stat st {};
  ASSERT_EQ(::stat((dir.path / "vapid.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto second = Vapid::load_or_create(dir.path, "mailto:a@b.c");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(first->public_key(), second->public_key());
  EXPECT_EQ(base64url_decode(first->public_key())->size(), 65u);
}

TEST(Vapid, AGarbledKeyFileIsAnErrorNotANewKey) {
  TempDir dir;
  std::ofstream(dir.path / "vapid.pem") << "garbage";
  EXPECT_FALSE(Vapid::load_or_create(dir.path, "mailto:a@b.c").ok());
}

}  // namespace
}  // namespace parley::push
