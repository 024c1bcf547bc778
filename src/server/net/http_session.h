// Serving one accepted connection: HTTP/1.1 keep-alive requests, static files, and the
// hand-off to a WebSocket session on upgrade (internal to net/).
#pragma once

#include <string>

#include <boost/asio/awaitable.hpp>

#include "server/net/shared.h"

namespace parley::net {

template <class Stream>
boost::asio::awaitable<void> serve_http(Stream stream, Shared& shared, std::string remote_address);

}  // namespace parley::net
