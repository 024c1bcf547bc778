// Serving one accepted connection: HTTP/1.1 keep-alive requests, static files, and the
// hand-off to a WebSocket session on upgrade (internal to net/).
#pragma once

#include <string>
#include <memory>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/stream_traits.hpp>

#include "server/net/shared.h"

namespace parley::net {

// Serves `stream` until it closes, as the client `remote_address` (the peer's, or the one
// a trusted proxy's header named). `ticket` is the connection's place in the limits; it is
// idle (sheddable) while waiting for a request head, and goes to the WebSocket session.
// `preread`: bytes of the stream already read (after a PROXY header), parsed first.
template <class Stream>
boost::asio::awaitable<void> serve_http(Stream stream, Shared& shared, std::string remote_address,
                                        std::unique_ptr<ConnectionLimits::Ticket> ticket, std::string preread);

// Lets `ticket` close `stream` (on the stream's strand) while this guard lives; the stream
// must not move meanwhile. Create and destroy on the stream's strand.
template <class Stream>
class SheddableStream {
 public:
  SheddableStream(Stream& stream, ConnectionLimits::Ticket& ticket)
      : stream_(std::make_shared<Stream*>(&stream)) {
    ticket.set_closer([ex = boost::beast::get_lowest_layer(stream).get_executor(),
                       weak = std::weak_ptr<Stream*>(stream_)] {
      boost::asio::post(ex, [weak] {
        if (auto s = weak.lock(); s && *s) {
          boost::beast::error_code ignored;
          boost::beast::get_lowest_layer(**s).socket().close(ignored);
        }
      });
    });
  }
  ~SheddableStream() { *stream_ = nullptr; }
  SheddableStream(const SheddableStream&) = delete;
  SheddableStream& operator=(const SheddableStream&) = delete;

 private:
  std::shared_ptr<Stream*> stream_;  // null once the stream is gone or moved
};

}  // namespace parley::net
