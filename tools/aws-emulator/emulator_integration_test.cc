// Fidelity tests: the official AWS SDK for JavaScript (tests/js, pinned) calls the emulator
// started on port 0 against a private PostgreSQL cluster. Each case starts its own emulator
// with a config written to a temp dir, then runs one node script under tests/js/emulator/.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <regex>

#include <nlohmann/json.hpp>

#include "support/support.h"

namespace schemaport::testing {
namespace {

constexpr const char* kFixtureSql = R"SQL(
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'analyst') THEN CREATE ROLE analyst LOGIN; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'app_user') THEN
    CREATE ROLE app_user LOGIN PASSWORD 'app-pass';
  END IF;
END $$;
CREATE SCHEMA sales;
CREATE TABLE sales.orders (
  id int PRIMARY KEY, amount numeric(10,2) NOT NULL, note varchar(50), created date, paid boolean,
  ratio float8, data bytea, big bigint, small smallint, at timestamp, label char(3));
INSERT INTO sales.orders VALUES
  (1, 10.50, 'first', '2024-01-02', true, 0.25, '\x616263', 9007199254740993, 7, '2024-01-02 03:04:05.123456', 'abc'),
  (2, 20.00, NULL, NULL, false, -1.5, NULL, -5, NULL, NULL, NULL),
  (3, 0.01, 'comma, "quote"', '1999-12-31', NULL, 3.125, '\x00ff', 0, -1, '2000-01-01 00:00:00', 'x'),
  (4, 99999999.99, E'line\nbreak', '2024-02-29', true, 1e-7, '\x', 42, 32767, '2024-02-29 23:59:59', 'yz'),
  (5, 5.55, 'ünïcødé ✓', '2024-03-01', false, 100, '\xdeadbeef', 1, 0, '2024-03-01 12:00:00', 'q');
COMMENT ON TABLE sales.orders IS 'Orders placed';
CREATE VIEW sales.big_orders AS SELECT id, amount FROM sales.orders WHERE amount > 15;
CREATE TABLE sales.restricted (x int);
GRANT USAGE ON SCHEMA sales TO analyst, app_user;
GRANT SELECT ON sales.orders, sales.big_orders TO analyst, app_user;
GRANT CREATE ON SCHEMA public TO analyst;
CREATE SCHEMA marketing;
CREATE TABLE marketing.campaigns (id int, name text);
)SQL";

std::string WideTableSql() {
  std::string sql = "CREATE TABLE public.wide (";
  for (int i = 1; i <= 620; ++i) sql += fmt::format("{}c{} int", i > 1 ? ", " : "", i);
  return sql + ");";
}

class EmulatorIntegrationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(std::filesystem::exists(SourceDir() /
                                        "tests/js/node_modules/@aws-sdk/client-redshift-data"))
        << "the pinned AWS SDK for JavaScript is not installed: run `npm ci` in tests/js";
    PgCluster& pg = SharedPgCluster();
    auto db = pg.CreateDatabase("emu");
    ASSERT_TRUE(db.ok()) << db.status();
    database_ = new std::string(*db);
    ASSERT_TRUE(pg.Exec(*database_, kFixtureSql).ok());
    ASSERT_TRUE(pg.Exec(*database_, WideTableSql()).ok());
  }
  static void TearDownTestSuite() {
    delete database_;
    database_ = nullptr;
  }

  struct Emu {
    std::unique_ptr<TempDir> dir;
    std::unique_ptr<ChildProcess> proc;
    int port = 0;
    int admin_port = 0;
    bool tls = false;
  };

  // The base config plus `extra` TOML (e.g. a [limits] table).
  std::string Config(const std::string& limits, const std::string& server = "") {
    PgCluster& pg = SharedPgCluster();
    return fmt::format(R"(account_id = "123456789012"
region = "us-east-1"
seed = 42
[server]
host = "127.0.0.1"
{server}
[postgres]
host = "127.0.0.1"
port = {port}
superuser = "{superuser}"
[limits]
{limits}
[[users]]
name = "alice"
access_key_id = "AKIAALICE0000000000"
secret_access_key = "alice-secret-key"
allow = ["redshift-data:*", "redshift-serverless:GetCredentials", "redshift:GetClusterCredentials",
         "redshift:GetClusterCredentialsWithIAM", "secretsmanager:*", "sts:AssumeRole"]
[[users]]
name = "bob"
access_key_id = "AKIABOB000000000000"
secret_access_key = "bob-secret-key"
allow = ["redshift-data:*"]
[[users]]
name = "carol"
access_key_id = "AKIACAROL0000000000"
secret_access_key = "carol-secret-key"
allow = []
[[roles]]
name = "reader"
trust = ["arn:aws:iam::123456789012:user/alice"]
external_id = "ext-123"
allow = ["redshift-data:*", "redshift-serverless:GetCredentials"]
[[workgroups]]
name = "analytics"
databases = {{ "{db}" = "{db}" }}
[[clusters]]
identifier = "prod-cluster"
databases = {{ "{db}" = "{db}" }}
[[secrets]]
name = "redshift/app"
secret_string = '{{"username":"app_user","password":"app-pass"}}'
)",
                       fmt::arg("server", server), fmt::arg("port", pg.port()),
                       fmt::arg("superuser", pg.superuser()), fmt::arg("limits", limits),
                       fmt::arg("db", *database_));
  }

  Emu Start(const std::string& config_text, const std::vector<std::string>& extra_args = {}) {
    Emu emu;
    emu.dir = std::make_unique<TempDir>("emu");
    WriteFile(*emu.dir / "emulator.toml", config_text);
    ChildProcess::Options o;
    o.argv = {(BinDir() / "aws-emulator").string(),
              "--config",
              (*emu.dir / "emulator.toml").string(),
              "--port",
              "0",
              "--admin-port",
              "0",
              "--statement-log",
              (*emu.dir / "statements.jsonl").string()};
    for (const std::string& a : extra_args) o.argv.push_back(a);
    o.log_path = *emu.dir / "emulator.log";
    auto proc = ChildProcess::Start(o);
    EXPECT_TRUE(proc.ok()) << proc.status();
    if (!proc.ok()) return emu;
    emu.proc = std::move(proc.value());
    auto log = emu.proc->WaitForLog("\"event\":\"listening\"", std::chrono::seconds(20));
    EXPECT_TRUE(log.ok()) << log.status() << "\n" << emu.proc->Log();
    if (!log.ok()) return emu;
    std::smatch m;
    std::string text = *log;
    if (std::regex_search(
            text, m,
            std::regex(
                R"(\{"admin_port":(\d+),"event":"listening","port":(\d+),"tls":(true|false)\})"))) {
      emu.admin_port = std::stoi(m[1].str());
      emu.port = std::stoi(m[2].str());
      emu.tls = m[3].str() == "true";
    }
    EXPECT_GT(emu.port, 0) << text;
    return emu;
  }

  // Runs tests/js/emulator/<script> against `emu`; returns its exit status and prints its output.
  int RunNode(const Emu& emu, const std::string& script,
              const std::map<std::string, std::string>& extra_env = {}) {
    PgCluster& pg = SharedPgCluster();
    std::map<std::string, std::string> env = {
        {"AWS_ENDPOINT_URL",
         fmt::format("{}://127.0.0.1:{}", emu.tls ? "https" : "http", emu.port)},
        {"AWS_REGION", "us-east-1"},
        {"AWS_ACCESS_KEY_ID", "AKIAALICE0000000000"},
        {"AWS_SECRET_ACCESS_KEY", "alice-secret-key"},
        {"AWS_EC2_METADATA_DISABLED", "true"},
        {"AWS_CONFIG_FILE", (*emu.dir / "no-aws-config").string()},
        {"AWS_SHARED_CREDENTIALS_FILE", (*emu.dir / "no-aws-credentials").string()},
        {"NODE_NO_WARNINGS", "1"},
        {"EMU_ADMIN", fmt::format("http://127.0.0.1:{}", emu.admin_port)},
        {"EMU_ACCOUNT", "123456789012"},
        {"EMU_DATABASE", *database_},  // mapped to the PostgreSQL database of the same name
        {"EMU_WORKGROUP", "analytics"},
        {"EMU_CLUSTER", "prod-cluster"},
        {"EMU_ALICE_KEY", "AKIAALICE0000000000"},
        {"EMU_ALICE_SECRET", "alice-secret-key"},
        {"EMU_BOB_KEY", "AKIABOB000000000000"},
        {"EMU_BOB_SECRET", "bob-secret-key"},
        {"EMU_CAROL_KEY", "AKIACAROL0000000000"},
        {"EMU_CAROL_SECRET", "carol-secret-key"},
        {"EMU_STATEMENT_LOG", (*emu.dir / "statements.jsonl").string()},
        {"PGHOST", "127.0.0.1"},
        {"PGPORT", std::to_string(pg.port())},
        {"PGUSER", pg.superuser()},
        {"PGDATABASE", *database_},
        {"PSQL", pg.BinDir() + "/psql"},
    };
    for (const auto& [k, v] : extra_env) env[k] = v;
    ChildProcess::Options o;
    o.argv = {"/usr/bin/env", "node", (SourceDir() / "tests/js/emulator" / script).string()};
    o.env = env;
    o.log_path = *emu.dir / (script + ".log");
    o.working_dir = SourceDir() / "tests/js";
    auto proc = ChildProcess::Start(o);
    EXPECT_TRUE(proc.ok()) << proc.status();
    if (!proc.ok()) return -1;
    auto status = (*proc)->Wait(std::chrono::seconds(240));
    std::string out = (*proc)->Log();
    std::cout << "---- " << script << " ----\n" << out;
    if (!status.ok()) {
      std::cout << "(timed out; emulator log follows)\n" << emu.proc->Log();
      return -1;
    }
    if (*status != 0) std::cout << "---- emulator log ----\n" << emu.proc->Log();
    return WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
  }

  static std::string* database_;
};

