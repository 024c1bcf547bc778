// A ZIP archive (PKWARE APPNOTE 6.3) written as a stream to a file: entries are stored (no
// compression) and each entry's CRC-32 and sizes follow its data in a data descriptor, so an
// entry is written as it is produced and nothing of it is held in memory. Only the central
// directory (one small record per entry) is kept until finish(). No ZIP64: at most 65,535
// entries and 4 GiB in all (kInvalidArgument beyond). Not thread-safe.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace parley::api {

class ZipWriter {
 public:
  // Writes to `out` (not owned; left open).
  explicit ZipWriter(std::FILE* out) : out_(out) {}

  // Starts an entry named `name` (UTF-8, '/'-separated, no leading '/'), ending any open one.
  Status begin(std::string_view name);
  // Appends to the open entry.
  Status write(std::string_view bytes);
  // Ends the open entry (if any), writes the central directory and flushes. Call once.
  Status finish();

  // The CRC-32 (ISO-HDLC, as ZIP and gzip use) of `bytes` continuing from `crc`.
  static uint32_t crc32(std::string_view bytes, uint32_t crc = 0);

 private:
  struct Entry {
    std::string name;
    uint32_t crc = 0;
    uint32_t size = 0;
    uint32_t offset = 0;  // of the local header
  };
  Status end_entry();
  Status put(std::string_view bytes);

  std::FILE* out_;
  std::vector<Entry> entries_;
  bool open_ = false;
  uint64_t written_ = 0;
};

}  // namespace parley::api
