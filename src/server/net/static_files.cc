#include "server/net/static_files.h"

#include <filesystem>

namespace parley::net {

namespace fs = std::filesystem;

std::string content_type_for(std::string_view path) {
  auto ends = [&](std::string_view ext) {
    return path.size() >= ext.size() && path.substr(path.size() - ext.size()) == ext;
  };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js") || ends(".mjs")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".json") || ends(".webmanifest")) return "application/json";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".png")) return "image/png";
  if (ends(".jpg") || ends(".jpeg")) return "image/jpeg";
  if (ends(".webp")) return "image/webp";
  if (ends(".ico")) return "image/x-icon";
  if (ends(".woff2")) return "font/woff2";
  if (ends(".txt")) return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

std::optional<StaticFile> resolve_static(const std::string& root, std::string_view url_path) {
  if (root.empty() || url_path.empty() || url_path[0] != '/') return std::nullopt;
  if (url_path.find("..") != std::string_view::npos ||
      url_path.find('\0') != std::string_view::npos || url_path.find('\\') != std::string_view::npos)
    return std::nullopt;
  std::string rel(url_path.substr(1));
  std::error_code ec;
  fs::path p = fs::path(root) / rel;
  if (!rel.empty() && fs::is_regular_file(p, ec)) {
    StaticFile f{p.string(), content_type_for(rel), rel.rfind("assets/", 0) == 0};
    return f;
  }
  std::string_view last = url_path.substr(url_path.rfind('/') + 1);
  if (last.find('.') != std::string_view::npos) return std::nullopt;
  fs::path index = fs::path(root) / "index.html";
  if (!fs::is_regular_file(index, ec)) return std::nullopt;
  return StaticFile{index.string(), "text/html; charset=utf-8", false};
}

}  // namespace parley::net
