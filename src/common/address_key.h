// The key under which per-address limits count a client.
#pragma once

#include <string>
#include <string_view>

namespace parley {

// An IPv4 address counts as itself; an IPv4-mapped IPv6 address (::ffff:a.b.c.d) as its
// IPv4 address; any other IPv6 address as its /64 network, written "2001:db8:1:2::/64",
// because one subscriber is routinely given a whole /64 and can use every address in it.
// Input that is not an IP address is returned unchanged. Thread-safe, allocates the result.
std::string address_key(std::string_view address);

}  // namespace parley
