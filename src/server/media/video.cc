#include "server/media/video.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <spdlog/spdlog.h>

namespace parley::media {
namespace {

namespace json = boost::json;

Error corrupt(std::string why) { return Error::make(Errc::kCorruptMedia, std::move(why)); }

// The demuxer forced on ffprobe and ffmpeg, and the word its format_name must contain.
const char* demuxer(VideoContainer c) {
  switch (c) {
    case VideoContainer::kMp4: return "mp4";
    case VideoContainer::kMov: return "mov";
    case VideoContainer::kWebm: return "webm";
  }
  return "mp4";
}

bool has_word(std::string_view list, std::string_view word) {
  std::size_t start = 0;
  while (start <= list.size()) {
    std::size_t end = list.find(',', start);
    if (end == std::string_view::npos) end = list.size();
    if (list.substr(start, end - start) == word) return true;
    start = end + 1;
  }
  return false;
}

bool allowed_video(VideoContainer c, std::string_view codec) {
  if (c == VideoContainer::kWebm) return codec == "vp8" || codec == "vp9" || codec == "av1";
  return codec == "h264" || codec == "hevc";
}

bool allowed_audio(VideoContainer c, std::string_view codec) {
  if (c == VideoContainer::kWebm) return codec == "opus" || codec == "vorbis";
  return codec == "aac";
}

int64_t int_of(const json::value* v) {
  if (!v) return 0;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) return static_cast<int64_t>(std::min<uint64_t>(v->as_uint64(), INT64_MAX));
  if (v->is_double()) return static_cast<int64_t>(v->as_double());
  if (v->is_string()) return std::atoll(v->as_string().c_str());
  return 0;
}

// The common head of every tool invocation: quiet, no terminal, local files only.
std::vector<std::string> tool(const std::string& program) {
  return {program, "-nostdin", "-hide_banner", "-v", "error", "-protocol_whitelist", "file"};
}

Result<Probe> probe(const std::string& path, const char* format, const VideoTools& tools) {
  // ffprobe has no -nostdin (it never reads stdin; it gets /dev/null all the same).
  std::vector<std::string> argv = {tools.ffprobe, "-hide_banner", "-v", "error",
                                   "-protocol_whitelist", "file", "-f", format,
                                   "-show_format", "-show_streams", "-of", "json",
                                   "file:" + path};
  SandboxLimits limits = tools.sandbox;
  limits.file_size_bytes = 0;
  auto run = run_sandboxed(argv, limits);
  if (!run) return run.error();
  if (!run->succeeded()) {
    spdlog::info("media: ffprobe refused a video (exit {}, signal {}{}): {}", run->exit_code,
                 run->signal, run->timed_out ? ", timed out" : "", run->err.substr(0, 300));
    return corrupt("the video could not be read");
  }
  return parse_probe(run->out);
}

Status run_tool(std::vector<std::string> argv, int64_t file_size, const VideoTools& tools,
                const char* what) {
  SandboxLimits limits = tools.sandbox;
  limits.file_size_bytes = file_size;
  auto run = run_sandboxed(argv, limits);
  if (!run) return run.error();
  if (!run->succeeded()) {
    spdlog::info("media: ffmpeg {} failed (exit {}, signal {}{}): {}", what, run->exit_code,
                 run->signal, run->timed_out ? ", timed out" : "", run->err.substr(0, 300));
    return corrupt("the video could not be read");
  }
  return {};
}

}  // namespace

std::optional<VideoContainer> sniff_video(std::string_view h) {
  if (h.size() >= 12 && h.substr(4, 4) == "ftyp") {
    std::string_view brand = h.substr(8, 4);
    if (brand == "heic" || brand == "heix" || brand == "mif1" || brand == "avif" ||
        brand == "msf1" || brand == "hevc" || brand == "avis")
      return std::nullopt;  // photos and image sequences: the photo path's
    return brand == "qt  " ? VideoContainer::kMov : VideoContainer::kMp4;
  }
  if (h.size() >= 4 && h.substr(0, 4) == std::string_view("\x1A\x45\xDF\xA3", 4)) {
    // DocType (0x4282), a one-byte size of 4, then "webm", inside the EBML header.
    if (h.find(std::string_view("\x42\x82\x84webm", 7)) != std::string_view::npos)
      return VideoContainer::kWebm;
  }
  return std::nullopt;
}

