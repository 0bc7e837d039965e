// `schemaport demo` as a newcomer meets it: started in the background, it prints exactly the lines
// of DESIGN §4; `/healthz` answers; the CLI (the real binary) drives the whole flow against it over
// the REST API — login, connection test, create, list, show, fetch, tree, select by pattern, then
// save, tables, show, a change in the warehouse, refresh, save again; Ctrl-C (SIGINT) stops it
// with exit status 0 and no process it started is left. A second run reuses the state, `--fresh`
// starts over, `kill -9` leaves nothing behind, and a busy port stops it with one line saying how
// to fix it.
//
// No fixed port (the demo listens on port 0 and prints its URL), no timed assertion: the
// timeouts below only keep a hung run from hanging ctest. The test process is a child subreaper,
// so anything the demo left behind would be re-parented here, seen, and killed with its process
// group even when an assertion fails.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "aws/aws.h"
#include "support/support.h"

namespace schemaport::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

// Hang guards only (a sanitizer build starts slowly); nothing asserts how long anything takes.
constexpr auto kStartTimeout = std::chrono::milliseconds(300s);
constexpr auto kCommandTimeout = std::chrono::milliseconds(300s);

// ------------------------------------------------------------------------------------------------
// Processes, from /proc
// ------------------------------------------------------------------------------------------------

struct Proc {
  pid_t pid = 0;
  pid_t ppid = 0;
  pid_t pgrp = 0;
  char state = '?';
  std::string comm;
};

std::optional<Proc> ReadProc(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return std::nullopt;
  // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
  const auto open = stat.find('('), close = stat.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return std::nullopt;
  Proc p;
  p.pid = pid;
  p.comm = stat.substr(open + 1, close - open - 1);
  std::istringstream rest(stat.substr(close + 1));
  rest >> p.state >> p.ppid >> p.pgrp;
  return p;
}

std::vector<Proc> AllProcesses() {
  std::vector<Proc> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    if (auto p = ReadProc(std::stoi(name))) out.push_back(*p);
  }
  return out;
}

// Every process below `root` (children, their children, ...).
std::vector<Proc> Descendants(pid_t root) {
  const std::vector<Proc> all = AllProcesses();
  std::vector<Proc> out;
  std::set<pid_t> parents = {root};
  for (bool grew = true; grew;) {
    grew = false;
    for (const auto& p : all) {
      if (parents.count(p.ppid) != 0 && parents.insert(p.pid).second) {
        out.push_back(p);
        grew = true;
      }
    }
  }
  return out;
}

std::string Describe(const std::vector<Proc>& procs) {
  std::string s;
  for (const auto& p : procs) {
    s += (s.empty() ? "" : ", ") + p.comm + " (pid " + std::to_string(p.pid) + ", state " +
         p.state + ", group " + std::to_string(p.pgrp) + ")";
  }
  return s.empty() ? "none" : s;
}

// Makes this process the child subreaper, so a process the demo leaves behind becomes our child
// instead of init's; remembers every process seen under the demo. On destruction (also after a
// failed assertion) kills the process group of each, and each orphan re-parented here, and reaps.
class ProcessWatch {
 public:
  ProcessWatch() { ::prctl(PR_SET_CHILD_SUBREAPER, 1); }
  ~ProcessWatch() { KillAll(); }
  ProcessWatch(const ProcessWatch&) = delete;
  ProcessWatch& operator=(const ProcessWatch&) = delete;

  // Remembers the processes now running under `root`; returns them.
  std::vector<Proc> Record(pid_t root) {
    std::vector<Proc> now = Descendants(root);
    for (const auto& p : now) seen_[p.pid] = p;
    return now;
  }

