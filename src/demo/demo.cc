#include "demo/demo.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "aws/aws.h"
#include "demo/process.h"

namespace schemaport::demo {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// ------------------------------------------------------------------------------------------------
// Small helpers
// ------------------------------------------------------------------------------------------------

// A SIGINT or SIGTERM arrived (they are blocked while the demo runs and collected here).
bool StopRequested(std::chrono::milliseconds wait = 0ms) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  timespec ts{static_cast<time_t>(wait.count() / 1000),
              static_cast<long>((wait.count() % 1000) * 1000000)};
  return ::sigtimedwait(&set, nullptr, &ts) > 0;
}

// Polls `ready` until it holds; kCancelled on Ctrl-C, kTimeout after `timeout`.
Status WaitReady(const std::function<Result<bool>()>& ready, std::chrono::seconds timeout,
                 const std::string& what) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    Result<bool> r = ready();
    if (!r.ok()) return r.status();
    if (*r) return Status::Ok();
    if (StopRequested(50ms)) return Status(Code::kCancelled, "interrupted");
    if (std::chrono::steady_clock::now() >= deadline) {
      return Status(Code::kTimeout,
                    what + " did not get ready within " + std::to_string(timeout.count()) + " s");
    }
  }
}

std::string ReadText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

Status WritePrivate(const fs::path& path, std::string_view text) {
  const fs::path tmp = path.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Internal("cannot write " + tmp.string() + ": " + std::strerror(errno));
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  std::error_code ec;
  if (written) fs::rename(tmp, path, ec);
  if (!written || ec) return Internal("cannot write " + path.string());
  return Status::Ok();
}

std::string Tail(const std::string& log, std::size_t lines = 15) {
  std::size_t pos = log.size();
  for (std::size_t n = 0; n <= lines && pos != std::string::npos && pos > 0; ++n) {
    pos = log.rfind('\n', pos - 1);
  }
  return pos == std::string::npos ? log : log.substr(pos + 1);
}

// Whether host:port can be bound now (0 always can).
bool PortFree(const std::string& host, int port) {
  if (port == 0) return true;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1)
    addr.sin_addr.s_addr = htonl(INADDR_ANY);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

int FreeLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

// The newest /usr/lib/postgresql/<major>/bin holding initdb and postgres.
Result<fs::path> FindPostgresBinDir() {
  fs::path best;
  int best_major = -1;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const fs::path bin = entry.path() / "bin";
    if (!fs::exists(bin / "initdb") || !fs::exists(bin / "postgres")) continue;
    int major = 0;
    try {
      major = std::stoi(entry.path().filename().string());
    } catch (...) {
      continue;
    }
    if (major > best_major) best_major = major, best = bin;
  }
  if (best.empty()) {
    return FailedPrecondition(
        "PostgreSQL is not installed (no initdb under /usr/lib/postgresql/*/bin): run `make deps` "
        "or `apt-get install postgresql`");
  }
  return best;
}

std::string RandomText(Random& random, std::size_t n, std::string_view alphabet) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s += alphabet[random.Uniform(alphabet.size())];
  return s;
}

// ------------------------------------------------------------------------------------------------
// The demo's saved state (<data_dir>/demo.json, mode 0600): the access key and the login made on
// the first run, and whether the sample warehouse is loaded.
// ------------------------------------------------------------------------------------------------

struct State {
  std::string access_key_id;
  std::string secret_access_key;
  std::string password;
  bool loaded = false;
  bool login_created = false;
};

Result<State> LoadState(const fs::path& file) {
  State s;
  try {
    const auto j = nlohmann::json::parse(ReadText(file));
    s.access_key_id = j.at("access_key_id").get<std::string>();
    s.secret_access_key = j.at("secret_access_key").get<std::string>();
    s.password = j.at("password").get<std::string>();
    s.loaded = j.value("loaded", false);
    s.login_created = j.value("login_created", false);
  } catch (const nlohmann::json::exception&) {
    return DataLoss(file.string() + " is damaged");
  }
  return s;
}

