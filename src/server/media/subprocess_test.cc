#include "server/media/subprocess.h"

#include <gtest/gtest.h>
#include <signal.h>

namespace parley::media {
namespace {

SandboxLimits quick() {
  SandboxLimits l;
  l.timeout_ms = 30'000;
  l.cpu_seconds = 30;
  l.address_space_bytes = 1LL << 30;
  return l;
}

Result<SandboxOutcome> sh(const std::string& script, const SandboxLimits& l = quick()) {
  return run_sandboxed({"/bin/sh", "-c", script}, l);
}

TEST(Sandbox, CollectsOutputAndExitCode) {
  auto r = sh("echo hello; echo oops >&2; exit 3");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out, "hello\n");
  EXPECT_EQ(r->err, "oops\n");
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_FALSE(r->succeeded());
  auto ok = sh("true");
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(ok->succeeded());
}

TEST(Sandbox, ChildGetsAnEmptyEnvironmentAndNoInput) {
  ::setenv("PARLEY_SECRET_FOR_TEST", "x", 1);
  // /bin/sh sets PWD (and maybe a few shell variables) itself; nothing of ours arrives.
  auto r = sh("env | grep -c PARLEY_SECRET_FOR_TEST; cat; echo end");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out, "0\nend\n");  // nothing inherited; stdin is empty (not a terminal or socket)
}

TEST(Sandbox, InheritsNoFileDescriptors) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);  // without CLOEXEC, as a careless part of the server might
  auto r = sh("ls /proc/self/fd | wc -l");
  ::close(fds[0]);
  ::close(fds[1]);
  ASSERT_TRUE(r.ok());
  // 0, 1, 2 and the directory ls reads.
  EXPECT_EQ(r->out, "4\n");
}

TEST(Sandbox, AHangIsKilledAtTheTimeout) {
  SandboxLimits l = quick();
  l.timeout_ms = 300;
  auto r = sh("sleep 60", l);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->timed_out);
  EXPECT_FALSE(r->succeeded());
}

TEST(Sandbox, AHangAfterClosingItsOutputIsKilledToo) {
  SandboxLimits l = quick();
  l.timeout_ms = 300;
  auto r = sh("exec >/dev/null 2>&1; sleep 60", l);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->timed_out);
}

TEST(Sandbox, ACrashIsAnOutcome) {
  auto r = sh("kill -SEGV $$");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->signal, SIGSEGV);
  EXPECT_EQ(r->exit_code, -1);
  EXPECT_FALSE(r->succeeded());
}

TEST(Sandbox, HugeOutputIsCutAndTheChildKilled) {
  SandboxLimits l = quick();
  l.max_output_bytes = 4096;
  auto r = sh("yes", l);  // writes forever
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->output_too_large);
  EXPECT_EQ(r->out.size(), 4096u);
  EXPECT_FALSE(r->succeeded());
}

TEST(Sandbox, HugeStderrIsDroppedNotFatal) {
  SandboxLimits l = quick();
  l.max_stderr_bytes = 100;
  auto r = sh("head -c 1000000 /dev/zero >&2; echo done", l);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->err.size(), 100u);
  EXPECT_EQ(r->out, "done\n");
  EXPECT_TRUE(r->succeeded());
}

TEST(Sandbox, FileSizeLimitStopsAWriter) {
  SandboxLimits l = quick();
  l.file_size_bytes = 1000;
  std::string path = ::testing::TempDir() + "/sandbox-fsize";
  auto r = sh("head -c 100000 /dev/zero > " + path, l);
  ::unlink(path.c_str());
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->succeeded());  // SIGXFSZ, or a failed write
}

TEST(Sandbox, NoCoreAndBoundedCpu) {
  auto r = sh("ulimit -c; ulimit -t");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out, "0\n30\n");
}

TEST(Sandbox, RefusesARelativeProgramAndReportsAMissingOne) {
  EXPECT_FALSE(run_sandboxed({"sh", "-c", "true"}, quick()).ok());
  EXPECT_FALSE(run_sandboxed({"/nonexistent/tool"}, quick()).ok());
}

}  // namespace
}  // namespace parley::media
