// Turning an untrusted video upload into the video Parley serves, with Debian's ffprobe and
// ffmpeg run as sandboxed child processes (subprocess.h), never in-process: a decoder that
// crashes or hangs on a hostile file ends only its own process.
//
//   1. sniff the container from the first bytes (sniff_video); ffprobe and ffmpeg are always
//      told that format (-f), never left to guess, and may open local files only;
//   2. ffprobe the upload: it must agree on the container and show exactly one video
//      stream and at most one audio stream with codecs of the container's allow-list
//      (check_probe), within the resolution and duration limits;
//   3. remux without re-encoding, keeping only the first video and audio streams and no
//      metadata or chapters (location, creation time, camera...): MP4 and MOV become MP4
//      with the index in front (playback starts before the whole file arrives), WebM stays
//      WebM; then probe the result again (its duration is the one recorded and checked);
//   4. extract the first frame as a JPEG poster (at most kPosterMaxSide on its long edge),
//      which the caller runs through the photo path (image_processor.h).
//
// Threading: process_video blocks for as long as the tools run (bounded by the sandbox
// limits); call it from a media worker. Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "server/media/subprocess.h"

namespace parley::media {

enum class VideoContainer { kMp4, kMov, kWebm };

// The container whose signature `head` (the first bytes; 64 are plenty) starts with:
//   kMp4/kMov: an ISO-BMFF "ftyp" box at offset 4 whose major brand is not a still-image
//              one (heic, heix, mif1, avif are photos); brand "qt  " is kMov;
//   kWebm:     the EBML magic 1A 45 DF A3 with DocType "webm" in the header (plain
//              Matroska, DocType "matroska", is not accepted).
std::optional<VideoContainer> sniff_video(std::string_view head);

inline constexpr int kPosterMaxSide = 640;

struct VideoLimits {
  int64_t max_duration_ms = 5 * 60 * 1000;
  int64_t max_long_side = 3840;   // width or height, whichever is longer
  int64_t max_short_side = 2160;  // the other one
};

// Where the tools are and how they are confined.
struct VideoTools {
  std::string ffprobe = "/usr/bin/ffprobe";
  std::string ffmpeg = "/usr/bin/ffmpeg";
  SandboxLimits sandbox;  // file_size_bytes is set per step by process_video
};

// What ffprobe -show_format -show_streams -of json says of a file (the parts used).
struct ProbedStream {
  std::string type;   // "video", "audio", "data", "subtitle"...
  std::string codec;  // "h264", "opus"...
  int64_t width = 0;
  int64_t height = 0;
  int rotation = 0;   // from the display matrix: -90, 90, 180...
  bool attached_picture = false;  // cover art, not a video track
};
struct Probe {
  std::string format_name;                // e.g. "mov,mp4,m4a,3gp,3g2,mj2"
  std::optional<int64_t> duration_ms;     // absent when the container does not say
  std::vector<ProbedStream> streams;
};

// Parses ffprobe's JSON. Errors: kCorruptMedia (not the JSON ffprobe writes).
Result<Probe> parse_probe(std::string_view json);

struct VideoFacts {
  int64_t width = 0;   // as displayed (rotation applied)
  int64_t height = 0;
  std::optional<int64_t> duration_ms;
  bool has_audio = false;
};

// Checks a probe of a file sniffed as `container` (steps 2 above). Errors:
// kUnsupportedMedia (ffprobe read another container; no video stream, more than one video
// or audio stream; a codec outside the allow-list: MP4/MOV H.264 or HEVC with AAC, WebM
// VP8, VP9 or AV1 with Opus or Vorbis), kVideoTooLarge (over a resolution limit, or a
// duration over the limit), kCorruptMedia (a video stream without dimensions).
Result<VideoFacts> check_probe(const Probe& probe, VideoContainer container,
                               const VideoLimits& limits);

// A file this process made; removed when the object is destroyed.
class OwnedFile {
 public:
  OwnedFile() = default;
  explicit OwnedFile(std::string path) : path_(std::move(path)) {}
  OwnedFile(OwnedFile&& o) noexcept : path_(std::move(o.path_)) { o.path_.clear(); }
  OwnedFile& operator=(OwnedFile&& o) noexcept;
  OwnedFile(const OwnedFile&) = delete;
  OwnedFile& operator=(const OwnedFile&) = delete;
  ~OwnedFile();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct ProcessedVideo {
  std::string mime;       // "video/mp4" | "video/webm"
  OwnedFile video;        // the remuxed file
  OwnedFile poster;       // the first frame, JPEG
  int64_t duration_ms = 0;
  int64_t width = 0;
  int64_t height = 0;
};

// Processes the local file at `path` (an upload of at most `max_bytes`); writes its
// results next to it (`path` + ".remux", ".poster.jpg"), removed again on failure.
// Errors: those of check_probe; kCorruptMedia (a tool failed, crashed or timed out on the
// file, or the result has no duration); kInternal (the file cannot be read).
Result<ProcessedVideo> process_video(const std::string& path, uint64_t max_bytes,
                                     const VideoTools& tools, const VideoLimits& limits);

// Whether ffprobe and ffmpeg run at all (checked once at start-up: without them videos
// are refused with kUnsupportedMedia).
bool video_tools_available(const VideoTools& tools);

}  // namespace parley::media
