#include "proc_stats.h"

#include <dirent.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

namespace bench {

ProcSample sample_process(int64_t pid) {
  ProcSample s;
  if (pid <= 0) return s;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  bool have_rss = false;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) {
      s.rss_kb = std::stoll(line.substr(6));
      have_rss = true;
    }
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string all((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  auto close = all.rfind(')');
  if (!have_rss || close == std::string::npos) return s;
  std::istringstream rest(all.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {  // fields 14 and 15 are utime, stime
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  s.cpu_s = static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  s.ok = true;
  return s;
}

namespace {

void listening_inodes(const char* table, uint16_t port, std::set<std::string>& inodes) {
  std::ifstream f(table);
  std::string line;
  std::getline(f, line);  // header
  while (std::getline(f, line)) {
    std::istringstream in(line);
    std::string sl, local, remote, state, queues, tr, retr, uid, timeout, inode;
    if (!(in >> sl >> local >> remote >> state >> queues >> tr >> retr >> uid >> timeout >> inode)) continue;
    auto colon = local.rfind(':');
    if (state != "0A" || colon == std::string::npos) continue;  // 0A = LISTEN
    if (std::stoul(local.substr(colon + 1), nullptr, 16) == port) inodes.insert(inode);
  }
}

}  // namespace

int64_t find_listener_pid(uint16_t port) {
  std::set<std::string> inodes;
  listening_inodes("/proc/net/tcp", port, inodes);
  listening_inodes("/proc/net/tcp6", port, inodes);
  if (inodes.empty()) return 0;
  DIR* proc = opendir("/proc");
  if (!proc) return 0;
  int64_t found = 0;
  while (dirent* e = readdir(proc)) {
    if (found || e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::string fd_dir = std::string("/proc/") + e->d_name + "/fd";
    DIR* fds = opendir(fd_dir.c_str());
    if (!fds) continue;
    while (dirent* fe = readdir(fds)) {
      char target[128];
      std::string path = fd_dir + "/" + fe->d_name;
      ssize_t n = readlink(path.c_str(), target, sizeof target - 1);
      if (n <= 0) continue;
      target[n] = 0;
      if (std::strncmp(target, "socket:[", 8) == 0) {
        std::string inode(target + 8, std::strlen(target + 8) - 1);
        if (inodes.count(inode)) {
          found = std::stoll(e->d_name);
          break;
        }
      }
    }
    closedir(fds);
  }
  closedir(proc);
  return found;
}

}  // namespace bench
