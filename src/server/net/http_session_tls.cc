// serve_http for a TLS connection, behind AnyStream (see any_stream.h, http_session_impl.h).
#include "server/net/any_stream.h"
#include "server/net/http_session_impl.h"

namespace parley::net {

template boost::asio::awaitable<void> serve_http<AnyStream>(AnyStream, Shared&, std::string,
                                                            std::unique_ptr<ConnectionLimits::Ticket>, std::string);

}  // namespace parley::net
