#include "server/media/documents.h"

#include <array>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <vector>

#include "protocol/validate.h"
#include "server/media/sniff.h"

namespace parley::media {
namespace {

// Decodes one code point of well-formed UTF-8 at s[i]; returns its byte length.
std::size_t decode(std::string_view s, std::size_t i, uint32_t& cp) {
  auto b = [&](std::size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(s[i + k])); };
  uint32_t c = b(0);
  if (c < 0x80) return cp = c, 1;
  if (c < 0xE0) return cp = (c & 0x1F) << 6 | (b(1) & 0x3F), 2;
  if (c < 0xF0) return cp = (c & 0x0F) << 12 | (b(1) & 0x3F) << 6 | (b(2) & 0x3F), 3;
  return cp = (c & 0x07) << 18 | (b(1) & 0x3F) << 12 | (b(2) & 0x3F) << 6 | (b(3) & 0x3F), 4;
}

bool removed(uint32_t cp) {
  if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) return true;   // C0, DEL, C1
  if (cp == 0x061C || cp == 0x200E || cp == 0x200F) return true;  // bidi marks
  if (cp >= 0x202A && cp <= 0x202E) return true;              // embeddings, overrides
  if (cp >= 0x2066 && cp <= 0x2069) return true;              // isolates
  return cp == 0x2028 || cp == 0x2029 || cp == 0xFEFF;
}

// The longest prefix of `s` (valid UTF-8) of at most `n` bytes ending at a character boundary.
std::string_view cut(std::string_view s, std::size_t n) {
  if (s.size() <= n) return s;
  std::size_t end = n;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  return s.substr(0, end);
}

bool token_char(char c) {
  if (c >= 'a' && c <= 'z') return true;
  if (c >= '0' && c <= '9') return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// The sniffed type of `head`, or empty.
std::string sniffed(std::string_view head) {
  if (auto image = sniff_image(head)) {
    switch (*image) {
      case ImageType::kJpeg: return "image/jpeg";
      case ImageType::kPng: return "image/png";
      case ImageType::kGif: return "image/gif";
      case ImageType::kWebp: return "image/webp";
      case ImageType::kHeif: return "image/heif";
    }
  }
  if (head.starts_with("%PDF-")) return "application/pdf";
  if (head.starts_with(std::string_view("PK\x03\x04", 4))) return "application/zip";
  if (head.starts_with("\x1F\x8B")) return "application/gzip";
  if (head.starts_with(std::string_view("7z\xBC\xAF\x27\x1C", 6))) return "application/x-7z-compressed";
  if (head.starts_with("OggS")) return "audio/ogg";
  if (head.starts_with("\x1A\x45\xDF\xA3")) return "video/webm";
  if (head.starts_with("ID3")) return "audio/mpeg";
  if (head.size() >= 12 && head.starts_with("RIFF") && head.substr(8, 4) == "WAVE") return "audio/wav";
  if (head.size() >= 12 && head.substr(4, 4) == "ftyp") return "video/mp4";
  return {};
}

constexpr std::array<std::string_view, 15> kSniffable = {
    "image/jpeg", "image/png",  "image/gif",  "image/webp", "image/heif",
    "application/pdf", "application/zip", "application/gzip", "application/x-7z-compressed",
    "audio/ogg", "video/webm", "audio/mpeg", "audio/wav", "video/mp4", "audio/webm"};

// A declared type reduced to "type/subtype", lower-cased, or empty when malformed.
std::string well_formed(std::string_view declared) {
  std::string_view v = declared.substr(0, declared.find(';'));
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  if (v.empty() || v.size() > 100) return {};
  std::string out;
  int slashes = 0;
  for (char c : v) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c == '/') {
      ++slashes;
    } else if (!token_char(c)) {
      return {};
    }
    out += c;
  }
  auto slash = out.find('/');
  if (slashes != 1 || slash == 0 || slash + 1 == out.size()) return {};
  return out;
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

