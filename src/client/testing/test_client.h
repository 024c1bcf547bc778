// Test support: one libparley client driven through its C API (include/parley/client.h),
// as an app would, with helpers to make a request and wait for its answer, and to wait for
// an update matching a predicate. Updates received while waiting are kept, in order.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "parley/client.h"

namespace parley::client::testing {

using Update = boost::json::object;

class TestClient {
 public:
  // Creates the client and sends "start" with this server and database (and the fields of
  // `options`); asserts the answer is "started" unless `expect_started` is false.
  TestClient(const std::string& server_url, const std::string& database, const Update& options = {},
             bool expect_started = true);
  ~TestClient();  // parley_client_destroy
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;

  // Sends `request` with a fresh "id" and returns its answer (waits up to 30 s; an object
  // with "type": "timeout" when none came).
  Update call(Update request);
  // The first update (a frame without "id") matching `pred` — among those already received
  // and not yet taken, then new ones — removing it and everything before it. "type": "timeout"
  // after `timeout`.
  Update wait_for(const std::function<bool(const Update&)>& pred,
                  std::chrono::milliseconds timeout = std::chrono::seconds(30));
  Update wait_for_type(const std::string& type,
                       std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // The answer to "start".
  const Update& start_answer() const { return start_answer_; }
  // Every update received so far and not taken by wait_for.
  std::vector<Update> drain();

  // Shorthands for common requests; each asserts success.
  Update register_user(const std::string& username);
  int64_t open_direct(const std::string& username);  // the chat id
  std::string send_text(int64_t chat_id, const std::string& text);  // the client_id

 private:
  bool receive_one(std::chrono::milliseconds timeout);

  parley_client* client_;
  int64_t next_id_ = 1;
  std::deque<Update> updates_;
  std::vector<Update> answers_;
  Update start_answer_;
};

// The value of `key` as a string ("" when absent) / integer (0).
std::string str(const Update& u, const char* key);
int64_t num(const Update& u, const char* key);

// Waits (wait_for's default time) for a new_message update whose message has `text`.
Update new_message_with(TestClient& c, const std::string& text);

}  // namespace parley::client::testing