Result<Probe> parse_probe(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return corrupt("the video could not be read");
  Probe p;
  const json::object& root = v.as_object();
  if (const auto* f = root.if_contains("format"); f && f->is_object()) {
    if (const auto* n = f->as_object().if_contains("format_name"); n && n->is_string())
      p.format_name = n->as_string();
    if (const auto* d = f->as_object().if_contains("duration"); d && d->is_string()) {
      char* end = nullptr;
      double s = std::strtod(d->as_string().c_str(), &end);
      if (end && *end == '\0' && std::isfinite(s) && s >= 0 && s < 1e9)
        p.duration_ms = static_cast<int64_t>(std::llround(s * 1000));
    }
  }
  if (const auto* ss = root.if_contains("streams"); ss && ss->is_array()) {
    for (const auto& sv : ss->as_array()) {
      if (!sv.is_object()) continue;
      const json::object& s = sv.as_object();
      ProbedStream st;
      if (const auto* t = s.if_contains("codec_type"); t && t->is_string()) st.type = t->as_string();
      if (const auto* c = s.if_contains("codec_name"); c && c->is_string()) st.codec = c->as_string();
      st.width = int_of(s.if_contains("width"));
      st.height = int_of(s.if_contains("height"));
      if (const auto* d = s.if_contains("disposition"); d && d->is_object())
        st.attached_picture = int_of(d->as_object().if_contains("attached_pic")) != 0;
      if (const auto* sd = s.if_contains("side_data_list"); sd && sd->is_array())
        for (const auto& e : sd->as_array())
          if (e.is_object() && e.as_object().contains("rotation"))
            st.rotation = static_cast<int>(int_of(e.as_object().if_contains("rotation")));
      p.streams.push_back(std::move(st));
    }
  }
  return p;
}

Result<VideoFacts> check_probe(const Probe& p, VideoContainer c, const VideoLimits& limits) {
  const char* want = c == VideoContainer::kWebm ? "webm" : "mp4";
  if (!has_word(p.format_name, want))
    return Error::make(Errc::kUnsupportedMedia, "the file is not the video it looks like");
  const ProbedStream* video = nullptr;
  int videos = 0, audios = 0;
  VideoFacts facts;
  for (const auto& s : p.streams) {
    if (s.type == "video" && !s.attached_picture) {
      ++videos;
      video = &s;
      if (!allowed_video(c, s.codec))
        return Error::make(Errc::kUnsupportedMedia, "video codec " + s.codec + " is not accepted");
    } else if (s.type == "audio") {
      ++audios;
      if (!allowed_audio(c, s.codec))
        return Error::make(Errc::kUnsupportedMedia, "audio codec " + s.codec + " is not accepted");
    }
  }
  if (videos != 1)
    return Error::make(Errc::kUnsupportedMedia, videos == 0 ? "the file has no video"
                                                            : "a video may have only one video track");
  if (audios > 1) return Error::make(Errc::kUnsupportedMedia, "a video may have only one audio track");
  facts.has_audio = audios == 1;
  if (video->width <= 0 || video->height <= 0) return corrupt("the video has no dimensions");
  int64_t long_side = std::max(video->width, video->height);
  int64_t short_side = std::min(video->width, video->height);
  if (long_side > limits.max_long_side || short_side > limits.max_short_side)
    return Error::make(Errc::kVideoTooLarge,
                       "videos are limited to " + std::to_string(limits.max_long_side) + "x" +
                           std::to_string(limits.max_short_side) + " pixels");
  bool sideways = std::abs(video->rotation) % 180 == 90;
  facts.width = sideways ? video->height : video->width;
  facts.height = sideways ? video->width : video->height;
  facts.duration_ms = p.duration_ms;
  if (p.duration_ms && *p.duration_ms > limits.max_duration_ms)
    return Error::make(Errc::kVideoTooLarge, "videos are limited to " +
                                                 std::to_string(limits.max_duration_ms / 1000) +
                                                 " seconds");
  return facts;
}

