#include "client/json_util.h"

#include <boost/json/serialize.hpp>

namespace parley::client {

namespace json = boost::json;

json::object error_object(const Error& error) {
  json::object o{{"type", "error"}, {"code", errc_name(error.code)}, {"message", error.message}};
  if (error.retry_after_ms > 0) o["retry_after_ms"] = error.retry_after_ms;
  return o;
}

Errc errc_from_name(std::string_view name) {
  for (int i = 0; i <= static_cast<int>(Errc::kUnavailable); ++i) {
    if (errc_name(static_cast<Errc>(i)) == name) return static_cast<Errc>(i);
  }
  return Errc::kInternal;
}

Error error_from_json(const json::object& answer) {
  const json::object* e = &answer;
  if (const json::value* inner = answer.if_contains("error"); inner && inner->is_object()) {
    e = &inner->as_object();
  }
  const std::string code = string_field(*e, "code");
  Error error = Error::make(errc_from_name(code), string_field(*e, "message"));
  if (error.code == Errc::kInternal && code != "internal") error.message = code + ": " + error.message;
  error.retry_after_ms = int_field(*e, "retry_after_ms");
  return error;
}

int64_t int_field(const json::object& o, std::string_view key, int64_t fallback) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return fallback;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) return static_cast<int64_t>(v->as_uint64());
  if (v->is_double()) return static_cast<int64_t>(v->as_double());
  return fallback;
}

std::string string_field(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

bool bool_field(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_bool() && v->as_bool();
}

User user_from_json(const json::object& user) {
  return User{int_field(user, "id"), string_field(user, "username"), string_field(user, "display_name")};
}

json::object user_view(const User& user) {
  return {{"id", user.id}, {"username", user.username}, {"display_name", user.display_name}};
}

Message message_from_json(const json::object& o) {
  Message m;
  m.chat_id = int_field(o, "conversation_id");
  m.seq = int_field(o, "seq");
  m.id = int_field(o, "id");
  m.sender_id = int_field(o, "sender_id");
  m.client_id = string_field(o, "client_id");
  m.kind = string_field(o, "kind");
  m.text = string_field(o, "text");
  m.ts = int_field(o, "ts");
  m.edited_at = int_field(o, "edited_at");
  m.deleted = bool_field(o, "deleted");
  m.hidden = bool_field(o, "hidden");
  m.version = int_field(o, "version");
  if (const json::value* image = o.if_contains("image"); image && image->is_object()) {
    m.image = json::serialize(*image);
  }
  return m;
}

}  // namespace parley::client
