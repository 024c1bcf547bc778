#include "server/chat/credentials.h"

#include <gtest/gtest.h>

namespace parley::chat {
namespace {

class Credentials : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { init_crypto(); }
};

TEST_F(Credentials, PasswordHashIsArgon2idWithAtLeastOwaspParameters) {
  auto h = hash_password("correct horse");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->rfind("$argon2id$", 0), 0u) << *h;
  EXPECT_NE(h->find("m=19456"), std::string::npos) << *h;  // 19 MiB in KiB
  EXPECT_NE(h->find("t=2"), std::string::npos) << *h;
  EXPECT_TRUE(verify_password(*h, "correct horse"));
  EXPECT_FALSE(verify_password(*h, "correct horsE"));
  EXPECT_FALSE(verify_password("garbage", "x"));
}

TEST_F(Credentials, TokensAre256RandomBitsInBase64url) {
  std::string a = new_token(), b = new_token();
  EXPECT_EQ(a.size(), 43u);
  EXPECT_NE(a, b);
  for (char c : a) EXPECT_TRUE(isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_');
}

TEST_F(Credentials, TokenHashIsStableHexSha256) {
  EXPECT_EQ(token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace parley::chat
