// Mapping of URL paths to the web client's files. Pure; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace parley::net {

struct StaticFile {
  std::string path;          // canonical filesystem path to send (inside the canonical root)
  std::string content_type;
  bool immutable = false;    // content-hashed asset: cache for a year
  std::string encoding;      // "" (identity), "br" or "gzip": `path` holds the encoded bytes
  std::string etag;          // strong validator, quoted; empty when the file could not be read
  std::string root;          // the canonical root the file was resolved under
};

// Resolves `url_path` (the request target without its query) under `root`.
//
// The path is percent-decoded once. It is refused (nullopt, a 404) when it does not start
// with '/', is longer than 1,024 bytes, has a malformed escape, or when, after decoding,
// any segment is empty ("//"), is "." or "..", starts with '.' (hidden files), or contains
// '/' (from %2F), '\', '%' (double encoding), NUL or another control character.
//
// A file is served only if, with every symbolic link resolved, it is a regular file inside
// the canonical (link-resolved) root, compared by path components ("/srv/web" does not
// admit "/srv/webx"); a link that leads out of the root is treated as missing. A path that
// names no file and has no '.' in its last segment is a client-side route and gets
// index.html (under the same rule); a missing file with an extension is nullopt.
std::optional<StaticFile> resolve_static(const std::string& root, std::string_view url_path);

std::string content_type_for(std::string_view path);

// The encodings an Accept-Encoding header value admits among the two the web build
// pre-compresses: br and gzip (q=0 refuses one; "*" admits both unless named with q=0).
// Names are case-insensitive; a malformed member is ignored.
struct AcceptedEncodings {
  bool br = false;
  bool gzip = false;
};
AcceptedEncodings parse_accept_encoding(std::string_view header);

// `file` (from resolve_static) switched to a pre-compressed sibling ("<path>.br", else
// "<path>.gz") when the client accepts that encoding and the sibling is a regular file
// inside the root `file` was resolved under (links resolved, as for resolve_static). Sets
// `etag` either way: the size and modification time of the bytes sent, with the encoding, so
// every variant has its own.
StaticFile negotiate_static(StaticFile file, AcceptedEncodings accepted);

// True when an If-None-Match header value (a list of entity tags, or "*") matches `etag`
// under the weak comparison RFC 9110 prescribes for it (a W/ prefix is ignored).
bool etag_matches(std::string_view if_none_match, std::string_view etag);

}  // namespace parley::net
