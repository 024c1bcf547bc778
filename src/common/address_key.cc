#include "common/address_key.h"

#include <arpa/inet.h>

#include <cstring>

namespace parley {

std::string address_key(std::string_view address) {
  if (address.empty() || address.size() >= INET6_ADDRSTRLEN) return std::string(address);
  char text[INET6_ADDRSTRLEN] = {};
  std::memcpy(text, address.data(), address.size());
  // A scope suffix (fe80::1%eth0) is not part of the address.
  if (char* pct = std::strchr(text, '%')) *pct = '\0';

  in_addr v4{};
  if (inet_pton(AF_INET, text, &v4) == 1) return std::string(address);
  in6_addr v6{};
  if (inet_pton(AF_INET6, text, &v6) != 1) return std::string(address);

  static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  char out[INET6_ADDRSTRLEN] = {};
  if (std::memcmp(v6.s6_addr, kMapped, sizeof kMapped) == 0) {
    std::memcpy(&v4, v6.s6_addr + 12, 4);
    inet_ntop(AF_INET, &v4, out, sizeof out);
    return out;
  }
  std::memset(v6.s6_addr + 8, 0, 8);
  inet_ntop(AF_INET6, &v6, out, sizeof out);
  return std::string(out) + "/64";
}

}  // namespace parley
