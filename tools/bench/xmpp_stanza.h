// A minimal scanner for the XMPP stanzas parley-bench receives over RFC 7395 WebSocket
// framing, where each text frame holds exactly one top-level element. It finds the
// element's name, attributes of its start tag and the text of a named child without
// building a tree; it does not validate XML and does not decode entities (the bench's own
// ids and bodies never contain characters that would need them). Pure; no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace bench {

struct Stanza {
  std::string_view frame;  // the whole frame
  std::string_view name;   // qualified name of the top-level element, e.g. "message", "stream:features"
  std::string_view head;   // its start tag, from '<' to '>' included

  // Raw value of attribute `attr` of the start tag; empty when absent.
  std::string_view attr(std::string_view attr) const;
  // Text between <child ...> and </child> of the first descendant named `child`; empty when
  // absent or self-closing.
  std::string_view child_text(std::string_view child) const;
  // Whether a descendant element named `child` exists.
  bool has_child(std::string_view child) const;
  // Whether the frame contains `text` anywhere.
  bool contains(std::string_view text) const { return frame.find(text) != std::string_view::npos; }
};

// Scans one frame. A frame that does not start with an element gives an empty name.
Stanza scan_stanza(std::string_view frame);

// Base64 (RFC 4648, with padding) of `data`: the SASL PLAIN initial response.
std::string base64(std::string_view data);

// Parses a decimal number that makes up all of `s`; UINT64_MAX when it does not.
uint64_t parse_decimal(std::string_view s);

}  // namespace bench
