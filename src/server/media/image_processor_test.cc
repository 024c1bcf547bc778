#include "server/media/image_processor.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <vips/vips.h>

namespace parley::media {
namespace {

namespace fs = std::filesystem;

bool can_save(const char* saver) { return vips_type_find("VipsOperation", saver) != 0; }

// A w x h mid-grey RGB image encoded by the libvips saver for `ext` ("jpg", "png", ...).
std::string encoded(const char* ext, int w, int h) {
  VipsImage* black = nullptr;
  VipsImage* grey = nullptr;
  if (vips_black(&black, w, h, "bands", 3, nullptr) != 0) ADD_FAILURE() << vips_error_buffer();
  if (vips_linear1(black, &grey, 1.0, 128.0, "uchar", TRUE, nullptr) != 0) ADD_FAILURE() << vips_error_buffer();
  g_object_unref(black);
  void* buf = nullptr;
  size_t len = 0;
  std::string suffix = std::string(".") + ext;
  if (vips_image_write_to_buffer(grey, suffix.c_str(), &buf, &len, nullptr) != 0)
    ADD_FAILURE() << ext << ": " << vips_error_buffer();
  g_object_unref(grey);
  std::string out(static_cast<const char*>(buf), len);
  g_free(buf);
  return out;
}

// An RLE greyscale TGA of w x h black pixels, with `header` (18 bytes) supplied or made.
std::string tga(int w, int h) {
  std::string t(18, '\0');
  t[2] = 11;  // run-length greyscale
  t[12] = static_cast<char>(w & 0xFF), t[13] = static_cast<char>(w >> 8);
  t[14] = static_cast<char>(h & 0xFF), t[15] = static_cast<char>(h >> 8);
  t[16] = 8, t[17] = 0x20;
  for (long px = 0; px < static_cast<long>(w) * h; px += 128) t += std::string("\xFF\x00", 2);
  return t;
}

// A real HEIF file whose ftyp box is rewritten so that its first 18 bytes are also the
// header of an RLE greyscale TGA of w x h pixels, its runs inside the box: the HEIF header
// says one size, the TGA another. `major` is the box's major brand.
std::string heif_tga_polyglot(const std::string& heif, const char* major, int w, int h) {
  std::string box(0x0B00, '\0');  // size bytes 00 00 0B 00: TGA colour-map type 0, image type 11
  box[2] = 0x0B;
  box.replace(4, 4, "ftyp");
  box.replace(8, 4, major);
  box[12] = static_cast<char>(w & 0xFF), box[13] = static_cast<char>(w >> 8);
  box[14] = static_cast<char>(h & 0xFF), box[15] = static_cast<char>(h >> 8);
  box[16] = 8, box[17] = 0x20;
  box[18] = '\xFF';  // a run of 128 pixels (brand bytes 18..19)
  box.replace(20, 12, "mif1heicmiaf");  // 'm' reads as a raw packet of 110 pixels: up to 130
  for (std::size_t at = 131; at + 1 < box.size(); at += 2) box[at] = '\xFF';
  EXPECT_GE((box.size() - 131) / 2 * 128, static_cast<std::size_t>(w) * h);
  uint32_t old = static_cast<unsigned char>(heif[3]);
  return box + heif.substr(old);
}

class ImageProcessor : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    static bool started = false;
    if (!started) init_image_processing("image_processor_test", 1);
    started = true;
  }
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("parley-image-test-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string file(const std::string& name, const std::string& bytes) {
    auto path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }
  Result<ProcessedImage> process(const std::string& bytes, int64_t max_pixels = 40'000'000) {
    ImageLimits limits;
    limits.max_pixels = max_pixels;
    return process_image(file("upload", bytes), limits);
  }

  fs::path dir_;
};

struct Case {
  const char* ext;
  const char* saver;
  std::size_t magic;  // bytes of the real file kept in front of a foreign payload
};
const Case kCases[] = {{"jpg", "jpegsave_buffer", 20},  {"png", "pngsave_buffer", 33},
                       {"webp", "webpsave_buffer", 30}, {"gif", "gifsave_buffer", 13},
                       {"heic", "heifsave_buffer", 32}, {"avif", "heifsave_buffer", 32}};

