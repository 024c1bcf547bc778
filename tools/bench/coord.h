// Worker processes and their barriers. The parent forks --procs workers (before any thread
// exists), then steps them through the same sequence of named barriers: when every worker
// has reached barrier B, the parent samples the server (memory, CPU, time) and releases
// them. At the end each worker sends its Stats; the parent merges them.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "proc_stats.h"
#include "stats.h"

namespace bench {

// The worker's end of the link to the parent.
class WorkerLink {
 public:
  WorkerLink(int index, int to_parent_fd, int from_parent_fd) : index_(index), out_(to_parent_fd), in_(from_parent_fd) {}
  int index() const { return index_; }
  // Blocks until every worker has reached the barrier `name`. False if the parent is gone.
  bool barrier(const std::string& name);
  void send_result(const Stats& stats);

 private:
  int index_;
  int out_;
  int in_;
};

struct BarrierSample {
  std::string name;
  double t_s = 0;  // seconds since the workers were started
  ProcSample server;
};

struct RunResult {
  bool ok = false;  // false: a worker died or broke the protocol
  std::string failure;
  std::vector<BarrierSample> barriers;
  Stats stats;  // merged over workers

  const BarrierSample* at(const std::string& name) const;
};

// Runs `work` in `procs` child processes, each given its WorkerLink, and coordinates them.
RunResult run_workers(int procs, int64_t server_pid, const std::function<void(WorkerLink&)>& work);

}  // namespace bench
