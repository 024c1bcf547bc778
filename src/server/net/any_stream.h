// A TLS connection behind a type-erased stream (net/'s sessions; also push/'s HTTPS client
// to push services). The HTTP and WebSocket sessions are compiled for two stream types: a
// plain beast::tcp_stream, which they use directly (the common case, and the cheapest per
// connection), and AnyStream for TLS.
// Compiled for beast::ssl_stream itself, every Beast operation was instantiated through
// the TLS stream's layers: those two units were most of the server's build time. Here the
// TLS stream's reads, writes and teardown are compiled once (any_stream.cc), and the
// sessions see a plain AsyncStream. The price, on TLS connections only: an indirect call
// and a small allocation (the type-erased completion handler) per read and per write,
// beside the encryption and the system call each of them costs.
//
// Contract: an AsyncReadStream and AsyncWriteStream (asio), with Beast's customisation
// points (teardown for WebSocket close, beast_close_socket for timeouts) found by ADL.
// `get_lowest_layer(stream)` is the AnyStream itself: socket(), expires_after() and
// expires_never() reach the TCP connection under the TLS layer. Not thread-safe: use it on
// its executor (the connection's strand), like the stream it holds.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <memory>
#include <utility>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/core/tcp_stream.hpp>

namespace boost::beast {
template <class NextLayer>
class ssl_stream;
}

namespace parley::net {

class AnyStream {
 public:
  using executor_type = boost::asio::any_io_executor;
  using IoHandler = boost::asio::any_completion_handler<void(boost::beast::error_code, std::size_t)>;
  using DoneHandler = boost::asio::any_completion_handler<void(boost::beast::error_code)>;

  // At most this many buffers of a sequence take part in one read or write; a read or
  // write "some" may do less than asked, and every caller loops.
  static constexpr std::size_t kMaxBuffers = 16;
  template <class Buffer>
  struct Buffers {
    std::array<Buffer, kMaxBuffers> items;
    std::size_t count = 0;
    const Buffer* begin() const { return items.data(); }
    const Buffer* end() const { return items.data() + count; }
  };
  using MutableBuffers = Buffers<boost::asio::mutable_buffer>;
  using ConstBuffers = Buffers<boost::asio::const_buffer>;

  // What each kind of stream does (any_stream.cc).
  class Impl {
   public:
    virtual ~Impl() = default;
    virtual executor_type get_executor() = 0;
    virtual void read_some(const MutableBuffers& buffers, IoHandler handler) = 0;
    virtual void write_some(const ConstBuffers& buffers, IoHandler handler) = 0;
    // WebSocket closing handshake done: close_notify, then the connection.
    virtual void teardown(boost::beast::role_type role, DoneHandler handler) = 0;
    virtual boost::asio::ip::tcp::socket& socket() = 0;
    // The deadline of the next reads and writes (beast::tcp_stream's timer).
    virtual void expires_after(std::chrono::steady_clock::duration after) = 0;
    virtual void expires_never() = 0;
  };

  // A TLS stream whose handshake is done.
  static AnyStream tls(boost::beast::ssl_stream<boost::beast::tcp_stream> stream);

  AnyStream(AnyStream&&) noexcept = default;
  AnyStream& operator=(AnyStream&&) noexcept = default;

  executor_type get_executor() { return impl_->get_executor(); }
  boost::asio::ip::tcp::socket& socket() { return impl_->socket(); }
  void expires_after(std::chrono::steady_clock::duration after) { impl_->expires_after(after); }
  void expires_never() { impl_->expires_never(); }
  Impl& impl() { return *impl_; }

  template <class MutableBufferSequence, class Token>
  auto async_read_some(const MutableBufferSequence& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::beast::error_code, std::size_t)>(
        [this](auto handler, const MutableBuffers& b) { impl_->read_some(b, IoHandler(std::move(handler))); },
        token, gather<boost::asio::mutable_buffer>(buffers));
  }
  template <class ConstBufferSequence, class Token>
  auto async_write_some(const ConstBufferSequence& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::beast::error_code, std::size_t)>(
        [this](auto handler, const ConstBuffers& b) { impl_->write_some(b, IoHandler(std::move(handler))); },
        token, gather<boost::asio::const_buffer>(buffers));
  }

 private:
  explicit AnyStream(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

  template <class Buffer, class Sequence>
  static Buffers<Buffer> gather(const Sequence& sequence) {
    Buffers<Buffer> out;
    for (auto it = boost::asio::buffer_sequence_begin(sequence), end = boost::asio::buffer_sequence_end(sequence);
         it != end && out.count < kMaxBuffers; ++it) {
      Buffer b(*it);
      if (b.size() != 0) out.items[out.count++] = b;
    }
    return out;
  }

  std::unique_ptr<Impl> impl_;
};

// Beast's customisation points, found by argument-dependent lookup.
template <class TeardownHandler>
void async_teardown(boost::beast::role_type role, AnyStream& stream, TeardownHandler&& handler) {
  stream.impl().teardown(role, AnyStream::DoneHandler(std::forward<TeardownHandler>(handler)));
}
// The blocking teardown (only a blocking WebSocket close would call it): closes the socket.
void teardown(boost::beast::role_type role, AnyStream& stream, boost::beast::error_code& ec);
void beast_close_socket(AnyStream& stream);

}  // namespace parley::net
