// Test support: hermetic temp dirs, free ports, child processes and a private PostgreSQL cluster.
//
// Everything here is for tests and benchmarks only. Each helper cleans up in its destructor, and
// child processes are started with PR_SET_PDEATHSIG(SIGKILL) so none outlives a crashed test.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/core.h"

namespace schemaport::testing {

// A fresh directory under $TMPDIR (default /tmp), removed on destruction unless
// SCHEMAPORT_KEEP_TMP=1 is set or Keep() was called. Thread safety: not shared across threads.
class TempDir {
 public:
  explicit TempDir(std::string_view prefix = "schemaport-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(std::string_view name) const { return path_ / name; }
  void Keep() { keep_ = true; }

 private:
  std::filesystem::path path_;
  bool keep_ = false;
};

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released).
// Prefer letting servers bind port 0 themselves and report it; use this only when they cannot.
int FreePort();

// Writes `text` to `path` (creating parents); aborts the test on failure.
void WriteFile(const std::filesystem::path& path, std::string_view text);
std::string ReadFile(const std::filesystem::path& path);

// A child process with stdout and stderr captured to a log file. The child gets
// PR_SET_PDEATHSIG(SIGKILL), so it dies with the test process even on a crash.
// Thread safety: one owner thread.
class ChildProcess {
 public:
  struct Options {
    std::vector<std::string> argv;           // argv[0] is the program path
    std::map<std::string, std::string> env;  // added to (and overriding) the environment
    std::filesystem::path log_path;          // stdout+stderr (stderr only with stdout_path)
    std::filesystem::path stdout_path;       // optional: stdout alone, truncated first
    std::filesystem::path working_dir;       // optional
    std::string run_as_user;                 // optional; only when running as root
    int stop_signal = 15;                    // SIGTERM; PostgreSQL wants SIGINT (fast)
  };

  // Starts the process. Fails if the program cannot be executed.
  static Result<std::unique_ptr<ChildProcess>> Start(Options options);
  ~ChildProcess();  // Stop()
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool Running();
  // stop_signal, wait up to `grace`, then SIGKILL. Returns the exit status (as from waitpid).
  int Stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));
  // Waits for exit up to `timeout`; returns the wait status, or an error on timeout.
  Result<int> Wait(std::chrono::milliseconds timeout);
  // Polls the log until `needle` appears (e.g. "listening on port"), the process exits, or
  // `timeout` passes. Returns the log so far on success.
  Result<std::string> WaitForLog(std::string_view needle, std::chrono::milliseconds timeout);
  std::string Log() const;
  const std::filesystem::path& log_path() const { return options_.log_path; }
  // Peak resident set size of the exited process, in KiB (0 while it runs).
  long max_rss_kb() const { return max_rss_kb_; }

 private:
  ChildProcess(Options options, pid_t pid) : options_(std::move(options)), pid_(pid) {}
  Options options_;
  pid_t pid_;
  bool reaped_ = false;
  int status_ = 0;
  long max_rss_kb_ = 0;
};

// Polls `probe` every 20 ms until it returns true or `timeout` passes.
bool WaitUntil(const std::function<bool()>& probe, std::chrono::milliseconds timeout);

// A private PostgreSQL server: initdb into a temp dir (as the `postgres` user when running as
// root), a free port on 127.0.0.1, fsync off, trust authentication for local TCP. The postmaster
// is a direct child with PR_SET_PDEATHSIG(SIGKILL): if the test process dies, so does the
// server (its backends exit on postmaster death) and nothing is left running.
// Thread safety: Start/Stop from one thread; the accessors and CreateDatabase are thread-safe.
class PgCluster {
 public:
  // Finds initdb/postgres (PG_BINDIR, then /usr/lib/postgresql/<ver>/bin, then PATH).
  static Result<std::unique_ptr<PgCluster>> Start();
  ~PgCluster();  // Stop()
  PgCluster(const PgCluster&) = delete;
  PgCluster& operator=(const PgCluster&) = delete;

  void Stop();
  int port() const { return port_; }
  pid_t pid() const;
  const std::filesystem::path& data_dir() const;
  // The superuser name (the OS user that owns the cluster, usually "postgres").
  const std::string& superuser() const { return superuser_; }
  // "host=127.0.0.1 port=N user=postgres dbname=DB"
  std::string ConnInfo(std::string_view dbname = "postgres") const;
  // "postgresql://postgres@127.0.0.1:N/DB"
  std::string Url(std::string_view dbname = "postgres") const;
  std::string BinDir() const { return bindir_; }

  // Creates a fresh database with a unique name (prefix + counter + random suffix) and returns
  // its name. Each integration test should use its own.
  Result<std::string> CreateDatabase(std::string_view prefix = "t");
  // Runs SQL (possibly several statements) as the superuser in `dbname`; error on failure with
  // the server's message.
  Status Exec(std::string_view dbname, std::string_view sql) const;
  // Runs a query and returns the rows as text (NULL as empty string).
  Result<std::vector<std::vector<std::string>>> Query(std::string_view dbname,
                                                      std::string_view sql) const;

 private:
  PgCluster() = default;
  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<ChildProcess> postmaster_;
  std::string bindir_;
  std::string superuser_;
  int port_ = 0;
  std::atomic<int> db_counter_{0};
};

// One cluster per test binary, started on first use and stopped when the binary exits
// (registered as a GoogleTest environment by the integration main). When PostgreSQL cannot
// start, prints why and exits the test binary with status 1.
PgCluster& SharedPgCluster();

// Paths from the build: the source tree and build/bin (set by ctest; fall back to guesses).
std::filesystem::path SourceDir();
std::filesystem::path BinDir();

}  // namespace schemaport::testing

namespace schemaport::testing {

// A running aws-emulator (build/bin/aws-emulator) on port 0 with the given TOML config, its
// statement log in a temp dir. Stopped (SIGTERM) on destruction.
class Emulator {
 public:
  static Result<std::unique_ptr<Emulator>> Start(const std::string& config_toml,
                                                 const std::vector<std::string>& extra_args = {});
  int port() const { return port_; }
  int admin_port() const { return admin_port_; }
  // "http://127.0.0.1:PORT" (https when started with a certificate).
  std::string EndpointUrl() const;
  const TempDir& dir() const { return *dir_; }
  ChildProcess& process() { return *process_; }

  // Admin endpoint: returns the JSON body text of GET/PUT/DELETE on `path` ("/counters").
  Result<std::string> Admin(const std::string& method, const std::string& path,
                            const std::string& body = "");

 private:
  Emulator() = default;
  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<ChildProcess> process_;
  int port_ = 0;
  int admin_port_ = 0;
  bool tls_ = false;
};

}  // namespace schemaport::testing
