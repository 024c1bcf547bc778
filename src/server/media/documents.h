// Uploads stored as sent (documents and voice clips), unlike photos, which are decoded and
// re-encoded (image_processor.h): the checks that stand in for processing. Pure functions
// of their input (check_voice reads one local file); thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace parley::media {

// What an upload is meant to become (videos are checked by video.h).
enum class UploadKind { kImage, kFile, kVoice, kVideo };

// "image", "file", "voice", "video" <-> the kind; nullopt for anything else.
std::optional<UploadKind> parse_upload_kind(std::string_view name);
std::string_view upload_kind_name(UploadKind kind);

inline constexpr std::size_t kMaxFileNameBytes = 255;

// The name a document is stored, shown and downloaded under (docs/protocol.md, "Files"):
//   - only what follows the last '/' or '\' is kept (no paths);
//   - C0 and C1 control characters, DEL, and the bidirectional formatting characters
//     (U+061C, U+200E, U+200F, U+202A..U+202E, U+2066..U+2069), U+2028, U+2029 and U+FEFF
//     are removed;
//   - leading spaces and dots, and trailing spaces and dots, are removed;
//   - an empty result becomes "file";
//   - longer than kMaxFileNameBytes bytes: the part before the extension (the last '.'
//     and at most 16 bytes after it) is cut at a character boundary so that the whole fits.
// Errors: kInvalidUtf8 (`raw` is not UTF-8).
Result<std::string> sanitize_file_name(std::string_view raw);

// The media type a document is recorded and served with, from its first bytes (`head`, 64
// are plenty) and the type the uploader declared (a Content-Type value, may be empty):
//   1. bytes with a signature the server knows (see documents.cc: PDF, PNG, JPEG, GIF,
//      WebP, HEIF, ZIP, gzip, 7z, Ogg, WebM/Matroska, MP3 with ID3, MP4, WAV) get that
//      type, whatever was declared -- except that ZIP bytes keep a declared
//      "application/vnd.*", "application/epub+zip" or "application/java-archive", the
//      ZIP-based formats;
//   2. otherwise a declared type is kept if well formed (type/subtype of token characters,
//      at most 100 bytes; parameters dropped, lower-cased) and not one of the types of
//      step 1, which the bytes would have matched had it been true;
//   3. otherwise "application/octet-stream".
std::string document_mime(std::string_view head, std::string_view declared);

// Checks that the local file at `path` is an Opus voice clip as browsers record it:
//   - Ogg: the first page begins a stream (BOS) whose first packet is an "OpusHead"
//     header of version 1, and the pages follow one another exactly to the end of the file
//     (a truncated or padded file is refused); page checksums are not verified;
//   - WebM: an EBML header with DocType "webm", and the codec id "A_OPUS" within the first
//     4096 bytes (a recording in progress has no index or duration to check).
// Returns the media type: "audio/ogg" or "audio/webm". Errors: kUnsupportedMedia (neither),
// kCorruptMedia (an Ogg file whose pages do not add up), kInternal (unreadable).
Result<std::string> check_voice(const std::string& path);

}  // namespace parley::media
