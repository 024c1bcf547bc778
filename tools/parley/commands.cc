#include "commands.h"

#include "chat_view.h"

#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <optional>

#include <boost/json/serialize.hpp>

namespace parley::cli {

namespace json = boost::json;

namespace {

int fail(const Json& answer) {
  std::cerr << "parley: " << str(answer, "code") << ": " << str(answer, "message") << "\n";
  return 1;
}

// The password: $PARLEY_PASSWORD, else a prompt without echo on a terminal, else the first
// line of standard input (for scripts).
std::string read_password() {
  if (const char* env = std::getenv("PARLEY_PASSWORD")) return env;
  std::string password;
  if (isatty(STDIN_FILENO)) {
    std::cerr << "Password: " << std::flush;
    termios old{};
    tcgetattr(STDIN_FILENO, &old);
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    std::getline(std::cin, password);
    tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::cerr << "\n";
  } else {
    std::getline(std::cin, password);
  }
  return password;
}

std::string join(const Args& args, size_t from) {
  std::string out;
  for (size_t i = from; i < args.size(); ++i) out += (i > from ? " " : "") + args[i];
  return out;
}

int authenticate(Session& s, const Args& args, bool is_register) {
  if (args.empty()) {
    std::cerr << "usage: parley " << (is_register ? "register" : "login") << " USERNAME [DISPLAY NAME]\n";
    return 2;
  }
  Json req{{"type", is_register ? "register" : "login"}, {"username", args[0]}, {"password", read_password()}};
  if (is_register && args.size() > 1) req["display_name"] = join(args, 1);
  Json a = s.call(std::move(req));
  if (str(a, "type") != "authorized") return fail(a);
  std::cout << "logged in as " << str(a.at("user").as_object(), "username") << "\n";
  s.settle(std::chrono::seconds(10));
  return 0;
}

}  // namespace

int cmd_register(Session& s, const Args& args) { return authenticate(s, args, true); }
int cmd_login(Session& s, const Args& args) { return authenticate(s, args, false); }

int cmd_logout(Session& s, const Args&) {
  Json a = s.call({{"type", "logout"}});
  if (str(a, "type") != "ok") return fail(a);
  std::cout << "logged out\n";
  return 0;
}

int cmd_chats(Session& s, const Args&) {
  Json a = s.call({{"type", "get_chats"}, {"limit", 200}});
  if (!a.contains("chats")) return fail(a);
  for (const json::value& v : a.at("chats").as_array()) {
    const json::object& c = v.as_object();
    std::string line = str(c, "title");
    if (str(c, "kind") == "group") line += " (group)";
    if (c.at("left").as_bool()) line += " (left)";
    line += "\t" + std::to_string(num(c, "unread")) + " unread";
    if (num(c, "pending") > 0) line += ", " + std::to_string(num(c, "pending")) + " to send";
    if (const json::value* last = c.if_contains("last_message"); last && last->is_object()) {
      line += "\t" + message_line(last->as_object());
    }
    std::cout << line << "\n";
  }
  return 0;
}

int cmd_send(Session& s, const Args& args) {
  if (args.size() < 2) {
    std::cerr << "usage: parley send USER|GROUP TEXT...\n";
    return 2;
  }
  auto chat = find_chat(s, args[0]);
  if (!chat) {
    Json a = s.call({{"type", "open_direct"}, {"username", args[0]}});
    if (str(a, "type") != "chat") return fail(a);
    chat = a.at("chat").as_object();
  }
  Json a = s.call({{"type", "send_message"}, {"chat_id", num(*chat, "id")}, {"text", join(args, 1)}});
  if (str(a, "type") != "queued") return fail(a);
  const std::string client_id = str(a.at("message").as_object(), "client_id");
  // Wait for the server's acknowledgement while it can come; otherwise the outbox keeps the
  // message and the next run of parley (any command) sends it.
  Json state = s.wait([&](const Json& u) {
    if (str(u, "type") == "message_state" && str(u, "client_id") == client_id) {
      return str(u, "state") != "sending";
    }
    return str(u, "type") == "connection_state" && str(u, "state") == "waiting";
  }, std::chrono::seconds(15));
  if (str(state, "type") == "message_state" && str(state, "state") == "failed") {
    std::cerr << "parley: not sent: " << str(state, "error") << "\n";
    return 1;
  }
  if (str(state, "type") == "message_state") {
    std::cout << "sent\n";
  } else {
    std::cout << "queued; it will be sent when the server is reachable\n";
  }
  return 0;
}

int cmd_send_photo(Session& s, const Args& args) {
  if (args.size() < 2) {
    std::cerr << "usage: parley send-photo USER|GROUP FILE [CAPTION...]\n";
    return 2;
  }
  auto chat = find_chat(s, args[0]);
  if (!chat) {
    Json a = s.call({{"type", "open_direct"}, {"username", args[0]}});
    if (str(a, "type") != "chat") return fail(a);
    chat = a.at("chat").as_object();
  }
  Json up = s.call({{"type", "upload_photo"}, {"path", args[1]}});
  if (str(up, "type") != "photo") return fail(up);
  Json req{{"type", "send_photo"}, {"chat_id", num(*chat, "id")},
           {"media_id", str(up.at("media").as_object(), "media_id")}};
  if (args.size() > 2) req["caption"] = join(args, 2);
  Json a = s.call(std::move(req));
  if (str(a, "type") != "queued") return fail(a);
  const std::string client_id = str(a.at("message").as_object(), "client_id");
  Json state = s.wait([&](const Json& u) {
    return str(u, "type") == "message_state" && str(u, "client_id") == client_id && str(u, "state") != "sending";
  }, std::chrono::seconds(15));
  if (str(state, "state") == "failed") {
    std::cerr << "parley: not sent: " << str(state, "error") << "\n";
    return 1;
  }
  std::cout << (str(state, "type") == "message_state" ? "sent\n" : "queued; it will be sent when the server is reachable\n");
  return 0;
}

int cmd_history(Session& s, const Args& args) {
  if (args.empty()) {
    std::cerr << "usage: parley history CHAT [LIMIT]\n";
    return 2;
  }
  auto chat = find_chat(s, args[0]);
  if (!chat) {
    std::cerr << "parley: no chat called " << args[0] << "\n";
    return 1;
  }
  const int64_t limit = args.size() > 1 ? std::atoll(args[1].c_str()) : 50;
  Json a = s.call({{"type", "get_history"}, {"chat_id", num(*chat, "id")}, {"limit", limit}});
  if (!a.contains("messages")) return fail(a);
  for (const json::value& m : a.at("messages").as_array()) {
    if (m.as_object().contains("hidden")) continue;
    std::cout << message_line(m.as_object()) << "\n";
  }
  for (const json::value& e : a.at("outbox").as_array()) {
    std::cout << "                 you: " << str(e.as_object(), "text") << ticks(str(e.as_object(), "state")) << "\n";
  }
  return 0;
}

int cmd_tail(Session& s, const Args&) {
  // Runs until interrupted: new messages, edits and state changes as they come.
  std::cerr << (s.online() ? "(following; Ctrl-C to stop)" : "(offline; waiting for the server)") << std::endl;
  s.wait([](const Json&) { return false; }, std::chrono::hours(24 * 365), [&](const Json& u) {
    const std::string type = str(u, "type");
    if (type == "new_message" || type == "message_updated") {
      const json::object& m = u.at("message").as_object();
      auto chat = s.call({{"type", "get_chat"}, {"chat_id", num(m, "chat_id")}});
      const std::string title = chat.contains("chat") ? str(chat.at("chat").as_object(), "title") : "?";
      std::cout << title << " | " << (type == "message_updated" ? "(changed) " : "") << message_line(m) << std::endl;
    } else if (type == "message_state" && str(u, "state") != "sending") {
      std::cout << "  your message " << num(u, "seq") << ticks(str(u, "state")) << std::endl;
    } else if (type == "connection_state") {
      std::cerr << "(" << str(u, "state") << ")" << std::endl;
    } else if (type == "typing") {
      std::cerr << "(someone is typing)" << std::endl;
    }
  });
  return 0;
}

int cmd_search(Session& s, const Args& args) {
  if (args.empty()) {
    std::cerr << "usage: parley search WORDS...\n";
    return 2;
  }
  Json a = s.call({{"type", "search"}, {"query", join(args, 0)}, {"limit", 50}});
  if (!a.contains("results")) return fail(a);
  for (const json::value& r : a.at("results").as_array()) {
    const json::object& m = r.as_object().at("message").as_object();
    auto chat = s.call({{"type", "get_chat"}, {"chat_id", num(m, "chat_id")}});
    const std::string title = chat.contains("chat") ? str(chat.at("chat").as_object(), "title") : "?";
    std::cout << title << " | " << clock_time(num(m, "ts")) << " " << str(m, "sender") << ": "
              << str(r.as_object(), "snippet") << "\n";
  }
  return 0;
}

int cmd_read(Session& s, const Args& args) {
  if (args.empty()) {
    std::cerr << "usage: parley read CHAT\n";
    return 2;
  }
  auto chat = find_chat(s, args[0]);
  if (!chat) {
    std::cerr << "parley: no chat called " << args[0] << "\n";
    return 1;
  }
  Json a = s.call({{"type", "mark_read"}, {"chat_id", num(*chat, "id")}});
  if (str(a, "type") != "ok") return fail(a);
  // Give the receipt a moment to leave when online; offline it is sent by a later run.
  if (s.online()) s.wait([](const Json& u) { return str(u, "type") == "sync_done"; }, std::chrono::seconds(5));
  std::cout << "marked " << num(*chat, "unread") << " message(s) read\n";
  return 0;
}

}  // namespace parley::cli
