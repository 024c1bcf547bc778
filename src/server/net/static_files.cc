#include "server/net/static_files.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <tuple>
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
      return StaticFile{real->string(), content_type_for(rel), segments->front() == "assets", {}, {}, base.string()};
    if (segments->back().find('.') != std::string::npos) return std::nullopt;
  }
  auto index = file_inside(base, base / "index.html");
  if (!index) return std::nullopt;
  return StaticFile{index->string(), "text/html; charset=utf-8", false, {}, {}, base.string()};
}

namespace {

std::string_view trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// The q value of one Accept-Encoding member's parameters: 1 when absent; 0 for "q=0",
// "q=0.0", "q=0.00", "q=0.000"; anything else that parses as a qvalue counts as accepted.
bool q_positive(std::string_view params) {
  while (!params.empty()) {
    std::size_t semi = params.find(';');
    std::string_view p = trim(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view{} : params.substr(semi + 1);
    if (p.size() < 2 || std::tolower(static_cast<unsigned char>(p[0])) != 'q' || p[1] != '=') continue;
    std::string_view v = trim(p.substr(2));
    if (v.empty() || v[0] != '0') return true;
    for (char c : v.substr(1))
      if (c != '.' && c != '0') return true;
    return false;
  }
  return true;
}

std::string etag_of(const fs::path& p, std::string_view encoding) {
  std::error_code ec;
  const auto size = fs::file_size(p, ec);
  if (ec) return {};
  const auto mtime = fs::last_write_time(p, ec);
  if (ec) return {};
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(mtime.time_since_epoch()).count();
  char buf[64];
  std::snprintf(buf, sizeof buf, "%llx-%llx", static_cast<unsigned long long>(size),
                static_cast<unsigned long long>(ns));
  std::string tag = "\"";
  tag += buf;
  if (!encoding.empty()) {
    tag += '-';
    tag += encoding;
  }
  tag += '"';
  return tag;
}

}  // namespace

AcceptedEncodings parse_accept_encoding(std::string_view header) {
  AcceptedEncodings a;
  bool star = false, br_named = false, gzip_named = false;
  while (!header.empty()) {
    std::size_t comma = header.find(',');
    std::string_view member = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    std::size_t semi = member.find(';');
    std::string_view name = trim(member.substr(0, semi));
    const bool ok = q_positive(semi == std::string_view::npos ? std::string_view{} : member.substr(semi + 1));
    if (iequals(name, "br")) {
      br_named = true;
      a.br = ok;
    } else if (iequals(name, "gzip") || iequals(name, "x-gzip")) {
      gzip_named = true;
      a.gzip = ok;
    } else if (name == "*") {
      star = ok;
    }
  }
  if (star && !br_named) a.br = true;
  if (star && !gzip_named) a.gzip = true;
  return a;
}

StaticFile negotiate_static(StaticFile file, AcceptedEncodings accepted) {
  if (!file.root.empty()) {
    const fs::path base = file.root;
    for (auto [ok, suffix, name] : {std::tuple{accepted.br, ".br", "br"}, std::tuple{accepted.gzip, ".gz", "gzip"}}) {
      if (!ok) continue;
      if (auto encoded = file_inside(base, fs::path(file.path + suffix))) {
        file.path = encoded->string();
        file.encoding = name;
        break;
      }
    }
  }
  file.etag = etag_of(file.path, file.encoding);
  return file;
}

bool etag_matches(std::string_view if_none_match, std::string_view etag) {
  if (etag.empty()) return false;
  auto opaque = [](std::string_view t) {
    t = trim(t);
    if (t.size() >= 2 && t[0] == 'W' && t[1] == '/') t.remove_prefix(2);
    return t;
  };
  if (trim(if_none_match) == "*") return true;
  const std::string_view want = opaque(etag);
  while (!if_none_match.empty()) {
    std::size_t comma = if_none_match.find(',');
    if (opaque(if_none_match.substr(0, comma)) == want) return true;
    if (comma == std::string_view::npos) break;
    if_none_match.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace parley::net
