// Internal to src/demo: child processes that cannot outlive the demo.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/core.h"

namespace schemaport::demo {

// A child in its own process group (so the terminal's Ctrl-C reaches only the demo, which stops
// the children in order), with SIGKILL as its parent-death signal (so a crashed or killed demo
// leaves nothing behind), stdout and stderr appended to a log file.
// Thread safety: use from one thread.
class Process {
 public:
  struct Options {
    std::vector<std::string> argv;           // argv[0] is an absolute path
    std::map<std::string, std::string> env;  // added to (or replacing) the demo's environment
    std::filesystem::path log_path;
    std::string run_as_user;  // when root: setuid to this user (e.g. "postgres")
    std::string stdin_text;   // written to the child's stdin, which is then closed
    int stop_signal = SIGTERM;
  };
  static Result<std::unique_ptr<Process>> Start(Options options);
  ~Process();  // Stop()
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  bool Running();
  // The wait status once it exited, or kTimeout.
  Result<int> Wait(std::chrono::milliseconds timeout);
  // Sends the stop signal to the process group, waits up to `grace`, then SIGKILLs the group.
  void Stop(std::chrono::milliseconds grace = std::chrono::seconds(15));
  std::string Log() const;
  const std::filesystem::path& log_path() const { return options_.log_path; }

 private:
  Process(Options options, pid_t pid) : options_(std::move(options)), pid_(pid) {}
  Options options_;
  pid_t pid_;
  bool reaped_ = false;
  int status_ = 0;
};

// "exited with status 3" / "was killed by signal 9".
std::string DescribeExit(int wait_status);

}  // namespace schemaport::demo