  // After the demo exited: the processes seen under it that still exist (running, or dead but
  // re-parented here because they outlived it), and any other process re-parented here.
  // Waits until none of Leftovers() is alive, reaping those re-parented here as they die.
  bool WaitAllGone(std::chrono::milliseconds timeout) const {
    return WaitUntil(
        [&] {
          const std::vector<Proc> left = Leftovers();
          for (const auto& p : left) {
            if (p.ppid == ::getpid() && p.state == 'Z') ::waitpid(p.pid, nullptr, WNOHANG);
          }
          return Leftovers().empty();
        },
        timeout);
  }

  std::vector<Proc> Leftovers() const {
    std::vector<Proc> out;
    std::set<pid_t> listed;
    for (const auto& [pid, seen] : seen_) {
      auto now = ReadProc(pid);
      // The same pid with another parent group is a new process that reused the number.
      if (now && now->pgrp == seen.pgrp && listed.insert(pid).second) out.push_back(*now);
    }
    for (const auto& p : AllProcesses()) {
      if (p.ppid == ::getpid() && listed.insert(p.pid).second) out.push_back(p);
    }
    return out;
  }

 private:
  void KillAll() {
    std::set<pid_t> groups;
    for (const auto& p : Leftovers()) {
      if (p.pgrp != ::getpgrp()) groups.insert(p.pgrp);
      ::kill(p.pid, SIGKILL);
    }
    for (pid_t g : groups) ::kill(-g, SIGKILL);
    for (const auto& p : AllProcesses()) {
      if (p.ppid == ::getpid()) ::waitpid(p.pid, nullptr, 0);
    }
  }

  std::map<pid_t, Proc> seen_;
};

// ------------------------------------------------------------------------------------------------
// The demo and the CLI
// ------------------------------------------------------------------------------------------------

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// What `schemaport demo` printed, parsed.
struct Printed {
  std::string portal;  // "https://127.0.0.1:PORT/"
  std::string password, access_key_id, secret_key;
};

// A `schemaport demo` in the background, in its own process group (ChildProcess), stopped with
// SIGINT like Ctrl-C.
class DemoRun {
 public:
  DemoRun(const fs::path& data_dir, const fs::path& logs, std::vector<std::string> extra) {
    ChildProcess::Options o;
    o.argv = {
        (BinDir() / "schemaport").string(), "demo", "--data-dir", data_dir.string(), "--port", "0"};
    for (auto& a : extra) o.argv.push_back(std::move(a));
    o.stdout_path = logs / ("demo-" + std::to_string(++runs_) + ".out");
    o.log_path = logs / ("demo-" + std::to_string(runs_) + ".err");
    o.stop_signal = SIGINT;
    stdout_path_ = o.stdout_path;
    auto started = ChildProcess::Start(std::move(o));
    if (started.ok()) process_ = std::move(started).value();
    start_status_ = started.status();
  }

  const Status& start_status() const { return start_status_; }
  ChildProcess& process() { return *process_; }
  std::string Out() const { return ReadFile(stdout_path_); }
  std::string Err() const { return process_->Log(); }

  // Waits for `Press Ctrl-C to stop.` (or the demo's exit).
  bool WaitUntilUp() {
    return WaitUntil(
        [&] { return Out().find("Press Ctrl-C to stop.\n") != std::string::npos || !Running(); },
        kStartTimeout);
  }
  bool Running() { return process_->Running(); }

  // SIGINT, as Ctrl-C; the exit status.
  Result<int> Interrupt() {
    ::kill(process_->pid(), SIGINT);
    return process_->Wait(kStartTimeout);
  }

 private:
  static inline int runs_ = 0;
  fs::path stdout_path_;
  Status start_status_;
  std::unique_ptr<ChildProcess> process_;
};