std::string* EmulatorIntegrationTest::database_ = nullptr;

TEST_F(EmulatorIntegrationTest, DataApiOperationsParseAndPaginatorsWalkAllPages) {
  Emu emu = Start(Config("result_page_rows = 2\nlist_page_size = 2\nmetadata_page_size = 3\n"));
  ASSERT_GT(emu.port, 0);
  EXPECT_EQ(RunNode(emu, "data_api.mjs"), 0);
}

TEST_F(EmulatorIntegrationTest, AuthModesRunAsMappedUsersAndDenialsUseAwsErrors) {
  Emu emu = Start(Config(""));
  ASSERT_GT(emu.port, 0);
  EXPECT_EQ(RunNode(emu, "auth.mjs"), 0);
}

TEST_F(EmulatorIntegrationTest, StsSecretsManagerServerlessAndRedshiftOperations) {
  Emu emu = Start(Config(""));
  ASSERT_GT(emu.port, 0);
  EXPECT_EQ(RunNode(emu, "services.mjs"), 0);
}

TEST_F(EmulatorIntegrationTest, InjectedFaultsAreRetriedBySdkAndObservable) {
  Emu emu = Start(Config(""));
  ASSERT_GT(emu.port, 0);
  EXPECT_EQ(RunNode(emu, "faults.mjs"), 0);
}

TEST_F(EmulatorIntegrationTest, ActiveStatementAndSessionLimitsGiveNamedExceptions) {
  Emu emu = Start(Config("max_active_statements = 2\nmax_active_sessions = 1\n"));
  ASSERT_GT(emu.port, 0);
  EXPECT_EQ(RunNode(emu, "limits.mjs"), 0);
}

TEST_F(EmulatorIntegrationTest, ResultsEqualWhatPsqlReads) {
  Emu emu = Start(Config("result_page_rows = 2\n"));
  ASSERT_GT(emu.port, 0);
  EXPECT_EQ(RunNode(emu, "psql.mjs"), 0);
}

TEST_F(EmulatorIntegrationTest, RedshiftCatalogObjectsAndFixtures) {
  Emu emu = Start(Config(""));
  ASSERT_GT(emu.port, 0);
  EXPECT_EQ(RunNode(emu, "catalog.mjs"), 0);
}

TEST_F(EmulatorIntegrationTest, RedshiftRulesAndDataApiLimits) {
  // The result cap is lowered to 4 MB (AWS: 500 MB) so the script can pass it cheaply.
  Emu emu = Start(Config("max_result_bytes = 4000000"));
  ASSERT_GT(emu.port, 0);
  EXPECT_EQ(RunNode(emu, "redshift_rules.mjs"), 0);
}

