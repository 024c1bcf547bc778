#include "server/media/video.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>

namespace parley::media {
namespace {

std::string ftyp(std::string_view brand) {
  return std::string("\0\0\0\x18" "ftyp", 8) + std::string(brand) + std::string("\0\0\0\0isom", 8);
}

TEST(SniffVideo, KnowsMp4MovAndWebm) {
  EXPECT_EQ(sniff_video(ftyp("isom")), VideoContainer::kMp4);
  EXPECT_EQ(sniff_video(ftyp("mp42")), VideoContainer::kMp4);
  EXPECT_EQ(sniff_video(ftyp("qt  ")), VideoContainer::kMov);
  std::string webm("\x1A\x45\xDF\xA3\x9F\x42\x86\x81\x01\x42\x82\x84webm", 16);
  EXPECT_EQ(sniff_video(webm), VideoContainer::kWebm);
}

TEST(SniffVideo, RefusesPhotosMatroskaAndEverythingElse) {
  EXPECT_FALSE(sniff_video(ftyp("heic")));
  EXPECT_FALSE(sniff_video(ftyp("avif")));
  EXPECT_FALSE(sniff_video(ftyp("mif1")));
  EXPECT_FALSE(sniff_video(std::string("\x1A\x45\xDF\xA3\x9F\x42\x82\x88matroska", 16)));
  EXPECT_FALSE(sniff_video("\xFF\xD8\xFF\xE0 a JPEG"));
  EXPECT_FALSE(sniff_video(""));
  EXPECT_FALSE(sniff_video("ftyp"));
}

constexpr std::string_view kMp4Probe = R"({"streams":[
  {"index":0,"codec_name":"h264","codec_type":"video","width":640,"height":360,
   "disposition":{"attached_pic":0},"side_data_list":[{"side_data_type":"Display Matrix","rotation":-90}]},
  {"index":1,"codec_name":"aac","codec_type":"audio"},
  {"index":2,"codec_type":"data"}],
 "format":{"format_name":"mov,mp4,m4a,3gp,3g2,mj2","duration":"12.345000"}})";

TEST(Probe, ParsesWhatFfprobeWrites) {
  auto p = parse_probe(kMp4Probe);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->format_name, "mov,mp4,m4a,3gp,3g2,mj2");
  EXPECT_EQ(p->duration_ms, 12345);
  ASSERT_EQ(p->streams.size(), 3u);
  EXPECT_EQ(p->streams[0].codec, "h264");
  EXPECT_EQ(p->streams[0].rotation, -90);
  EXPECT_FALSE(parse_probe("not json").ok());
  EXPECT_FALSE(parse_probe("[1]").ok());
}

TEST(Probe, AcceptsAnAllowedVideoAndAppliesRotation) {
  auto f = check_probe(*parse_probe(kMp4Probe), VideoContainer::kMp4, VideoLimits{});
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->width, 360);  // shown upright
  EXPECT_EQ(f->height, 640);
  EXPECT_TRUE(f->has_audio);
  EXPECT_EQ(f->duration_ms, 12345);
}

Probe probe_of(std::string format, std::vector<ProbedStream> streams, int64_t duration = 1000) {
  Probe p;
  p.format_name = std::move(format);
  p.streams = std::move(streams);
  p.duration_ms = duration;
  return p;
}

TEST(Probe, RefusesWhatTheAllowListDoesNotName) {
  VideoLimits l;
  auto code = [&](const Probe& p, VideoContainer c) {
    auto r = check_probe(p, c, l);
    return r.ok() ? Errc::kInternal : r.error().code;
  };
  const std::string mp4 = "mov,mp4,m4a,3gp,3g2,mj2", webm = "matroska,webm";
  ProbedStream h264{"video", "h264", 64, 48}, vp9{"video", "vp9", 64, 48};
  ProbedStream aac{"audio", "aac"}, opus{"audio", "opus"};
  // The container's own codecs only.
  EXPECT_EQ(code(probe_of(mp4, {vp9}), VideoContainer::kMp4), Errc::kUnsupportedMedia);
  EXPECT_EQ(code(probe_of(webm, {h264}), VideoContainer::kWebm), Errc::kUnsupportedMedia);
  EXPECT_EQ(code(probe_of(mp4, {h264, opus}), VideoContainer::kMp4), Errc::kUnsupportedMedia);
  EXPECT_EQ(code(probe_of(mp4, {{"video", "mpeg4", 64, 48}}), VideoContainer::kMp4), Errc::kUnsupportedMedia);
  // Exactly one video stream, at most one audio stream.
  EXPECT_EQ(code(probe_of(mp4, {aac}), VideoContainer::kMp4), Errc::kUnsupportedMedia);
  EXPECT_EQ(code(probe_of(mp4, {h264, h264}), VideoContainer::kMp4), Errc::kUnsupportedMedia);
  EXPECT_EQ(code(probe_of(webm, {vp9, opus, opus}), VideoContainer::kWebm), Errc::kUnsupportedMedia);
  // Another container than sniffed.
  EXPECT_EQ(code(probe_of(webm, {h264}), VideoContainer::kMp4), Errc::kUnsupportedMedia);
  // No dimensions.
  EXPECT_EQ(code(probe_of(mp4, {{"video", "h264", 0, 0}}), VideoContainer::kMp4), Errc::kCorruptMedia);
  // Cover art is not a second video.
  ProbedStream cover{"video", "h264", 64, 48, 0, true};
  EXPECT_TRUE(check_probe(probe_of(mp4, {h264, cover, aac}), VideoContainer::kMp4, l).ok());
  EXPECT_TRUE(check_probe(probe_of(webm, {vp9, opus}), VideoContainer::kWebm, l).ok());
}

