// The WebSocket session over a plain TCP stream (see ws_session.h).
#include <boost/beast/ssl.hpp>

#include "server/net/ws_session.h"

namespace parley::net {

template void start_ws_session<boost::beast::tcp_stream>(boost::beast::tcp_stream, Shared&, std::unique_ptr<ConnectionLimits::Ticket>,
                                   http::request<http::string_body>, std::string);

}  // namespace parley::net