// Checks the printed lines against DESIGN §4 (and the first line, fresh or reused), exactly.
Printed CheckPrintedLines(const std::string& out, const fs::path& data_dir, bool fresh) {
  const std::vector<std::string> lines = Lines(out);
  Printed p;
  EXPECT_GE(lines.size(), 9u) << out;
  if (lines.size() < 9) return p;
  EXPECT_EQ(lines[0],
            fresh ? "Starting a fresh demo in " + data_dir.string() + "."
                  : "Reusing the demo state in " + data_dir.string() + " (--fresh starts over).");
  std::smatch m;
  static const std::regex kPortal(R"(Portal: (https://127\.0\.0\.1:[1-9][0-9]*/))");
  static const std::regex kLogin(R"(Login: demo@example\.com / ([A-Za-z0-9]{20}))");
  static const std::regex kKey(R"(Access Key ID: (AKIA[A-Z2-7]{16}))");
  static const std::regex kSecret(R"(Secret Key: ([A-Za-z0-9+/]{40}))");
  EXPECT_TRUE(std::regex_match(lines[1], m, kPortal)) << lines[1];
  if (m.size() > 1) p.portal = m[1].str();
  EXPECT_TRUE(std::regex_match(lines[2], m, kLogin)) << lines[2];
  if (m.size() > 1) p.password = m[1].str();
  EXPECT_TRUE(std::regex_match(lines[3], m, kKey)) << lines[3];
  if (m.size() > 1) p.access_key_id = m[1].str();
  EXPECT_TRUE(std::regex_match(lines[4], m, kSecret)) << lines[4];
  if (m.size() > 1) p.secret_key = m[1].str();
  EXPECT_EQ(lines[5], "Region: us-east-1");
  EXPECT_EQ(lines[6], "Workgroup: tickit-demo");
  EXPECT_EQ(lines[7], "Database: dev");
  EXPECT_EQ(lines[8], "Press Ctrl-C to stop.");
  return p;
}

struct CliResult {
  int exit_code = -1;
  std::string out, err;
};

std::ostream& operator<<(std::ostream& os, const CliResult& r) {
  return os << "exit " << r.exit_code << "\nstdout:\n" << r.out << "stderr:\n" << r.err;
}

// The CLI binary with its own config file (SCHEMAPORT_CLI_CONFIG) under `home`.
class Cli {
 public:
  explicit Cli(fs::path home) : home_(std::move(home)) { fs::create_directories(home_); }

  CliResult Run(std::vector<std::string> args) {
    ChildProcess::Options o;
    o.argv = {(BinDir() / "schemaport").string()};
    for (auto& a : args) o.argv.push_back(std::move(a));
    const std::string n = std::to_string(++count_);
    o.stdout_path = home_ / ("cli-" + n + ".out");
    o.log_path = home_ / ("cli-" + n + ".err");
    o.env = {{"HOME", home_.string()},
             {"SCHEMAPORT_CLI_CONFIG", (home_ / "cli.toml").string()},
             {"SCHEMAPORT_TOKEN", ""},
             {"SCHEMAPORT_SERVER", ""}};
    CliResult r;
    auto child = ChildProcess::Start(o);
    if (!child.ok()) {
      r.err = child.status().message();
      return r;
    }
    auto status = (*child)->Wait(kCommandTimeout);
    if (!status.ok()) {
      (*child)->Stop(1s);
      r.err = "timed out: " + ReadFile(o.log_path);
      return r;
    }
    r.exit_code = WIFEXITED(*status) ? WEXITSTATUS(*status) : 128 + WTERMSIG(*status);
    r.out = ReadFile(o.stdout_path);
    r.err = ReadFile(o.log_path);
    return r;
  }

  // Runs a `--json` command expected to succeed; its parsed output (null on failure).
  json Json(std::vector<std::string> args) {
    args.push_back("--json");
    const CliResult r = Run(args);
    EXPECT_EQ(r.exit_code, 0) << r;
    if (r.exit_code != 0) return nullptr;
    json j = json::parse(r.out, nullptr, /*allow_exceptions=*/false);
    EXPECT_FALSE(j.is_discarded()) << r;
    return j.is_discarded() ? json() : j;
  }

  const fs::path& home() const { return home_; }

 private:
  fs::path home_;
  int count_ = 0;
};

