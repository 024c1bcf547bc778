// parley: the command-line client, on libparley (docs/client.md, "The parley command").
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>

#include "commands.h"
#include "xdg.h"

namespace {

constexpr const char* kUsage = R"(usage: parley [--server http://HOST:PORT] COMMAND [ARGS]

  register USERNAME [DISPLAY NAME]   create an account and log in (password: prompt,
                                     first line of stdin, or $PARLEY_PASSWORD)
  login USERNAME                     log in to an existing account
  logout                             end this device's session
  chats                              chats, most recent first, with unread counts
  send USER|GROUP TEXT...            send a message (queued when offline)
  send-photo USER|GROUP FILE [TEXT]  upload a photo and send it with an optional caption
  history CHAT [LIMIT]               the latest messages of a chat
  tail                               print messages as they arrive (Ctrl-C to stop)
  search WORDS...                    search the messages stored on this device
  read CHAT                          mark a chat read
  chat USER|GROUP                    interactive: messages live with ticks, type to send

Works offline on the local store. Files: $XDG_CONFIG_HOME/parley/config (the server),
$XDG_DATA_HOME/parley/parley.db (the store, with the session; never printed).
With $PARLEY_DATABASE_KEY set the store is encrypted with it (64 hex digits: a raw key;
anything else: a passphrase); the same key is then needed for every later command.
)";

}  // namespace

int main(int argc, char** argv) {
  using namespace parley::cli;
  std::string server;
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; ++i) {
    if (std::strcmp(argv[i], "--server") == 0 && i + 1 < argc) {
      server = argv[++i];
    } else if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::cout << kUsage;
      return 0;
    } else {
      std::cerr << kUsage;
      return 2;
    }
  }
  if (i >= argc) {
    std::cerr << kUsage;
    return 2;
  }
  const std::string command = argv[i++];
  const Args args(argv + i, argv + argc);
  static const std::map<std::string, int (*)(Session&, const Args&)> kCommands = {
      {"register", cmd_register}, {"login", cmd_login}, {"logout", cmd_logout},
      {"chats", cmd_chats},       {"send", cmd_send},   {"send-photo", cmd_send_photo},   {"history", cmd_history},
      {"tail", cmd_tail},         {"search", cmd_search}, {"read", cmd_read}, {"chat", cmd_chat}};
  auto it = kCommands.find(command);
  if (it == kCommands.end()) {
    std::cerr << "parley: unknown command " << command << "\n" << kUsage;
    return 2;
  }
  auto config = config_dir();
  auto data = data_dir();
  if (!config || !data) {
    std::cerr << "parley: " << (!config ? config.error().message : data.error().message) << "\n";
    return 1;
  }
  const bool authenticating = command == "register" || command == "login";
  if (server.empty()) server = load_server(*config);
  if (server.empty()) {
    std::cerr << "parley: no server configured; pass --server http://HOST:PORT\n";
    return 2;
  }
  if (authenticating) {
    if (parley::Status st = save_server(*config, server); !st) {
      std::cerr << "parley: " << st.error().message << "\n";
      return 1;
    }
  }
  const char* key = std::getenv("PARLEY_DATABASE_KEY");
  Session session(server, *data + "/parley.db", key ? key : "");
  if (!session.start_error().empty()) {
    std::cerr << "parley: " << session.start_error() << "\n";
    return 1;
  }
  if (!authenticating) {
    if (!session.logged_in()) {
      std::cerr << "parley: not logged in; run parley login USERNAME\n";
      return 1;
    }
    // Synced when the server is reachable; otherwise everything comes from the store.
    if (!session.settle(std::chrono::seconds(10)) && command != "tail" && command != "chat") {
      std::cerr << "(offline: showing what this device has stored)\n";
    }
  }
  return it->second(session, args);
}
