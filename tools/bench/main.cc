// parley-bench: see options.cc (usage) and bench/README.md.
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <random>

#include <boost/json.hpp>

#include "coord.h"
#include "options.h"
#include "proc_stats.h"
#include "report.h"
#include "scenarios.h"

namespace bench {

int64_t WorkerContext::share(int64_t total) const {
  int64_t procs = opt.procs, i = link.index();
  return total / procs + (i < total % procs ? 1 : 0);
}

void fail_setup(Stats& stats, const std::string& what) {
  std::fprintf(stderr, "parley-bench: %s\n", what.c_str());
  stats.error("setup: " + what);
}

void report_server_between(const RunResult& run, const std::string& from, const std::string& to, Report& report) {
  const BarrierSample* a = run.at(from);
  const BarrierSample* b = run.at(to);
  if (!a || !b || !a->server.ok || !b->server.ok || b->t_s <= a->t_s) {
    report.note("server CPU/memory: not available (no --server-pid and none found by port)");
    return;
  }
  report.value("server_cpu_cores", "server CPU (cores busy, " + from + " -> " + to + ")",
               (b->server.cpu_s - a->server.cpu_s) / (b->t_s - a->t_s), "", 2);
  report.value("server_rss_end_mib", "server RSS at " + to, static_cast<double>(b->server.rss_kb) / 1024.0, "MiB");
}

namespace {

std::string random_prefix() {
  std::random_device rd;
  std::mt19937 g(rd());
  const char* letters = "abcdefghijklmnopqrstuvwxyz";
  std::string p;
  for (int i = 0; i < 6; ++i) p += letters[g() % 26];
  return p;
}

void raise_fd_limit() {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
  }
}

}  // namespace

int run(int argc, char** argv) {
  auto parsed = parse_options(argc, argv);
  if (!parsed) {
    std::fprintf(stderr, "parley-bench: %s\n", parsed.error().message.c_str());
    return 2;
  }
  Options opt = *parsed;
  if (opt.help || opt.scenario.empty()) {
    std::fputs(usage().c_str(), opt.help ? stdout : stderr);
    return opt.help ? 0 : 2;
  }
  using WorkerFn = void (*)(WorkerContext&);
  using ReportFn = void (*)(const Options&, const RunResult&, Report&);
  WorkerFn worker = nullptr;
  ReportFn reporter = nullptr;
  if (opt.scenario == "connections") worker = connections_worker, reporter = connections_report;
  else if (opt.scenario == "direct") worker = direct_worker, reporter = direct_report;
  else if (opt.scenario == "reconnect") worker = reconnect_worker, reporter = reconnect_report;
  else if (opt.scenario == "history") worker = history_worker, reporter = history_report;
  else if (opt.scenario == "group") worker = group_worker, reporter = group_report;
  else if (opt.scenario == "ping") worker = ping_worker, reporter = ping_report;
  else {
    std::fprintf(stderr, "parley-bench: unknown scenario '%s' (see --help)\n", opt.scenario.c_str());
    return 2;
  }
  if (opt.protocol == "xmpp") {
    if (opt.scenario == "connections") worker = xmpp_connections_worker;
    else if (opt.scenario == "direct") worker = xmpp_direct_worker;
    else if (opt.scenario == "reconnect") worker = xmpp_reconnect_worker;
  }
  raise_fd_limit();
  if (opt.prefix.empty()) opt.prefix = random_prefix();
  if (opt.server_pid == 0) opt.server_pid = find_listener_pid(opt.port);
  bool loopback = opt.host.rfind("127.", 0) == 0;

  RunResult run = run_workers(opt.procs, opt.server_pid, [&](WorkerLink& link) {
    WorkerContext ctx{opt, link, Target{opt.host, opt.port, ""}, "b" + opt.prefix + "w" + std::to_string(link.index())};
    if (loopback && opt.bind_source) ctx.target.source = "127.0.0." + std::to_string(2 + link.index());
    worker(ctx);
  });
  if (!run.ok) {
    std::fprintf(stderr, "parley-bench: run failed: %s\n", run.failure.c_str());
    return 1;
  }

  Report report("parley-bench " + opt.scenario + (opt.protocol == "xmpp" ? " (xmpp)" : ""));
  reporter(opt, run, report);
  const Stats& s = run.stats;
  report.value("client_cpu_s", "parley-bench CPU time (all workers)", s.get("client_cpu_s"), "s", 2);
  double errors = s.get("errors");
  report.value("correctness_errors", "correctness errors", errors, "", 0);
  for (const auto& e : s.errors) report.note("ERROR " + e);
  std::fputs(report.table().c_str(), stdout);

  if (!opt.json_file.empty()) {
    boost::json::object& j = report.json();
    j["scenario"] = opt.scenario;
    j["protocol"] = opt.protocol;
    j["ok"] = errors == 0;
    j["errors"] = boost::json::value_from(s.errors);
    boost::json::object counters;
    for (const auto& [k, v] : s.counters) counters[k] = v;
    j["counters"] = std::move(counters);
    j["command"] = [&] {
      std::string c;
      for (int i = 0; i < argc; ++i) c += (i ? " " : "") + std::string(argv[i]);
      return c;
    }();
    std::ofstream f(opt.json_file);
    f << boost::json::serialize(j) << "\n";
    if (!f) {
      std::fprintf(stderr, "parley-bench: cannot write %s\n", opt.json_file.c_str());
      return 1;
    }
  }
  return errors == 0 ? 0 : 1;
}

}  // namespace bench

int main(int argc, char** argv) { return bench::run(argc, argv); }
