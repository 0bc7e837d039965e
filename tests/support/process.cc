// TempDir, FreePort, files and ChildProcess.
#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/support.h"

extern char** environ;

namespace schemaport::testing {

namespace fs = std::filesystem;

TempDir::TempDir(std::string_view prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string templ =
      std::string(tmp && *tmp ? tmp : "/tmp") + "/" + std::string(prefix) + "-XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) {
    std::fprintf(stderr, "TempDir: mkdtemp(%s) failed: %s\n", templ.c_str(), std::strerror(errno));
    std::abort();
  }
  path_ = buf.data();
  const char* keep = std::getenv("SCHEMAPORT_KEEP_TMP");
  keep_ = keep != nullptr && std::string_view(keep) == "1";
}

TempDir::~TempDir() {
  if (keep_) return;
  std::error_code ec;
  fs::remove_all(path_, ec);
}

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    socklen_t len = sizeof addr;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
      port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

void WriteFile(const fs::path& path, std::string_view text) {
  std::error_code ec;
  if (path.has_parent_path()) fs::create_directories(path.parent_path(), ec);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  if (!out) {
    std::fprintf(stderr, "WriteFile(%s) failed\n", path.c_str());
    std::abort();
  }
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

bool WaitUntil(const std::function<bool()>& probe, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (probe()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

Result<std::unique_ptr<ChildProcess>> ChildProcess::Start(Options options) {
  if (options.argv.empty()) return InvalidArgument("ChildProcess: empty argv");
  if (options.log_path.empty()) return InvalidArgument("ChildProcess: log_path is required");

  // Everything the child needs is prepared before fork(): after it, only async-signal-safe calls.
  std::vector<std::string> env_strings;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    const auto key = kv.substr(0, kv.find('='));
    if (options.env.count(std::string(key)) == 0) env_strings.emplace_back(kv);
  }
  for (const auto& [k, v] : options.env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<char*> argv;
  for (auto& a : options.argv) argv.push_back(a.data());
  argv.push_back(nullptr);

  uid_t uid = 0;
  gid_t gid = 0;
  const bool switch_user = !options.run_as_user.empty() && ::geteuid() == 0;
  if (switch_user) {
    passwd* pw = ::getpwnam(options.run_as_user.c_str());
    if (pw == nullptr) return FailedPrecondition("no such user: " + options.run_as_user);
    uid = pw->pw_uid;
    gid = pw->pw_gid;
  }

  const int log_fd =
      ::open(options.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return Internal("cannot open log " + options.log_path.string());
  if (switch_user && ::fchown(log_fd, uid, gid) != 0) {
    // The child can still write: the descriptor is inherited.
  }
  int out_fd = log_fd;
  if (!options.stdout_path.empty()) {
    out_fd = ::open(options.stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out_fd < 0) {
      ::close(log_fd);
      return Internal("cannot open " + options.stdout_path.string());
    }
  }
  auto close_files = [&] {
    ::close(log_fd);
    if (out_fd != log_fd) ::close(out_fd);
  };
  int err_pipe[2];
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    close_files();
    return Internal("pipe2 failed");
  }
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    close_files();
    ::close(err_pipe[0]);
    ::close(err_pipe[1]);
    return Internal("fork failed");
  }
  if (pid == 0) {
    auto fail = [&](int code) {
      int e = errno;
      (void)!::write(err_pipe[1], &code, sizeof code);
      (void)!::write(err_pipe[1], &e, sizeof e);
      ::_exit(127);
    };
    ::setpgid(0, 0);  // own process group: Stop() signals the whole tree
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull < 0 || ::dup2(devnull, 0) < 0 || ::dup2(out_fd, 1) < 0 || ::dup2(log_fd, 2) < 0)
      fail(1);
    if (switch_user) {
      if (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0) fail(2);
    }
    // After setuid: changing credentials resets the parent-death signal.
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) fail(3);
    if (::getppid() != parent) ::_exit(126);  // the parent died before prctl took effect
    if (!options.working_dir.empty() && ::chdir(options.working_dir.c_str()) != 0) fail(4);
    ::execve(argv[0], argv.data(), envp.data());
    fail(5);
  }
  close_files();
  ::close(err_pipe[1]);
  int code = 0;
  int child_errno = 0;
  const ssize_t n = ::read(err_pipe[0], &code, sizeof code);
  if (n == sizeof code) (void)!::read(err_pipe[0], &child_errno, sizeof child_errno);
  ::close(err_pipe[0]);
  if (n == sizeof code) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    static const char* kStep[] = {
        "",       "redirect output", "switch user", "set parent-death signal", "change directory",
        "execute"};
    return FailedPrecondition(std::string("cannot start ") + options.argv[0] + ": " + kStep[code] +
                              " failed: " + std::strerror(child_errno));
  }
  return std::unique_ptr<ChildProcess>(new ChildProcess(std::move(options), pid));
}

ChildProcess::~ChildProcess() {
  Stop();
}

bool ChildProcess::Running() {
  if (reaped_) return false;
  int status = 0;
  rusage usage{};
  const pid_t r = ::wait4(pid_, &status, WNOHANG, &usage);
  if (r == pid_) {
    max_rss_kb_ = usage.ru_maxrss;
    reaped_ = true;
    status_ = status;
    return false;
  }
  return r == 0;
}

Result<int> ChildProcess::Wait(std::chrono::milliseconds timeout) {
  if (!WaitUntil([&] { return !Running(); }, timeout)) {
    return Status(Code::kTimeout, options_.argv[0] + " did not exit in time");
  }
  return status_;
}

int ChildProcess::Stop(std::chrono::milliseconds grace) {
  if (reaped_) return status_;
  if (Running()) {
    ::kill(pid_, options_.stop_signal);
    if (!WaitUntil([&] { return !Running(); }, grace)) {
      ::kill(-pid_, SIGKILL);
      ::kill(pid_, SIGKILL);
      int status = 0;
      rusage usage{};
      ::wait4(pid_, &status, 0, &usage);
      max_rss_kb_ = usage.ru_maxrss;
      reaped_ = true;
      status_ = status;
    }
  }
  return status_;
}

std::string ChildProcess::Log() const {
  return ReadFile(options_.log_path);
}

Result<std::string> ChildProcess::WaitForLog(std::string_view needle,
                                             std::chrono::milliseconds timeout) {
  std::string log;
  bool exited = false;
  const bool found = WaitUntil(
      [&] {
        log = Log();
        if (log.find(needle) != std::string::npos) return true;
        exited = !Running();
        return exited;
      },
      timeout);
  if (found && !exited) return log;
  const std::string tail = log.size() > 4000 ? log.substr(log.size() - 4000) : log;
  return Status(exited ? Code::kUnavailable : Code::kTimeout,
                options_.argv[0] + (exited ? " exited" : " timed out") + " before logging '" +
                    std::string(needle) + "'; log " + options_.log_path.string() + ":\n" + tail);
}

fs::path SourceDir() {
  if (const char* s = std::getenv("SCHEMAPORT_SOURCE_DIR")) return s;
  return fs::current_path();
}

fs::path BinDir() {
  if (const char* s = std::getenv("SCHEMAPORT_BIN_DIR")) return s;
  return SourceDir() / "build" / "bin";
}

}  // namespace schemaport::testing
