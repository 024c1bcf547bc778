// The WebSocket stream's next layer on a plain TCP connection: the socket, plus a count of
// what it has handed to Beast, followed frame by frame (headers parsed, payloads skipped).
//
// It answers one question for the read loop (ws_session.h): has Beast been given nothing
// beyond the end of the last complete message? Then Beast's read buffer is empty, and the
// loop may wait for the socket to become readable before starting Beast's read of the next
// message, so that an idle connection holds no pending Beast read (a composed operation of
// several hundred bytes) but only a small wait. When Beast was given more (a pipelined
// message, a control frame after the message), the loop reads through Beast at once, since
// the socket may never become readable again for those bytes.
//
// It also coalesces writes. The session's write loop holds the writes (hold_writes(true))
// while more frames wait behind the one Beast is writing: Beast's bytes are then copied into
// a pending buffer and reported written at once. The next write not held sends the pending
// bytes and its own in one gather write, so a burst of frames to one connection costs one
// system call instead of one per frame. A write is held only if it is at most
// kHoldMaxWrite bytes and the buffer stays within kHoldMaxBytes, whoever writes (frames,
// or pongs a ping flood makes Beast write meanwhile). Beast serializes its writes, so what
// is held keeps its order; a teardown sends it first.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_cat.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/websocket/teardown.hpp>

namespace parley::net {

class FrameTrackedSocket {
 public:
  using socket_type = boost::asio::ip::tcp::socket;
  using next_layer_type = socket_type;
  using executor_type = socket_type::executor_type;

  explicit FrameTrackedSocket(socket_type socket) : socket_(std::move(socket)) {}

  next_layer_type& next_layer() { return socket_; }
  executor_type get_executor() { return socket_.get_executor(); }

  // True when every byte handed to Beast belongs to a frame that is complete, the last of
  // them being the final frame of a data message, and those messages number
  // `messages_read` (the messages the caller has received whole): Beast holds no unread
  // byte.
  bool drained(uint64_t messages_read) const {
    return header_size_ == 0 && payload_left_ == 0 && last_was_message_end_ && messages_fed_ == messages_read;
  }

  template <class MutableBufferSequence, class Token>
  auto async_read_some(const MutableBufferSequence& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::beast::error_code, std::size_t)>(
        [this](auto handler, const MutableBufferSequence& b) {
          auto ex = boost::asio::get_associated_executor(handler, socket_.get_executor());
          socket_.async_read_some(
              b, boost::asio::bind_executor(ex, [this, b, h = std::move(handler)](boost::beast::error_code ec,
                                                                                   std::size_t n) mutable {
                scan(b, n);
                std::move(h)(ec, n);
              }));
        },
        token, buffers);
  }
  // Held writes: see the file's comment. Small events are a few hundred bytes; 16 KiB is
  // about one TCP segment's worth of them.
  static constexpr std::size_t kHoldMaxWrite = 4u << 10;
  static constexpr std::size_t kHoldMaxBytes = 16u << 10;

  void hold_writes(bool hold) { hold_ = hold; }
  std::size_t held_bytes() const { return pending_.size(); }

