// PgCluster: a private PostgreSQL server for tests.
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <memory>

#include "support/support.h"

namespace schemaport::testing {

namespace fs = std::filesystem;

namespace {

struct PgConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct PgResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgConnPtr = std::unique_ptr<PGconn, PgConnDeleter>;
using PgResultPtr = std::unique_ptr<PGresult, PgResultDeleter>;

Result<std::string> FindBinDir() {
  if (const char* env = std::getenv("PG_BINDIR"); env && *env) return std::string(env);
  std::vector<fs::path> candidates;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    if (fs::exists(entry.path() / "bin" / "postgres")) candidates.push_back(entry.path() / "bin");
  }
  if (!candidates.empty()) {
    std::sort(candidates.begin(), candidates.end(), [](const fs::path& a, const fs::path& b) {
      return std::atoi(a.parent_path().filename().c_str()) <
             std::atoi(b.parent_path().filename().c_str());
    });
    return candidates.back().string();
  }
  for (const char* dir : {"/usr/local/bin", "/usr/bin"}) {
    if (fs::exists(fs::path(dir) / "initdb") && fs::exists(fs::path(dir) / "postgres"))
      return std::string(dir);
  }
  return FailedPrecondition(
      "PostgreSQL server binaries not found (install the 'postgresql' package, run "
      "scripts/install-deps, or set PG_BINDIR)");
}

// Removes data dirs of earlier runs whose test process is gone (a crash leaves the directory,
// never a process: the server dies with its parent).
void RemoveStaleClusters() {
  std::error_code ec;
  const char* tmp = std::getenv("TMPDIR");
  for (const auto& entry : fs::directory_iterator(tmp && *tmp ? tmp : "/tmp", ec)) {
    if (entry.path().filename().string().rfind("schemaport-pg-", 0) != 0) continue;
    std::ifstream in(entry.path() / "owner.pid");
    pid_t owner = 0;
    if (!(in >> owner) || owner <= 0) continue;
    if (::kill(owner, 0) != 0 && errno == ESRCH) fs::remove_all(entry.path(), ec);
  }
}

}  // namespace

Result<std::unique_ptr<PgCluster>> PgCluster::Start() {
  RemoveStaleClusters();
  std::unique_ptr<PgCluster> c(new PgCluster());
  c->bindir_ = SP_TRY(FindBinDir());
  c->dir_ = std::make_unique<TempDir>("schemaport-pg");
  WriteFile(c->dir_->path() / "owner.pid", std::to_string(::getpid()));
  const bool root = ::geteuid() == 0;
  std::string run_as;
  if (root) {
    passwd* pw = ::getpwnam("postgres");
    if (pw == nullptr) {
      return FailedPrecondition(
          "running as root, but there is no 'postgres' user to run PostgreSQL as");
    }
    if (::chown(c->dir_->path().c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      return Internal("cannot hand the cluster directory to the postgres user");
    }
    run_as = "postgres";
    c->superuser_ = "postgres";
  } else {
    passwd* pw = ::getpwuid(::geteuid());
    c->superuser_ = pw ? pw->pw_name : "postgres";
  }
  const fs::path data = c->dir_->path() / "data";

  ChildProcess::Options init;
  init.argv = {c->bindir_ + "/initdb",
               "-D",
               data.string(),
               "-U",
               c->superuser_,
               "-A",
               "trust",
               "-E",
               "UTF8",
               "--locale=C",
               "--no-sync",
               "--no-instructions"};
  init.log_path = c->dir_->path() / "initdb.log";
  init.run_as_user = run_as;
  init.working_dir = c->dir_->path();
  auto initdb = SP_TRY(ChildProcess::Start(init));
  auto st = initdb->Wait(std::chrono::seconds(120));
  if (!st.ok() || !WIFEXITED(*st) || WEXITSTATUS(*st) != 0) {
    return FailedPrecondition("initdb failed; log:\n" + initdb->Log());
  }

  // The port is chosen here and may be taken by the time the server binds: retry a few times.
  for (int attempt = 0; attempt < 5; ++attempt) {
    c->port_ = FreePort();
    ChildProcess::Options pg;
    pg.argv = {c->bindir_ + "/postgres",
               "-D",
               data.string(),
               "-p",
               std::to_string(c->port_),
               "-c",
               "listen_addresses=127.0.0.1",
               "-c",
               "unix_socket_directories=" + c->dir_->path().string(),
               "-c",
               "fsync=off",
               "-c",
               "synchronous_commit=off",
               "-c",
               "full_page_writes=off",
               "-c",
               "max_connections=300",
               "-c",
               "shared_buffers=128MB",
               "-c",
               "log_min_messages=warning",
               "-c",
               "track_counts=on"};
    pg.log_path = c->dir_->path() / "postgres.log";
    pg.run_as_user = run_as;
    pg.working_dir = c->dir_->path();
    pg.stop_signal = SIGINT;  // fast shutdown: do not wait for clients
    c->postmaster_ = SP_TRY(ChildProcess::Start(pg));
    const std::string conninfo = c->ConnInfo();
    const bool ready = WaitUntil(
        [&] { return !c->postmaster_->Running() || PQping(conninfo.c_str()) == PQPING_OK; },
        std::chrono::seconds(60));
    if (ready && c->postmaster_->Running()) return c;
    const std::string log = c->postmaster_->Log();
    c->postmaster_->Stop();
    if (log.find("could not bind") == std::string::npos &&
        log.find("Address already in use") == std::string::npos) {
      return FailedPrecondition("PostgreSQL did not start; log:\n" + log);
    }
  }
  return FailedPrecondition("PostgreSQL could not bind a free port after 5 attempts");
}

PgCluster::~PgCluster() {
  Stop();
}

void PgCluster::Stop() {
  if (postmaster_) {
    postmaster_->Stop(std::chrono::seconds(30));
    postmaster_.reset();
  }
  dir_.reset();
}

pid_t PgCluster::pid() const {
  return postmaster_ ? postmaster_->pid() : 0;
}

const fs::path& PgCluster::data_dir() const {
  return dir_->path();
}

std::string PgCluster::ConnInfo(std::string_view dbname) const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " user=" + superuser_ +
         " dbname=" + std::string(dbname) + " connect_timeout=10";
}