Status SaveState(const fs::path& file, const State& s) {
  const nlohmann::json j = {{"access_key_id", s.access_key_id},
                            {"secret_access_key", s.secret_access_key},
                            {"password", s.password},
                            {"loaded", s.loaded},
                            {"login_created", s.login_created}};
  return WritePrivate(file, j.dump(2) + "\n");
}

// ------------------------------------------------------------------------------------------------
// The demo
// ------------------------------------------------------------------------------------------------

struct PgConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct PgResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};

class Demo {
 public:
  Demo(const Options& options, std::ostream& out, std::ostream& err)
      : o_(options), out_(out), err_(err) {}

  int Run() {
    Status st = Start();
    if (st.ok()) st = Serve();
    StopAll();
    if (st.code() == Code::kCancelled) {
      out_ << "Stopped.\n";
      return 0;
    }
    if (!st.ok()) {
      err_ << "schemaport demo: " << st.message() << "\n";
      return 1;
    }
    out_ << "Stopped.\n";
    return 0;
  }

 private:
  Status Start() {
    SP_TRY(Preflight());
    SP_TRY(PrepareDataDir());
    SP_TRY(StartPostgres());
    if (!state_.loaded) SP_TRY(CreateDatabases());
    SP_TRY(StartEmulator());
    if (!state_.loaded) {
      SP_TRY(LoadSampleWarehouse());
      state_.loaded = true;
      SP_TRY(SaveState(dir_ / "demo.json", state_));
    }
    if (!state_.login_created) {
      SP_TRY(CreateLogin());
      state_.login_created = true;
      SP_TRY(SaveState(dir_ / "demo.json", state_));
    }
    SP_TRY(StartServer());
    return Status::Ok();
  }

  Status Preflight() {
    if (o_.port < 0 || o_.port > 65535) return InvalidArgument("--port: must be 0..65535");
    if (!PortFree(o_.host, o_.port)) {
      return FailedPrecondition(
          "port " + std::to_string(o_.port) + " on " + o_.host +
          " is in use: stop what listens there, or choose another with --port N "
          "(0: any free port)");
    }
    self_ = o_.schemaport_exe.empty() ? fs::read_symlink("/proc/self/exe") : o_.schemaport_exe;
    const fs::path bin = o_.bin_dir.empty() ? self_.parent_path() : o_.bin_dir;
    emulator_exe_ = bin / "aws-emulator";
    if (::access(emulator_exe_.c_str(), X_OK) != 0) {
      return FailedPrecondition("aws-emulator not found at " + emulator_exe_.string() +
                                ": build it with `make build` (or pass --bin-dir)");
    }
    pg_bin_ = SP_TRY(FindPostgresBinDir());
    if (::geteuid() == 0) {
      passwd* pw = ::getpwnam("postgres");
      if (pw == nullptr) {
        return FailedPrecondition(
            "running as root, but there is no 'postgres' user to run PostgreSQL as: `apt-get "
            "install "
            "postgresql` creates it");
      }
      pg_user_ = "postgres";
      pg_uid_ = pw->pw_uid;
      pg_gid_ = pw->pw_gid;
    } else {
      passwd* pw = ::getpwuid(::geteuid());
      pg_user_ = pw ? pw->pw_name : "postgres";
    }
    return Status::Ok();
  }

