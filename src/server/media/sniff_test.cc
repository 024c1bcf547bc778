#include "server/media/sniff.h"

#include <gtest/gtest.h>

#include <string>

namespace parley::media {
namespace {

using namespace std::literals;

std::string ftyp(std::string_view major, std::string_view compatible) {
  std::string box;
  uint32_t size = static_cast<uint32_t>(16 + compatible.size());
  box += static_cast<char>(size >> 24);
  box += static_cast<char>(size >> 16);
  box += static_cast<char>(size >> 8);
  box += static_cast<char>(size);
  box += "ftyp";
  box += major;
  box += std::string("\0\0\0\0", 4);
  box += compatible;
  return box + "more bytes";
}

TEST(Sniff, KnowsEachSupportedSignature) {
  EXPECT_EQ(sniff_image("\xFF\xD8\xFF\xE0rest"), ImageType::kJpeg);
  EXPECT_EQ(sniff_image(std::string("\x89PNG\r\n\x1A\n\0\0", 10)), ImageType::kPng);
  EXPECT_EQ(sniff_image("GIF89a..."), ImageType::kGif);
  EXPECT_EQ(sniff_image("GIF87a..."), ImageType::kGif);
  EXPECT_EQ(sniff_image("RIFF\x10\0\0\0WEBPVP8 "sv), ImageType::kWebp);
  EXPECT_EQ(sniff_image(ftyp("heic", "mif1heic")), ImageType::kHeif);
  EXPECT_EQ(sniff_image(ftyp("avif", "")), ImageType::kHeif);
  EXPECT_EQ(sniff_image(ftyp("mif1", "heic")), ImageType::kHeif);
  EXPECT_EQ(sniff_image(ftyp("heix", "mif1")), ImageType::kHeif);
}

TEST(Sniff, RefusesEverythingElse) {
  EXPECT_FALSE(sniff_image(""));
  EXPECT_FALSE(sniff_image("\xFF\xD8"));  // too short to be sure
  EXPECT_FALSE(sniff_image("%PDF-1.7"));
  EXPECT_FALSE(sniff_image("<svg xmlns=\"http://www.w3.org/2000/svg\"/>"));
  EXPECT_FALSE(sniff_image("RIFF\x10\0\0\0WAVEfmt "sv));
  EXPECT_FALSE(sniff_image(ftyp("isom", "mp41")));  // an MP4 video
  EXPECT_FALSE(sniff_image("just some text renamed to photo.jpg"));
}

TEST(Sniff, HeifNeedsAStillImageMajorBrand) {
  // Only compatible: another decoder would claim the file (an MP4, or a TGA whose header
  // overlaps the box).
  EXPECT_FALSE(sniff_image(ftyp("isom", "mif1heicmiaf")));
  EXPECT_FALSE(sniff_image(ftyp("mp42", "isommif1")));
  // Brands the HEIF loader does not announce, and image sequences.
  for (auto brand : {"hevx", "hevc", "heim", "heis", "msf1", "avis"})
    EXPECT_FALSE(sniff_image(ftyp(brand, "mif1"))) << brand;
  // A box too short to hold a brand.
  std::string tiny = ftyp("heic", "");
  tiny[3] = 8;
  EXPECT_FALSE(sniff_image(tiny));
}

}  // namespace
}  // namespace parley::media
