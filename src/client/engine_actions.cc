// Requests that act on the server directly and need a connection: edits, deletions, typing
// and presence. Offline they answer "unavailable" (nothing is queued: an edit or a typing
// indicator delivered late would be wrong).
#include "client/engine.h"

#include "client/json_util.h"
#include "protocol/json_fields.h"

namespace parley::client {

namespace json = boost::json;
namespace protocol = parley::protocol;

void Engine::edit_message(const json::object& req, const Answer& answer) {
  auto chat_id = protocol::required_int(req, "chat_id", 1);
  if (!chat_id) return answer(error_object(chat_id.error()));
  auto seq = protocol::required_int(req, "seq", 1);
  if (!seq) return answer(error_object(seq.error()));
  auto text = protocol::required_string(req, "text");
  if (!text) return answer(error_object(text.error()));
  request({{"type", "edit"}, {"conversation_id", *chat_id}, {"seq", *seq}, {"text", *text}},
          [this, answer](const json::object& a) {
            if (string_field(a, "type") != "edited") return answer(error_object(error_from_json(a)));
            const json::value* m = a.if_contains("message");
            if (m == nullptr || !m->is_object()) return answer(error_object(Error::make(Errc::kInternal, "no message")));
            apply_message(*m, true);
            const Message stored = message_from_json(m->as_object());
            auto chat = store_->chat(stored.chat_id);
            answer({{"type", "message"}, {"message", message_view(stored, chat ? &*chat : nullptr)},
                    {"changed", bool_field(a, "changed")}});
          });
}

void Engine::delete_message(const json::object& req, const Answer& answer) {
  auto chat_id = protocol::required_int(req, "chat_id", 1);
  if (!chat_id) return answer(error_object(chat_id.error()));
  auto seq = protocol::required_int(req, "seq", 1);
  if (!seq) return answer(error_object(seq.error()));
  auto scope = protocol::required_string(req, "for");
  if (!scope) return answer(error_object(scope.error()));
  if (*scope != "me" && *scope != "everyone") {
    return answer(error_object(Error::make(Errc::kInvalidArgument, "for must be \"me\" or \"everyone\"")));
  }
  request({{"type", "delete"}, {"conversation_id", *chat_id}, {"seq", *seq}, {"for", *scope}},
          [this, answer, chat_id = *chat_id, seq = *seq, everyone = *scope == "everyone"](const json::object& a) {
            if (string_field(a, "type") != "ok") return answer(error_object(error_from_json(a)));
            // The server's event follows; the store reflects the deletion already now.
            if (auto m = store_->message(chat_id, seq)) {
              (everyone ? m->deleted : m->hidden) = true;
              m->text.clear();
              if (store_->put_message(*m).ok()) {
                auto chat = store_->chat(chat_id);
                emit({{"type", "message_updated"}, {"message", message_view(*m, chat ? &*chat : nullptr)}});
              }
            }
            answer({{"type", "ok"}});
          });
}

void Engine::send_typing(const json::object& req, const Answer& answer) {
  auto chat_id = protocol::required_int(req, "chat_id", 1);
  if (!chat_id) return answer(error_object(chat_id.error()));
  auto state = protocol::required_string(req, "state");
  if (!state) return answer(error_object(state.error()));
  request({{"type", "typing"}, {"conversation_id", *chat_id}, {"state", *state}}, [answer](const json::object& a) {
    if (string_field(a, "type") != "ok") return answer(error_object(error_from_json(a)));
    answer({{"type", "ok"}});
  });
}

void Engine::subscribe_presence(const json::object& req, const Answer& answer) {
  const json::value* ids = req.if_contains("user_ids");
  if (ids == nullptr || !ids->is_array()) {
    return answer(error_object(Error::make(Errc::kBadRequest, "user_ids must be an array of user ids")));
  }
  request({{"type", "presence_subscribe"}, {"user_ids", *ids}}, [answer](const json::object& a) {
    if (string_field(a, "type") != "presence_subscribed") return answer(error_object(error_from_json(a)));
    const json::value* users = a.if_contains("users");
    answer({{"type", "presence"}, {"users", users ? *users : json::array()}});
  });
}

}  // namespace parley::client
