// The commands of the parley CLI. Each takes the words after the command name, prints to
// stdout what the user asked for (errors to stderr) and returns the process exit status:
// 0 success, 1 a failure the server or the store reported, 2 a usage error.
// The session token is never printed.
#pragma once

#include <string>
#include <vector>

#include "session.h"

namespace parley::cli {

using Args = std::vector<std::string>;

int cmd_register(Session& s, const Args& args);
int cmd_login(Session& s, const Args& args);
int cmd_logout(Session& s, const Args& args);
int cmd_chats(Session& s, const Args& args);
int cmd_send(Session& s, const Args& args);
int cmd_send_photo(Session& s, const Args& args);
int cmd_history(Session& s, const Args& args);
int cmd_tail(Session& s, const Args& args);
int cmd_search(Session& s, const Args& args);
int cmd_read(Session& s, const Args& args);
int cmd_chat(Session& s, const Args& args);  // chat_mode.cc

}  // namespace parley::cli
