#include "client/engine.h"

#include <chrono>
#include <map>
#include <set>
#include <random>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "client/json_util.h"
#include "protocol/json_fields.h"

namespace parley::client {

namespace json = boost::json;
namespace protocol = parley::protocol;

namespace {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// 128 random bits as 32 hex digits: a client_id the server accepts and no device repeats.
std::string new_client_id() {
  static thread_local std::mt19937_64 rng{std::random_device{}() ^
                                          static_cast<uint64_t>(now_ms())};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  for (int half = 0; half < 2; ++half) {
    uint64_t bits = rng();
    for (int i = 0; i < 16; ++i, bits >>= 4) id += kHex[bits & 15];
  }
  return id;
}

}  // namespace

Engine::Engine(boost::asio::io_context& io, UpdateQueue& out)
    : io_(io), out_(out), reconnect_timer_(io), outbox_timer_(io) {}

Engine::~Engine() = default;

void Engine::emit(json::object update) { out_.push(json::serialize(update)); }

void Engine::handle(const std::string& request_text) {
  auto parsed = protocol::parse_object(request_text);
  if (!parsed) {
    json::object e = error_object(parsed.error());
    e["id"] = nullptr;  // no id could be read: the app matches it as "the request it garbled"
    emit(std::move(e));
    return;
  }
  json::object req = std::move(parsed.value());
  json::value id = req.contains("id") ? req.at("id") : json::value(nullptr);
  Answer answer = [this, id](json::object a) {
    a["id"] = id;
    emit(std::move(a));
  };
  auto type = protocol::required_string(req, "type");
  if (!type) {
    answer(error_object(type.error()));
    return;
  }
  if (*type != "start" && !store_) {
    answer(error_object(Error::make(Errc::kBadRequest, "send \"start\" first")));
    return;
  }
  dispatch(*type, req, answer);
}

void Engine::dispatch(const std::string& type, const json::object& req, const Answer& answer) {
  using Handler = void (Engine::*)(const json::object&, const Answer&);
  static const std::map<std::string, Handler, std::less<>> kHandlers = {
      {"start", &Engine::start},
      {"register", &Engine::register_account},
      {"login", &Engine::login},
      {"logout", &Engine::logout},
      {"open_direct", &Engine::open_direct},
      {"create_group", &Engine::create_group},
      {"leave_group", &Engine::leave_group},
      {"send_message", &Engine::send_message},
      {"retry_message", &Engine::retry_message},
      {"get_history", &Engine::get_history},
      {"mark_read", &Engine::mark_read},
      {"get_chats", &Engine::get_chats},
      {"get_chat", &Engine::get_chat},
      {"search", &Engine::search},
      {"edit_message", &Engine::edit_message},
      {"delete_message", &Engine::delete_message},
      {"send_typing", &Engine::send_typing},
      {"subscribe_presence", &Engine::subscribe_presence},
      {"network_changed", &Engine::network_changed},
      {"get_state", &Engine::get_state},
      {"add_members", &Engine::add_members},
      {"remove_member", &Engine::remove_member},
      {"rename_group", &Engine::rename_group},
      {"upload_photo", &Engine::upload_photo},
      {"send_photo", &Engine::send_photo},
      {"get_thumbnail", &Engine::get_thumbnail},
  };
  static const std::set<std::string, std::less<>> kPeople = {
      "find_users", "get_contacts", "add_contact", "remove_contact", "get_blocked", "block_user", "unblock_user"};
  if (auto it = kHandlers.find(type); it != kHandlers.end()) return (this->*(it->second))(req, answer);
  if (kPeople.count(type) != 0) return people_request(type, req, answer);
  answer(error_object(Error::make(Errc::kBadRequest, "unknown request type " + type)));
}

void Engine::register_account(const json::object& req, const Answer& answer) { authenticate(true, req, answer); }
void Engine::login(const json::object& req, const Answer& answer) { authenticate(false, req, answer); }

void Engine::start(const json::object& req, const Answer& answer) {
  if (store_) return answer(error_object(Error::make(Errc::kBadRequest, "already started")));
  auto server = protocol::required_string(req, "server");
  if (!server) return answer(error_object(server.error()));
  auto path = protocol::required_string(req, "database");
  if (!path) return answer(error_object(path.error()));
  auto device = protocol::optional_string(req, "device_name");
  if (!device) return answer(error_object(device.error()));
  auto base = protocol::optional_int(req, "reconnect_base_ms", 1, 60000);
  if (!base) return answer(error_object(base.error()));
  auto cap = protocol::optional_int(req, "reconnect_cap_ms", 1, 3600000);
  if (!cap) return answer(error_object(cap.error()));
  auto ca_file = protocol::optional_string(req, "ca_file");
  if (!ca_file) return answer(error_object(ca_file.error()));
  auto cache_bytes = protocol::optional_int(req, "thumbnail_cache_bytes", 0, int64_t{1} << 40);
  if (!cache_bytes) return answer(error_object(cache_bytes.error()));
  auto key = protocol::optional_string(req, "database_key");
  if (!key) return answer(error_object(key.error()));
  auto endpoint = parse_server_url(*server);
  if (!endpoint) return answer(error_object(endpoint.error()));
  endpoint->ca_file = ca_file->value_or("");
  auto store = Store::open(*path, key->value_or(""));
  if (!store) return answer(error_object(store.error()));
  store_ = std::move(store.value());
  server_ = *endpoint;
  thumbnail_dir_ = *path + ".thumbnails";
  thumbnail_cache_bytes_ = static_cast<uintmax_t>(cache_bytes->value_or(64 << 20));
  backoff_ = Backoff(Backoff::Ms(base->value_or(Backoff::kDefaultBase.count())),
                     Backoff::Ms(std::max(cap->value_or(Backoff::kDefaultCap.count()),
                                          base->value_or(Backoff::kDefaultBase.count()))));
  device_name_ = device->value_or("parley native client");
  token_ = store_->setting("token");
  const std::string me = store_->setting("me");
  me_ = me.empty() ? 0 : std::stoll(me);
  json::object a{{"type", "started"}, {"logged_in", !token_.empty()}};
  if (auto user = store_->user(me_)) a["user"] = user_view(*user);
  answer(std::move(a));
  if (!token_.empty()) connect();
}

void Engine::authenticate(bool is_register, const json::object& req, const Answer& answer) {
  auto username = protocol::required_string(req, "username");
  if (!username) return answer(error_object(username.error()));
  auto password = protocol::required_string(req, "password");
  if (!password) return answer(error_object(password.error()));
  json::object body{{"username", *username}, {"password", *password}, {"device_name", device_name_}};
  if (is_register) {
    auto display = protocol::optional_string(req, "display_name");
    if (!display) return answer(error_object(display.error()));
    body["display_name"] = display->value_or(*username);
  }
  http("POST", is_register ? "/api/v1/register" : "/api/v1/login", std::move(body),
       [this, answer](Result<json::object> r) {
         if (!r) return answer(error_object(r.error()));
         const json::object& user = r->at("user").as_object();
         User u = user_from_json(user);
         // A different account on this device: the old account's data must not mix in.
         if (me_ != 0 && me_ != u.id) {
           return answer(error_object(Error::make(
               Errc::kInvalidArgument, "this store belongs to another account; use another database")));
         }
         token_ = std::string(r->at("token").as_string());
         me_ = u.id;
         (void)store_->put_user(u);
         (void)store_->set_setting("me", std::to_string(me_));
         if (Status s = store_->set_setting("token", token_); !s) return answer(error_object(s.error()));
         answer({{"type", "authorized"}, {"user", user_view(u)}});
         emit({{"type", "authorization_state"}, {"state", "logged_in"}, {"user", user_view(u)}});
         replaced_ = false;
         backoff_.reset();
         if (!ws_) connect();
       });
}

void Engine::logout(const json::object&, const Answer& answer) {
  if (token_.empty()) return answer(error_object(Error::make(Errc::kUnauthenticated, "not logged in")));
  http("POST", "/api/v1/logout", {}, [this, answer](Result<json::object> r) {
    // Offline, or the session already revoked: forgetting the token locally is what matters.
    token_.clear();
    (void)store_->set_setting("token", "");
    if (ws_) ws_->close();
    reconnect_timer_.cancel();
    answer({{"type", "ok"}, {"server_revoked", r.ok()}});
    emit({{"type", "authorization_state"}, {"state", "logged_out"}});
  });
}

void Engine::open_direct(const json::object& req, const Answer& answer) {
  auto username = protocol::required_string(req, "username");
  if (!username) return answer(error_object(username.error()));
  // Known locally (works offline): the direct chat whose peer has this username.
  if (auto user = store_->user_by_name(*username)) {
    for (const Chat& c : store_->chats(100000)) {
      if (c.kind == "direct" && c.peer_id == user->id) return answer({{"type", "chat"}, {"chat", chat_view(c)}});
    }
  }
  http("POST", "/api/v1/conversations", {{"peer_username", *username}},
       [this, answer](Result<json::object> r) {
         if (!r) return answer(error_object(r.error()));
         apply_conversation(r->at("conversation").as_object());
         auto chat = store_->chat(r->at("conversation").at("id").to_number<int64_t>());
         answer({{"type", "chat"}, {"chat", chat_view(*chat)}});
       });
}

void Engine::create_group(const json::object& req, const Answer& answer) {
  auto name = protocol::required_string(req, "name");
  if (!name) return answer(error_object(name.error()));
  const json::value* members = req.if_contains("members");
  if (members == nullptr || !members->is_array()) {
    return answer(error_object(Error::make(Errc::kBadRequest, "members must be an array of usernames")));
  }
  http("POST", "/api/v1/groups", {{"name", *name}, {"member_usernames", *members}},
       [this, answer](Result<json::object> r) {
         if (!r) return answer(error_object(r.error()));
         apply_conversation(r->at("conversation").as_object());
         auto chat = store_->chat(r->at("conversation").at("id").to_number<int64_t>());
         answer({{"type", "chat"}, {"chat", chat_view(*chat)}});
       });
}

void Engine::leave_group(const json::object& req, const Answer& answer) {
  auto chat_id = protocol::required_int(req, "chat_id", 1);
  if (!chat_id) return answer(error_object(chat_id.error()));
  http("POST", "/api/v1/conversations/" + std::to_string(*chat_id) + "/leave", {},
       [this, answer, id = *chat_id](Result<json::object> r) {
         if (!r) return answer(error_object(r.error()));
         if (auto chat = store_->chat(id)) {
           chat->left = true;
           (void)store_->put_chat(*chat);
         }
         answer({{"type", "ok"}});
         emit_chat(id);
       });
}

void Engine::send_message(const json::object& req, const Answer& answer) {
  auto chat_id = protocol::required_int(req, "chat_id", 1);
  if (!chat_id) return answer(error_object(chat_id.error()));
  auto text = protocol::required_string(req, "text");
  if (!text) return answer(error_object(text.error()));
  if (text->empty() || text->size() > 16384) {
    return answer(error_object(Error::make(Errc::kMessageTooLong, "text must be 1 to 16384 bytes")));
  }
  enqueue_and_send(*chat_id, *text, "", answer);
}

void Engine::enqueue_and_send(int64_t chat_id, const std::string& text, const std::string& media_id,
                              const Answer& answer) {
  auto entry = store_->enqueue(chat_id, new_client_id(), text, now_ms(), media_id);
  if (!entry) return answer(error_object(entry.error()));
  answer({{"type", "queued"}, {"message", outbox_view(*entry)}});
  emit({{"type", "message_state"}, {"chat_id", entry->chat_id}, {"client_id", entry->client_id},
        {"state", "sending"}});
  emit_chat(chat_id);
  pump_outbox();
}

void Engine::get_history(const json::object& req, const Answer& answer) {
  auto chat_id = protocol::required_int(req, "chat_id", 1);
  if (!chat_id) return answer(error_object(chat_id.error()));
  auto before = protocol::optional_int(req, "before", 1);
  if (!before) return answer(error_object(before.error()));
  auto limit_opt = protocol::optional_int(req, "limit", 1, 200);
  if (!limit_opt) return answer(error_object(limit_opt.error()));
  const int limit = static_cast<int>(limit_opt->value_or(50));
  auto chat = store_->chat(*chat_id);
  if (!chat) return answer(error_object(Error::make(Errc::kNotFound, "no such chat")));
  const int64_t top = before->value_or(0);
  // What the local store holds contiguously below `top` answers at once; only a gap (older
  // messages never fetched) goes to the server, and only when connected.
  auto local = store_->messages(*chat_id, top, limit);
  const int64_t first_wanted = std::max<int64_t>(1, (top > 0 ? top : chat->last_seq + 1) - limit);
  const bool complete = static_cast<int>(local.size()) >= limit ||
                        (!local.empty() && local.front().seq <= first_wanted) ||
                        chat->last_seq == 0;
  auto respond = [this, answer, chat_id = *chat_id, top, limit](bool from_server) {
    auto c = store_->chat(chat_id);
    json::array messages;
    auto rows = store_->messages(chat_id, top, limit);
    for (const Message& m : rows) messages.push_back(message_view(m, &*c));
    json::array pending;
    if (top == 0) {
      for (const OutboxEntry& e : store_->outbox(chat_id)) pending.push_back(outbox_view(e));
    }
    const bool has_more = !rows.empty() ? rows.front().seq > 1 : false;
    answer({{"type", "messages"}, {"chat_id", chat_id}, {"messages", std::move(messages)},
            {"outbox", std::move(pending)}, {"has_more", has_more}, {"from_server", from_server}});
  };
  if (complete || !ready_) return respond(false);
  json::object frame{{"type", "history"}, {"conversation_id", *chat_id}, {"limit", limit}};
  if (top > 0) frame["before"] = top;
  request(std::move(frame), [this, respond](const json::object& a) {
    if (a.at("type").as_string() == "history") {
      for (const json::value& m : a.at("messages").as_array()) apply_message(m, false);
    }
    respond(a.at("type").as_string() == "history");
  });
}

void Engine::mark_read(const json::object& req, const Answer& answer) {
  auto chat_id = protocol::required_int(req, "chat_id", 1);
  if (!chat_id) return answer(error_object(chat_id.error()));
  auto seq = protocol::optional_int(req, "seq", 1);
  if (!seq) return answer(error_object(seq.error()));
  auto chat = store_->chat(*chat_id);
  if (!chat) return answer(error_object(Error::make(Errc::kNotFound, "no such chat")));
  if (Status s = store_->mark_read_locally(*chat_id, seq->value_or(chat->last_seq)); !s) {
    return answer(error_object(s.error()));
  }
  answer({{"type", "ok"}});
  emit_chat(*chat_id);
  send_unsent_reads();
}

void Engine::http(std::string method, std::string target, json::object body,
                  std::function<void(Result<json::object>)> done) {
  http_request(io_, server_, std::move(method), std::move(target), token_,
               body.empty() ? std::string() : json::serialize(body),
               [done = std::move(done)](Result<HttpAnswer> r) {
                 if (!r) return done(r.error());
                 auto parsed = protocol::parse_object(r->body);
                 if (!parsed) return done(Error::make(Errc::kInternal, "the server's answer is not JSON"));
                 if (r->status >= 300) return done(error_from_json(*parsed));
                 done(std::move(parsed.value()));
               });
}

}  // namespace parley::client