// GET /healthz over TLS, verified against the demo server's own certificate.
bool Healthy(const std::string& portal, const fs::path& ca) {
  aws::CurlHttpClient::Options o;
  o.ca_bundle = ca.string();
  o.connect_timeout = 2s;
  o.total_timeout = 5s;
  auto client = aws::CurlHttpClient::Create(o);
  if (!client.ok()) return false;
  aws::HttpRequest req;
  req.method = "GET";
  req.url = portal + "healthz";
  auto reply = (*client)->Send(req);
  return reply.ok() && reply->status == 200;
}

// Runs SQL in the demo's private PostgreSQL (its port from postmaster.pid), as the warehouse's
// owner would: the change a refresh must see.
Status ExecInDemoWarehouse(const fs::path& data_dir, const std::string& db,
                           const std::string& sql) {
  const std::vector<std::string> pid_file = Lines(ReadFile(data_dir / "pg/data/postmaster.pid"));
  if (pid_file.size() < 4) return Internal("no postmaster.pid in the demo's data dir");
  // The demo runs PostgreSQL as `postgres` when root, else as the user running it.
  const passwd* pw = ::geteuid() == 0 ? ::getpwnam("postgres") : ::getpwuid(::geteuid());
  const std::string user = pw != nullptr ? pw->pw_name : "postgres";
  const std::string conninfo =
      "host=127.0.0.1 port=" + pid_file[3] + " dbname=" + db + " user=" + user;
  PGconn* conn = PQconnectdb(conninfo.c_str());
  std::string error;
  if (PQstatus(conn) != CONNECTION_OK) {
    error = PQerrorMessage(conn);
  } else {
    PGresult* res = PQexec(conn, sql.c_str());
    if (PQresultStatus(res) != PGRES_COMMAND_OK) error = PQresultErrorMessage(res);
    PQclear(res);
  }
  PQfinish(conn);
  return error.empty() ? Status::Ok() : Internal(error);
}

