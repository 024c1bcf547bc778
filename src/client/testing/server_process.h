// Test support: a real parleyd in a child process, on a temporary data directory and a free
// loopback port, with rate limits lifted (tests are about behaviour, not limits). The binary
// is taken from the PARLEYD environment variable (set by CTest).
#pragma once

#include <sys/types.h>

#include <string>

namespace parley::client::testing {

class ServerProcess {
 public:
  // Makes a fresh data directory; does not start the server.
  ServerProcess();
  // Stops the server (if running) and removes the data directory.
  ~ServerProcess();

  // Starts parleyd on `port` (0: a free one, then remembered so restarts reuse it) and waits
  // until it listens. Returns false (with the log on stderr) when it does not start in 30 s.
  bool start();
  // SIGTERM and wait: a clean shutdown. No-op when not running.
  void stop();
  bool running() const { return pid_ > 0; }

  // Serve HTTPS/WSS with this certificate and key (PEM) from the next start().
  void use_tls(std::string cert, std::string key) {
    tls_cert_ = std::move(cert);
    tls_key_ = std::move(key);
  }

  int port() const { return port_; }
  // http://127.0.0.1:PORT, or with TLS https://localhost:PORT (the certificate's name).
  std::string url() const {
    return (tls_cert_.empty() ? "http://127.0.0.1:" : "https://localhost:") + std::to_string(port_);
  }
  // A directory the test may use for its own files (client stores); removed at the end.
  const std::string& scratch() const { return dir_; }

 private:
  std::string dir_;
  std::string tls_cert_;
  std::string tls_key_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// Starts `argv[0]` with its stdout on a pipe; returns the pid and sets *stdout_fd.
pid_t spawn_with_stdout(const char* const argv[], int* stdout_fd);
// Reads one line from `fd` (without the '\n'), waiting at most `timeout_ms`; false on EOF/timeout.
bool read_line(int fd, std::string* line, int timeout_ms);

}  // namespace parley::client::testing
