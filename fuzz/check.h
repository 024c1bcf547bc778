// FUZZ_CHECK(cond, what): a property a fuzz target asserts. When it fails the input is
// a finding: say what broke and abort, so libFuzzer saves the input as a crash.
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond, what)                                                     \
  do {                                                                             \
    if (!(cond)) {                                                                 \
      std::fprintf(stderr, "property violated at %s:%d: %s (%s)\n", __FILE__,      \
                   __LINE__, what, #cond);                                         \
      std::abort();                                                                \
    }                                                                              \
  } while (0)
