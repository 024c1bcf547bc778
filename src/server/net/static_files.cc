#include "server/net/static_files.h"

#include <algorithm>
#include <filesystem>
#include <vector>

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

namespace {

constexpr std::size_t kMaxUrlPath = 1024;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The decoded segments of `url_path` (after its leading '/'), or nullopt if any is unsafe.
// The path "/" has no segments.
std::optional<std::vector<std::string>> safe_segments(std::string_view url_path) {
  if (url_path.empty() || url_path[0] != '/' || url_path.size() > kMaxUrlPath) return std::nullopt;
  std::vector<std::string> segments;
  if (url_path.size() == 1) return segments;
  std::string_view rest = url_path.substr(1);
  for (;;) {
    std::size_t slash = rest.find('/');
    std::string_view raw = rest.substr(0, slash);
    std::string seg;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      char c = raw[i];
      if (c == '%') {
        if (i + 2 >= raw.size()) return std::nullopt;
        int hi = hex_value(raw[i + 1]), lo = hex_value(raw[i + 2]);
        if (hi < 0 || lo < 0) return std::nullopt;
        c = static_cast<char>(hi * 16 + lo);
        i += 2;
      }
      auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7f || c == '/' || c == '\\' || c == '%') return std::nullopt;
      seg += c;
    }
    // Empty, ".", ".." and hidden names are never files of the web client.
    if (seg.empty() || seg[0] == '.') return std::nullopt;
    segments.push_back(std::move(seg));
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }
  return segments;
}

// `p` with every link resolved, if it is a regular file inside `root` (canonical).
std::optional<fs::path> file_inside(const fs::path& root, const fs::path& p) {
  std::error_code ec;
  fs::path real = fs::canonical(p, ec);
  if (ec || !fs::is_regular_file(real, ec)) return std::nullopt;
  auto [r, f] = std::mismatch(root.begin(), root.end(), real.begin(), real.end());
  if (r != root.end() || f == real.end()) return std::nullopt;
  return real;
}

}  // namespace

std::optional<StaticFile> resolve_static(const std::string& root, std::string_view url_path) {
  if (root.empty()) return std::nullopt;
  auto segments = safe_segments(url_path);
  if (!segments) return std::nullopt;
  std::error_code ec;
  const fs::path base = fs::canonical(root, ec);
  if (ec) return std::nullopt;
  if (!segments->empty()) {
    fs::path p = base;
    std::string rel;
    for (const auto& s : *segments) {
      p /= s;
      rel += rel.empty() ? s : "/" + s;
    }
    if (auto real = file_inside(base, p))
      return StaticFile{real->string(), content_type_for(rel), segments->front() == "assets"};
    if (segments->back().find('.') != std::string::npos) return std::nullopt;
  }
  auto index = file_inside(base, base / "index.html");
  if (!index) return std::nullopt;
  return StaticFile{index->string(), "text/html; charset=utf-8", false};
}

}  // namespace parley::net
