#include "server/bus/remote_envelope.h"

#include <charconv>

namespace parley::bus {

namespace {

constexpr std::string_view kUserSubjectPrefix = "parley.u.";

void put_u64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t get_u64(std::string_view in) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(in[static_cast<std::size_t>(i)]);
  return v;
}

}  // namespace

std::string encode_remote(const RemoteEnvelope& e) {
  std::string out;
  const std::size_t frame = e.frame ? e.frame->size() : 0;
  const std::size_t body = e.kind == RemoteEnvelope::Kind::kFrame ? frame
                           : e.kind == RemoteEnvelope::Kind::kRevokeSessions
                               ? 4 + 8 * e.session_ids.size()
                               : 12 + 8 * e.session_ids.size() + frame;
  const bool ordered = e.kind != RemoteEnvelope::Kind::kRevokeSessions && (e.conversation_id != 0 || e.seq != 0);
  out.reserve(kRemoteHeaderBytes + (ordered ? kRemoteOrderBytes : 0) + body);
  out.push_back(static_cast<char>(ordered ? kRemoteOrderedEnvelopeVersion : kRemoteEnvelopeVersion));
  out.push_back(static_cast<char>(e.kind));
  put_u64(out, e.origin_node);
  if (ordered) {
    put_u64(out, static_cast<uint64_t>(e.conversation_id));
    put_u64(out, static_cast<uint64_t>(e.seq));
  }
  if (e.kind == RemoteEnvelope::Kind::kFrame) {
    if (e.frame) out += *e.frame;
    return out;
  }
  const auto n = static_cast<uint32_t>(e.session_ids.size());
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  for (int64_t id : e.session_ids) put_u64(out, static_cast<uint64_t>(id));
  if (e.kind == RemoteEnvelope::Kind::kSessionFrame) {
    put_u64(out, static_cast<uint64_t>(e.exclude_session));
    if (e.frame) out += *e.frame;
  }
  return out;
}

std::optional<RemoteEnvelope> decode_remote(std::string_view in) {
  if (in.size() < kRemoteHeaderBytes) return std::nullopt;
  const auto version = static_cast<uint8_t>(in[0]);
  if (version != kRemoteEnvelopeVersion && version != kRemoteOrderedEnvelopeVersion) return std::nullopt;
  RemoteEnvelope e;
  const auto kind = static_cast<uint8_t>(in[1]);
  e.origin_node = get_u64(in.substr(2, 8));
  std::string_view body = in.substr(kRemoteHeaderBytes);
  if (version == kRemoteOrderedEnvelopeVersion) {
    if (body.size() < kRemoteOrderBytes || kind == static_cast<uint8_t>(RemoteEnvelope::Kind::kRevokeSessions))
      return std::nullopt;
    e.conversation_id = static_cast<int64_t>(get_u64(body.substr(0, 8)));
    e.seq = static_cast<int64_t>(get_u64(body.substr(8, 8)));
    if (e.conversation_id < 0 || e.seq < 0) return std::nullopt;
    body.remove_prefix(kRemoteOrderBytes);
  }
  if (kind == static_cast<uint8_t>(RemoteEnvelope::Kind::kFrame)) {
    e.kind = RemoteEnvelope::Kind::kFrame;
    e.frame = std::make_shared<const std::string>(body);
    return e;
  }
  const bool sessions_frame = kind == static_cast<uint8_t>(RemoteEnvelope::Kind::kSessionFrame);
  if ((kind != static_cast<uint8_t>(RemoteEnvelope::Kind::kRevokeSessions) && !sessions_frame) ||
      body.size() < 4)
    return std::nullopt;
  e.kind = static_cast<RemoteEnvelope::Kind>(kind);
  uint32_t n = 0;
  for (int i = 3; i >= 0; --i) n = (n << 8) | static_cast<uint8_t>(body[static_cast<std::size_t>(i)]);
  body.remove_prefix(4);
  const std::size_t ids = 8 * static_cast<std::size_t>(n);
  if (sessions_frame ? body.size() < ids + 8 : body.size() != ids) return std::nullopt;
  e.session_ids.reserve(n);
  for (uint32_t i = 0; i < n; ++i) e.session_ids.push_back(static_cast<int64_t>(get_u64(body.substr(8 * i, 8))));
  if (sessions_frame) {
    e.exclude_session = static_cast<int64_t>(get_u64(body.substr(ids, 8)));
    e.frame = std::make_shared<const std::string>(body.substr(ids + 8));
  }
  return e;
}

std::string user_subject(int64_t user_id) {
  return std::string(kUserSubjectPrefix) + std::to_string(user_id);
}

std::optional<int64_t> subject_user(std::string_view subject) {
  if (subject.substr(0, kUserSubjectPrefix.size()) != kUserSubjectPrefix) return std::nullopt;
  subject.remove_prefix(kUserSubjectPrefix.size());
  int64_t id = 0;
  auto [p, ec] = std::from_chars(subject.data(), subject.data() + subject.size(), id);
  if (ec != std::errc() || p != subject.data() + subject.size() || subject.empty()) return std::nullopt;
  return id;
}

}  // namespace parley::bus
