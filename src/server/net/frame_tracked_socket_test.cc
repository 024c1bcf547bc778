// The write side of FrameTrackedSocket over a real loopback TCP connection: held writes are
// reported done but reach the peer only with the next write made without the hold, in order,
// in one piece; a teardown sends what is held before shutting the connection down.
#include "server/net/frame_tracked_socket.h"

#include <string>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

namespace parley::net {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct Pair {
  asio::io_context io;
  FrameTrackedSocket server{tcp::socket(io)};
  tcp::socket client{io};

  Pair() {
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    client.connect(acceptor.local_endpoint());
    acceptor.accept(server.next_layer());
  }

  // Runs one write through the layer to its completion; returns what it reported.
  std::size_t write(const std::string& bytes) {
    std::size_t reported = 0;
    bool done = false;
    boost::beast::error_code result;
    server.async_write_some(asio::buffer(bytes), [&](boost::beast::error_code ec, std::size_t n) {
      result = ec;
      reported = n;
      done = true;
    });
    io.restart();
    io.run();
    EXPECT_TRUE(done);
    EXPECT_FALSE(result) << result.message();
    return reported;
  }

  std::string read_exactly(std::size_t n) {
    std::string out(n, '\0');
    asio::read(client, asio::buffer(out));
    return out;
  }
};

TEST(FrameTrackedSocketWrites, WithoutTheHoldBytesGoStraightOut) {
  Pair p;
  EXPECT_EQ(p.write("frame"), 5u);
  EXPECT_EQ(p.read_exactly(5), "frame");
  EXPECT_EQ(p.server.held_bytes(), 0u);
}

TEST(FrameTrackedSocketWrites, HeldBytesLeaveWithTheNextUnheldWriteInOrder) {
  Pair p;
  p.server.hold_writes(true);
  EXPECT_EQ(p.write("one,"), 4u);  // reported written...
  EXPECT_EQ(p.write("two,"), 4u);
  EXPECT_EQ(p.server.held_bytes(), 8u);
  EXPECT_EQ(p.client.available(), 0u);  // ...but nothing was sent
  p.server.hold_writes(false);
  EXPECT_EQ(p.write("three"), 5u);  // the caller is told of its own bytes only
  EXPECT_EQ(p.server.held_bytes(), 0u);
  EXPECT_EQ(p.read_exactly(13), "one,two,three");
}

TEST(FrameTrackedSocketWrites, WhatIsHeldStaysWithinItsBoundsWhoeverWrites) {
  Pair p;
  p.server.hold_writes(true);
  // A write over kHoldMaxWrite is never held: it goes out at once.
  const std::string large(FrameTrackedSocket::kHoldMaxWrite + 1, 'L');
  p.write(large);
  EXPECT_EQ(p.server.held_bytes(), 0u);
  EXPECT_EQ(p.read_exactly(large.size()), large);
  // Small writes pile up to kHoldMaxBytes; the one that would pass it sends them all.
  const std::string small(1000, 's');
  std::size_t expected = 0;
  for (int i = 0; i < 40; ++i) {
    p.write(small);
    expected += small.size();
    EXPECT_LE(p.server.held_bytes(), FrameTrackedSocket::kHoldMaxBytes);
    if (p.server.held_bytes() == 0) break;
  }
  EXPECT_EQ(p.server.held_bytes(), 0u);
  EXPECT_EQ(expected, (FrameTrackedSocket::kHoldMaxBytes / small.size() + 1) * small.size());
  EXPECT_EQ(p.read_exactly(expected), std::string(expected, 's'));
}

TEST(FrameTrackedSocketWrites, ALargeWriteAfterHeldOnesIsSentWhole) {
  Pair p;
  p.server.hold_writes(true);
  p.write("head:");
  p.server.hold_writes(false);
  // More than a socket's send buffer usually takes at once: the layer keeps sending until
  // everything is out (write_some may report all of it), while the peer reads.
  const std::string big(8u << 20, 'x');
  std::string got;
  std::thread reader([&] { got = p.read_exactly(5 + big.size()); });
  EXPECT_EQ(p.write(big), big.size());
  reader.join();
  EXPECT_EQ(got.substr(0, 5), "head:");
  EXPECT_EQ(got.substr(5), big);
}

TEST(FrameTrackedSocketWrites, ATeardownSendsWhatIsHeldFirst) {
  Pair p;
  p.server.hold_writes(true);
  p.write("close frame");
  bool done = false;
  async_teardown(boost::beast::role_type::server, p.server, [&](boost::beast::error_code) { done = true; });
  // The teardown waits for the peer's end of the stream: the peer reads what was held, then
  // shuts its side down.
  std::string got;
  std::thread peer([&] {
    got = p.read_exactly(11);
    p.client.shutdown(tcp::socket::shutdown_send);
  });
  p.io.restart();
  p.io.run();
  peer.join();
  EXPECT_TRUE(done);
  EXPECT_EQ(got, "close frame");
  EXPECT_EQ(p.server.held_bytes(), 0u);
}

TEST(FrameTrackedSocketWrites, TheBlockingTeardownSendsWhatIsHeldToo) {
  Pair p;
  p.server.hold_writes(true);
  p.write("bye");
  std::thread peer([&] {
    EXPECT_EQ(p.read_exactly(3), "bye");
    p.client.shutdown(tcp::socket::shutdown_send);
  });
  boost::beast::error_code ec;
  teardown(boost::beast::role_type::server, p.server, ec);
  peer.join();
  EXPECT_EQ(p.server.held_bytes(), 0u);
}

}  // namespace
}  // namespace parley::net
