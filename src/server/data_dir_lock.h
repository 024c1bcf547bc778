// One parleyd per embedded data directory: the server holds an exclusive lock on
// DATA_DIR/parleyd.lock while it runs (flock, released by the kernel however the process
// ends). `parleyd admin restore` takes the same lock, so it never replaces the files of a
// running server.
#pragma once

#include <string>

#include "common/result.h"

namespace parley {

class DataDirLock {
 public:
  // Errors: kUnavailable when another process holds it, kInternal on I/O errors.
  static Result<DataDirLock> acquire(const std::string& data_dir);
  DataDirLock(DataDirLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  DataDirLock& operator=(DataDirLock&&) = delete;
  DataDirLock(const DataDirLock&) = delete;
  ~DataDirLock();

 private:
  explicit DataDirLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace parley