OwnedFile& OwnedFile::operator=(OwnedFile&& o) noexcept {
  if (this != &o) {
    if (!path_.empty()) ::unlink(path_.c_str());
    path_ = std::move(o.path_);
    o.path_.clear();
  }
  return *this;
}

OwnedFile::~OwnedFile() {
  if (!path_.empty()) ::unlink(path_.c_str());
}

Result<ProcessedVideo> process_video(const std::string& path, uint64_t max_bytes,
                                     const VideoTools& tools, const VideoLimits& limits) {
  char head[64];
  std::size_t n = 0;
  if (std::FILE* f = std::fopen(path.c_str(), "rb")) {
    n = std::fread(head, 1, sizeof head, f);
    std::fclose(f);
  } else {
    return Error::make(Errc::kInternal, "cannot read the upload");
  }
  auto container = sniff_video(std::string_view(head, n));
  if (!container)
    return Error::make(Errc::kUnsupportedMedia, "videos must be MP4, MOV or WebM");

  auto in = probe(path, demuxer(*container), tools);
  if (!in) return in.error();
  auto in_facts = check_probe(*in, *container, limits);
  if (!in_facts) return in_facts.error();

  const bool webm = *container == VideoContainer::kWebm;
  ProcessedVideo out;
  out.mime = webm ? "video/webm" : "video/mp4";
  out.video = OwnedFile(path + ".remux");
  out.poster = OwnedFile(path + ".poster.jpg");

  std::vector<std::string> remux = tool(tools.ffmpeg);
  remux.insert(remux.end(), {"-f", demuxer(*container), "-i", "file:" + path,
                             "-map", "0:v:0", "-map", "0:a:0?", "-map_metadata", "-1",
                             "-map_chapters", "-1", "-c", "copy", "-fflags", "+bitexact"});
  if (!webm) {
    remux.insert(remux.end(), {"-movflags", "+faststart"});
    // Safari plays HEVC in MP4 only under the hvc1 tag.
    for (const auto& s : in->streams)
      if (s.type == "video" && s.codec == "hevc") remux.insert(remux.end(), {"-tag:v", "hvc1"});
  }
  remux.insert(remux.end(), {"-f", webm ? "webm" : "mp4", "-y", "file:" + out.video.path()});
  // A remux is about as large as what it copies; the margin covers a rewritten index.
  const int64_t out_limit = static_cast<int64_t>(max_bytes) + (16 << 20);
  if (Status s = run_tool(std::move(remux), out_limit, tools, "remux"); !s) return s.error();

  // The result is what is served: probed again, and its duration is the one recorded.
  const VideoContainer served = webm ? VideoContainer::kWebm : VideoContainer::kMp4;
  auto again = probe(out.video.path(), demuxer(served), tools);
  if (!again) return again.error();
  auto facts = check_probe(*again, served, limits);
  if (!facts) return facts.error();
  if (!facts->duration_ms || *facts->duration_ms <= 0) return corrupt("the video has no duration");
  out.duration_ms = *facts->duration_ms;
  out.width = facts->width;
  out.height = facts->height;

  std::vector<std::string> poster = tool(tools.ffmpeg);
  const std::string side = std::to_string(kPosterMaxSide);
  poster.insert(poster.end(),
                {"-threads", "1", "-f", demuxer(served), "-i", "file:" + out.video.path(),
                 "-map", "0:v:0", "-frames:v", "1", "-an", "-vf",
                 "scale=w='min(" + side + ",iw)':h='min(" + side +
                     ",ih)':force_original_aspect_ratio=decrease",
                 "-c:v", "mjpeg", "-q:v", "3", "-fflags", "+bitexact", "-f", "image2",
                 "-update", "1", "-y", "file:" + out.poster.path()});
  if (Status s = run_tool(std::move(poster), 16 << 20, tools, "poster"); !s) return s.error();
  return out;
}

bool video_tools_available(const VideoTools& tools) {
  SandboxLimits limits = tools.sandbox;
  limits.timeout_ms = 10'000;
  for (const auto& program : {tools.ffprobe, tools.ffmpeg}) {
    if (program.empty() || ::access(program.c_str(), X_OK) != 0) return false;
    auto run = run_sandboxed({program, "-hide_banner", "-version"}, limits);
    if (!run || !run->succeeded()) return false;
  }
  return true;
}

}  // namespace parley::media
