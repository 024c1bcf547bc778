#include "client/core.h"

#include <future>

#include <boost/asio/post.hpp>

#include "client/engine.h"

namespace parley::client {
namespace {

std::string json_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

Core::Core()
    : work_(boost::asio::make_work_guard(io_)), engine_(std::make_unique<Engine>(io_, out_)) {
  thread_ = std::thread([this] {
    // A handler that throws is a bug (for example a server answer of an unexpected shape);
    // it must not take the app down: report it and keep the loop running.
    for (;;) {
      try {
        io_.run();
        return;
      } catch (const std::exception& e) {
        out_.push(std::string(R"({"type":"error","id":null,"code":"internal","message":"core: )") +
                  json_escape(e.what()) + "\"}");
      } catch (...) {
        out_.push(R"({"type":"error","id":null,"code":"internal","message":"core: unknown exception"})");
      }
    }
  });
}

Core::~Core() {
  // Let the engine close its connection on its own thread, then stop the loop. Handlers still
  // pending are destroyed with the io_context, after the engine, without running.
  std::promise<void> closed;
  boost::asio::post(io_, [this, &closed] {
    engine_->shutdown();
    closed.set_value();
  });
  closed.get_future().wait();
  work_.reset();
  io_.stop();
  thread_.join();
  engine_.reset();
  out_.close();
}

void Core::send(std::string request) {
  boost::asio::post(io_, [this, request = std::move(request)] { engine_->handle(request); });
}

std::optional<std::string> Core::receive(std::chrono::milliseconds timeout) {
  return out_.pop(timeout);
}

}  // namespace parley::client
