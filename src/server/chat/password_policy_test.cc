#include "server/chat/password_policy.h"

#include <gtest/gtest.h>

namespace parley::chat {
namespace {

bool weak(std::string_view password, std::string_view username = "someone") {
  auto s = check_password_strength(password, username);
  if (!s.ok()) EXPECT_EQ(s.error().code, Errc::kWeakPassword);
  return !s.ok();
}

TEST(PasswordPolicy, CommonPasswordsAreRefusedWhateverTheirCase) {
  EXPECT_TRUE(weak("password"));
  EXPECT_TRUE(weak("PASSWORD"));
  EXPECT_TRUE(weak("Password1"));
  EXPECT_TRUE(weak("12345678"));
  EXPECT_TRUE(weak("123456789"));
  EXPECT_TRUE(weak("qwertyuiop"));
  EXPECT_TRUE(weak("1q2w3e4r"));
  EXPECT_TRUE(weak("iloveyou"));
  EXPECT_TRUE(weak("11111111"));
  EXPECT_TRUE(weak("Football2024"));
}

TEST(PasswordPolicy, BlankAndUsernamePasswordsAreRefused) {
  EXPECT_TRUE(weak("        "));
  EXPECT_TRUE(weak(" \t\n \r\t  "));
  EXPECT_TRUE(weak("Gatekeeper", "gatekeeper"));
}

TEST(PasswordPolicy, UncommonPasswordsPass) {
  EXPECT_FALSE(weak("correct horse battery staple"));
  EXPECT_FALSE(weak("pw-alice-secret"));
  EXPECT_FALSE(weak("  not blank  "));
  EXPECT_FALSE(weak("gatekeeper!", "gatekeeper"));  // only equality is checked
  EXPECT_FALSE(weak("motörhead-fan-1975"));
}

}  // namespace
}  // namespace parley::chat
