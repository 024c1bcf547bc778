// The server process as /proc shows it: resident memory and CPU time, and finding its pid
// from the TCP port it listens on. Linux only.
#pragma once

#include <cstdint>

namespace bench {

struct ProcSample {
  bool ok = false;
  int64_t rss_kb = 0;  // VmRSS from /proc/<pid>/status
  double cpu_s = 0;    // utime + stime from /proc/<pid>/stat, in seconds
};

ProcSample sample_process(int64_t pid);

// The pid of a process of ours that listens on `port` (TCP, IPv4 or IPv6), or 0.
int64_t find_listener_pid(uint16_t port);

}  // namespace bench
