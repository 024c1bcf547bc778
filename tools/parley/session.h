// One run of the CLI's libparley core, through the C API: make a request and wait for its
// answer, wait for updates, and wait until the core is synced (or known to be offline).
// Single-threaded: used from main() only.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <optional>
#include <string>

#include <boost/json/object.hpp>

#include "parley/client.h"

namespace parley::cli {

using Json = boost::json::object;

class Session {
 public:
  // Creates the core and starts it on `database` against `server` (http://HOST:PORT); with a
  // non-empty `database_key` the store is encrypted with it. start_error() says why the
  // store could not be opened (e.g. a wrong key), empty when it started.
  Session(const std::string& server, const std::string& database, const std::string& database_key = {});
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // The answer to `request` (an "id" is added), or {"type":"error","code":"timeout"} after 60 s.
  Json call(Json request);
  // The next update for which `pred` holds, or nullopt-like {"type":"timeout"} after `timeout`.
  // Updates that do not match are passed to `other` (if set) and dropped.
  Json wait(const std::function<bool(const Json&)>& pred, std::chrono::milliseconds timeout,
            const std::function<void(const Json&)>& other = {});
  // Hands every update that arrives within `timeout` (and those already received) to
  // `handler`; returns after `timeout` or as soon as no more are pending after the first.
  void poll(const std::function<void(const Json&)>& handler, std::chrono::milliseconds timeout);
  // Waits until the first sync after start finished (true) or the server was found unreachable
  // or the session invalid (false), at most `timeout`.
  bool settle(std::chrono::milliseconds timeout);
  bool online() const { return online_; }
  bool logged_in() const { return logged_in_; }
  const std::string& start_error() const { return start_error_; }

 private:
  std::optional<Json> receive(std::chrono::milliseconds timeout);

  parley_client* client_;
  int64_t next_id_ = 1;
  bool online_ = false;
  bool logged_in_ = false;
  std::string start_error_;
  std::deque<Json> updates_;  // received while waiting for an answer
};

std::string str(const Json& o, const char* key);
int64_t num(const Json& o, const char* key);

}  // namespace parley::cli