TEST(Probe, EnforcesResolutionAndDurationLimits) {
  VideoLimits l;
  l.max_long_side = 640;
  l.max_short_side = 360;
  l.max_duration_ms = 10'000;
  const std::string mp4 = "mov,mp4";
  auto run = [&](int64_t w, int64_t h, int64_t d) {
    return check_probe(probe_of(mp4, {{"video", "h264", w, h}}, d), VideoContainer::kMp4, l);
  };
  EXPECT_TRUE(run(640, 360, 10'000).ok());
  EXPECT_TRUE(run(360, 640, 1).ok());  // portrait: the same limits turned
  EXPECT_EQ(run(641, 360, 1).error().code, Errc::kVideoTooLarge);
  EXPECT_EQ(run(400, 400, 1).error().code, Errc::kVideoTooLarge);
  EXPECT_EQ(run(16383, 16383, 1).error().code, Errc::kVideoTooLarge);
  EXPECT_EQ(run(64, 48, 10'001).error().code, Errc::kVideoTooLarge);
}

TEST(OwnedFile, RemovesItsFile) {
  std::string path = ::testing::TempDir() + "/owned-file-test";
  { std::FILE* f = std::fopen(path.c_str(), "w"); std::fclose(f); }
  {
    OwnedFile a(path);
    OwnedFile b(std::move(a));
    EXPECT_TRUE(std::filesystem::exists(path));
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

// With the real tools, when installed (the package depends on them; CI installs them).
class RealTools : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!video_tools_available(tools_)) GTEST_SKIP() << "ffmpeg is not installed";
    dir_ = ::testing::TempDir() + "/video-test-" + std::to_string(::getpid());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string make(const std::string& name, std::vector<std::string> args) {
    std::string out = dir_ + "/" + name;
    std::vector<std::string> argv = {tools_.ffmpeg, "-nostdin", "-v", "error", "-y"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back(out);
    auto r = run_sandboxed(argv, SandboxLimits{30'000, 30, 2LL << 30, 1 << 24});
    EXPECT_TRUE(r.ok() && r->succeeded()) << (r.ok() ? r->err : r.error().message);
    return out;
  }
  VideoTools tools_;
  std::string dir_;
};

TEST_F(RealTools, RemuxesAndPostersAnMp4) {
  std::string in = make("a.mp4", {"-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=0.5",
                                  "-f", "lavfi", "-i", "sine=duration=0.5", "-c:v", "libx264",
                                  "-pix_fmt", "yuv420p", "-c:a", "aac", "-metadata",
                                  "location=+48.8584+002.2945/"});
  auto v = process_video(in, 1 << 20, tools_, VideoLimits{});
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(v->mime, "video/mp4");
  EXPECT_EQ(v->width, 64);
  EXPECT_EQ(v->height, 48);
  EXPECT_NEAR(static_cast<double>(v->duration_ms), 500, 100);
  EXPECT_GT(std::filesystem::file_size(v->poster.path()), 100u);
  std::string remuxed = v->video.path(), poster = v->poster.path();
  v = Error::make(Errc::kInternal, "dropped");
  EXPECT_FALSE(std::filesystem::exists(remuxed));
  EXPECT_FALSE(std::filesystem::exists(poster));
}

TEST_F(RealTools, RefusesGarbageAndLeavesNothing) {
  std::string in = dir_ + "/bad.mp4";
  std::FILE* f = std::fopen(in.c_str(), "wb");
  std::string bytes = ftyp("isom") + std::string(4000, 'x');
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
  auto v = process_video(in, 1 << 20, tools_, VideoLimits{});
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code, Errc::kCorruptMedia);
  EXPECT_FALSE(std::filesystem::exists(in + ".remux"));
  EXPECT_FALSE(std::filesystem::exists(in + ".poster.jpg"));
}

}  // namespace
}  // namespace parley::media
