#include "demo/process.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

extern char** environ;

namespace schemaport::demo {

namespace {

bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

}  // namespace

std::string DescribeExit(int wait_status) {
  if (WIFEXITED(wait_status))
    return "exited with status " + std::to_string(WEXITSTATUS(wait_status));
  if (WIFSIGNALED(wait_status))
    return "was killed by signal " + std::to_string(WTERMSIG(wait_status));
  return "stopped";
}

Result<std::unique_ptr<Process>> Process::Start(Options options) {
  if (options.argv.empty()) return InvalidArgument("Process: empty argv");
  // Everything the child needs is prepared before fork(): after it, only async-signal-safe calls.
  std::vector<std::string> env_strings;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    if (options.env.count(std::string(kv.substr(0, kv.find('=')))) == 0)
      env_strings.emplace_back(kv);
  }
  for (const auto& [k, v] : options.env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp, argv;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  for (auto& a : options.argv) argv.push_back(a.data());
  argv.push_back(nullptr);

  uid_t uid = 0;
  gid_t gid = 0;
  const bool switch_user = !options.run_as_user.empty() && ::geteuid() == 0;
  if (switch_user) {
    passwd* pw = ::getpwnam(options.run_as_user.c_str());
    if (pw == nullptr) return FailedPrecondition("there is no '" + options.run_as_user + "' user");
    uid = pw->pw_uid;
    gid = pw->pw_gid;
  }
  const int log_fd =
      ::open(options.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log_fd < 0) return Internal("cannot open the log file " + options.log_path.string());
  int in_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0) {
    ::close(log_fd);
    return Internal("pipe2 failed");
  }
  sigset_t none;
  sigemptyset(&none);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(log_fd);
    ::close(in_pipe[0]);
    ::close(in_pipe[1]);
    return Internal("fork failed");
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    // The demo blocks SIGINT/SIGTERM to wait for them; its children must not inherit that.
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (::dup2(in_pipe[0], 0) < 0 || ::dup2(log_fd, 1) < 0 || ::dup2(log_fd, 2) < 0) ::_exit(126);
    if (switch_user && (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0)) {
      ::_exit(126);
    }
    // After setuid, which resets it.
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != parent) ::_exit(126);
    ::execve(argv[0], argv.data(), envp.data());
    static const char kMsg[] = "demo: cannot execute the program\n";
    (void)!::write(2, kMsg, sizeof kMsg - 1);
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also here, so signals to the group work before the child ran
  ::close(log_fd);
  ::close(in_pipe[0]);
  if (!options.stdin_text.empty()) {
    (void)!::write(in_pipe[1], options.stdin_text.data(), options.stdin_text.size());
  }
  ::close(in_pipe[1]);
  return std::unique_ptr<Process>(new Process(std::move(options), pid));
}

Process::~Process() {
  Stop();
}

bool Process::Running() {
  if (reaped_) return false;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    reaped_ = true;
    status_ = status;
    // Whatever the process left in its group goes with it.
    ::kill(-pid_, SIGKILL);
    return false;
  }
  return r == 0;
}

Result<int> Process::Wait(std::chrono::milliseconds timeout) {
  if (!WaitFor([&] { return !Running(); }, timeout)) {
    return Status(Code::kTimeout, options_.argv[0] + " did not exit in time");
  }
  return status_;
}

void Process::Stop(std::chrono::milliseconds grace) {
  if (!Running()) return;
  ::kill(-pid_, options_.stop_signal);
  if (WaitFor([&] { return !Running(); }, grace)) return;
  ::kill(-pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  reaped_ = true;
  status_ = status;
}

std::string Process::Log() const {
  std::ifstream in(options_.log_path, std::ios::binary);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

}  // namespace schemaport::demo
