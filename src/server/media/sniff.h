// Telling image types apart by their first bytes (magic numbers), never by a file name or
// a Content-Type header, which the uploader controls. Pure; thread-safe.
#pragma once

#include <optional>
#include <string_view>

namespace parley::media {

enum class ImageType { kJpeg, kPng, kWebp, kGif, kHeif };

// The type whose signature `head` (the first bytes of the file; 64 are plenty) starts
// with, or nullopt. kHeif covers HEIC and AVIF (an ISO-BMFF "ftyp" box whose major or
// compatible brand is one of heic, heix, hevc, hevx, heim, heis, mif1, msf1, avif, avis).
std::optional<ImageType> sniff_image(std::string_view head);

// "jpeg", "png", "webp", "gif", "heif": for messages and logs.
std::string_view image_type_name(ImageType type);

}  // namespace parley::media
