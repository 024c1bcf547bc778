#include "server/api/wire.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace parley::api {
namespace {

store::ConversationRecord direct_conversation() {
  store::ConversationRecord c;
  c.id = 7;
  c.kind = "direct";
  c.last_seq = 12;
  c.members = {{{1, "alice", "Alice", 0}, 12, 12, 0}, {{2, "bob", "Bob", 0}, 12, 9, 0}};
  return c;
}

TEST(Wire, ConversationShowsThePeerAndTheViewersUnreadCount) {
  auto c = direct_conversation();
  auto as_bob = wire::conversation(c, 2);
  EXPECT_EQ(as_bob["peer"].as_object()["username"].as_string(), "alice");
  EXPECT_EQ(as_bob["unread"].as_int64(), 3);
  auto as_alice = wire::conversation(c, 1);
  EXPECT_EQ(as_alice["peer"].as_object()["username"].as_string(), "bob");
  EXPECT_EQ(as_alice["unread"].as_int64(), 0);
  EXPECT_TRUE(as_alice["last_message"].is_null());
}

TEST(Wire, ErrorFrameCarriesCodeIdAndRetryAfterForRateLimits) {
  Error e = Error::make(Errc::kRateLimited, "slow down");
  e.retry_after_ms = 250;
  auto v = boost::json::parse(wire::error_frame("r1", e)).as_object();
  EXPECT_EQ(v["type"].as_string(), "error");
  EXPECT_EQ(v["id"].as_string(), "r1");
  EXPECT_EQ(v["code"].as_string(), "rate_limited");
  EXPECT_EQ(v["retry_after_ms"].as_int64(), 250);
  auto body = boost::json::parse(wire::error_body(Error::make(Errc::kNotFound, "x"))).as_object();
  EXPECT_EQ(body["error"].as_object()["code"].as_string(), "not_found");
}


// Records covering every optional part of a message and a conversation, with the exact
// encoding clients get (key order included).
std::vector<store::MessageRecord> sample_messages() {
  std::vector<store::MessageRecord> ms;
  store::MessageRecord m;
  m.id = 41;
  m.conversation_id = 7;
  m.seq = 3;
  m.sender_id = 2;
  m.client_id = "c-\"1\"";
  m.kind = "text";
  m.text = std::string("quote \" backslash \\ nl \n tab \t cr \r bs \b ff \f nul ") + '\0' +
           " x01 \x01 x1f \x1f del \x7f h\xC3\xA9llo \xF0\x9F\x91\x8B";
  m.ts = 1700000000123;
  m.version = 99;
  ms.push_back(m);  // 0: plain text, every escape

  store::MessageRecord e = m;
  e.text = "";
  e.edited_at = 1700000000500;
  e.deleted_at = 1700000000600;
  e.reactions = {{1, "\xF0\x9F\x91\x8D", 0}};
  ms.push_back(e);  // 1: edited, then deleted (reactions dropped)

  store::MessageRecord h = m;
  h.text = "";
  h.hidden = true;
  h.reply_to = 2;
  h.forwarded = true;
  h.reactions = {{1, "\xF0\x9F\x91\x8D", 0}};
  ms.push_back(h);  // 2: hidden (no reply_to, forwarded or reactions)

  store::MessageRecord r = m;
  r.text = "re";
  r.reply_to = 2;
  r.forwarded = true;
  r.reactions = {{1, "\xF0\x9F\x91\x8D", 0}, {3, "\xE2\x9D\xA4", 0}, {2, "\xF0\x9F\x91\x8D", 0}};
  ms.push_back(r);  // 3: a forwarded reply with reactions grouped by emoji

  store::MessageRecord s = m;
  s.kind = "system";
  s.text = R"({"event":"member_added","user_ids":[3]})";
  ms.push_back(s);  // 4: a system event as an object
  s.text = "[1]";
  ms.push_back(s);  // 5: a system text that is not an object

  for (const char* kind : {"image", "file", "voice", "video"}) {
    store::MessageRecord a = m;
    a.kind = kind;
    a.text = "cap";
    a.media_id = "m1";
    a.attachment = R"({"media_id":"m1","width":4,"height":3})";
    ms.push_back(a);  // 6..9: an attachment under its kind
  }
  store::MessageRecord bad = m;
  bad.kind = "image";
  bad.attachment = "{broken";
  ms.push_back(bad);  // 10: an attachment that does not parse is left out
  return ms;
}

// The exact encodings of sample_messages(), in order. Control characters are escaped
// (\u00XX where JSON has no short form); DEL and UTF-8 pass through unchanged.
const std::string kSampleMessages[] = {
    R"js({"id":41,"conversation_id":7,"seq":3,"sender_id":2,"client_id":"c-\"1\"","kind":"text","text":"quote \" backslash \\ nl \n tab \t cr \r bs \b ff \f nul \u0000 x01 \u0001 x1f \u001f del )js" "\x7f" R"js( héllo 👋","ts":1700000000123,"version":99})js",
    R"js({"id":41,"conversation_id":7,"seq":3,"sender_id":2,"client_id":"c-\"1\"","kind":"text","text":"","ts":1700000000123,"version":99,"edited_at":1700000000500,"deleted":true,"deleted_at":1700000000600})js",
    R"js({"id":41,"conversation_id":7,"seq":3,"sender_id":2,"client_id":"c-\"1\"","kind":"text","text":"","ts":1700000000123,"version":99,"hidden":true})js",
    R"js({"id":41,"conversation_id":7,"seq":3,"sender_id":2,"client_id":"c-\"1\"","kind":"text","text":"re","ts":1700000000123,"version":99,"reply_to":2,"forwarded":true,"reactions":[{"emoji":"👍","user_ids":[1,2]},{"emoji":"❤","user_ids":[3]}]})js",
    R"js({"id":41,"conversation_id":7,"seq":3,"sender_id":2,"client_id":"c-\"1\"","kind":"system","text":"{\"event\":\"member_added\",\"user_ids\":[3]}","ts":1700000000123,"version":99,"system":{"event":"member_added","user_ids":[3]}})js",
    R"js({"id":41,"conversation_id":7,"seq":3,"sender_id":2,"client_id":"c-\"1\"","kind":"system","text":"[1]","ts":1700000000123,"version":99})js",
    R"js({"id":41,"conversation_id":7,"seq":3,"sender_id":2,"client_id":"c-\"1\"","kind":"image","text":"cap","ts":1700000000123,"version":99,"image":{"media_id":"m1","width":4,"height":3}})js",
    R"js({"id":41,"conversation_id":7,"seq":3,"sender_id":2,"client_id":"c-\"1\"","kind":"file","text":"cap","ts":1700000000123,"version":99,"file":{"media_id":"m1","width":4,"height":3}})js",
    R"js({"id":41,"conversation_id":7,"seq":3,"sender_id":2,"client_id":"c-\"1\"","kind":"voice","text":"cap","ts":1700000000123,"version":99,"voice":{"media_id":"m1","width":4,"height":3}})js",
    R"js({"id":41,"conversation_id":7,"seq":3,"sender_id":2,"client_id":"c-\"1\"","kind":"video","text":"cap","ts":1700000000123,"version":99,"video":{"media_id":"m1","width":4,"height":3}})js",
    R"js({"id":41,"conversation_id":7,"seq":3,"sender_id":2,"client_id":"c-\"1\"","kind":"image","text":"quote \" backslash \\ nl \n tab \t cr \r bs \b ff \f nul \u0000 x01 \u0001 x1f \u001f del )js" "\x7f" R"js( héllo 👋","ts":1700000000123,"version":99})js",
};

