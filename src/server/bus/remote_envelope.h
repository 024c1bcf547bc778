// The bytes a node puts on the cluster bus for one recipient user (nats_bus.h). Compact
// and binary: the frame is already encoded JSON and travels as is, after a short header.
//
//   envelope   = version kind origin [order] body
//   version    = u8: 1 (no order), or 2 (order follows; sent only for an event that has
//                a conversation: a node that runs an earlier release ignores version 2)
//   kind       = u8 (0 frame, 1 revoke sessions, 2 frame to some sessions)
//   origin     = u64 little-endian: the publishing node's id (a node ignores its own)
//   order      = conversation_id:i64le seq:i64le (version 2 only; seq 0: no new seq, see
//                hold_back.h); a version 1 envelope has both 0 and is delivered at once
//   body       = frame bytes (kind 0) | count:u32le session_id:i64le * count (kind 1)
//              | count:u32le session_id:i64le * count exclude:i64le frame bytes (kind 2:
//                only the listed sessions' devices when count > 0, never `exclude`'s)
//
// The recipient user is the NATS subject (parley.u.<user_id>), not part of the bytes.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::bus {

struct RemoteEnvelope {
  enum class Kind : uint8_t { kFrame = 0, kRevokeSessions = 1, kSessionFrame = 2 };
  Kind kind = Kind::kFrame;
  uint64_t origin_node = 0;
  std::shared_ptr<const std::string> frame;  // kFrame
  std::vector<int64_t> session_ids;          // kRevokeSessions, kSessionFrame
  int64_t exclude_session = 0;               // kSessionFrame
  int64_t conversation_id = 0;               // kFrame, kSessionFrame: 0 = none
  int64_t seq = 0;                           // 0 = not ordered
};

inline constexpr uint8_t kRemoteEnvelopeVersion = 1;         // without order
inline constexpr uint8_t kRemoteOrderedEnvelopeVersion = 2;  // with order
inline constexpr std::size_t kRemoteHeaderBytes = 10;
inline constexpr std::size_t kRemoteOrderBytes = 16;

// Encodes an envelope: version 2 when conversation_id or seq is set (frames only: a
// revocation never carries them), else version 1.
// Never fails.
std::string encode_remote(const RemoteEnvelope& e);

// Decodes bytes from the bus (either version). nullopt for anything malformed: an unknown
// version or kind, a truncated header, a negative conversation_id or seq, a version 2
// revocation, a session count that does not match the remaining bytes.
std::optional<RemoteEnvelope> decode_remote(std::string_view bytes);

// "parley.u.<user_id>", the subject carrying events for every device of one user.
std::string user_subject(int64_t user_id);

// The user id in a subject made by user_subject(); nullopt for any other subject.
std::optional<int64_t> subject_user(std::string_view subject);

}  // namespace parley::bus
