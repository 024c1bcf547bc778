#include "client/backoff.h"

#include <algorithm>

namespace parley::client {

Backoff::Backoff(Ms base, Ms cap, uint64_t seed)
    : base_(base), cap_(cap), rng_(seed != 0 ? seed : std::random_device{}()) {}

Backoff::Ms Backoff::current_bound() const {
  // Doubling stops once the cap is reached, so the shift never overflows.
  int64_t bound = base_.count();
  for (int i = 0; i < failures_ && bound < cap_.count(); ++i) bound *= 2;
  return Ms(std::min(bound, static_cast<int64_t>(cap_.count())));
}

Backoff::Ms Backoff::next_delay() {
  const Ms bound = current_bound();
  ++failures_;
  std::uniform_int_distribution<int64_t> pick(0, bound.count());
  return Ms(pick(rng_));
}

}  // namespace parley::client