Result<std::string> check_ogg_opus(std::FILE* f) {
  Error corrupt = Error::make(Errc::kCorruptMedia, "the Ogg stream is truncated or malformed");
  if (std::fseek(f, 0, SEEK_END) != 0) return Error::make(Errc::kInternal, "cannot read the upload");
  const long end = std::ftell(f);
  if (end < 0 || std::fseek(f, 0, SEEK_SET) != 0)
    return Error::make(Errc::kInternal, "cannot read the upload");
  long at = 0;
  bool first = true;
  while (at < end) {
    unsigned char header[27];
    if (std::fseek(f, at, SEEK_SET) != 0 || std::fread(header, 1, 27, f) != 27) return corrupt;
    if (std::string_view(reinterpret_cast<char*>(header), 4) != "OggS" || header[4] != 0)
      return corrupt;
    const int segments = header[26];
    unsigned char table[255];
    if (std::fread(table, 1, segments, f) != static_cast<std::size_t>(segments)) return corrupt;
    long payload = 0;
    for (int i = 0; i < segments; ++i) payload += table[i];
    if (first) {
      // The identification header: "OpusHead", version 1, at least 19 bytes, alone
      // on a page that begins the stream (RFC 7845, section 5.1).
      if (!(header[5] & 0x02)) return Error::make(Errc::kUnsupportedMedia, "not an Opus voice clip");
      unsigned char head[19];
      if (payload < 19 || std::fread(head, 1, 19, f) != 19)
        return Error::make(Errc::kUnsupportedMedia, "not an Opus voice clip");
      if (std::string_view(reinterpret_cast<char*>(head), 8) != "OpusHead" || (head[8] & 0xF0) != 0)
        return Error::make(Errc::kUnsupportedMedia, "not an Opus voice clip");
      first = false;
    }
    at += 27 + segments + payload;
  }
  if (at != end) return corrupt;
  return std::string("audio/ogg");
}

}  // namespace

std::optional<UploadKind> parse_upload_kind(std::string_view name) {
  if (name == "image") return UploadKind::kImage;
  if (name == "file") return UploadKind::kFile;
  if (name == "voice") return UploadKind::kVoice;
  if (name == "video") return UploadKind::kVideo;
  return std::nullopt;
}

std::string_view upload_kind_name(UploadKind kind) {
  switch (kind) {
    case UploadKind::kImage: return "image";
    case UploadKind::kFile: return "file";
    case UploadKind::kVoice: return "voice";
    case UploadKind::kVideo: return "video";
  }
  return "image";
}

Result<std::string> sanitize_file_name(std::string_view raw) {
  // NUL is a control character like any other here (is_valid_utf8 refuses it).
  std::string without_nul;
  for (char c : raw)
    if (c != '\0') without_nul += c;
  if (!protocol::is_valid_utf8(without_nul))
    return Error::make(Errc::kInvalidUtf8, "the file name is not valid UTF-8");
  std::string_view s = without_nul;
  if (auto slash = s.find_last_of("/\\"); slash != std::string_view::npos) s.remove_prefix(slash + 1);
  std::string kept;
  for (std::size_t i = 0; i < s.size();) {
    uint32_t cp = 0;
    std::size_t n = decode(s, i, cp);
    if (!removed(cp)) kept.append(s.substr(i, n));
    i += n;
  }
  std::size_t first = kept.find_first_not_of(" .");
  if (first == std::string::npos) return std::string("file");
  std::size_t last = kept.find_last_not_of(" .");
  std::string name = kept.substr(first, last - first + 1);
  if (name.size() <= kMaxFileNameBytes) return name;
  std::string_view whole = name;
  std::string_view ext;
  if (auto dot = whole.rfind('.'); dot != std::string_view::npos && dot > 0 && whole.size() - dot <= 17)
    ext = whole.substr(dot);
  std::string_view stem = cut(whole.substr(0, whole.size() - ext.size()), kMaxFileNameBytes - ext.size());
  return std::string(stem) + std::string(ext);
}

std::string document_mime(std::string_view head, std::string_view declared) {
  std::string sniff = sniffed(head);
  std::string claim = well_formed(declared);
  if (!sniff.empty()) {
    if (sniff == "application/zip" &&
        (claim.starts_with("application/vnd.") || claim == "application/epub+zip" ||
         claim == "application/java-archive"))
      return claim;
    return sniff;
  }
  if (claim.empty()) return "application/octet-stream";
  for (auto t : kSniffable)
    if (claim == t) return "application/octet-stream";  // the bytes say otherwise
  return claim;
}

Result<std::string> check_voice(const std::string& path) {
  std::unique_ptr<std::FILE, FileCloser> f(std::fopen(path.c_str(), "rb"));
  if (!f) return Error::make(Errc::kInternal, "cannot read the upload");
  std::vector<char> buf(4096);
  std::size_t n = std::fread(buf.data(), 1, buf.size(), f.get());
  std::string_view head(buf.data(), n);
  if (head.starts_with("OggS")) return check_ogg_opus(f.get());
  if (head.starts_with("\x1A\x45\xDF\xA3")) {
    // DocType (0x4282) "webm" and CodecID (0x86) "A_OPUS", as EBML string elements of
    // one-byte sizes, the way every muxer writes them.
    bool webm = head.find(std::string_view("\x42\x82\x84webm", 7)) != std::string_view::npos;
    bool opus = head.find(std::string_view("\x86\x86" "A_OPUS", 8)) != std::string_view::npos;
    if (webm && opus) return std::string("audio/webm");
  }
  return Error::make(Errc::kUnsupportedMedia, "a voice message must be Opus audio in Ogg or WebM");
}

}  // namespace parley::media
