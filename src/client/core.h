// Core: one client, as the C API exposes it. It owns the network thread, which runs an
// io_context and the Engine; requests are posted to that thread, answers and updates come
// back through an UpdateQueue. Thread-safe: send() and receive() may be called from any thread.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "client/update_queue.h"

namespace parley::client {

class Engine;

class Core {
 public:
  // Starts the network thread.
  Core();
  // Closes the connection, stops and joins the network thread. Stored data stays.
  ~Core();
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  // Hands one request text to the network thread; never blocks on I/O.
  void send(std::string request);
  // The next answer or update, waiting up to `timeout`; nullopt when none came.
  std::optional<std::string> receive(std::chrono::milliseconds timeout);

 private:
  // Constant after construction; destroyed in reverse order: engine, then the io_context.
  UpdateQueue out_;
  boost::asio::io_context io_{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::unique_ptr<Engine> engine_;  // used only on thread_
  std::thread thread_;
};

}  // namespace parley::client
