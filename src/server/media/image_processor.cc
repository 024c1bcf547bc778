#include "server/media/image_processor.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <stdexcept>

#include <sodium.h>
#include <spdlog/spdlog.h>
#include <vips/vips.h>

#include "server/media/sniff.h"

namespace parley::media {
namespace {

struct ImageUnref {
  void operator()(VipsImage* image) const { g_object_unref(image); }
};
using Image = std::unique_ptr<VipsImage, ImageUnref>;

// libvips reports errors in a process-wide buffer; take the text (for the log) and clear
// it so that it does not run into the next report.
std::string take_vips_error() {
  std::string text = vips_error_buffer();
  vips_error_clear();
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

Error corrupt_image(const std::string& path) {
  spdlog::debug("media: decoding {} failed: {}", path, take_vips_error());
  return Error::make(Errc::kCorruptMedia, "the image could not be decoded (corrupt or truncated)");
}

Result<std::string> read_head(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error::make(Errc::kInternal, "cannot open the staged upload");
  std::string head(64, '\0');
  ssize_t n = ::read(fd, head.data(), head.size());
  ::close(fd);
  if (n < 0) return Error::make(Errc::kInternal, "cannot read the staged upload");
  head.resize(static_cast<std::size_t>(n));
  return head;
}

// Opens `path` with exactly the loader of `type` (never one that sniffs the file again);
// only the header is read until pixels are asked for. `shrink` (JPEG only: 1, 2, 4 or 8)
// decodes at a fraction of the size, for speed.
Result<Image> open_with_loader(const std::string& path, ImageType type, int shrink = 1) {
  VipsImage* out = nullptr;
  const char* file = path.c_str();
  int rc = -1;
  auto access = VIPS_ACCESS_SEQUENTIAL;
  auto fail = VIPS_FAIL_ON_ERROR;
  switch (type) {
    case ImageType::kJpeg:
      rc = vips_jpegload(file, &out, "access", access, "fail_on", fail, "shrink", shrink, nullptr);
      break;
    case ImageType::kPng:
      rc = vips_pngload(file, &out, "access", access, "fail_on", fail, nullptr);
      break;
    case ImageType::kWebp:
      rc = vips_webpload(file, &out, "access", access, "fail_on", fail, nullptr);
      break;
    case ImageType::kGif:
      rc = vips_gifload(file, &out, "access", access, "fail_on", fail, nullptr);
      break;
    case ImageType::kHeif:
      if (!vips_type_find("VipsOperation", "heifload")) {
        return Error::make(Errc::kUnsupportedMedia, "this server cannot decode HEIC/AVIF images");
      }
      rc = vips_heifload(file, &out, "access", access, "fail_on", fail, nullptr);
      break;
  }
  if (rc != 0) return corrupt_image(path);
  return Image(out);
}

// The loaders process_image may run, by nickname: one per ImageType.
constexpr const char* kLoaders[] = {"jpegload", "pngload", "webpload", "gifload", "heifload"};

Result<std::string> encode(VipsImage* image, bool webp, int quality) {
  void* buffer = nullptr;
  size_t length = 0;
  int rc = webp ? vips_webpsave_buffer(image, &buffer, &length, "Q", quality, "strip", TRUE, nullptr)
                : vips_jpegsave_buffer(image, &buffer, &length, "Q", quality, "strip", TRUE,
                                       "optimize_coding", TRUE, nullptr);
  if (rc != 0) {
    // The pipeline is lazy: a truncated or corrupt body surfaces only here.
    return Error::make(Errc::kCorruptMedia, take_vips_error());
  }
  std::string bytes(static_cast<const char*>(buffer), length);
  g_free(buffer);
  return bytes;
}

Result<Image> shrink(VipsImage* in, int side) {
  VipsImage* out = nullptr;
  if (vips_thumbnail_image(in, &out, side, "height", side, "size", VIPS_SIZE_DOWN, "no_rotate", TRUE,
                           nullptr) != 0)
    return Error::make(Errc::kCorruptMedia, take_vips_error());
  return Image(out);
}

// Drops an alpha channel that is opaque everywhere (GIF and many PNGs carry one), so that
// such images are served as JPEG. Returns null when `image` should be used as it is.
Result<Image> without_opaque_alpha(VipsImage* image) {
  if (!vips_image_hasalpha(image)) return Image();
  int bands = vips_image_get_bands(image);
  VipsImage* alpha = nullptr;
  if (vips_extract_band(image, &alpha, bands - 1, nullptr) != 0)
    return Error::make(Errc::kCorruptMedia, take_vips_error());
  Image alpha_owner(alpha);
  double lowest = 0;
  if (vips_min(alpha, &lowest, nullptr) != 0) return Error::make(Errc::kCorruptMedia, take_vips_error());
  VipsBandFormat format = vips_image_get_format(image);
  double max_alpha = format == VIPS_FORMAT_USHORT ? 65535.0
                     : vips_band_format_isfloat(format) ? 1.0
                                                        : 255.0;
  if (lowest < max_alpha) return Image();
  VipsImage* opaque = nullptr;
  if (vips_extract_band(image, &opaque, 0, "n", bands - 1, nullptr) != 0)
    return Error::make(Errc::kCorruptMedia, take_vips_error());
  return Image(opaque);
}

Result<EncodedImage> encode_image(VipsImage* image, int quality) {
  bool alpha = vips_image_hasalpha(image);
  auto bytes = encode(image, alpha, quality);
  if (!bytes) return bytes.error();
  EncodedImage e;
  e.mime = alpha ? "image/webp" : "image/jpeg";
  e.bytes = std::move(*bytes);
  e.width = vips_image_get_width(image);
  e.height = vips_image_get_height(image);
  return e;
}

Result<std::string> placeholder(VipsImage* image) {
  auto tiny = shrink(image, kPlaceholderSide);
  if (!tiny) return tiny.error();
  Image flat;
  VipsImage* source = tiny->get();
  if (vips_image_hasalpha(source)) {
    VipsImage* out = nullptr;
    VipsArrayDouble* white = vips_array_double_newv(1, 255.0);
    int rc = vips_flatten(source, &out, "background", white, nullptr);
    vips_area_unref(VIPS_AREA(white));
    if (rc != 0) return Error::make(Errc::kCorruptMedia, take_vips_error());
    flat.reset(out);
    source = out;
  }
  auto bytes = encode(source, false, 40);
  if (!bytes) return bytes.error();
  std::string b64(sodium_base64_ENCODED_LEN(bytes->size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(b64.data(), b64.size(), reinterpret_cast<const unsigned char*>(bytes->data()),
                    bytes->size(), sodium_base64_VARIANT_ORIGINAL);
  b64.resize(b64.size() - 1);  // the terminating NUL
  return "data:image/jpeg;base64," + b64;
}

}  // namespace

void init_image_processing(const char* argv0, int threads) {
  if (VIPS_INIT(argv0) != 0) throw std::runtime_error("libvips: " + take_vips_error());
  vips_concurrency_set(threads);
  // No operation cache: every upload is new, and a cache would pin decoded pixels.
  vips_cache_set_max(0);
  vips_cache_set_max_mem(0);
  vips_cache_set_max_files(0);
  // Every loader is blocked but the ones of the supported types: whatever path a file
  // takes into libvips, ImageMagick, PDF, SVG, TIFF, FITS... never see it.
  vips_block_untrusted_set(TRUE);
  vips_operation_block_set("VipsForeignLoad", TRUE);
  // vips_operation_block_set wants the type name (VipsForeignLoadJpegFile), which depends
  // on the build (libspng or libpng...): ask libvips for the type behind each nickname.
  for (const char* loader : kLoaders) {
    if (GType type = vips_type_find("VipsOperation", loader))
      vips_operation_block_set(g_type_name(type), FALSE);
  }
}

Result<ProcessedImage> process_image(const std::string& path, const ImageLimits& limits) {
  auto head = read_head(path);
  if (!head) return head.error();
  auto type = sniff_image(*head);
  if (!type)
    return Error::make(Errc::kUnsupportedMedia,
                       "not an image of a supported type (JPEG, PNG, WebP, GIF, HEIC, AVIF)");

  // The limits are checked against the header of the very image that is decoded below,
  // opened by the loader the magic bytes chose: a bomb is refused before one pixel of it is
  // decoded, and no other decoder gets a say in the size.
  auto header = open_with_loader(path, *type);
  if (!header) return header.error();
  int64_t width = vips_image_get_width(header->get());
  int64_t height = vips_image_get_height(header->get());  // every page loaded (only the first)
  if (width <= 0 || height <= 0) return corrupt_image(path);
  if (width > limits.max_side || height > limits.max_side ||
      width * height > limits.max_pixels)
    return Error::make(Errc::kImageTooLarge,
                       "the image is " + std::to_string(width) + "x" + std::to_string(height) +
                           " pixels; at most " + std::to_string(limits.max_pixels) +
                           " pixels and " + std::to_string(limits.max_side) + " per side");

  Image source = std::move(*header);
  if (*type == ImageType::kJpeg) {
    // A large JPEG decodes faster at 1/2, 1/4 or 1/8 of its size, as long as that still
    // covers the full image's long edge. Same file, same loader: the header above holds.
    int shrink = 1;
    while (shrink < 8 && std::max(width, height) / (shrink * 2) >= kFullMaxSide) shrink *= 2;
    if (shrink > 1) {
      auto smaller = open_with_loader(path, *type, shrink);
      if (!smaller) return smaller.error();
      if (vips_image_get_width(smaller->get()) > width || vips_image_get_height(smaller->get()) > height)
        return corrupt_image(path);
      source = std::move(*smaller);
    }
  }

  // vips_thumbnail_image applies the EXIF orientation, converts to sRGB and shrinks; it
  // never opens the file again. copy_memory runs the pipeline once, so every decoding
  // error surfaces here.
  VipsImage* out = nullptr;
  if (vips_thumbnail_image(source.get(), &out, kFullMaxSide, "height", kFullMaxSide, "size",
                           VIPS_SIZE_DOWN, nullptr) != 0)
    return corrupt_image(path);
  Image lazy(out);
  VipsImage* decoded = vips_image_copy_memory(lazy.get());
  if (!decoded) return corrupt_image(path);
  Image full(decoded);
  source.reset();
  lazy.reset();
  auto opaque = without_opaque_alpha(full.get());
  if (!opaque) return opaque.error();
  if (*opaque) {
    VipsImage* in_memory = vips_image_copy_memory(opaque->get());
    if (!in_memory) return corrupt_image(path);
    full.reset(in_memory);
  }

  ProcessedImage result;
  auto full_encoded = encode_image(full.get(), 85);
  if (!full_encoded) return full_encoded.error();
  result.full = std::move(*full_encoded);

  auto thumb = shrink(full.get(), kThumbMaxSide);
  if (!thumb) return thumb.error();
  auto thumb_encoded = encode_image(thumb->get(), 75);
  if (!thumb_encoded) return thumb_encoded.error();
  result.thumbnail = std::move(*thumb_encoded);

  auto preview = placeholder(thumb->get());
  if (!preview) return preview.error();
  result.placeholder = std::move(*preview);
  return result;
}

}  // namespace parley::media