TEST(Wire, MessagesAreEncodedExactly) {
  const auto ms = sample_messages();
  ASSERT_EQ(ms.size(), std::size(kSampleMessages));
  for (std::size_t i = 0; i < ms.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(wire::message_json(ms[i]), kSampleMessages[i]);
    // The object form is the same encoding, parsed.
    EXPECT_EQ(boost::json::serialize(wire::message(ms[i])), kSampleMessages[i]);
    // A page is the array of them; a string is appended to, never replaced.
    std::string page = "x";
    wire::append_messages(page, {ms[i], ms[i]});
    EXPECT_EQ(page, "x[" + kSampleMessages[i] + "," + kSampleMessages[i] + "]");
  }
  std::string empty;
  wire::append_messages(empty, {});
  EXPECT_EQ(empty, "[]");
}

TEST(Wire, TextSurvivesEncodingByteForByte) {
  // Every ASCII byte, NUL last, and characters of two, three and four bytes (stored texts
  // are valid UTF-8: the protocol refuses anything else).
  store::MessageRecord m;
  for (int c = 1; c < 128; ++c) m.text.push_back(static_cast<char>(c));
  m.text += "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";
  m.text.push_back('\0');
  auto v = boost::json::parse(wire::message_json(m)).as_object();
  EXPECT_EQ(std::string_view(v.at("text").as_string()), m.text);
}

