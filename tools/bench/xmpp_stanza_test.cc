#include "xmpp_stanza.h"

#include <gtest/gtest.h>

namespace bench {
namespace {

TEST(XmppStanza, FindsNameAttributesAndBody) {
  Stanza s = scan_stanza(
      "<message xmlns='jabber:client' from=\"a@b/c\" type='chat' id='12.34'><body>t0001xx</body>"
      "<request xmlns='urn:xmpp:receipts'/></message>");
  EXPECT_EQ(s.name, "message");
  EXPECT_EQ(s.attr("id"), "12.34");
  EXPECT_EQ(s.attr("from"), "a@b/c");
  EXPECT_EQ(s.attr("type"), "chat");
  EXPECT_EQ(s.attr("to"), "");
  EXPECT_EQ(s.child_text("body"), "t0001xx");
  EXPECT_TRUE(s.has_child("request"));
  EXPECT_FALSE(s.has_child("received"));
}

TEST(XmppStanza, AttributeNameMustStandAlone) {
  Stanza s = scan_stanza("<a xmlns='urn:xmpp:sm:3' xh='1' h='42'/>");
  EXPECT_EQ(s.name, "a");
  EXPECT_EQ(s.attr("h"), "42");
}

TEST(XmppStanza, ChildNameIsNotAPrefixMatch) {
  Stanza s = scan_stanza("<message><bodyx>no</bodyx><body>yes</body></message>");
  EXPECT_EQ(s.child_text("body"), "yes");
  EXPECT_EQ(scan_stanza("<message><body/></message>").child_text("body"), "");
}

TEST(XmppStanza, PrefixedNamesAndDeclarations) {
  Stanza s = scan_stanza("<?xml version='1.0'?><stream:features><mechanisms/></stream:features>");
  EXPECT_EQ(s.name, "stream:features");
  EXPECT_TRUE(s.has_child("mechanisms"));
  EXPECT_EQ(scan_stanza("no element").name, "");
}

TEST(XmppStanza, Base64MatchesRfc4648Vectors) {
  EXPECT_EQ(base64(""), "");
  EXPECT_EQ(base64("f"), "Zg==");
  EXPECT_EQ(base64("fo"), "Zm8=");
  EXPECT_EQ(base64("foo"), "Zm9v");
  EXPECT_EQ(base64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64(std::string_view("\0u\0p", 4)), "AHUAcA==");
}

TEST(XmppStanza, ParseDecimalRejectsAnythingElse) {
  EXPECT_EQ(parse_decimal("0"), 0u);
  EXPECT_EQ(parse_decimal("18446744073709551"), 18446744073709551u);
  EXPECT_EQ(parse_decimal(""), UINT64_MAX);
  EXPECT_EQ(parse_decimal("12a"), UINT64_MAX);
  EXPECT_EQ(parse_decimal("-1"), UINT64_MAX);
}

}  // namespace
}  // namespace bench
