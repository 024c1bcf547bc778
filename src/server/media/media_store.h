// Where the bytes of uploads live: blobs named by the lower-case hex SHA-256 of their
// content (so a blob is written once however often it is uploaded), plus staging for
// uploads still arriving. fs_media_store.h is the embedded default (files under the data
// directory); a shared store (object storage) implements the same interface.
//
// Thread-safety: every method may be called from any thread. A StagedUpload or BlobReader
// is used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

namespace parley::media {

// An upload being received. Bytes are appended in order; the staged bytes are discarded
// when the object is destroyed, whatever happened.
class StagedUpload {
 public:
  virtual ~StagedUpload() = default;
  // Appends bytes. Errors: kInternal (I/O, disk full).
  virtual Status write(std::string_view bytes) = 0;
  // Flushes what was written; call once, after the last write. Errors: kInternal.
  virtual Status close() = 0;
  virtual uint64_t size() const = 0;
  // A local file holding the bytes after close(), for the image decoder.
  virtual const std::string& local_path() const = 0;
};

// Reads one blob, at any offset.
class BlobReader {
 public:
  virtual ~BlobReader() = default;
  virtual uint64_t size() const = 0;
  // Reads up to `n` bytes at `offset` into `out`; returns how many (0 only at the end).
  // Errors: kInternal.
  virtual Result<std::size_t> read(uint64_t offset, char* out, std::size_t n) = 0;
};

class MediaStore {
 public:
  virtual ~MediaStore() = default;
  // A new, empty staging area. Errors: kInternal.
  virtual Result<std::unique_ptr<StagedUpload>> stage() = 0;
  // Stores `bytes` as blob `key` (their hex SHA-256) unless it is already there; a blob is
  // never visible half-written. Errors: kInternal.
  virtual Status put(std::string_view key, std::string_view bytes) = 0;
  // Stores the bytes of a closed staged upload as blob `key` (their hex SHA-256) unless
  // it is already there, without reading them into memory (documents of up to 100 MB); the
  // staged bytes may be moved. Errors: kInternal.
  virtual Status put_staged(std::string_view key, StagedUpload& staged) = 0;
  // Errors: kNotFound (no such blob), kInternal.
  virtual Result<std::unique_ptr<BlobReader>> open(std::string_view key) = 0;
  // Removes a blob; removing an absent one succeeds. Errors: kInternal.
  virtual Status remove(std::string_view key) = 0;
};

// Whether `key` is a blob key: 64 lower-case hex digits (never a path).
bool valid_blob_key(std::string_view key);

}  // namespace parley::media