  Status PrepareDataDir() {
    dir_ = fs::absolute(o_.data_dir);
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec) return FailedPrecondition("cannot create " + dir_.string() + ": " + ec.message());
    // Traversable (not readable) by the postgres user, who owns only <dir>/pg.
    ::chmod(dir_.c_str(), 0711);
    lock_fd_ = ::open((dir_ / "demo.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock_fd_ < 0 || ::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
      return FailedPrecondition("another schemaport demo is running with " + dir_.string() +
                                ": stop it first, or use another --data-dir");
    }
    const fs::path state_file = dir_ / "demo.json";
    bool reuse =
        !o_.fresh && fs::exists(state_file) && fs::exists(dir_ / "pg" / "data" / "PG_VERSION");
    if (reuse) {
      auto loaded = LoadState(state_file);
      if (!loaded.ok() || !loaded->loaded) reuse = false;
      if (loaded.ok()) state_ = *loaded;
    }
    if (!reuse) {
      for (const char* sub : {"pg", "server", "logs", "demo.json", "emulator.toml"})
        fs::remove_all(dir_ / sub, ec);
      SystemRandom random;
      state_ = State{};
      state_.access_key_id = "AKIA" + RandomText(random, 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567");
      state_.secret_access_key = RandomText(
          random, 40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
      state_.password =
          RandomText(random, 20, "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789");
      SP_TRY(SaveState(state_file, state_));
    }
    fresh_ = !reuse;
    fs::create_directories(dir_ / "logs", ec);
    fs::create_directories(dir_ / "pg", ec);
    if (ec)
      return FailedPrecondition("cannot create " + (dir_ / "pg").string() + ": " + ec.message());
    if (::geteuid() == 0 && ::chown((dir_ / "pg").c_str(), pg_uid_, pg_gid_) != 0) {
      return FailedPrecondition("cannot hand " + (dir_ / "pg").string() + " to the postgres user");
    }
    ::chmod((dir_ / "pg").c_str(), 0700);
    out_ << (fresh_ ? "Starting a fresh demo in " : "Reusing the demo state in ") << dir_.string()
         << (fresh_ ? "" : " (--fresh starts over)") << ".\n";
    out_.flush();
    return Status::Ok();
  }

  std::string PgConnInfo(const std::string& db) const {
    return "host=127.0.0.1 port=" + std::to_string(pg_port_) + " user=" + pg_user_ +
           " dbname=" + db + " connect_timeout=10";
  }

  Status StartPostgres() {
    const fs::path data = dir_ / "pg" / "data";
    if (!fs::exists(data / "PG_VERSION")) {
      Process::Options init;
      init.argv = {(pg_bin_ / "initdb").string(),
                   "-D",
                   data.string(),
                   "-U",
                   pg_user_,
                   "-A",
                   "trust",
                   "-E",
                   "UTF8",
                   "--locale=C",
                   "--no-instructions"};
      init.log_path = dir_ / "logs" / "initdb.log";
      init.run_as_user = pg_user_;
      auto initdb = SP_TRY(Process::Start(init));
      auto st = initdb->Wait(120s);
      if (!st.ok() || !WIFEXITED(*st) || WEXITSTATUS(*st) != 0) {
        return FailedPrecondition("initdb failed; see " + init.log_path.string() + ":\n" +
                                  Tail(initdb->Log()));
      }
    }
    // A free port each run: PostgreSQL is private to the demo.
    for (int attempt = 0; attempt < 5; ++attempt) {
      pg_port_ = FreeLoopbackPort();
      Process::Options pg;
      pg.argv = {(pg_bin_ / "postgres").string(),
                 "-D",
                 data.string(),
                 "-p",
                 std::to_string(pg_port_),
                 "-c",
                 "listen_addresses=127.0.0.1",
                 "-c",
                 "unix_socket_directories=" + (dir_ / "pg").string(),
                 "-c",
                 "max_connections=200",
                 "-c",
                 "log_min_messages=warning"};
      pg.log_path = dir_ / "logs" / "postgres.log";
      pg.run_as_user = pg_user_;
      pg.stop_signal = SIGINT;  // fast shutdown
      postgres_ = SP_TRY(Process::Start(pg));
      const std::string conninfo = PgConnInfo("postgres");
      SP_TRY(WaitReady(
          [&]() -> Result<bool> {
            return !postgres_->Running() || PQping(conninfo.c_str()) == PQPING_OK;
          },
          60s, "PostgreSQL"));
      if (postgres_->Running()) return Status::Ok();
      const std::string log = postgres_->Log();
      if (log.find("could not bind") == std::string::npos) {
        return FailedPrecondition("PostgreSQL did not start; see " + pg.log_path.string() + ":\n" +
                                  Tail(log));
      }
    }
    return FailedPrecondition("PostgreSQL could not bind a free port");
  }

  Status Exec(const std::string& db, std::string_view sql) {
    std::unique_ptr<PGconn, PgConnDeleter> conn(PQconnectdb(PgConnInfo(db).c_str()));
    PQsetNoticeProcessor(
        conn.get(), [](void*, const char*) {}, nullptr);  // NOTICEs are noise here
    if (PQstatus(conn.get()) != CONNECTION_OK) {
      return Unavailable("cannot connect to the demo PostgreSQL: " +
                         std::string(PQerrorMessage(conn.get())));
    }
    std::unique_ptr<PGresult, PgResultDeleter> res(PQexec(conn.get(), std::string(sql).c_str()));
    const auto status = PQresultStatus(res.get());
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
      return Internal("loading the sample warehouse into " + db +
                      " failed: " + PQresultErrorMessage(res.get()));
    }
    return Status::Ok();
  }

  Status CreateDatabases() {
    for (const auto& db : SampleDatabases()) {
      SP_TRY(Exec("postgres", "DROP DATABASE IF EXISTS " + QuoteSqlIdentifier(db.name)));
      SP_TRY(Exec("postgres", "CREATE DATABASE " + QuoteSqlIdentifier(db.name)));
    }
    return Status::Ok();
  }

  Status StartEmulator() {
    EmulatorSettings settings;
    settings.postgres_port = pg_port_;
    settings.postgres_superuser = pg_user_;
    settings.access_key_id = state_.access_key_id;
    settings.secret_access_key = state_.secret_access_key;
    SP_TRY(WritePrivate(dir_ / "emulator.toml", EmulatorConfig(settings)));
    Process::Options e;
    e.argv = {emulator_exe_.string(),
              "--config",
              (dir_ / "emulator.toml").string(),
              "--port",
              "0",
              "--admin-port",
              "0",
              "--statement-log",
              (dir_ / "logs" / "statements.jsonl").string()};
    e.log_path = dir_ / "logs" / "aws-emulator.log";
    std::error_code ec;
    fs::remove(e.log_path, ec);  // the listening line of this run, not an old one
    emulator_ = SP_TRY(Process::Start(e));
    static const std::regex kListening(R"re("admin_port":(\d+).*"port":(\d+))re");
    std::smatch m;
    std::string log;
    SP_TRY(WaitReady(
        [&]() -> Result<bool> {
          log = emulator_->Log();
          if (std::regex_search(log, m, kListening)) return true;
          if (!emulator_->Running()) {
            return FailedPrecondition("aws-emulator did not start; see " + e.log_path.string() +
                                      ":\n" + Tail(log));
          }
          return false;
        },
        60s, "aws-emulator"));
    emulator_port_ = std::stoi(m[2].str());
    return Status::Ok();
  }

  Status LoadSampleWarehouse() {
    for (const auto& db : SampleDatabases()) SP_TRY(Exec(db.name, db.sql));
    return Status::Ok();
  }

  fs::path ServerDataDir() const { return dir_ / "server"; }

  Status CreateLogin() {
    Process::Options u;
    u.argv = {self_.string(), "users",       "add",     "--data-dir", ServerDataDir().string(),
              "--org",        kOrganization, "--email", kEmail,       "--role",
              "admin"};
    u.log_path = dir_ / "logs" / "users-add.log";
    u.stdin_text = state_.password + "\n";
    auto p = SP_TRY(Process::Start(u));
    auto st = p->Wait(120s);
    if (!st.ok() || !WIFEXITED(*st) || WEXITSTATUS(*st) != 0) {
      return FailedPrecondition("creating the demo login failed; see " + u.log_path.string() +
                                ":\n" + Tail(p->Log()));
    }
    return Status::Ok();
  }

  Status StartServer() {
    const std::string endpoint = "http://127.0.0.1:" + std::to_string(emulator_port_);
    Process::Options s;
    s.argv = {self_.string(),           "serve",    "--data-dir",
              ServerDataDir().string(), "--listen", o_.host + ":" + std::to_string(o_.port)};
    // The server's AWS endpoints are server settings: every AWS call goes to the emulator.
    s.env = {{"AWS_ENDPOINT_URL", endpoint}, {"AWS_EC2_METADATA_DISABLED", "true"}};
    s.log_path = dir_ / "logs" / "server.log";
    std::error_code ec;
    fs::remove(s.log_path, ec);
    server_ = SP_TRY(Process::Start(s));
    static const std::regex kListening(R"re(Listening on (https://[^\s/]+)/?)re");
    std::smatch m;
    std::string log;
    SP_TRY(WaitReady(
        [&]() -> Result<bool> {
          log = server_->Log();
          if (std::regex_search(log, m, kListening)) return true;
          if (!server_->Running()) {
            std::string reason = "schemaport serve did not start";
            if (log.find("in use") != std::string::npos || log.find("bind") != std::string::npos) {
              reason =
                  "port " + std::to_string(o_.port) + " is in use: choose another with --port N";
            }
            return FailedPrecondition(reason + "; see " + s.log_path.string() + ":\n" + Tail(log));
          }
          return false;
        },
        60s, "schemaport serve"));
    portal_ = m[1].str() + "/";
    // Ready when /healthz answers over TLS verified against the server's own certificate.
    aws::CurlHttpClient::Options http;
    http.ca_bundle = (ServerDataDir() / "tls" / "cert.pem").string();
    http.connect_timeout = 2s;
    http.total_timeout = 5s;
    auto client = SP_TRY(aws::CurlHttpClient::Create(http));
    return WaitReady(
        [&]() -> Result<bool> {
          if (!server_->Running())
            return FailedPrecondition("schemaport serve stopped; see " + s.log_path.string());
          aws::HttpRequest req;
          req.method = "GET";
          req.url = portal_ + "healthz";
          auto r = client->Send(req);
          return r.ok() && r->status == 200;
        },
        60s, "schemaport serve");
  }

  Status Serve() {
    out_ << "Portal: " << portal_ << "\n"
         << "Login: " << kEmail << " / " << state_.password << "\n"
         << "Access Key ID: " << state_.access_key_id << "\n"
         << "Secret Key: " << state_.secret_access_key << "\n"
         << "Region: " << kRegion << "\n"
         << "Workgroup: " << kWorkgroup << "\n"
         << "Database: " << kDatabase << "\n"
         << "Press Ctrl-C to stop." << std::endl;
    while (true) {
      if (StopRequested(250ms)) return Status(Code::kCancelled, "interrupted");
      for (auto* p : {server_.get(), emulator_.get(), postgres_.get()}) {
        if (p->Running()) continue;
        auto st = p->Wait(0ms);
        return Unavailable(p->log_path().filename().string() + ": the process " +
                           (st.ok() ? DescribeExit(*st) : std::string("stopped")) +
                           " unexpectedly; see " + p->log_path().string());
      }
    }
  }

  void StopAll() {
    // Newest first: the server (finishes its requests), the emulator, then PostgreSQL.
    if (server_) server_->Stop(20s);
    if (emulator_) emulator_->Stop(10s);
    if (postgres_) postgres_->Stop(30s);
    if (lock_fd_ >= 0) ::close(lock_fd_);
    lock_fd_ = -1;
  }

  const Options& o_;
  std::ostream& out_;
  std::ostream& err_;
  fs::path self_, emulator_exe_, pg_bin_, dir_;
  std::string pg_user_;
  uid_t pg_uid_ = 0;
  gid_t pg_gid_ = 0;
  int lock_fd_ = -1;
  State state_;
  bool fresh_ = true;
  int pg_port_ = 0;
  int emulator_port_ = 0;
  std::string portal_;
  std::unique_ptr<Process> postgres_, emulator_, server_;
};

}  // namespace

int Run(const Options& options, std::ostream& out, std::ostream& err) {
  sigset_t set, old;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  ::pthread_sigmask(SIG_BLOCK, &set, &old);
  const int rc = Demo(options, out, err).Run();
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return rc;
}

}  // namespace schemaport::demo
