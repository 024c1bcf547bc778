// Telling image types apart by their first bytes (magic numbers), never by a file name or
// a Content-Type header, which the uploader controls. Pure; thread-safe.
#pragma once

#include <optional>
#include <string_view>

namespace parley::media {

enum class ImageType { kJpeg, kPng, kWebp, kGif, kHeif };

// The type whose signature `head` (the first bytes of the file; 64 are plenty) starts
// with, or nullopt. kHeif covers HEIC and AVIF still images: an ISO-BMFF "ftyp" box whose
// MAJOR brand is heic, heix, mif1 or avif, the brands libheif reads as a still image and
// libvips announces as HEIF. Compatible brands are not enough (an MP4 lists mif1 too), and
// image sequences (hevc, msf1, avis) are refused: the sniffer must never accept a file
// that the decoder would not call its own.
std::optional<ImageType> sniff_image(std::string_view head);

// "jpeg", "png", "webp", "gif", "heif": for messages and logs.
std::string_view image_type_name(ImageType type);

}  // namespace parley::media
