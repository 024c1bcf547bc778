#include "server/store/sqlite/wal_flush.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <string>

namespace parley::store::sqlite {

namespace {

Error os_error(const std::string& what) {
  return Error::make(Errc::kInternal, what + ": " + std::strerror(errno));
}

}  // namespace

Result<std::unique_ptr<WalFlush>> WalFlush::open(sqlite3* writer, uint64_t committed) {
  const char* db_path = sqlite3_db_filename(writer, "main");
  if (db_path == nullptr || *db_path == '\0') {
    return Error::make(Errc::kInternal, "the database has no file name");
  }
  const std::string wal = sqlite3_filename_wal(db_path);
  // fdatasync works on a descriptor opened for reading: it flushes the file, not the
  // descriptor's writes.
  const int fd = ::open(wal.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return os_error("opening the WAL " + wal + " to flush it");
  std::unique_ptr<WalFlush> flush(new WalFlush(fd, committed));
  // Commits a process that stopped before flushing them left in the WAL (its last, never
  // answered ones) are read like any other from now on: they are made durable first.
  if (::fdatasync(fd) != 0) return os_error("flushing the WAL " + wal);

  // SQLite names the main database by its absolute path, so it always has a parent.
  const std::string dir = std::filesystem::path(db_path).parent_path().string();
  // As SQLite does for a new journal: a directory that cannot be opened, or whose file
  // system cannot flush directories (EINVAL), is skipped; a flush that fails is an error.
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    const int rc = ::fsync(dir_fd);
    const int saved_errno = errno;
    ::close(dir_fd);
    if (rc != 0 && saved_errno != EINVAL) {
      errno = saved_errno;
      return os_error("flushing the data directory " + dir);
    }
  }
  return flush;
}

WalFlush::~WalFlush() { ::close(fd_); }

void WalFlush::commit_returned() {
  {
    std::lock_guard lock(mu_);
    ++returned_;
  }
  cv_.notify_all();
}

Status WalFlush::flush_returned() {
  uint64_t bound = 0;
  {
    std::lock_guard lock(mu_);
    bound = returned_;
  }
  return wait_durable(bound);
}

Status WalFlush::wait_durable(uint64_t bound) {
  if (durable_.load(std::memory_order_acquire) >= bound) return Status{};
  std::unique_lock lock(mu_);
  for (;;) {
    if (failed_) return Error::make(Errc::kInternal, "an earlier flush of the WAL failed");
    if (durable_.load(std::memory_order_relaxed) >= bound) return Status{};
    // A COMMIT that has not returned cannot be flushed yet; a flush running now that
    // covers these commits will do. Both end with a notify.
    if (returned_ < bound || covering_ >= bound) {
      cv_.wait(lock);
      continue;
    }
    // Otherwise a flush of its own, beside any still running that began too early:
    // fdatasync also waits for pages another one is writing, so each covers what had
    // returned when it began, and the wait is one flush, not the rest of one and another.
    const uint64_t target = returned_;
    covering_ = std::max(covering_, target);
    lock.unlock();
    const auto started = std::chrono::steady_clock::now();
    const int rc = ::fdatasync(fd_);
    const int saved_errno = errno;
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                        std::chrono::steady_clock::now() - started)
                        .count();
    lock.lock();
    flushes_.fetch_add(1, std::memory_order_relaxed);
    flush_us_.fetch_add(static_cast<uint64_t>(us), std::memory_order_relaxed);
    if (rc == 0) {
      if (target > durable_.load(std::memory_order_relaxed)) durable_.store(target, std::memory_order_release);
    } else {
      failed_ = true;
    }
    cv_.notify_all();
    if (rc != 0) {
      errno = saved_errno;
      return os_error("flushing the WAL");
    }
  }
}

}  // namespace parley::store::sqlite