TEST_F(EmulatorIntegrationTest, UnsupportedDdlIsRefusedOnlyInDataApiSessionsAndSwitchesOff) {
  // Start-up installs the event triggers; fixture setup straight on PostgreSQL still runs DDL
  // Redshift lacks, and a session that asks for Redshift's rules (as the Data API's do) is
  // refused with the emulator's text.
  Emu emu = Start(Config("redshift_sql_rules = false"));
  ASSERT_GT(emu.port, 0);
  PgCluster& pg = SharedPgCluster();
  EXPECT_TRUE(
      pg.Exec(*database_, "CREATE SEQUENCE public.fixture_ids; DROP SEQUENCE public.fixture_ids;")
          .ok());
  Status refused =
      pg.Exec(*database_, "SET emulator.redshift_sql_rules = on; CREATE SEQUENCE public.ruled_ids");
  EXPECT_FALSE(refused.ok());
  EXPECT_NE(refused.message().find("CREATE SEQUENCE is not supported by Amazon Redshift "
                                   "(unsupported PostgreSQL feature: Sequences)."),
            std::string::npos)
      << refused;
  // With the setting off, the Data API's sessions do not ask for the rules.
  EXPECT_EQ(RunNode(emu, "ddl_rules_off.mjs"), 0);
}

TEST_F(EmulatorIntegrationTest, ServesHttpsWithGivenCertificate) {
  TempDir certs("emu-tls");
  std::string cmd = fmt::format(
      "openssl req -x509 -newkey rsa:2048 -nodes -keyout {0}/key.pem -out {0}/cert.pem -days 1 "
      "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1",
      certs.path().string());
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  Emu emu = Start(Config(""), {"--tls-cert", (certs / "cert.pem").string(), "--tls-key",
                               (certs / "key.pem").string()});
  ASSERT_GT(emu.port, 0);
  ASSERT_TRUE(emu.tls);
  EXPECT_EQ(RunNode(emu, "tls.mjs", {{"NODE_EXTRA_CA_CERTS", (certs / "cert.pem").string()}}), 0);
}

TEST_F(EmulatorIntegrationTest, StopsGracefullyWhileStatementsRunAndClientsLongPoll) {
  Emu emu = Start(Config(""));
  ASSERT_GT(emu.port, 0);
  PgCluster& pg = SharedPgCluster();
  ChildProcess::Options o;
  o.argv = {"/usr/bin/env", "node", (SourceDir() / "tests/js/emulator/longpoll.mjs").string()};
  o.env = {{"AWS_ENDPOINT_URL", fmt::format("http://127.0.0.1:{}", emu.port)},
           {"AWS_REGION", "us-east-1"},
           {"EMU_ALICE_KEY", "AKIAALICE0000000000"},
           {"EMU_ALICE_SECRET", "alice-secret-key"},
           {"EMU_DATABASE", *database_},
           {"EMU_WORKGROUP", "analytics"},
           {"EMU_CLUSTER", "prod-cluster"},
           {"NODE_NO_WARNINGS", "1"},
           {"PGPORT", std::to_string(pg.port())}};
  o.log_path = *emu.dir / "longpoll.log";
  o.working_dir = SourceDir() / "tests/js";
  auto client = ChildProcess::Start(o);
  ASSERT_TRUE(client.ok()) << client.status();
  auto polling = (*client)->WaitForLog("polling", std::chrono::seconds(60));
  ASSERT_TRUE(polling.ok()) << polling.status() << (*client)->Log();
  // SIGTERM: the emulator cancels the running statement, releases the long poll and exits 0
  // within the grace period (otherwise Stop() would have to SIGKILL it).
  int status = emu.proc->Stop(std::chrono::milliseconds(20000));
  EXPECT_TRUE(WIFEXITED(status)) << emu.proc->Log();
  EXPECT_EQ(WEXITSTATUS(status), 0) << emu.proc->Log();
  EXPECT_NE(emu.proc->Log().find("\"event\":\"stopped\""), std::string::npos);
  (*client)->Stop();
}

TEST_F(EmulatorIntegrationTest, RefusesToStartWhenPostgresIsUnreachable) {
  std::string config = Config("");
  config = std::regex_replace(config, std::regex("port = \\d+\\nsuperuser"),
                              fmt::format("port = {}\nsuperuser", FreePort()));
  TempDir dir("emu-bad");
  WriteFile(dir / "emulator.toml", config);
  ChildProcess::Options o;
  o.argv = {(BinDir() / "aws-emulator").string(), "--config", (dir / "emulator.toml").string(),
            "--port", "0"};
  o.log_path = dir / "log";
  auto proc = ChildProcess::Start(o);
  ASSERT_TRUE(proc.ok());
  auto status = (*proc)->Wait(std::chrono::seconds(30));
  ASSERT_TRUE(status.ok());
  EXPECT_NE(WEXITSTATUS(*status), 0);
  EXPECT_NE((*proc)->Log().find("cannot connect to PostgreSQL database"), std::string::npos)
      << (*proc)->Log();
}

}  // namespace
}  // namespace schemaport::testing
