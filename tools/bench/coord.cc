#include "coord.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>

#include <boost/json.hpp>

namespace bench {

namespace {

bool write_all(int fd, const std::string& s) {
  std::size_t done = 0;
  while (done < s.size()) {
    ssize_t n = ::write(fd, s.data() + done, s.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

// Reads one '\n'-terminated line (without it). False at EOF or error.
bool read_line(int fd, std::string& line) {
  line.clear();
  char c;
  for (;;) {
    ssize_t n = ::read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    if (c == '\n') return true;
    line += c;
  }
}

}  // namespace

bool WorkerLink::barrier(const std::string& name) {
  if (!write_all(out_, "B " + name + "\n")) return false;
  std::string line;
  return read_line(in_, line) && line == "G";
}

void WorkerLink::send_result(const Stats& stats) {
  Stats with_cpu = stats;
  rusage r{};
  getrusage(RUSAGE_SELF, &r);
  with_cpu.add("client_cpu_s", static_cast<double>(r.ru_utime.tv_sec + r.ru_stime.tv_sec) +
                                   static_cast<double>(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6);
  write_all(out_, "R " + boost::json::serialize(with_cpu.to_json()) + "\n");
}

const BarrierSample* RunResult::at(const std::string& name) const {
  for (const auto& b : barriers)
    if (b.name == name) return &b;
  return nullptr;
}

RunResult run_workers(int procs, int64_t server_pid, const std::function<void(WorkerLink&)>& work) {
  struct Child {
    pid_t pid;
    int from_child;
    int to_child;
  };
  std::vector<Child> children;
  RunResult result;
  auto start = std::chrono::steady_clock::now();
  std::fflush(nullptr);
  for (int i = 0; i < procs; ++i) {
    int up[2], down[2];
    if (pipe(up) != 0 || pipe(down) != 0) {
      result.failure = "pipe failed";
      return result;
    }
    pid_t pid = fork();
    if (pid == 0) {
      for (const auto& c : children) {
        close(c.from_child);
        close(c.to_child);
      }
      close(up[0]);
      close(down[1]);
      WorkerLink link(i, up[1], down[0]);
      work(link);
      std::fflush(nullptr);
      _exit(0);
    }
    close(up[1]);
    close(down[0]);
    if (pid < 0) {
      result.failure = "fork failed";
      return result;
    }
    children.push_back({pid, up[0], down[1]});
  }
  auto fail = [&](std::string why) {
    result.failure = std::move(why);
    for (const auto& c : children) kill(c.pid, SIGTERM);
  };
  for (;;) {
    std::string first_kind, name;
    bool broken = false;
    std::vector<std::string> lines(children.size());
    for (std::size_t i = 0; i < children.size() && !broken; ++i) {
      if (!read_line(children[i].from_child, lines[i])) {
        fail("worker " + std::to_string(i) + " exited early");
        broken = true;
      } else if (i > 0 && lines[i].substr(0, 2) + (lines[i][0] == 'B' ? lines[i] : "") !=
                              lines[0].substr(0, 2) + (lines[0][0] == 'B' ? lines[0] : "")) {
        fail("workers out of step: '" + lines[0].substr(0, 40) + "' vs '" + lines[i].substr(0, 40) + "'");
        broken = true;
      }
    }
    if (broken) break;
    if (lines[0].rfind("B ", 0) == 0) {
      BarrierSample s;
      s.name = lines[0].substr(2);
      s.t_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      s.server = sample_process(server_pid);
      result.barriers.push_back(s);
      for (const auto& c : children) write_all(c.to_child, "G\n");
      continue;
    }
    bool parsed = true;
    for (const auto& line : lines) {
      boost::system::error_code ec;
      auto v = boost::json::parse(line.substr(2), ec);
      if (ec || line.rfind("R ", 0) != 0) {
        parsed = false;
        break;
      }
      result.stats.merge(Stats::from_json(v));
    }
    if (!parsed) fail("a worker sent a malformed result");
    else result.ok = true;
    break;
  }
  for (const auto& c : children) {
    close(c.from_child);
    close(c.to_child);
    int status = 0;
    waitpid(c.pid, &status, 0);
    if (result.ok && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
      result.ok = false;
      result.failure = "a worker exited abnormally";
    }
  }
  return result;
}

}  // namespace bench
