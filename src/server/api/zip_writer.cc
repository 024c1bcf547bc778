#include "server/api/zip_writer.h"

#include <array>

namespace parley::api {

namespace {

constexpr uint64_t kMaxBytes = 0xFFFFFFFFu;
constexpr std::size_t kMaxEntries = 0xFFFF;
// Bit 3: sizes and CRC in a data descriptor; bit 11: names are UTF-8.
constexpr uint16_t kFlags = (1u << 3) | (1u << 11);
// A fixed time (1980-01-01 00:00) keeps archives of the same data identical.
constexpr uint16_t kDosTime = 0;
constexpr uint16_t kDosDate = (0 << 9) | (1 << 5) | 1;

void le16(std::string& s, uint16_t v) {
  s.push_back(static_cast<char>(v & 0xFF));
  s.push_back(static_cast<char>(v >> 8));
}
void le32(std::string& s, uint32_t v) {
  for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

const std::array<uint32_t, 256>& crc_table() {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t n = 0; n < 256; ++n) {
      uint32_t c = n;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[n] = c;
    }
    return t;
  }();
  return table;
}

Error too_big() { return Error::make(Errc::kInvalidArgument, "the archive would exceed 4 GiB or 65,535 entries"); }

}  // namespace

uint32_t ZipWriter::crc32(std::string_view bytes, uint32_t crc) {
  const auto& t = crc_table();
  uint32_t c = crc ^ 0xFFFFFFFFu;
  for (unsigned char b : bytes) c = t[(c ^ b) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

Status ZipWriter::put(std::string_view bytes) {
  if (written_ + bytes.size() > kMaxBytes) return too_big();
  if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), out_) != bytes.size())
    return Error::make(Errc::kInternal, "writing the archive failed");
  written_ += bytes.size();
  return Status();
}

Status ZipWriter::begin(std::string_view name) {
  if (open_)
    if (Status s = end_entry(); !s) return s;
  if (entries_.size() >= kMaxEntries) return too_big();
  Entry e;
  e.name = std::string(name);
  e.offset = static_cast<uint32_t>(written_);
  std::string h;
  le32(h, 0x04034b50);
  le16(h, 20);  // version needed: 2.0
  le16(h, kFlags);
  le16(h, 0);  // stored
  le16(h, kDosTime);
  le16(h, kDosDate);
  le32(h, 0);  // CRC and sizes: in the data descriptor
  le32(h, 0);
  le32(h, 0);
  le16(h, static_cast<uint16_t>(e.name.size()));
  le16(h, 0);
  h += e.name;
  if (Status s = put(h); !s) return s;
  entries_.push_back(std::move(e));
  open_ = true;
  return Status();
}

Status ZipWriter::write(std::string_view bytes) {
  if (!open_) return Error::make(Errc::kInternal, "no open archive entry");
  if (Status s = put(bytes); !s) return s;
  Entry& e = entries_.back();
  e.crc = crc32(bytes, e.crc);
  e.size += static_cast<uint32_t>(bytes.size());
  return Status();
}

Status ZipWriter::end_entry() {
  open_ = false;
  const Entry& e = entries_.back();
  std::string d;
  le32(d, 0x08074b50);
  le32(d, e.crc);
  le32(d, e.size);  // compressed = uncompressed (stored)
  le32(d, e.size);
  return put(d);
}

Status ZipWriter::finish() {
  if (open_)
    if (Status s = end_entry(); !s) return s;
  const uint32_t directory_at = static_cast<uint32_t>(written_);
  std::string c;
  for (const Entry& e : entries_) {
    le32(c, 0x02014b50);
    le16(c, 20);  // made by: 2.0
    le16(c, 20);
    le16(c, kFlags);
    le16(c, 0);
    le16(c, kDosTime);
    le16(c, kDosDate);
    le32(c, e.crc);
    le32(c, e.size);
    le32(c, e.size);
    le16(c, static_cast<uint16_t>(e.name.size()));
    le16(c, 0);  // extra
    le16(c, 0);  // comment
    le16(c, 0);  // disk
    le16(c, 0);  // internal attributes
    le32(c, 0);  // external attributes
    le32(c, e.offset);
    c += e.name;
  }
  if (Status s = put(c); !s) return s;
  std::string end;
  le32(end, 0x06054b50);
  le16(end, 0);
  le16(end, 0);
  le16(end, static_cast<uint16_t>(entries_.size()));
  le16(end, static_cast<uint16_t>(entries_.size()));
  le32(end, static_cast<uint32_t>(c.size()));
  le32(end, directory_at);
  le16(end, 0);
  if (Status s = put(end); !s) return s;
  if (std::fflush(out_) != 0) return Error::make(Errc::kInternal, "writing the archive failed");
  return Status();
}

}  // namespace parley::api
