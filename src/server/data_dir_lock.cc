#include "server/data_dir_lock.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace parley {

Result<DataDirLock> DataDirLock::acquire(const std::string& data_dir) {
  const std::string path = data_dir + "/parleyd.lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Error::make(Errc::kInternal, "cannot open " + path + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int e = errno;
    ::close(fd);
    if (e == EWOULDBLOCK) return Error::make(Errc::kUnavailable, "another parleyd is using " + data_dir);
    return Error::make(Errc::kInternal, "cannot lock " + path + ": " + std::strerror(e));
  }
  return DataDirLock(fd);
}

DataDirLock::~DataDirLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace parley
