// The completion token of net/'s coroutines: co_await yields (error_code, results...) as a
// tuple instead of throwing, so errors stay values (internal to net/).
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace parley::net {

constexpr auto kAwait = boost::asio::as_tuple(boost::asio::use_awaitable);

}  // namespace parley::net
