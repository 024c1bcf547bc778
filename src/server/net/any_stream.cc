#include "server/net/any_stream.h"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/teardown.hpp>

namespace parley::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

namespace {

// Boost 1.81's any_completion_executor cannot be required to never block, which the
// completions of Beast's and Asio's operations need (they post): each handler is bound to
// the stream's executor (the connection's strand, where it would run anyway).
template <class Stream, class Handler>
auto bound(Stream& stream, Handler&& handler) {
  return asio::bind_executor(stream.get_executor(), std::forward<Handler>(handler));
}

class TlsStream final : public AnyStream::Impl {
 public:
  explicit TlsStream(beast::ssl_stream<beast::tcp_stream> stream) : stream_(std::move(stream)) {}
  AnyStream::executor_type get_executor() override { return stream_.get_executor(); }
  void read_some(const AnyStream::MutableBuffers& b, AnyStream::IoHandler h) override {
    stream_.async_read_some(b, bound(stream_, std::move(h)));
  }
  void write_some(const AnyStream::ConstBuffers& b, AnyStream::IoHandler h) override {
    stream_.async_write_some(b, bound(stream_, std::move(h)));
  }
  void teardown(beast::role_type role, AnyStream::DoneHandler h) override {
    using beast::async_teardown;  // ssl_stream's: close_notify, then the socket
    async_teardown(role, stream_, bound(stream_, std::move(h)));
  }
  tcp::socket& socket() override { return beast::get_lowest_layer(stream_).socket(); }
  void expires_after(std::chrono::steady_clock::duration after) override {
    beast::get_lowest_layer(stream_).expires_after(after);
  }
  void expires_never() override { beast::get_lowest_layer(stream_).expires_never(); }

 private:
  beast::ssl_stream<beast::tcp_stream> stream_;
};

}  // namespace

AnyStream AnyStream::tls(beast::ssl_stream<beast::tcp_stream> stream) {
  return AnyStream(std::make_unique<TlsStream>(std::move(stream)));
}

void teardown(beast::role_type, AnyStream& stream, beast::error_code& ec) {
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  stream.socket().close(ec);
}

void beast_close_socket(AnyStream& stream) {
  beast::error_code ignored;
  stream.socket().close(ignored);
}

}  // namespace parley::net
