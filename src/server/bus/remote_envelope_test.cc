#include "server/bus/remote_envelope.h"

#include <gtest/gtest.h>

namespace parley::bus {
namespace {

TEST(RemoteEnvelope, FrameTravelsAfterATenByteHeader) {
  RemoteEnvelope e;
  e.origin_node = 0x0102030405060708ULL;
  e.frame = std::make_shared<const std::string>(R"({"type":"message"})");
  const std::string bytes = encode_remote(e);
  EXPECT_EQ(bytes.size(), kRemoteHeaderBytes + e.frame->size());
  auto back = decode_remote(bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->kind, RemoteEnvelope::Kind::kFrame);
  EXPECT_EQ(back->origin_node, e.origin_node);
  EXPECT_EQ(*back->frame, *e.frame);
}

TEST(RemoteEnvelope, RevocationCarriesItsSessionIds) {
  RemoteEnvelope e;
  e.kind = RemoteEnvelope::Kind::kRevokeSessions;
  e.origin_node = 42;
  e.session_ids = {1, -2, 1LL << 40};
  auto back = decode_remote(encode_remote(e));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->kind, RemoteEnvelope::Kind::kRevokeSessions);
  EXPECT_EQ(back->session_ids, e.session_ids);
}

TEST(RemoteEnvelope, SessionFrameCarriesItsSessionsTheExclusionAndTheFrame) {
  RemoteEnvelope e;
  e.kind = RemoteEnvelope::Kind::kSessionFrame;
  e.origin_node = 7;
  e.session_ids = {3, 1LL << 41};
  e.exclude_session = 9;
  e.frame = std::make_shared<const std::string>(R"({"type":"call_ice"})");
  const std::string bytes = encode_remote(e);
  auto back = decode_remote(bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->kind, RemoteEnvelope::Kind::kSessionFrame);
  EXPECT_EQ(back->session_ids, e.session_ids);
  EXPECT_EQ(back->exclude_session, 9);
  EXPECT_EQ(*back->frame, *e.frame);
  // Cut inside the exclusion: refused.
  EXPECT_FALSE(decode_remote(bytes.substr(0, kRemoteHeaderBytes + 4 + 16 + 4)));
}

TEST(RemoteEnvelope, MalformedBytesAreRejected) {
  EXPECT_FALSE(decode_remote(""));
  EXPECT_FALSE(decode_remote(std::string(9, '\1')));
  RemoteEnvelope e;
  e.kind = RemoteEnvelope::Kind::kRevokeSessions;
  e.session_ids = {5, 6};
  std::string bytes = encode_remote(e);
  EXPECT_FALSE(decode_remote(bytes.substr(0, bytes.size() - 1)));  // truncated id
  EXPECT_FALSE(decode_remote(bytes + "x"));                        // trailing byte
  std::string wrong_version = bytes;
  wrong_version[0] = 3;
  EXPECT_FALSE(decode_remote(wrong_version));
  std::string ordered_revocation = bytes;  // order belongs to frames only
  ordered_revocation[0] = 2;
  EXPECT_FALSE(decode_remote(ordered_revocation));
  std::string wrong_kind = bytes;
  wrong_kind[1] = 7;
  EXPECT_FALSE(decode_remote(wrong_kind));
}

TEST(RemoteEnvelope, OrderedFrameIsVersionTwoAndCarriesConversationAndSeq) {
  RemoteEnvelope e;
  e.origin_node = 5;
  e.conversation_id = 1LL << 40;
  e.seq = 11;
  e.frame = std::make_shared<const std::string>(R"({"type":"message"})");
  const std::string bytes = encode_remote(e);
  EXPECT_EQ(static_cast<uint8_t>(bytes[0]), kRemoteOrderedEnvelopeVersion);
  EXPECT_EQ(bytes.size(), kRemoteHeaderBytes + kRemoteOrderBytes + e.frame->size());
  auto back = decode_remote(bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->conversation_id, e.conversation_id);
  EXPECT_EQ(back->seq, 11);
  EXPECT_EQ(*back->frame, *e.frame);

  e.kind = RemoteEnvelope::Kind::kSessionFrame;
  e.session_ids = {4};
  e.exclude_session = 6;
  back = decode_remote(encode_remote(e));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->seq, 11);
  EXPECT_EQ(back->session_ids, e.session_ids);
  EXPECT_EQ(back->exclude_session, 6);
}

TEST(RemoteEnvelope, UnorderedFrameStaysVersionOneAndDecodesWithoutOrder) {
  RemoteEnvelope e;
  e.frame = std::make_shared<const std::string>("{}");
  const std::string bytes = encode_remote(e);  // what an earlier release sends, too
  EXPECT_EQ(static_cast<uint8_t>(bytes[0]), kRemoteEnvelopeVersion);
  auto back = decode_remote(bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->conversation_id, 0);
  EXPECT_EQ(back->seq, 0);
}

TEST(RemoteEnvelope, TruncatedOrNegativeOrderIsRefused) {
  RemoteEnvelope e;
  e.conversation_id = 3;
  e.seq = 4;
  const std::string bytes = encode_remote(e);  // no frame: header and order only
  ASSERT_EQ(bytes.size(), kRemoteHeaderBytes + kRemoteOrderBytes);
  EXPECT_TRUE(decode_remote(bytes));
  EXPECT_FALSE(decode_remote(std::string_view(bytes).substr(0, bytes.size() - 1)));
  std::string negative = bytes;
  negative[kRemoteHeaderBytes + 15] = static_cast<char>(0x80);  // seq's top byte
  EXPECT_FALSE(decode_remote(negative));
  std::string version3 = bytes;
  version3[0] = 3;
  EXPECT_FALSE(decode_remote(version3));
}

TEST(RemoteEnvelope, UserSubjectsRoundTripAndOthersAreRefused) {
  EXPECT_EQ(user_subject(123), "parley.u.123");
  EXPECT_EQ(subject_user("parley.u.123"), 123);
  EXPECT_FALSE(subject_user("parley.u."));
  EXPECT_FALSE(subject_user("parley.u.12x"));
  EXPECT_FALSE(subject_user("parley.x.12"));
}

}  // namespace
}  // namespace parley::bus