  template <class ConstBufferSequence, class Token>
  auto async_write_some(const ConstBufferSequence& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::beast::error_code, std::size_t)>(
        [this](auto handler, const ConstBufferSequence& b) {
          const std::size_t n = boost::asio::buffer_size(b);
          const bool hold = hold_ && n <= kHoldMaxWrite && pending_.size() + n <= kHoldMaxBytes;
          if (!hold && pending_.empty()) {
            socket_.async_write_some(b, std::move(handler));
            return;
          }
          auto ex = boost::asio::get_associated_executor(handler, socket_.get_executor());
          if (hold) {
            for (auto it = boost::asio::buffer_sequence_begin(b), end = boost::asio::buffer_sequence_end(b); it != end;
                 ++it) {
              boost::asio::const_buffer part(*it);
              pending_.append(static_cast<const char*>(part.data()), part.size());
            }
            boost::asio::post(ex, [h = std::move(handler), n]() mutable { std::move(h)(boost::beast::error_code{}, n); });
            return;
          }
          // Everything (the held bytes, then the caller's), however many sends the socket
          // needs; the caller is told of its own bytes only.
          boost::asio::async_write(
              socket_, boost::beast::buffers_cat(boost::asio::const_buffer(pending_.data(), pending_.size()), b),
              boost::asio::bind_executor(
                  ex, [this, n, h = std::move(handler)](boost::beast::error_code ec, std::size_t) mutable {
                    release_pending();
                    std::move(h)(ec, ec ? 0 : n);
                  }));
        },
        token, buffers);
  }

  // Sends what is held (Beast's teardown does this before shutting the socket down). The
  // handler runs on its associated executor.
  template <class Handler>
  void async_flush(Handler handler) {
    auto ex = boost::asio::get_associated_executor(handler, socket_.get_executor());
    if (pending_.empty()) {
      boost::asio::post(ex, [h = std::move(handler)]() mutable { std::move(h)(boost::beast::error_code{}); });
      return;
    }
    boost::asio::async_write(socket_, boost::asio::buffer(pending_),
                             boost::asio::bind_executor(ex, [this, h = std::move(handler)](boost::beast::error_code ec,
                                                                                            std::size_t) mutable {
                               release_pending();
                               std::move(h)(ec);
                             }));
  }
  void flush(boost::beast::error_code& ec) {
    if (!pending_.empty()) boost::asio::write(socket_, boost::asio::buffer(pending_), ec);
    release_pending();
  }

 private:
  template <class Buffers>
  void scan(const Buffers& buffers, std::size_t n) {
    for (auto it = boost::asio::buffer_sequence_begin(buffers), end = boost::asio::buffer_sequence_end(buffers);
         n > 0 && it != end; ++it) {
      boost::asio::const_buffer b(*it);
      const std::size_t k = std::min(n, b.size());
      feed(static_cast<const uint8_t*>(b.data()), k);
      n -= k;
    }
  }

  // Follows the frames of RFC 6455, section 5.2: 2 bytes, then 0, 2 or 8 of extended
  // length, then 0 or 4 of mask, then the payload.
  void feed(const uint8_t* p, std::size_t k) {
    while (k > 0) {
      if (payload_left_ > 0) {
        const std::size_t skip = static_cast<std::size_t>(std::min<uint64_t>(payload_left_, k));
        payload_left_ -= skip;
        p += skip;
        k -= skip;
        if (payload_left_ == 0) frame_done();
        continue;
      }
      header_[header_size_++] = *p++;
      --k;
      if (header_size_ < 2) continue;
      const unsigned len7 = header_[1] & 0x7fu;
      const std::size_t extended = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
      const std::size_t need = 2 + extended + ((header_[1] & 0x80u) ? 4 : 0);
      if (header_size_ < need) continue;
      uint64_t length = len7;
      if (extended > 0) {
        length = 0;
        for (std::size_t i = 0; i < extended; ++i) length = (length << 8) | header_[2 + i];
      }
      final_ = (header_[0] & 0x80u) != 0;
      opcode_ = header_[0] & 0x0fu;
      header_size_ = 0;
      payload_left_ = length;
      if (length == 0) frame_done();
    }
  }

  void frame_done() {
    last_was_message_end_ = final_ && opcode_ < 8;  // control frames have opcodes 8 and up
    if (last_was_message_end_) ++messages_fed_;
  }

  // An idle connection keeps no write buffer.
  void release_pending() { std::string().swap(pending_); }

  socket_type socket_;
  std::string pending_;        // held writes, in order
  bool hold_ = false;
  uint64_t payload_left_ = 0;  // of the frame being handed over
  uint64_t messages_fed_ = 0;  // final frames of data messages handed over
  uint8_t header_[14] = {};    // the header being handed over, header_size_ bytes of it
  uint8_t header_size_ = 0;
  uint8_t opcode_ = 0;
  bool final_ = false;
  bool last_was_message_end_ = true;  // nothing handed over yet
};

// Beast's closing handshake ends with a teardown of the socket (found by ADL).
// What is held goes out first (a close frame Beast wrote while the writes were held).
template <class TeardownHandler>
void async_teardown(boost::beast::role_type role, FrameTrackedSocket& stream, TeardownHandler&& handler) {
  stream.hold_writes(false);
  auto ex = boost::asio::get_associated_executor(handler, stream.get_executor());
  stream.async_flush(boost::asio::bind_executor(
      ex, [role, &stream, h = std::forward<TeardownHandler>(handler)](boost::beast::error_code) mutable {
        boost::beast::websocket::async_teardown(role, stream.next_layer(), std::move(h));
      }));
}
inline void teardown(boost::beast::role_type role, FrameTrackedSocket& stream, boost::beast::error_code& ec) {
  stream.hold_writes(false);
  boost::beast::error_code flush_ec;
  stream.flush(flush_ec);
  boost::beast::websocket::teardown(role, stream.next_layer(), ec);
}

}  // namespace parley::net
