// Boost.Asio and Boost.Beast are compiled once for libparley, here (separate compilation),
// instead of in every translation unit that uses them.
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
