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
  wrong_version[0] = 2;
  EXPECT_FALSE(decode_remote(wrong_version));
  std::string wrong_kind = bytes;
  wrong_kind[1] = 7;
  EXPECT_FALSE(decode_remote(wrong_kind));
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
