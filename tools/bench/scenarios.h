// The scenarios. Each has a worker half, run in every worker process (it sets up its share
// of users, passes the named barriers, and sends its Stats to the parent), and a report
// half, run in the parent on the merged Stats and the server samples taken at barriers.
#pragma once

#include <string>

#include "coord.h"
#include "net.h"
#include "options.h"
#include "report.h"

namespace bench {

struct WorkerContext {
  const Options& opt;
  WorkerLink& link;
  Target target;     // with this worker's source address
  std::string base;  // username stem of this worker, e.g. "bk3x9aw0"
  // This worker's share of `total` (total / procs, the first workers take the remainder).
  int64_t share(int64_t total) const;
};

void connections_worker(WorkerContext& ctx);
void connections_report(const Options& opt, const RunResult& run, Report& report);
void direct_worker(WorkerContext& ctx);
void direct_report(const Options& opt, const RunResult& run, Report& report);
void reconnect_worker(WorkerContext& ctx);
void reconnect_report(const Options& opt, const RunResult& run, Report& report);
void history_worker(WorkerContext& ctx);
void history_report(const Options& opt, const RunResult& run, Report& report);
void group_worker(WorkerContext& ctx);
void group_report(const Options& opt, const RunResult& run, Report& report);
void ping_worker(WorkerContext& ctx);
void ping_report(const Options& opt, const RunResult& run, Report& report);

// The same scenarios against an XMPP server (--protocol xmpp); they report with the
// functions above.
void xmpp_connections_worker(WorkerContext& ctx);
void xmpp_direct_worker(WorkerContext& ctx);
void xmpp_reconnect_worker(WorkerContext& ctx);

// A fatal setup failure in a worker: recorded as an error, and the worker skips to the end
// (it still passes every remaining barrier so that the others are not stuck).
void fail_setup(Stats& stats, const std::string& what);

// The server's CPU use (fraction of one core) and RSS growth between two barriers.
void report_server_between(const RunResult& run, const std::string& from, const std::string& to, Report& report);

}  // namespace bench
