// The WebSocket session over a TLS connection, behind AnyStream (see any_stream.h,
// ws_session.h).
#include "server/net/any_stream.h"
#include "server/net/ws_session.h"

namespace parley::net {

template void start_ws_session<AnyStream>(AnyStream, Shared&, std::unique_ptr<ConnectionLimits::Ticket>,
                                          http::request<http::string_body>, std::string);

}  // namespace parley::net
