// Finding people, contacts and blocking: requests passed to the server's HTTP routes
// (docs/protocol.md, "Contacts, blocking and privacy"). They need a connection to the
// server; offline they answer "unavailable". Nothing of this is kept in the store.
#include "client/engine.h"

#include <cctype>

#include "client/json_util.h"
#include "protocol/json_fields.h"

namespace parley::client {

namespace json = boost::json;
namespace protocol = parley::protocol;

namespace {

// Percent-encodes a query-string value.
std::string query_value(std::string_view v) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : v) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace

void Engine::people_request(const std::string& type, const json::object& req, const Answer& answer) {
  // Each request: the route, and which field of the server's answer becomes the answer.
  auto relay = [this, answer](std::string method, std::string target, json::object body, std::string answer_type,
                              std::string field) {
    http(std::move(method), std::move(target), std::move(body),
         [answer, answer_type = std::move(answer_type), field = std::move(field)](Result<json::object> r) {
           if (!r) return answer(error_object(r.error()));
           json::object a{{"type", answer_type}};
           if (!field.empty()) a[field] = r->contains(field) ? r->at(field) : json::value(nullptr);
           answer(std::move(a));
         });
  };
  if (type == "find_users") {
    auto prefix = protocol::required_string(req, "prefix");
    if (!prefix) return answer(error_object(prefix.error()));
    auto limit = protocol::optional_int(req, "limit", 1, 50);
    if (!limit) return answer(error_object(limit.error()));
    return relay("GET", "/api/v1/users?prefix=" + query_value(*prefix) + "&limit=" + std::to_string(limit->value_or(20)),
                 {}, "users", "users");
  }
  if (type == "get_contacts") return relay("GET", "/api/v1/contacts", {}, "contacts", "contacts");
  if (type == "get_blocked") return relay("GET", "/api/v1/blocks", {}, "users", "users");
  auto user_id = protocol::required_int(req, "user_id", 1);
  if (!user_id) return answer(error_object(user_id.error()));
  const std::string id = std::to_string(*user_id);
  if (type == "add_contact") {
    auto nickname = protocol::optional_string(req, "nickname");
    if (!nickname) return answer(error_object(nickname.error()));
    json::object body;
    if (*nickname) body["nickname"] = **nickname;
    return relay("PUT", "/api/v1/contacts/" + id, std::move(body), "contact", "contact");
  }
  if (type == "remove_contact") return relay("DELETE", "/api/v1/contacts/" + id, {}, "ok", "");
  if (type == "block_user") return relay("PUT", "/api/v1/blocks/" + id, {}, "ok", "");
  if (type == "unblock_user") return relay("DELETE", "/api/v1/blocks/" + id, {}, "ok", "");
  answer(error_object(Error::make(Errc::kBadRequest, "unknown request type " + type)));
}

}  // namespace parley::client
