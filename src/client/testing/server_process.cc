#include "client/testing/server_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

extern char** environ;

namespace parley::client::testing {

ServerProcess::ServerProcess() {
  std::random_device rd;
  dir_ = (std::filesystem::temp_directory_path() /
          ("parley-client-test-" + std::to_string(rd()) + std::to_string(rd())))
             .string();
  std::filesystem::create_directories(dir_ + "/server");
}

ServerProcess::~ServerProcess() {
  stop();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

bool ServerProcess::start() {
  const char* binary = std::getenv("PARLEYD");
  if (binary == nullptr) {
    std::cerr << "PARLEYD is not set\n";
    return false;
  }
  const std::string log = dir_ + "/server.log";
  std::filesystem::remove(log);
  const std::string listen = "127.0.0.1:" + std::to_string(port_);
  const std::string data = dir_ + "/server";
  std::vector<std::string> args = {
      binary, "--listen", listen, "--data-dir", data, "--web-root", "",
      "--insecure-fast-password-hashing", "true", "--rate-register-per-min", "1000000",
      "--rate-login-per-min", "1000000", "--rate-send-per-sec", "0", "--rate-other-per-sec", "0",
      "--rate-group-create-per-min", "0", "--rate-group-add-per-min", "0",
      "--max-connections-per-address", "0", "--presence-offline-grace-ms", "0"};
  if (!tls_cert_.empty()) {
    for (const std::string& a : {std::string("--tls-cert"), tls_cert_, std::string("--tls-key"), tls_key_}) args.push_back(a);
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  const int rc = posix_spawn(&pid_, binary, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    pid_ = -1;
    return false;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(log);
    std::stringstream text;
    text << in.rdbuf();
    const std::string s = text.str();
    const std::string marker = tls_cert_.empty() ? "listening on http://127.0.0.1:" : "listening on https://127.0.0.1:";
    if (auto at = s.find(marker); at != std::string::npos) {
      port_ = std::atoi(s.c_str() + at + marker.size());
      return true;
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      std::cerr << "parleyd exited:\n" << s;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::cerr << "parleyd did not start\n";
  return false;
}

void ServerProcess::stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

pid_t spawn_with_stdout(const char* const argv[], int* stdout_fd) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, const_cast<char* const*>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    return -1;
  }
  *stdout_fd = fds[0];
  return pid;
}

bool read_line(int fd, std::string* line, int timeout_ms) {
  line->clear();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char c;
    if (read(fd, &c, 1) != 1) return false;
    if (c == '\n') return true;
    *line += c;
  }
}

}  // namespace parley::client::testing