std::string PgCluster::Url(std::string_view dbname) const {
  return "postgresql://" + superuser_ + "@127.0.0.1:" + std::to_string(port_) + "/" +
         std::string(dbname);
}

Result<std::vector<std::vector<std::string>>> PgCluster::Query(std::string_view dbname,
                                                               std::string_view sql) const {
  PgConnPtr conn(PQconnectdb(ConnInfo(dbname).c_str()));
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    return Unavailable("cannot connect to test PostgreSQL: " +
                       std::string(PQerrorMessage(conn.get())));
  }
  PgResultPtr res(PQexec(conn.get(), std::string(sql).c_str()));
  const auto status = PQresultStatus(res.get());
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    return InvalidArgument(PQresultErrorMessage(res.get()));
  }
  std::vector<std::vector<std::string>> rows;
  for (int r = 0; r < PQntuples(res.get()); ++r) {
    std::vector<std::string> row;
    for (int f = 0; f < PQnfields(res.get()); ++f) row.emplace_back(PQgetvalue(res.get(), r, f));
    rows.push_back(std::move(row));
  }
  return rows;
}

Status PgCluster::Exec(std::string_view dbname, std::string_view sql) const {
  return Query(dbname, sql).status();
}

Result<std::string> PgCluster::CreateDatabase(std::string_view prefix) {
  SystemRandom random;
  std::string name = std::string(prefix) + "_" + std::to_string(db_counter_.fetch_add(1)) + "_" +
                     std::to_string(random.Uniform(1'000'000));
  for (char& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_') ch = '_';
    ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  SP_TRY(Exec("postgres", "CREATE DATABASE " + name));
  return name;
}

PgCluster& SharedPgCluster() {
  static std::unique_ptr<PgCluster> cluster;
  static std::mutex mu;
  std::lock_guard lock(mu);
  if (!cluster) {
    auto started = PgCluster::Start();
    if (!started.ok()) {
      std::fprintf(stderr, "FATAL: the test PostgreSQL cluster could not start: %s\n",
                   started.status().message().c_str());
      std::exit(1);
    }
    // Stopped by the static destructor at exit; on a crash, the parent-death signal does it.
    cluster = std::move(started).value();
  }
  return *cluster;
}

}  // namespace schemaport::testing
