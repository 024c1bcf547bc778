// `parley chat CHAT`: the interactive terminal mode. Shows the chat's latest messages, then
// new ones as they arrive (marking them read), the ticks of your messages as they move and
// who is typing; every line typed is sent. "/quit" or end of input leaves.
#include <poll.h>
#include <unistd.h>

#include <iostream>
#include <set>
#include <string>

#include "chat_view.h"
#include "commands.h"

namespace parley::cli {

namespace json = boost::json;

int cmd_chat(Session& s, const Args& args) {
  if (args.empty()) {
    std::cerr << "usage: parley chat USER|GROUP\n";
    return 2;
  }
  auto chat = find_chat(s, args[0]);
  if (!chat) {
    Json a = s.call({{"type", "open_direct"}, {"username", args[0]}});
    if (str(a, "type") != "chat") {
      std::cerr << "parley: " << str(a, "code") << ": " << str(a, "message") << "\n";
      return 1;
    }
    chat = a.at("chat").as_object();
  }
  const int64_t chat_id = num(*chat, "id");
  std::cout << "--- " << str(*chat, "title") << " (type a message and Enter to send; /quit to leave) ---\n";
  Json history = s.call({{"type", "get_history"}, {"chat_id", chat_id}, {"limit", 20}});
  if (history.contains("messages")) {
    for (const json::value& m : history.at("messages").as_array()) {
      if (!m.as_object().contains("hidden")) std::cout << message_line(m.as_object()) << "\n";
    }
  }
  s.call({{"type", "mark_read"}, {"chat_id", chat_id}});
  std::cout << std::flush;

  std::set<std::string> mine;  // client ids sent from this screen
  auto on_update = [&](const Json& u) {
    const std::string type = str(u, "type");
    if ((type == "new_message" || type == "message_updated") &&
        num(u.at("message").as_object(), "chat_id") == chat_id) {
      const json::object& m = u.at("message").as_object();
      if (mine.count(str(m, "client_id")) != 0 && type == "new_message") return;  // shown on "sent"
      std::cout << (type == "message_updated" ? "(changed) " : "") << message_line(m) << std::endl;
      if (type == "new_message") s.call({{"type", "mark_read"}, {"chat_id", chat_id}, {"seq", num(m, "seq")}});
    } else if (type == "message_state" && num(u, "chat_id") == chat_id && str(u, "state") != "sending") {
      std::cout << "  your message" << (num(u, "seq") ? " " + std::to_string(num(u, "seq")) : std::string())
                << ticks(str(u, "state")) << std::endl;
    } else if (type == "typing" && num(u, "chat_id") == chat_id && str(u, "state") == "start") {
      std::cout << "  (typing...)" << std::endl;
    } else if (type == "connection_state" && str(u, "state") != "connecting") {
      std::cout << "  (" << str(u, "state") << ")" << std::endl;
    }
  };
  auto send = [&](const std::string& text) {
    Json a = s.call({{"type", "send_message"}, {"chat_id", chat_id}, {"text", text}});
    if (str(a, "type") == "queued") {
      mine.insert(str(a.at("message").as_object(), "client_id"));
      std::cout << "you: " << text << ticks("sending") << std::endl;
    } else {
      std::cout << "  not sent: " << str(a, "code") << std::endl;
    }
  };
  // Input is read from the descriptor (not std::cin, whose buffer poll() cannot see).
  std::string pending;
  for (bool open = true; open;) {
    pollfd p{STDIN_FILENO, POLLIN, 0};
    if (::poll(&p, 1, 100) > 0) {
      char buf[4096];
      const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
      if (n <= 0) break;
      pending.append(buf, static_cast<size_t>(n));
      for (size_t eol; open && (eol = pending.find('\n')) != std::string::npos;) {
        std::string line = pending.substr(0, eol);
        pending.erase(0, eol + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line == "/quit") open = false;
        else if (!line.empty()) send(line);
      }
    }
    s.poll(on_update, std::chrono::milliseconds(0));
  }
  return 0;
}

}  // namespace parley::cli
