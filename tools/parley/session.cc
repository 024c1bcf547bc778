#include "session.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace parley::cli {

namespace json = boost::json;

std::string str(const Json& o, const char* key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

int64_t num(const Json& o, const char* key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_int64() ? v->as_int64() : 0;
}

Session::Session(const std::string& server, const std::string& database, const std::string& database_key)
    : client_(parley_client_create()) {
  Json start{{"type", "start"}, {"server", server}, {"database", database}, {"device_name", "parley command line"}};
  if (!database_key.empty()) start["database_key"] = database_key;
  Json a = call(std::move(start));
  if (str(a, "type") != "started") start_error_ = str(a, "message").empty() ? str(a, "code") : str(a, "message");
  logged_in_ = a.contains("logged_in") && a.at("logged_in").as_bool();
}

Session::~Session() { parley_client_destroy(client_); }

std::optional<Json> Session::receive(std::chrono::milliseconds timeout) {
  const char* text = parley_client_receive(client_, static_cast<double>(timeout.count()) / 1000.0);
  if (text == nullptr) return std::nullopt;
  json::value v = json::parse(text);
  return v.as_object();
}

Json Session::call(Json request) {
  const int64_t id = next_id_++;
  request["id"] = id;
  parley_client_send(client_, json::serialize(request).c_str());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    auto got = receive(std::chrono::milliseconds(200));
    if (!got) continue;
    if (num(*got, "id") == id) return *got;
    if (!got->contains("id") || got->at("id").is_null()) updates_.push_back(std::move(*got));
  }
  return {{"type", "error"}, {"code", "timeout"}, {"message", "the core did not answer"}};
}

Json Session::wait(const std::function<bool(const Json&)>& pred, std::chrono::milliseconds timeout,
                   const std::function<void(const Json&)>& other) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    std::optional<Json> got;
    if (!updates_.empty()) {
      got = std::move(updates_.front());
      updates_.pop_front();
    } else {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return {{"type", "timeout"}};
      got = receive(std::min(left, std::chrono::milliseconds(500)));
      if (!got) continue;
    }
    if (str(*got, "type") == "connection_state") {
      const std::string state = str(*got, "state");
      online_ = state == "ready";
    }
    if (pred(*got)) return *got;
    if (other) other(*got);
  }
}

void Session::poll(const std::function<void(const Json&)>& handler, std::chrono::milliseconds timeout) {
  while (!updates_.empty()) {
    Json u = std::move(updates_.front());
    updates_.pop_front();
    handler(u);
  }
  auto wait = timeout;
  while (auto got = receive(wait)) {
    if (str(*got, "type") == "connection_state") online_ = str(*got, "state") == "ready";
    if (!got->contains("id") || got->at("id").is_null()) handler(*got);
    wait = std::chrono::milliseconds(0);
  }
}

bool Session::settle(std::chrono::milliseconds timeout) {
  if (!logged_in_) return false;
  Json u = wait([](const Json& x) {
    const std::string type = str(x, "type");
    if (type == "sync_done") return true;
    if (type != "connection_state") return false;
    const std::string state = str(x, "state");
    return state == "waiting" || state == "logged_out" || state == "replaced";
  }, timeout);
  return str(u, "type") == "sync_done";
}

}  // namespace parley::cli
