#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <set>

#include "support/support.h"

namespace schemaport::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// A process is gone when /proc has no entry for it or it is a zombie awaiting its reaper.
bool ProcessGone(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return true;
  std::string line;
  std::getline(stat, line);
  const auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z';
}

std::set<pid_t> ChildrenOf(pid_t parent) {
  std::set<pid_t> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(e.path() / "stat");
    std::string line;
    std::getline(stat, line);
    const auto close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    char state;
    pid_t ppid;
    rest >> state >> ppid;
    if (ppid == parent) out.insert(std::stoi(name));
  }
  return out;
}

TEST(TempDirTest, RemovedOnDestruction) {
  fs::path p;
  {
    TempDir dir("schemaport-tempdir-test");
    p = dir.path();
    WriteFile(dir / "a/b.txt", "hello");
    EXPECT_EQ(ReadFile(dir / "a/b.txt"), "hello");
  }
  EXPECT_FALSE(fs::exists(p));
}

TEST(FreePortTest, ReturnsUsablePort) {
  const int port = FreePort();
  EXPECT_GT(port, 1024);
  EXPECT_LT(port, 65536);
}

TEST(ChildProcessTest, CapturesOutputAndExitStatus) {
  TempDir dir;
  auto child = ChildProcess::Start({.argv = {"/bin/sh", "-c", "echo hello $GREETING; exit 3"},
                                    .env = {{"GREETING", "world"}},
                                    .log_path = dir / "child.log"});
  ASSERT_TRUE(child.ok()) << child.status();
  auto status = (*child)->Wait(10s);
  ASSERT_TRUE(status.ok());
  EXPECT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 3);
  EXPECT_EQ((*child)->Log(), "hello world\n");
}

TEST(ChildProcessTest, StdoutPathTakesStdoutAloneAndTheLogKeepsStderr) {
  TempDir dir;
  WriteFile(dir / "child.out", "from an earlier run\n");
  auto child = ChildProcess::Start({.argv = {"/bin/sh", "-c", "echo out; echo err >&2"},
                                    .log_path = dir / "child.err",
                                    .stdout_path = dir / "child.out"});
  ASSERT_TRUE(child.ok()) << child.status();
  auto status = (*child)->Wait(10s);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(ReadFile(dir / "child.out"), "out\n");
  EXPECT_EQ((*child)->Log(), "err\n");
}

TEST(ChildProcessTest, MissingProgramIsAClearError) {
  TempDir dir;
  auto child = ChildProcess::Start({.argv = {"/nonexistent/program"}, .log_path = dir / "x.log"});
  ASSERT_FALSE(child.ok());
  EXPECT_NE(child.status().message().find("/nonexistent/program"), std::string::npos);
  EXPECT_NE(child.status().message().find("execute failed"), std::string::npos);
}

TEST(ChildProcessTest, StopEscalatesToSigkill) {
  TempDir dir;
  auto child = ChildProcess::Start(
      {.argv = {"/bin/sh", "-c", "trap '' TERM; echo ready; while true; do sleep 0.05; done"},
       .log_path = dir / "stubborn.log"});
  ASSERT_TRUE(child.ok());
  ASSERT_TRUE((*child)->WaitForLog("ready", 10s).ok());
  const int status = (*child)->Stop(200ms);
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  EXPECT_FALSE((*child)->Running());
}

TEST(ChildProcessTest, WaitForLogReportsEarlyExitWithLog) {
  TempDir dir;
  auto child = ChildProcess::Start(
      {.argv = {"/bin/sh", "-c", "echo boom >&2; exit 1"}, .log_path = dir / "early.log"});
  ASSERT_TRUE(child.ok());
  auto r = (*child)->WaitForLog("listening", 10s);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("boom"), std::string::npos);
}

TEST(PgClusterTest, StartsConnectsAndCreatesFreshDatabases) {
  PgCluster& pg = SharedPgCluster();
  auto db1 = pg.CreateDatabase("support");
  auto db2 = pg.CreateDatabase("support");
  ASSERT_TRUE(db1.ok()) << db1.status();
  ASSERT_TRUE(db2.ok()) << db2.status();
  EXPECT_NE(*db1, *db2);
  ASSERT_TRUE(pg.Exec(*db1, "CREATE TABLE t (id int); INSERT INTO t VALUES (1), (2)").ok());
  auto rows = pg.Query(*db1, "SELECT sum(id), current_setting('fsync') FROM t");
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ((*rows)[0][0], "3");
  EXPECT_EQ((*rows)[0][1], "off");
  auto other = pg.Query(*db2, "SELECT count(*) FROM pg_tables WHERE tablename = 't'");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ((*other)[0][0], "0");
}

TEST(PgClusterTest, BadSqlIsAnErrorWithTheServerMessage) {
  auto r = SharedPgCluster().Query("postgres", "SELECT * FROM no_such_table");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("no_such_table"), std::string::npos);
}

TEST(PgClusterTest, StopLeavesNoProcessAndRemovesData) {
  auto started = PgCluster::Start();
  ASSERT_TRUE(started.ok()) << started.status();
  auto& pg = **started;
  const pid_t pid = pg.pid();
  const fs::path dir = pg.data_dir();
  const auto children = ChildrenOf(pid);
  EXPECT_FALSE(children.empty());  // checkpointer, walwriter, ...
  pg.Stop();
  EXPECT_TRUE(ProcessGone(pid));
  for (pid_t c : children) EXPECT_TRUE(WaitUntil([&] { return ProcessGone(c); }, 10s)) << c;
  EXPECT_FALSE(fs::exists(dir));
}

TEST(PgClusterTest, CrashOfTheTestProcessLeavesNoServerBehind) {
  // A child test process starts a cluster, reports the server's pids, and crashes.
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t test_process = ::fork();
  ASSERT_GE(test_process, 0);
  if (test_process == 0) {
    ::close(fds[0]);
    auto started = PgCluster::Start();
    if (!started.ok()) ::_exit(2);
    std::vector<pid_t> pids = {(*started)->pid()};
    for (pid_t c : ChildrenOf((*started)->pid())) pids.push_back(c);
    const int port = (*started)->port();
    (void)!::write(fds[1], &port, sizeof port);
    for (pid_t p : pids) (void)!::write(fds[1], &p, sizeof p);
    ::close(fds[1]);
    std::abort();  // the crash: no destructor runs
  }
  ::close(fds[1]);
  int port = 0;
  ASSERT_EQ(::read(fds[0], &port, sizeof port), static_cast<ssize_t>(sizeof port));
  std::vector<pid_t> pids;
  pid_t p;
  while (::read(fds[0], &p, sizeof p) == sizeof p) pids.push_back(p);
  ::close(fds[0]);
  int status = 0;
  ::waitpid(test_process, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  ASSERT_GE(pids.size(), 2u);
  for (pid_t pid : pids) {
    EXPECT_TRUE(WaitUntil([&] { return ProcessGone(pid); }, 20s)) << "pid " << pid << " survived";
  }
}

}  // namespace
}  // namespace schemaport::testing
