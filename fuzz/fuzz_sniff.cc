// Fuzz target: media::sniff_image, which decides an upload's type from its first bytes.
// The input is exactly the bytes given (libFuzzer's buffer is sized to them), so any read
// past the end is an AddressSanitizer report.
// Properties: an answer's signature is really there (checked here from docs/protocol.md's
// list of formats, independently of sniff.cc); more bytes after a sniffed prefix never
// change the answer; every type has a name.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "check.h"
#include "server/media/sniff.h"

namespace {

using parley::media::ImageType;

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool has_heif_brand(std::string_view head) {
  static constexpr std::array<std::string_view, 10> kBrands = {
      "heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1", "avif", "avis"};
  if (head.size() < 16 || head.substr(4, 4) != "ftyp") return false;
  // The major brand at 8, compatible brands from 16 on, 4 bytes each.
  for (std::size_t at = 8; at + 4 <= head.size(); at += at == 8 ? 8 : 4)
    for (auto b : kBrands)
      if (head.substr(at, 4) == b) return true;
  return false;
}

bool signature_present(ImageType type, std::string_view head) {
  switch (type) {
    case ImageType::kJpeg: return starts_with(head, "\xFF\xD8\xFF");
    case ImageType::kPng: return starts_with(head, std::string_view("\x89PNG\r\n\x1A\n", 8));
    case ImageType::kGif: return starts_with(head, "GIF87a") || starts_with(head, "GIF89a");
    case ImageType::kWebp: return starts_with(head, "RIFF") && head.substr(8, 4) == "WEBP";
    case ImageType::kHeif: return has_heif_brand(head);
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view head(reinterpret_cast<const char*>(data), size);
  auto type = parley::media::sniff_image(head);
  if (type) {
    FUZZ_CHECK(signature_present(*type, head), "sniffed a type whose signature is absent");
    auto name = parley::media::image_type_name(*type);
    FUZZ_CHECK(!name.empty() && name != "unknown", "a sniffed type without a name");
  }
  // A prefix's answer is final: the server may read fewer bytes than a file has.
  for (std::size_t n : {std::size_t{3}, std::size_t{8}, std::size_t{12}, std::size_t{16},
                        std::size_t{32}, std::size_t{64}}) {
    if (n >= size) break;
    auto prefix = parley::media::sniff_image(head.substr(0, n));
    if (prefix) FUZZ_CHECK(prefix == type, "more bytes changed a sniffed answer");
  }
  return 0;
}
