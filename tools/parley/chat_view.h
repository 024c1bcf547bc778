// How the CLI shows chats and messages: shared by the commands and the interactive mode.
#pragma once

#include <optional>
#include <string>

#include <boost/json/object.hpp>

#include "session.h"

namespace parley::cli {

// "2026-12-02 20:15 alice: text [read]" (deleted, system and unknown kinds shown as such).
std::string message_line(const boost::json::object& message);
// " [sending]", " [sent]", " [delivered]", " [read]", " [failed]" or "".
std::string ticks(const std::string& state);
std::string clock_time(int64_t ms);
// The chat called `name`: a group's name, or the peer's username or display name.
std::optional<boost::json::object> find_chat(Session& s, const std::string& name);

}  // namespace parley::cli
