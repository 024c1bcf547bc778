// Turning an untrusted upload into the images Parley serves, with libvips.
//
// Every byte is treated as hostile: the type comes from the magic bytes (sniff.h) and
// only that type's loader runs (the file is never handed to an API that sniffs it again,
// and every other libvips loader is blocked process-wide); the pixel count and side
// lengths are checked from that loader's header before anything is decoded (decompression
// bombs, pixel floods), and the image checked is the image decoded; decoding fails on the
// first error or truncation. What is served is always re-encoded from pixels with all
// metadata stripped (EXIF, GPS, XMP, IPTC, ICC), after applying the EXIF orientation:
//   full image   long edge at most kFullMaxSide (never enlarged)
//   thumbnail    long edge at most kThumbMaxSide
//   placeholder  long edge at most kPlaceholderSide, a JPEG as a data: URI, to show blurred
// Images with transparency are encoded as WebP (quality 85), others as JPEG (quality 85;
// thumbnails 75). Animated GIF, WebP and HEIF sequences keep their first frame.
//
// Threading: process_image blocks for tens to hundreds of milliseconds and uses libvips
// worker threads sized by init_image_processing; call it from a media worker, never from
// an I/O thread. It is thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "common/result.h"

namespace parley::media {

inline constexpr int kFullMaxSide = 2560;
inline constexpr int kThumbMaxSide = 320;
inline constexpr int kPlaceholderSide = 16;

struct ImageLimits {
  int64_t max_pixels = 40'000'000;  // width * height of the decoded image
  int64_t max_side = 20'000;        // width or height
};

struct EncodedImage {
  std::string mime;   // "image/jpeg" | "image/webp"
  std::string bytes;
  int64_t width = 0;
  int64_t height = 0;
};

struct ProcessedImage {
  EncodedImage full;
  EncodedImage thumbnail;
  std::string placeholder;  // "data:image/jpeg;base64,..."
};

// Once per process, before any process_image: starts libvips with `threads` threads per
// pipeline and no operation cache (uploads are never processed twice), and blocks every
// libvips loader but those of JPEG, PNG, WebP, GIF and HEIF (ImageMagick, PDF, SVG, TIFF...
// can then not be reached from anywhere in the process). Throws on failure (start-up only).
void init_image_processing(const char* argv0, int threads);

// Processes the file at `path`. Errors: kUnsupportedMedia (not JPEG, PNG, WebP, GIF,
// HEIC or AVIF by its magic bytes, or a type this libvips cannot decode), kImageTooLarge
// (over a limit), kCorruptMedia (the header or the pixels do not decode, or the file is
// truncated), kInternal (encoding failed).
Result<ProcessedImage> process_image(const std::string& path, const ImageLimits& limits);

}  // namespace parley::media
