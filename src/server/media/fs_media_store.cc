#include "server/media/fs_media_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <random>

#include <sodium.h>

#include "common/hex.h"

namespace parley::media {

bool valid_blob_key(std::string_view key) {
  if (key.size() != 64) return false;
  for (char c : key)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

namespace {

namespace fs = std::filesystem;

Error io_error(const std::string& what) {
  return Error::make(Errc::kInternal, what + ": " + std::strerror(errno));
}

Status write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("write");
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

std::string random_name() {
  static std::atomic<uint64_t> counter{0};
  std::random_device rd;
  return std::to_string(rd()) + "-" + std::to_string(counter.fetch_add(1));
}

class FsStaged final : public StagedUpload {
 public:
  FsStaged(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~FsStaged() override {
    if (fd_ >= 0) ::close(fd_);
    ::unlink(path_.c_str());
  }
  Status write(std::string_view bytes) override {
    if (fd_ < 0) return Error::make(Errc::kInternal, "staged upload is closed");
    if (Status s = write_all(fd_, bytes); !s) return s;
    size_ += bytes.size();
    return {};
  }
  Status close() override {
    // No fsync: a staged upload that a crash loses is simply not acknowledged.
    int fd = fd_;
    fd_ = -1;
    if (fd >= 0 && ::close(fd) != 0) return io_error("close");
    return {};
  }
  uint64_t size() const override { return size_; }
  const std::string& local_path() const override { return path_; }

 private:
  int fd_;
  std::string path_;
  uint64_t size_ = 0;
};

class FsReader final : public BlobReader {
 public:
  FsReader(int fd, uint64_t size) : fd_(fd), size_(size) {}
  ~FsReader() override { ::close(fd_); }
  uint64_t size() const override { return size_; }
  Result<std::size_t> read(uint64_t offset, char* out, std::size_t n) override {
    for (;;) {
      ssize_t got = ::pread(fd_, out, n, static_cast<off_t>(offset));
      if (got >= 0) return static_cast<std::size_t>(got);
      if (errno != EINTR) return io_error("pread");
    }
  }

 private:
  int fd_;
  uint64_t size_;
};

class FsMediaStore final : public MediaStore {
 public:
  explicit FsMediaStore(fs::path dir) : blobs_(dir / "blobs"), staging_(dir / "staging") {}

  Status init() {
    std::error_code ec;
    fs::create_directories(blobs_, ec);
    if (!ec) fs::create_directories(staging_, ec);
    if (ec) return Error::make(Errc::kInternal, "media directory: " + ec.message());
    // Leftovers of uploads a crash interrupted belong to nobody. Only old ones: in a
    // directory shared by several nodes the recent ones are other nodes' uploads in flight.
    const auto stale_before = fs::file_time_type::clock::now() - std::chrono::hours(1);
    for (const auto& entry : fs::directory_iterator(staging_, ec)) {
      std::error_code ec2;
      if (entry.last_write_time(ec2) < stale_before && !ec2) fs::remove(entry.path(), ec2);
    }
    return {};
  }

  Result<std::unique_ptr<StagedUpload>> stage() override {
    std::string path = (staging_ / ("upload-" + random_name())).string();
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return io_error("create staged upload");
    return std::unique_ptr<StagedUpload>(std::make_unique<FsStaged>(fd, std::move(path)));
  }

  Status put(std::string_view key, std::string_view bytes) override {
    if (!valid_blob_key(key)) return Error::make(Errc::kInternal, "bad blob key");
    fs::path final_path = path_of(key);
    struct stat st;
    if (::stat(final_path.c_str(), &st) == 0 && static_cast<uint64_t>(st.st_size) == bytes.size())
      return {};
    std::error_code ec;
    fs::create_directories(final_path.parent_path(), ec);
    if (ec) return Error::make(Errc::kInternal, "blob directory: " + ec.message());
    std::string tmp = (staging_ / ("blob-" + random_name())).string();
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return io_error("create blob");
    Status s = write_all(fd, bytes);
    if (s && ::fsync(fd) != 0) s = io_error("fsync blob");
    if (::close(fd) != 0 && s) s = io_error("close blob");
    if (s && ::rename(tmp.c_str(), final_path.c_str()) != 0) s = io_error("rename blob");
    if (!s) ::unlink(tmp.c_str());
    return s;
  }

  Status put_staged(std::string_view key, StagedUpload& staged) override {
    if (!valid_blob_key(key)) return Error::make(Errc::kInternal, "bad blob key");
    // Synced whether or not the blob exists, so that the time an upload takes does not
    // tell whether someone uploaded the same bytes before.
    const std::string& from = staged.local_path();
    int fd = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return io_error("open staged upload");
    Status s;
    if (::fsync(fd) != 0) s = io_error("fsync blob");
    ::close(fd);
    if (!s) return s;
    fs::path final_path = path_of(key);
    struct stat st;
    if (::stat(final_path.c_str(), &st) == 0 && static_cast<uint64_t>(st.st_size) == staged.size())
      return {};
    std::error_code ec;
    fs::create_directories(final_path.parent_path(), ec);
    if (ec) return Error::make(Errc::kInternal, "blob directory: " + ec.message());
    // The staged file (same file system) becomes the blob; its owner's later unlink of the
    // old name finds nothing.
    if (s && ::rename(from.c_str(), final_path.c_str()) != 0) s = io_error("rename blob");
    return s;
  }

  Result<std::unique_ptr<BlobReader>> open(std::string_view key) override {
    if (!valid_blob_key(key)) return Error::make(Errc::kNotFound, "no such blob");
    int fd = ::open(path_of(key).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) return Error::make(Errc::kNotFound, "no such blob");
      return io_error("open blob");
    }
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      Error e = io_error("stat blob");
      ::close(fd);
      return e;
    }
    return std::unique_ptr<BlobReader>(
        std::make_unique<FsReader>(fd, static_cast<uint64_t>(st.st_size)));
  }

  Status remove(std::string_view key) override {
    if (!valid_blob_key(key)) return {};
    if (::unlink(path_of(key).c_str()) != 0 && errno != ENOENT) return io_error("remove blob");
    return {};
  }

 private:
  fs::path path_of(std::string_view key) const {
    return blobs_ / std::string(key.substr(0, 2)) / std::string(key);
  }

  const fs::path blobs_;
  const fs::path staging_;
};

}  // namespace

Result<SigningKey> load_or_create_signing_key(const std::string& path) {
  SigningKey key;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    char text[65] = {};
    ssize_t n = ::read(fd, text, 64);
    ::close(fd);
    if (n != 64 || !parse_key(std::string_view(text, 64), key))
      return Error::make(Errc::kInternal, path + " does not hold a 64-hex-digit key");
    return key;
  }
  if (errno != ENOENT) return io_error("open " + path);
  randombytes_buf(key.data(), key.size());
  const std::string hex = to_hex(key);
  // Per process: nodes sharing the directory may create the key at the same moment.
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return io_error("create " + tmp);
  Status s = write_all(fd, hex + "\n");
  if (s && ::fsync(fd) != 0) s = io_error("fsync " + tmp);
  ::close(fd);
  // link() fails if another process created the key meanwhile: then use theirs.
  if (s && ::link(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    if (errno == EEXIST) return load_or_create_signing_key(path);
    return io_error("create " + path);
  }
  ::unlink(tmp.c_str());
  if (!s) return s.error();
  return key;
}

Result<std::unique_ptr<MediaStore>> open_fs_media_store(const std::string& dir) {
  auto store = std::make_unique<FsMediaStore>(dir);
  if (Status s = store->init(); !s) return s.error();
  return std::unique_ptr<MediaStore>(std::move(store));
}

}  // namespace parley::media
