// Running an untrusted-input tool (ffprobe, ffmpeg) as a sandboxed child process, so that a
// decoder that crashes, hangs or eats memory takes down only itself, never parleyd.
//
// The child gets: an empty environment; stdin from /dev/null; stdout and stderr to pipes
// read by the caller (each kept up to a cap); every other file descriptor closed; its own
// process group; and resource limits: CPU seconds, address space, largest file it may
// write, no core dump, few open files. The caller waits at most a wall-clock timeout, then
// kills the whole process group (SIGKILL) and reaps it. Nothing is run through a shell.
//
// Thread-safety: run_sandboxed may be called from several threads at once (fork from a
// threaded process: the child only calls async-signal-safe functions before execve).
// It blocks the calling thread until the child is gone; call it from a media worker.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"

namespace parley::media {

struct SandboxLimits {
  int64_t timeout_ms = 120'000;           // wall clock; then the group is killed
  int64_t cpu_seconds = 120;              // RLIMIT_CPU (SIGXCPU, then SIGKILL)
  int64_t address_space_bytes = 2LL << 30;  // RLIMIT_AS
  int64_t file_size_bytes = 0;            // RLIMIT_FSIZE; 0: may write no file at all
  std::size_t max_output_bytes = 1 << 20;   // stdout kept; more kills the child
  std::size_t max_stderr_bytes = 16 << 10;  // stderr kept (for logs); more is read and dropped
};

struct SandboxOutcome {
  int exit_code = -1;     // when it exited; -1 when a signal ended it
  int signal = 0;         // the signal that ended it, else 0
  bool timed_out = false;       // killed at the wall-clock timeout
  bool output_too_large = false;  // killed for writing more than max_output_bytes to stdout
  std::string out;        // its stdout (at most max_output_bytes)
  std::string err;        // the start of its stderr

  // Exited by itself with status 0.
  bool succeeded() const { return exit_code == 0 && !timed_out && !output_too_large; }
};

// Runs `argv` (argv[0] an absolute path; no PATH lookup, no shell) as described above and
// waits for it. The outcome says how it ended: a crash, a timeout or a failed exit are
// outcomes, not errors. Errors: kInternal (no pipe, no fork, or the program could not be
// executed: the outcome of an execve failure is exit code 127).
Result<SandboxOutcome> run_sandboxed(const std::vector<std::string>& argv,
                                     const SandboxLimits& limits);

}  // namespace parley::media
