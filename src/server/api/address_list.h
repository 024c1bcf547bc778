// A list of client address ranges in CIDR notation ("127.0.0.0/8,::1"), for endpoints that
// answer only some peers (/metrics, docs/protocol.md "Operational endpoints"). Pure parsing
// and matching; thread-safe once built.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace parley::api {

class AddressList {
 public:
  // Matches nothing.
  AddressList() = default;

  // Comma-separated entries, each an IPv4 or IPv6 address with an optional "/prefix" (a bare
  // address is a single host); spaces around entries are ignored; an empty text matches
  // nothing. Errors: kInvalidArgument naming the bad entry.
  static Result<AddressList> parse(std::string_view text);

  // Whether `address` (as the peer's socket reports it: "10.1.2.3", "::1",
  // "::ffff:10.1.2.3") falls in a range. An IPv4-mapped IPv6 address matches the IPv4
  // ranges. False for anything that is not an address.
  bool contains(std::string_view address) const;

 private:
  struct Range {
    std::array<uint8_t, 16> bytes{};  // IPv4 as its IPv4-mapped IPv6 form
    int prefix = 0;                   // in bits of `bytes`
  };
  std::vector<Range> ranges_;
};

}  // namespace parley::api
