// Server time. Every timestamp the server stores or sends is milliseconds since the Unix
// epoch from this clock: server time is the truth, clients never supply times.
#pragma once

#include <chrono>
#include <cstdint>

namespace parley {

inline int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// Monotonic time for rate limits and timeouts (never goes back when the wall clock does).
inline int64_t steady_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace parley