TEST_F(ImageProcessor, DecodesEachSupportedTypeWithinTheLimit) {
  for (const auto& c : kCases) {
    if (!can_save(c.saver)) continue;
    auto r = process(encoded(c.ext, 100, 100), 10'000);
    ASSERT_TRUE(r) << c.ext << ": " << r.error().message;
    EXPECT_EQ(r->full.width, 100) << c.ext;
    EXPECT_EQ(r->full.height, 100) << c.ext;
  }
}

TEST_F(ImageProcessor, ALargeJpegDecodedAtAFractionKeepsTheFullSizeExact) {
  auto r = process(encoded("jpg", 6000, 3000));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->full.width, kFullMaxSide);
  EXPECT_EQ(r->full.height, kFullMaxSide / 2);
}

TEST_F(ImageProcessor, PixelLimitIsCheckedFromTheHeaderOfEachType) {
  for (const auto& c : kCases) {
    if (!can_save(c.saver)) continue;
    auto r = process(encoded(c.ext, 101, 100), 10'000);
    ASSERT_FALSE(r) << c.ext;
    EXPECT_EQ(r.error().code, Errc::kImageTooLarge) << c.ext;
  }
}

TEST_F(ImageProcessor, RefusesAPayloadThatIsNotItsSniffedType) {
  const std::pair<std::string, std::string> foreign[] = {
      {"tga", tga(300, 300)}, {"png", encoded("png", 300, 300)}, {"jpg", encoded("jpg", 300, 300)}};
  for (const auto& c : kCases) {
    if (!can_save(c.saver)) continue;
    std::string magic = encoded(c.ext, 16, 16).substr(0, c.magic);
    for (const auto& [type, payload] : foreign) {
      if (type == c.ext) continue;  // its own type behind its magic is simply that type
      auto r = process(magic + payload, 10'000);
      ASSERT_FALSE(r) << c.ext << " magic in front of " << type << " was decoded";
      EXPECT_TRUE(r.error().code == Errc::kCorruptMedia || r.error().code == Errc::kUnsupportedMedia)
          << c.ext << " magic in front of " << type << ": " << r.error().message;
    }
  }
}

TEST_F(ImageProcessor, AHeifHeaderOverAnotherFormatIsNeverReadAsThatFormat) {
  if (!can_save("heifsave_buffer")) GTEST_SKIP() << "no HEIF encoder";
  std::string heic = encoded("heic", 64, 48);
  // A brand the HEIF loader does not announce: not HEIF at all.
  auto unknown = process(heif_tga_polyglot(heic, "isom", 300, 300), 10'000);
  ASSERT_FALSE(unknown) << "decoded " << unknown->full.width << "x" << unknown->full.height;
  EXPECT_EQ(unknown.error().code, Errc::kUnsupportedMedia) << unknown.error().message;
  // A HEIF brand: decoded as HEIF only, whose image data is garbage here.
  auto branded = process(heif_tga_polyglot(heic, "heic", 300, 300), 10'000);
  ASSERT_FALSE(branded) << "decoded " << branded->full.width << "x" << branded->full.height;
  EXPECT_EQ(branded.error().code, Errc::kCorruptMedia) << branded.error().message;
}

TEST_F(ImageProcessor, LoadersOfOtherTypesAreBlocked) {
  // Whatever path a file takes into libvips, only the five loaders above may run.
  std::string tiff = file("x.tif", encoded("tif", 8, 8));
  std::string targa = file("x.tga", tga(8, 8));
  for (const auto& path : {tiff, targa}) {
    VipsImage* image = vips_image_new_from_file(path.c_str(), nullptr);
    EXPECT_EQ(image, nullptr) << path << " was loaded";
    if (image) g_object_unref(image);
    vips_error_clear();
  }
  std::string png = file("x.png", encoded("png", 8, 8));
  VipsImage* image = vips_image_new_from_file(png.c_str(), nullptr);
  EXPECT_NE(image, nullptr) << vips_error_buffer();
  if (image) g_object_unref(image);
}

}  // namespace
}  // namespace parley::media
