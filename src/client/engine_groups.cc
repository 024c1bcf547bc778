// Group administration: adding and removing members and renaming, passed to the server's
// routes (docs/protocol.md, "Groups"). Online only; the changes reach every member's
// devices as system messages, which make their cores sync the group's new state.
#include "client/engine.h"

#include "client/json_util.h"
#include "protocol/json_fields.h"

namespace parley::client {

namespace json = boost::json;
namespace protocol = parley::protocol;

void Engine::add_members(const json::object& req, const Answer& answer) {
  auto chat_id = protocol::required_int(req, "chat_id", 1);
  if (!chat_id) return answer(error_object(chat_id.error()));
  const json::value* members = req.if_contains("members");
  if (members == nullptr || !members->is_array()) {
    return answer(error_object(Error::make(Errc::kBadRequest, "members must be an array of usernames")));
  }
  http("POST", "/api/v1/conversations/" + std::to_string(*chat_id) + "/members", {{"user_usernames", *members}},
       [this, answer](Result<json::object> r) { answer_with_conversation(std::move(r), answer); });
}

void Engine::remove_member(const json::object& req, const Answer& answer) {
  auto chat_id = protocol::required_int(req, "chat_id", 1);
  if (!chat_id) return answer(error_object(chat_id.error()));
  auto user_id = protocol::required_int(req, "user_id", 1);
  if (!user_id) return answer(error_object(user_id.error()));
  http("DELETE", "/api/v1/conversations/" + std::to_string(*chat_id) + "/members/" + std::to_string(*user_id), {},
       [this, answer](Result<json::object> r) {
         if (!r) return answer(error_object(r.error()));
         answer({{"type", "ok"}});
         sync();
       });
}

void Engine::rename_group(const json::object& req, const Answer& answer) {
  auto chat_id = protocol::required_int(req, "chat_id", 1);
  if (!chat_id) return answer(error_object(chat_id.error()));
  auto name = protocol::required_string(req, "name");
  if (!name) return answer(error_object(name.error()));
  http("PATCH", "/api/v1/conversations/" + std::to_string(*chat_id), {{"name", *name}},
       [this, answer](Result<json::object> r) { answer_with_conversation(std::move(r), answer); });
}

void Engine::answer_with_conversation(Result<json::object> r, const Answer& answer) {
  if (!r) return answer(error_object(r.error()));
  const json::value* conv = r->if_contains("conversation");
  if (conv == nullptr || !conv->is_object()) return answer(error_object(Error::make(Errc::kInternal, "no conversation")));
  apply_conversation(conv->as_object());
  auto chat = store_->chat(int_field(conv->as_object(), "id"));
  answer({{"type", "chat"}, {"chat", chat ? json::value(chat_view(*chat)) : json::value(nullptr)}});
  sync();
}

}  // namespace parley::client
