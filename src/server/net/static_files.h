// Mapping of URL paths to the web client's files. Pure; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace parley::net {

struct StaticFile {
  std::string path;          // filesystem path to send
  std::string content_type;
  bool immutable = false;    // content-hashed asset: cache for a year
};

// Resolves `url_path` under `root`. Paths with ".." or NUL are refused (nullopt). A path
// that names no file and has no extension in its last segment is a client-side route and
// gets index.html; a missing file with an extension is nullopt (404).
std::optional<StaticFile> resolve_static(const std::string& root, std::string_view url_path);

std::string content_type_for(std::string_view path);

}  // namespace parley::net
