#include "client/testing/test_client.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace parley::client::testing {

namespace json = boost::json;

std::string str(const Update& u, const char* key) {
  const json::value* v = u.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

int64_t num(const Update& u, const char* key) {
  const json::value* v = u.if_contains(key);
  return v && v->is_int64() ? v->as_int64() : 0;
}

Update new_message_with(TestClient& c, const std::string& text) {
  return c.wait_for([&](const Update& u) {
    return str(u, "type") == "new_message" && str(u.at("message").as_object(), "text") == text;
  });
}

TestClient::TestClient(const std::string& server_url, const std::string& database, const Update& options,
                       bool expect_started)
    : client_(parley_client_create()) {
  Update start{{"type", "start"}, {"server", server_url}, {"database", database}};
  for (const auto& kv : options) start[kv.key()] = kv.value();
  start_answer_ = call(std::move(start));
  if (expect_started) {
    EXPECT_EQ(str(start_answer_, "type"), "started") << json::serialize(start_answer_);
  }
}

TestClient::~TestClient() { parley_client_destroy(client_); }

bool TestClient::receive_one(std::chrono::milliseconds timeout) {
  const char* text = parley_client_receive(client_, static_cast<double>(timeout.count()) / 1000.0);
  if (text == nullptr) return false;
  json::value v = json::parse(text);
  json::object o = v.as_object();
  if (o.contains("id") && !o.at("id").is_null()) {
    answers_.push_back(std::move(o));
  } else {
    updates_.push_back(std::move(o));
  }
  return true;
}

Update TestClient::call(Update request) {
  const int64_t id = next_id_++;
  request["id"] = id;
  parley_client_send(client_, json::serialize(request).c_str());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (;;) {
    for (auto it = answers_.begin(); it != answers_.end(); ++it) {
      if (num(*it, "id") == id) {
        Update a = std::move(*it);
        answers_.erase(it);
        return a;
      }
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return {{"type", "timeout"}};
    receive_one(left);
  }
}

Update TestClient::wait_for(const std::function<bool(const Update&)>& pred, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  size_t checked = 0;
  for (;;) {
    for (; checked < updates_.size(); ++checked) {
      if (pred(updates_[checked])) {
        Update u = std::move(updates_[checked]);
        updates_.erase(updates_.begin(), updates_.begin() + static_cast<long>(checked) + 1);
        return u;
      }
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return {{"type", "timeout"}};
    receive_one(left);
  }
}

Update TestClient::wait_for_type(const std::string& type, std::chrono::milliseconds timeout) {
  return wait_for([&](const Update& u) { return str(u, "type") == type; }, timeout);
}

std::vector<Update> TestClient::drain() {
  while (receive_one(std::chrono::milliseconds(0))) {
  }
  std::vector<Update> out(updates_.begin(), updates_.end());
  updates_.clear();
  return out;
}

Update TestClient::register_user(const std::string& username) {
  auto a = call({{"type", "register"}, {"username", username}, {"password", "pw-" + username + "-long-enough"},
                 {"display_name", username}});
  EXPECT_EQ(str(a, "type"), "authorized") << json::serialize(a);
  return a;
}

int64_t TestClient::open_direct(const std::string& username) {
  auto a = call({{"type", "open_direct"}, {"username", username}});
  EXPECT_EQ(str(a, "type"), "chat") << json::serialize(a);
  return a.contains("chat") ? num(a.at("chat").as_object(), "id") : 0;
}

std::string TestClient::send_text(int64_t chat_id, const std::string& text) {
  auto a = call({{"type", "send_message"}, {"chat_id", chat_id}, {"text", text}});
  EXPECT_EQ(str(a, "type"), "queued") << json::serialize(a);
  return a.contains("message") ? str(a.at("message").as_object(), "client_id") : std::string();
}

}  // namespace parley::client::testing
