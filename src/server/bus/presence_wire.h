// The byte layout shared by the cluster's node-to-node messages (cluster_presence,
// cluster_sessions): little-endian integers, every message starting with a version byte and
// the sender's node id. Pure; no I/O.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace parley::bus::wire {

constexpr uint8_t kVersion = 1;

inline void put32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

inline void put64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// Version byte and node id: the start of every message.
inline std::string header(uint64_t node) {
  std::string out(1, static_cast<char>(kVersion));
  put64(out, node);
  return out;
}

// `prefix` followed by the node id in 16 hex digits: a subject addressed to one node.
inline std::string node_subject(std::string_view prefix, uint64_t node) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(node));
  return std::string(prefix) + hex;
}

// Reads little-endian fields; any read past the end makes ok() false (and every later read 0).
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  uint64_t u64() { return take(8); }
  uint32_t u32() { return static_cast<uint32_t>(take(4)); }
  uint8_t u8() { return static_cast<uint8_t>(take(1)); }
  bool ok() const { return ok_; }
  bool done() const { return ok_ && in_.empty(); }
  std::size_t left() const { return in_.size(); }

 private:
  uint64_t take(std::size_t n) {
    if (in_.size() < n) {
      ok_ = false;
      in_ = {};
      return 0;
    }
    uint64_t v = 0;
    for (std::size_t i = n; i-- > 0;) v = (v << 8) | static_cast<uint8_t>(in_[i]);
    in_.remove_prefix(n);
    return v;
  }
  std::string_view in_;
  bool ok_ = true;
};

}  // namespace parley::bus::wire
