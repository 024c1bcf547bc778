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

}  // namespace parley::net