// A fresh directory for one demo, traversable by the `postgres` user the demo runs PostgreSQL
// as when the test runs as root (mkdtemp makes it 0700).
std::unique_ptr<TempDir> DemoTempDir() {
  auto dir = std::make_unique<TempDir>("schemaport-demo-test");
  fs::permissions(dir->path(),
                  fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  return dir;
}

std::optional<json> FindSaved(const json& tables, const std::string& db, const std::string& schema,
                              const std::string& name) {
  for (const auto& t : tables.value("tables", json::array())) {
    if (t.value("database", "") == db && t.value("schema", "") == schema &&
        t.value("name", "") == name)
      return t;
  }
  return std::nullopt;
}

std::set<std::string> SavedNames(const json& tables) {
  std::set<std::string> names;
  for (const auto& t : tables.value("tables", json::array())) {
    names.insert(t.value("database", "") + "." + t.value("schema", "") + "." + t.value("name", ""));
  }
  return names;
}

// Logs in with the printed login (password from a file, never an argument); the CLI keeps the
// server, its certificate and the API token in its config file.
void Login(Cli& cli, const Printed& printed, const fs::path& ca) {
  WriteFile(cli.home() / "password", printed.password + "\n");
  const CliResult r =
      cli.Run({"login", "--server", printed.portal, "--ca-file", ca.string(), "--email",
               "demo@example.com", "--password-file", (cli.home() / "password").string()});
  ASSERT_EQ(r.exit_code, 0) << r;
}

// The connection flags exactly as the demo printed them (the secret key from a file).
std::vector<std::string> ConnectionFlags(Cli& cli, const Printed& printed) {
  WriteFile(cli.home() / "secret-key", printed.secret_key + "\n");
  return {"--name",
          "TICKIT demo",
          "--region",
          "us-east-1",
          "--workgroup",
          "tickit-demo",
          "--database",
          "dev",
          "--access-key-id",
          printed.access_key_id,
          "--secret-key-file",
          (cli.home() / "secret-key").string()};
}

std::vector<std::string> Concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// ------------------------------------------------------------------------------------------------

TEST(DemoTest, CliDrivesTheWholeFlowAgainstTheDemoAndCtrlCLeavesNoProcess) {
  ProcessWatch watch;  // declared first: destroyed last, after the demo's own stop
  auto dir = DemoTempDir();
  const fs::path data_dir = dir->path() / "demo";
  const fs::path ca = data_dir / "server/tls/cert.pem";
  DemoRun demo(data_dir, dir->path(), {});
  ASSERT_TRUE(demo.start_status().ok()) << demo.start_status();
  ASSERT_TRUE(demo.WaitUntilUp()) << demo.Out() << demo.Err();
  ASSERT_TRUE(demo.Running()) << demo.Out() << demo.Err();
  const Printed printed = CheckPrintedLines(demo.Out(), data_dir, /*fresh=*/true);
  ASSERT_FALSE(printed.portal.empty());

  // Its processes: PostgreSQL, the emulator and the server, each in a process group of its own.
  const std::vector<Proc> children = watch.Record(demo.process().pid());
  std::set<std::string> names;
  for (const auto& p : children) {
    names.insert(p.comm);
    if (p.ppid == demo.process().pid()) {
      EXPECT_EQ(p.pgrp, p.pid) << p.comm << " is not in a process group of its own";
    }
  }
  for (const char* name : {"postgres", "aws-emulator", "schemaport"}) {
    EXPECT_EQ(names.count(name), 1u)
        << name << " not running under the demo: " << Describe(children);
  }

  ASSERT_TRUE(WaitUntil([&] { return Healthy(printed.portal, ca); }, kStartTimeout))
      << "GET " << printed.portal << "healthz never answered 200";

  Cli cli(dir->path() / "cli");
  Login(cli, printed, ca);

  // Connect: the test of unsaved settings passes every step, then the connection is saved.
  const std::vector<std::string> flags = ConnectionFlags(cli, printed);
  const json test = cli.Json(Concat({"connections", "test"}, flags));
  ASSERT_TRUE(test.is_object());
  EXPECT_TRUE(test.value("ok", false)) << test.dump(2);
  EXPECT_EQ(test.value("steps", json::array()).size(), 6u) << test.dump(2);
  const json created = cli.Json(Concat({"connections", "create"}, flags));
  ASSERT_TRUE(created.is_object());
  const std::string id = created.value("id", "");
  ASSERT_FALSE(id.empty()) << created.dump(2);
  EXPECT_EQ(created.dump().find(printed.secret_key), std::string::npos);

  const json list = cli.Json({"connections", "list"});
  ASSERT_EQ(list.value("connections", json::array()).size(), 1u) << list.dump(2);
  EXPECT_EQ(list["connections"][0].value("id", ""), id);
  const CliResult show_conn = cli.Run({"connections", "show", id});
  EXPECT_EQ(show_conn.exit_code, 0) << show_conn;
  EXPECT_NE(show_conn.out.find("Connection TICKIT demo (id " + id + ")"), std::string::npos)
      << show_conn;
  EXPECT_NE(show_conn.out.find("secrets set: secret_access_key"), std::string::npos) << show_conn;
  EXPECT_EQ(show_conn.out.find(printed.secret_key), std::string::npos);

  // Fetch, then the tree with the demo's shapes.
  const CliResult fetched = cli.Run({"metadata", "fetch", id});
  ASSERT_EQ(fetched.exit_code, 0) << fetched;
  EXPECT_NE(fetched.out.find(" tables in 2 databases."), std::string::npos) << fetched;
  const CliResult tree = cli.Run({"metadata", "tree", id});
  ASSERT_EQ(tree.exit_code, 0) << tree;
  for (const char* shown :
       {"[ ] sales\n", "[ ] top_sellers [late-binding view]\n", "[ ] seller_payouts [no SELECT]\n",
        "[ ] sales_2007 [external]\n", "[ ] WebClicks"}) {
    EXPECT_NE(tree.out.find(shown), std::string::npos) << shown << " not in\n" << tree.out;
  }

  // Select by pattern: every TICKIT table but the one the demo user may not read.
  const std::vector<std::string> patterns = {"--include", "dev.tickit.*", "--exclude",
                                             "*.*.seller_payouts"};
  const json preview = cli.Json(Concat({"metadata", "select", id}, patterns));
  ASSERT_TRUE(preview.is_object());
  std::set<std::string> previewed;
  for (const auto& t : preview.value("tables", json::array()))
    previewed.insert(t.get<std::string>());
  EXPECT_EQ(previewed.count("dev.tickit.sales"), 1u) << preview.dump(2);
  EXPECT_EQ(previewed.count("dev.tickit.seller_payouts"), 0u) << preview.dump(2);
  EXPECT_EQ(preview.value("selected", -1), static_cast<int>(previewed.size())) << preview.dump(2);

  // Save Metadata of what `select` chose (the flow the issue and the portal have: select, save).
  const CliResult saved = cli.Run({"metadata", "save", id});
  ASSERT_EQ(saved.exit_code, 0) << saved;
  EXPECT_EQ(saved.out, "Saved the metadata of " + std::to_string(previewed.size()) + " tables.\n");

  // The saved tables are exactly the selection (sales among them), and only them.
  const json tables = cli.Json({"metadata", "tables", id});
  EXPECT_EQ(SavedNames(tables), previewed) << tables.dump(2);
  const std::optional<json> sales = FindSaved(tables, "dev", "tickit", "sales");
  ASSERT_TRUE(sales.has_value()) << tables.dump(2);
  EXPECT_EQ(sales->value("column_count", 0), 10);
  const CliResult table_list = cli.Run({"metadata", "tables", id});
  EXPECT_EQ(table_list.exit_code, 0) << table_list;
  EXPECT_NE(table_list.out.find("dev.tickit.sales "), std::string::npos) << table_list;

  // Show one saved table, by name and by id, with its columns and comments.
  const CliResult shown = cli.Run({"metadata", "show", id, "dev.tickit.sales"});
  ASSERT_EQ(shown.exit_code, 0) << shown;
  EXPECT_EQ(Lines(shown.out).at(0), "dev.tickit.sales");
  EXPECT_NE(shown.out.find("qtysold"), std::string::npos) << shown;
  EXPECT_NE(shown.out.find("The number of tickets that were sold, from 1 to 8"), std::string::npos)
      << shown;
  const json by_id = cli.Json({"metadata", "show", id, sales->value("id", "")});
  EXPECT_EQ(by_id.value("name", ""), "sales") << by_id.dump(2);
  EXPECT_EQ(by_id.value("columns", json::array()).size(), 10u) << by_id.dump(2);

  // The warehouse changes; a refresh marks it, the pattern selects the new table, and saving
  // again stores the change.
  ASSERT_TRUE(ExecInDemoWarehouse(data_dir, "dev",
                                  "ALTER TABLE tickit.sales ADD COLUMN refund decimal(8,2); "
                                  "CREATE TABLE tickit.refunds (salesid integer, amount "
                                  "decimal(8,2)); GRANT SELECT ON tickit.refunds TO PUBLIC")
                  .ok());
  const CliResult refreshed = cli.Run({"metadata", "refresh", id});
  ASSERT_EQ(refreshed.exit_code, 0) << refreshed;
  EXPECT_NE(refreshed.out.find("; 1 new, 1 changed, 0 removed."), std::string::npos) << refreshed;
  const json marked = cli.Json({"metadata", "tables", id});
  ASSERT_TRUE(FindSaved(marked, "dev", "tickit", "sales").has_value()) << marked.dump(2);
  EXPECT_EQ(FindSaved(marked, "dev", "tickit", "sales")->value("mark", json()), "changed");
  const CliResult tree_after = cli.Run({"metadata", "tree", id});
  EXPECT_NE(tree_after.out.find("[x] refunds (new)\n"), std::string::npos) << tree_after;

  const CliResult resaved = cli.Run({"metadata", "save", id});
  ASSERT_EQ(resaved.exit_code, 0) << resaved;
  const json after = cli.Json({"metadata", "tables", id});
  EXPECT_EQ(after.value("tables", json::array()).size(), previewed.size() + 1) << after.dump(2);
  EXPECT_TRUE(FindSaved(after, "dev", "tickit", "refunds").has_value()) << after.dump(2);
  const json sales_after = cli.Json({"metadata", "show", id, "dev.tickit.sales"});
  EXPECT_EQ(sales_after.value("columns", json::array()).size(), 11u) << sales_after.dump(2);

  // Ctrl-C: the demo stops everything it started, newest first, and exits 0.
  watch.Record(demo.process().pid());  // PostgreSQL's backends of the moment too
  const Result<int> status = demo.Interrupt();
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << *status << "\n" << demo.Err();
  EXPECT_EQ(watch.Leftovers().size(), 0u) << "left behind: " << Describe(watch.Leftovers());
  const std::vector<std::string> lines = Lines(demo.Out());
  ASSERT_EQ(lines.size(), 10u) << demo.Out();
  EXPECT_EQ(lines[9], "Stopped.");
  EXPECT_EQ(demo.Err(), "");
}

TEST(DemoTest, SecondRunReusesTheStateAndFreshStartsOver) {
  ProcessWatch watch;
  auto dir = DemoTempDir();
  const fs::path data_dir = dir->path() / "demo";
  const fs::path ca = data_dir / "server/tls/cert.pem";
  Printed first;
  {
    DemoRun demo(data_dir, dir->path(), {});
    ASSERT_TRUE(demo.start_status().ok()) << demo.start_status();
    ASSERT_TRUE(demo.WaitUntilUp() && demo.Running()) << demo.Out() << demo.Err();
    first = CheckPrintedLines(demo.Out(), data_dir, /*fresh=*/true);
    watch.Record(demo.process().pid());
    Cli cli(dir->path() / "cli-1");
    Login(cli, first, ca);
    const CliResult created =
        cli.Run(Concat({"connections", "create"}, ConnectionFlags(cli, first)));
    ASSERT_EQ(created.exit_code, 0) << created;
    watch.Record(demo.process().pid());
    const Result<int> status = demo.Interrupt();
    ASSERT_TRUE(status.ok() && WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << demo.Err();
    EXPECT_EQ(watch.Leftovers().size(), 0u) << "left behind: " << Describe(watch.Leftovers());
  }
  {
    // Reused: the same login and access key, the saved connection still there.
    DemoRun demo(data_dir, dir->path(), {});
    ASSERT_TRUE(demo.WaitUntilUp() && demo.Running()) << demo.Out() << demo.Err();
    const Printed again = CheckPrintedLines(demo.Out(), data_dir, /*fresh=*/false);
    EXPECT_EQ(again.password, first.password);
    EXPECT_EQ(again.access_key_id, first.access_key_id);
    EXPECT_EQ(again.secret_key, first.secret_key);
    watch.Record(demo.process().pid());
    Cli cli(dir->path() / "cli-2");
    Login(cli, again, ca);
    const json list = cli.Json({"connections", "list"});
    ASSERT_EQ(list.value("connections", json::array()).size(), 1u) << list.dump(2);
    EXPECT_EQ(list["connections"][0].value("name", ""), "TICKIT demo");
    // The reused warehouse still answers the printed key.
    const json test = cli.Json(Concat({"connections", "test"}, ConnectionFlags(cli, again)));
    EXPECT_TRUE(test.value("ok", false)) << test.dump(2);
    watch.Record(demo.process().pid());
    const Result<int> status = demo.Interrupt();
    ASSERT_TRUE(status.ok() && WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << demo.Err();
    EXPECT_EQ(watch.Leftovers().size(), 0u) << "left behind: " << Describe(watch.Leftovers());
  }
  {
    // --fresh: a new login and key; the old password no longer logs in; no connection.
    DemoRun demo(data_dir, dir->path(), {"--fresh"});
    ASSERT_TRUE(demo.WaitUntilUp() && demo.Running()) << demo.Out() << demo.Err();
    const Printed fresh = CheckPrintedLines(demo.Out(), data_dir, /*fresh=*/true);
    EXPECT_NE(fresh.password, first.password);
    EXPECT_NE(fresh.access_key_id, first.access_key_id);
    watch.Record(demo.process().pid());
    Cli old_login(dir->path() / "cli-3");
    WriteFile(old_login.home() / "password", first.password + "\n");
    const CliResult refused = old_login.Run(
        {"login", "--server", fresh.portal, "--ca-file", ca.string(), "--email", "demo@example.com",
         "--password-file", (old_login.home() / "password").string()});
    EXPECT_EQ(refused.exit_code, 3) << refused;
    Cli cli(dir->path() / "cli-4");
    Login(cli, fresh, ca);
    const json list = cli.Json({"connections", "list"});
    EXPECT_EQ(list.value("connections", json::array()).size(), 0u) << list.dump(2);
    watch.Record(demo.process().pid());
    const Result<int> status = demo.Interrupt();
    ASSERT_TRUE(status.ok() && WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << demo.Err();
    EXPECT_EQ(watch.Leftovers().size(), 0u) << "left behind: " << Describe(watch.Leftovers());
  }
}

TEST(DemoTest, KillNineOfTheDemoLeavesNothingBehind) {
  ProcessWatch watch;
  auto dir = DemoTempDir();
  DemoRun demo(dir->path() / "demo", dir->path(), {});
  ASSERT_TRUE(demo.start_status().ok()) << demo.start_status();
  ASSERT_TRUE(demo.WaitUntilUp() && demo.Running()) << demo.Out() << demo.Err();
  const std::vector<Proc> children = watch.Record(demo.process().pid());
  EXPECT_GE(children.size(), 3u) << Describe(children);
  ::kill(demo.process().pid(), SIGKILL);
  ASSERT_TRUE(demo.process().Wait(kStartTimeout).ok());
  // Each child dies of its parent-death signal (PostgreSQL's backends on their postmaster's
  // death); the ones re-parented here are reaped as they go.
  EXPECT_TRUE(watch.WaitAllGone(kStartTimeout)) << "left behind: " << Describe(watch.Leftovers());
}

TEST(DemoTest, BusyPortStopsWithOneLineSayingHowToFixIt) {
  ProcessWatch watch;
  auto dir = DemoTempDir();
  // Something else listens on the port the demo is asked for.
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::string port = std::to_string(ntohs(addr.sin_port));

  ChildProcess::Options o;
  o.argv = {(BinDir() / "schemaport").string(), "demo",   "--data-dir",
            (dir->path() / "demo").string(),    "--port", port};
  o.stdout_path = dir->path() / "demo.out";
  o.log_path = dir->path() / "demo.err";
  auto demo = ChildProcess::Start(o);
  ASSERT_TRUE(demo.ok()) << demo.status();
  const Result<int> status = (*demo)->Wait(kStartTimeout);
  ::close(fd);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 1) << *status;
  EXPECT_EQ(ReadFile(o.log_path),
            "schemaport demo: port " + port +
                " on 127.0.0.1 is in use: stop what listens there, or choose another with "
                "--port N (0: any free port)\n");
  EXPECT_EQ(ReadFile(o.stdout_path), "");
  EXPECT_EQ(watch.Leftovers().size(), 0u) << "left behind: " << Describe(watch.Leftovers());
}

}  // namespace
}  // namespace schemaport::testing
