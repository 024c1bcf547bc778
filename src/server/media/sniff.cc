#include "server/media/sniff.h"

#include <array>
#include <cstdint>

namespace parley::media {
namespace {

bool heif_brand(std::string_view brand) {
  static constexpr std::array<std::string_view, 4> kBrands = {"heic", "heix", "mif1", "avif"};
  for (auto b : kBrands)
    if (brand == b) return true;
  return false;
}

bool is_heif(std::string_view head) {
  if (head.size() < 16 || head.substr(4, 4) != "ftyp") return false;
  auto byte = [&](std::size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(head[i])); };
  uint32_t box = byte(0) << 24 | byte(1) << 16 | byte(2) << 8 | byte(3);
  // Only the major brand counts: a file whose major brand is something else is not a
  // HEIF image, whatever it lists as compatible.
  return box >= 16 && heif_brand(head.substr(8, 4));
}

}  // namespace

std::optional<ImageType> sniff_image(std::string_view head) {
  if (head.starts_with("\xFF\xD8\xFF")) return ImageType::kJpeg;
  if (head.starts_with(std::string_view("\x89PNG\r\n\x1A\n", 8))) return ImageType::kPng;
  if (head.starts_with("GIF87a") || head.starts_with("GIF89a")) return ImageType::kGif;
  if (head.size() >= 12 && head.starts_with("RIFF") && head.substr(8, 4) == "WEBP")
    return ImageType::kWebp;
  if (is_heif(head)) return ImageType::kHeif;
  return std::nullopt;
}

std::string_view image_type_name(ImageType type) {
  switch (type) {
    case ImageType::kJpeg: return "jpeg";
    case ImageType::kPng: return "png";
    case ImageType::kWebp: return "webp";
    case ImageType::kGif: return "gif";
    case ImageType::kHeif: return "heif";
  }
  return "unknown";
}

}  // namespace parley::media
