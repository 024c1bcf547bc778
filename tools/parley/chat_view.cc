#include "chat_view.h"

#include <ctime>

namespace parley::cli {

namespace json = boost::json;

std::string clock_time(int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
  return buf;
}

std::string ticks(const std::string& state) {
  if (state == "sending") return " [sending]";
  if (state == "sent") return " [sent]";
  if (state == "delivered") return " [delivered]";
  if (state == "read") return " [read]";
  if (state == "failed") return " [failed]";
  return "";
}

std::string message_line(const json::object& m) {
  std::string who = m.contains("sender") ? str(m, "sender") : "?";
  std::string text = str(m, "text");
  if (str(m, "kind") == "system") {
    who = "*";
  } else if (m.contains("deleted")) {
    text = "(this message was deleted)";
  } else if (str(m, "kind") == "image") {
    const json::value* image = m.if_contains("image");
    std::string size;
    if (image && image->is_object()) {
      size = " " + std::to_string(num(image->as_object(), "width")) + "x" + std::to_string(num(image->as_object(), "height"));
    }
    text = "[photo" + size + "]" + (text.empty() ? "" : " " + text);
  } else if (str(m, "kind") != "text") {
    text = "(unsupported message)";
  }
  return clock_time(num(m, "ts")) + " " + who + ": " + text + ticks(str(m, "state"));
}

// The chat called `name`: a group's name, or the peer's username or display name.
std::optional<json::object> find_chat(Session& s, const std::string& name) {
  Json a = s.call({{"type", "get_chats"}, {"limit", 100000}});
  if (!a.contains("chats")) return std::nullopt;
  for (const json::value& v : a.at("chats").as_array()) {
    const json::object& c = v.as_object();
    if (str(c, "title") == name) return c;
    if (const json::value* peer = c.if_contains("peer"); peer && peer->is_object()) {
      if (str(peer->as_object(), "username") == name) return c;
    }
  }
  return std::nullopt;
}

}  // namespace parley::cli
