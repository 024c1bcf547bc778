// Boost.JSON compiled once into each fuzz target (header-only mode), instrumented like
// the code that calls it, so the parser's own branches guide the fuzzer too.
#include <boost/json/src.hpp>
