#include "xmpp_stanza.h"

namespace bench {

namespace {

bool name_char(char c) { return c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '/' && c != '>'; }

// Position just after the name of an element starting with '<' at `lt`, when it is `name`.
bool element_named(std::string_view f, std::size_t lt, std::string_view name) {
  if (f.compare(lt + 1, name.size(), name) != 0) return false;
  std::size_t end = lt + 1 + name.size();
  return end < f.size() && !name_char(f[end]);
}

// The '<' of the first descendant element named `child`, or npos.
std::size_t find_child(const Stanza& s, std::string_view child) {
  std::size_t at = s.head.size();
  while ((at = s.frame.find('<', at)) != std::string_view::npos) {
    if (element_named(s.frame, at, child)) return at;
    ++at;
  }
  return std::string_view::npos;
}

}  // namespace

Stanza scan_stanza(std::string_view frame) {
  Stanza s;
  s.frame = frame;
  std::size_t lt = frame.find('<');
  // Skip an XML declaration or comment in front of the element.
  while (lt != std::string_view::npos && lt + 1 < frame.size() && (frame[lt + 1] == '?' || frame[lt + 1] == '!'))
    lt = frame.find('<', lt + 1);
  if (lt == std::string_view::npos) return s;
  std::size_t end = lt + 1;
  while (end < frame.size() && name_char(frame[end])) ++end;
  s.name = frame.substr(lt + 1, end - lt - 1);
  std::size_t gt = frame.find('>', end);
  s.head = frame.substr(lt, gt == std::string_view::npos ? std::string_view::npos : gt - lt + 1);
  return s;
}

std::string_view Stanza::attr(std::string_view attr) const {
  std::size_t at = name.size() + 1;
  while ((at = head.find(attr, at)) != std::string_view::npos) {
    std::size_t eq = at + attr.size();
    char before = head[at - 1];
    bool starts = before == ' ' || before == '\t' || before == '\n' || before == '\r';
    if (starts && eq + 1 < head.size() && head[eq] == '=' && (head[eq + 1] == '\'' || head[eq + 1] == '"')) {
      std::size_t close = head.find(head[eq + 1], eq + 2);
      if (close == std::string_view::npos) return {};
      return head.substr(eq + 2, close - eq - 2);
    }
    at = eq;
  }
  return {};
}

std::string_view Stanza::child_text(std::string_view child) const {
  std::size_t lt = find_child(*this, child);
  if (lt == std::string_view::npos) return {};
  std::size_t gt = frame.find('>', lt);
  if (gt == std::string_view::npos || frame[gt - 1] == '/') return {};
  std::size_t close = frame.find("</", gt);
  while (close != std::string_view::npos && !element_named(frame, close + 1, child)) close = frame.find("</", close + 2);
  if (close == std::string_view::npos) return {};
  return frame.substr(gt + 1, close - gt - 1);
}

bool Stanza::has_child(std::string_view child) const { return find_child(*this, child) != std::string_view::npos; }

std::string base64(std::string_view data) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    uint32_t v = static_cast<uint8_t>(data[i]) << 16 | static_cast<uint8_t>(data[i + 1]) << 8 | static_cast<uint8_t>(data[i + 2]);
    for (int k = 3; k >= 0; --k) out += kAlphabet[(v >> (6 * k)) & 63];
  }
  std::size_t rest = data.size() - i;
  if (rest > 0) {
    uint32_t v = static_cast<uint8_t>(data[i]) << 16;
    if (rest == 2) v |= static_cast<uint8_t>(data[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

uint64_t parse_decimal(std::string_view s) {
  if (s.empty() || s.size() > 19) return UINT64_MAX;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return UINT64_MAX;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

}  // namespace bench
