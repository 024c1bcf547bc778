// Starting a WebSocket session on an upgraded connection (internal to net/). Declared here,
// defined in ws_session.h and instantiated in ws_session_tcp.cc / ws_session_tls.cc, so
// that the HTTP code does not compile the WebSocket session.
#pragma once

#include <memory>
#include <string>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "server/net/shared.h"

namespace parley::net {

// Completes the upgrade of `req` on `stream` and serves the session as its own coroutine on
// the stream's strand (returns at once). Call on that strand.
template <class Stream>
void start_ws_session(Stream stream, Shared& shared, std::unique_ptr<ConnectionLimits::Ticket> ticket,
                      boost::beast::http::request<boost::beast::http::string_body> req, std::string bearer_token);

}  // namespace parley::net
