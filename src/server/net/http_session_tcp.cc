// serve_http for a plain TCP stream (see http_session_impl.h).
#include "server/net/http_session_impl.h"

namespace parley::net {

template boost::asio::awaitable<void> serve_http<boost::beast::tcp_stream>(boost::beast::tcp_stream, Shared&, std::string,
                                                     std::unique_ptr<ConnectionLimits::Ticket>, std::string);

}  // namespace parley::net