// sample_conversations() as viewers 2 and 3 see them.
const std::string kSampleConversations[] = {
    R"js({"id":7,"kind":"direct","peer":{"id":1,"username":"alice","display_name":"Alice"},"members":[{"user":{"id":1,"username":"alice","display_name":"Alice"},"role":"member","delivered_seq":12,"read_seq":12},{"user":{"id":2,"username":"bob","display_name":"Bob"},"role":"member","delivered_seq":12,"read_seq":9}],"last_seq":12,"last_activity":0,"unread":3,"created_at":0,"version":0,"name":"","description":"","member_count":0,"role":"member","left":false,"muted_until":77,"min_delivered_seq":0,"min_read_seq":0,"pinned":true,"pinned_at":5,"archived":false,"last_message":{"id":41,"conversation_id":7,"seq":3,"sender_id":2,"client_id":"c-\"1\"","kind":"text","text":"re","ts":1700000000123,"version":99,"reply_to":2,"forwarded":true,"reactions":[{"emoji":"👍","user_ids":[1,2]},{"emoji":"❤","user_ids":[3]}]}})js",
    R"js({"id":9,"kind":"group","peer":null,"members":[{"user":{"id":3,"username":"carol","display_name":"Deleted account","deleted":true},"role":"admin","delivered_seq":4,"read_seq":4}],"last_seq":6,"last_activity":11,"unread":2,"created_at":10,"version":12,"name":"G \"x\"","description":"d","member_count":3,"role":"admin","left":true,"muted_until":0,"min_delivered_seq":2,"min_read_seq":1,"pinned":false,"pinned_at":null,"archived":true,"last_message":null})js",
};

std::vector<store::ConversationRecord> sample_conversations() {
  store::ConversationRecord c = direct_conversation();
  c.last_message = sample_messages()[3];
  c.pinned_at = 5;
  c.members[1].muted_until = 77;
  store::ConversationRecord g;
  g.id = 9;
  g.kind = "group";
  g.name = "G \"x\"";
  g.description = "d";
  g.member_count = 3;
  g.members = {{{3, "carol", "", 0}, 4, 4, 0, "admin", 0, 6, 0}};  // a deleted account who left
  g.min_delivered_seq = 2;
  g.min_read_seq = 1;
  g.archived = true;
  g.last_seq = 6;
  g.created_at = 10;
  g.last_activity = 11;
  g.version = 12;
  return {c, g};
}

TEST(Wire, ConversationsAreEncodedExactly) {
  const auto cs = sample_conversations();
  const int64_t viewers[] = {2, 3};
  for (std::size_t i = 0; i < cs.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(boost::json::serialize(wire::conversation(cs[i], viewers[i])), kSampleConversations[i]);
  }
  std::string list;
  wire::append_conversations(list, cs, 2);
  EXPECT_EQ(boost::json::parse(list).as_array().size(), 2u);
  EXPECT_TRUE(list.starts_with("[" + kSampleConversations[0] + ","));
}

TEST(Wire, OneConversationAnswersAreEncodedExactly) {
  const auto cs = sample_conversations();
  EXPECT_EQ(wire::conversation_json(cs[0], 2), kSampleConversations[0]);
  EXPECT_EQ(wire::conversation_answer(cs[0], 2), "{\"conversation\":" + kSampleConversations[0] + "}");
  EXPECT_EQ(wire::conversation_answer(cs[1], 3, true),
            "{\"conversation\":" + kSampleConversations[1] + ",\"created\":true}");
  EXPECT_EQ(wire::conversation_answer(cs[1], 3, false),
            "{\"conversation\":" + kSampleConversations[1] + ",\"created\":false}");
}

}  // namespace
}  // namespace parley::api
