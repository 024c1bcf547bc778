#include "server/media/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace parley::media {
namespace {

Error sys_error(const char* what) {
  return Error::make(Errc::kInternal, std::string(what) + ": " + std::strerror(errno));
}

void set_limit(int resource, int64_t value) {
  struct rlimit rl;
  rl.rlim_cur = rl.rlim_max = static_cast<rlim_t>(value);
  ::setrlimit(resource, &rl);
}

// In the child, between fork and execve: only async-signal-safe calls.
[[noreturn]] void become_child(char* const* argv, int out_w, int err_w, const SandboxLimits& l) {
  ::setpgid(0, 0);
  int null_fd = ::open("/dev/null", O_RDONLY);
  if (null_fd < 0 || ::dup2(null_fd, 0) < 0 || ::dup2(out_w, 1) < 0 || ::dup2(err_w, 2) < 0)
    ::_exit(127);
  // Everything the server has open (sockets, the database, other uploads) stays behind.
  if (::syscall(SYS_close_range, 3u, ~0u, 0u) != 0) {
    for (int fd = 3; fd < 65536; ++fd) ::close(fd);
  }
  set_limit(RLIMIT_CORE, 0);
  set_limit(RLIMIT_CPU, l.cpu_seconds);
  set_limit(RLIMIT_AS, l.address_space_bytes);
  set_limit(RLIMIT_FSIZE, l.file_size_bytes);
  set_limit(RLIMIT_NOFILE, 32);
  // Signals the server ignores or blocks would otherwise stay so in the child.
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::signal(SIGPIPE, SIG_DFL);
  ::signal(SIGXFSZ, SIG_DFL);
  char* empty_env[] = {nullptr};
  ::execve(argv[0], argv, empty_env);
  ::_exit(127);
}

void kill_group(pid_t pid) {
  ::kill(-pid, SIGKILL);
  ::kill(pid, SIGKILL);  // in case it died before setpgid took effect
}

}  // namespace

Result<SandboxOutcome> run_sandboxed(const std::vector<std::string>& args,
                                     const SandboxLimits& limits) {
  if (args.empty() || args[0].empty() || args[0][0] != '/')
    return Error::make(Errc::kInternal, "run_sandboxed needs an absolute program path");
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return sys_error("pipe");
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    return sys_error("pipe");
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    Error e = sys_error("fork");
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) ::close(fd);
    return e;
  }
  if (pid == 0) become_child(argv.data(), out_pipe[1], err_pipe[1], limits);
  ::setpgid(pid, pid);  // also from here, so that kill(-pid) works however soon it comes
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);

  SandboxOutcome outcome;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(limits.timeout_ms);
  struct pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  char buf[65536];
  while (open_fds > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) {
      outcome.timed_out = true;
      break;
    }
    int n = ::poll(fds, 2, static_cast<int>(std::min<int64_t>(left, 1000)));
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < 2 && n > 0; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
        continue;
      }
      std::string& sink = i == 0 ? outcome.out : outcome.err;
      std::size_t cap = i == 0 ? limits.max_output_bytes : limits.max_stderr_bytes;
      if (sink.size() + static_cast<std::size_t>(got) > cap) {
        sink.append(buf, cap - sink.size());
        if (i == 0) outcome.output_too_large = true;
      } else {
        sink.append(buf, static_cast<std::size_t>(got));
      }
    }
    if (outcome.output_too_large) break;
  }
  for (auto& f : fds)
    if (f.fd >= 0) ::close(f.fd);
  int status = 0;
  bool reaped = false;
  // A child that closed its output may still be running: it gets what is left of the time.
  while (!outcome.timed_out && !outcome.output_too_large) {
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      reaped = true;
      break;
    }
    if (r < 0 && errno != EINTR) return sys_error("waitpid");
    if (std::chrono::steady_clock::now() >= deadline) {
      outcome.timed_out = true;
      break;
    }
    ::usleep(2000);
  }
  // Its whole group goes (ffmpeg starts nothing, but a tool might leave something behind).
  if (reaped)
    ::kill(-pid, SIGKILL);
  else
    kill_group(pid);
  while (!reaped && ::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return sys_error("waitpid");
  }
  if (WIFEXITED(status)) {
    outcome.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    outcome.signal = WTERMSIG(status);
  }
  if (outcome.exit_code == 127 && outcome.out.empty() && outcome.err.empty())
    return Error::make(Errc::kInternal, "cannot run " + args[0]);
  return outcome;
}

}  // namespace parley::media
