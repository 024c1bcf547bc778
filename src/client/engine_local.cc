// Requests answered from the local store or the engine's own state; they work offline.
#include "client/engine.h"

#include "client/json_util.h"
#include "protocol/json_fields.h"

namespace parley::client {

namespace json = boost::json;
namespace protocol = parley::protocol;

void Engine::get_chats(const json::object& req, const Answer& answer) {
  auto limit = protocol::optional_int(req, "limit", 1, 100000);
  if (!limit) return answer(error_object(limit.error()));
  json::array chats;
  for (const Chat& c : store_->chats(static_cast<int>(limit->value_or(100)))) chats.push_back(chat_view(c));
  answer({{"type", "chats"}, {"chats", std::move(chats)}});
}

void Engine::get_chat(const json::object& req, const Answer& answer) {
  auto chat_id = protocol::required_int(req, "chat_id", 1);
  if (!chat_id) return answer(error_object(chat_id.error()));
  auto chat = store_->chat(*chat_id);
  if (!chat) return answer(error_object(Error::make(Errc::kNotFound, "no such chat")));
  answer({{"type", "chat"}, {"chat", chat_view(*chat)}});
}

void Engine::search(const json::object& req, const Answer& answer) {
  auto query = protocol::required_string(req, "query");
  if (!query) return answer(error_object(query.error()));
  auto chat_id = protocol::optional_int(req, "chat_id", 1);
  if (!chat_id) return answer(error_object(chat_id.error()));
  auto limit = protocol::optional_int(req, "limit", 1, 1000);
  if (!limit) return answer(error_object(limit.error()));
  json::array results;
  for (const SearchHit& hit : store_->search(*query, chat_id->value_or(0), static_cast<int>(limit->value_or(20)))) {
    auto chat = store_->chat(hit.message.chat_id);
    results.push_back({{"message", message_view(hit.message, chat ? &*chat : nullptr)}, {"snippet", hit.snippet}});
  }
  answer({{"type", "search_results"}, {"results", std::move(results)}});
}

void Engine::retry_message(const json::object& req, const Answer& answer) {
  auto client_id = protocol::required_string(req, "client_id");
  if (!client_id) return answer(error_object(client_id.error()));
  if (Status s = store_->retry(*client_id); !s) return answer(error_object(s.error()));
  auto entry = store_->outbox_entry(*client_id);
  emit({{"type", "message_state"}, {"chat_id", entry->chat_id}, {"client_id", *client_id}, {"state", "sending"}});
  answer({{"type", "ok"}});
  pump_outbox();
}

void Engine::network_changed(const json::object&, const Answer& answer) {
  // The app says the network came back (or changed): try now instead of waiting.
  replaced_ = false;
  if (!ready_ && !token_.empty()) {
    reconnect_timer_.cancel();
    backoff_.reset();
    if (!ws_) connect();
  }
  answer({{"type", "ok"}});
}

void Engine::get_state(const json::object&, const Answer& answer) {
  const std::string cursor = store_->setting("sync_version");
  answer({{"type", "state"}, {"connected", ready_}, {"logged_in", !token_.empty()}, {"user_id", me_},
          {"sync_version", cursor.empty() ? 0 : std::stoll(cursor)}});
}

}  // namespace parley::client
