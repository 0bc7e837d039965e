// The Redshift connector against the aws-emulator on a private PostgreSQL: every auth mode,
// connection test failures and their fixes, the catalog as stored (names, kinds, types), never
// the data, faults, cancellation, selection, and the `schemaport warehouse` commands.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <sstream>
#include <thread>

#include "aws/aws.h"
#include "cli/cli.h"
#include "support/support.h"
#include "warehouse/redshift/redshift.h"
#include "warehouse/warehouse.h"

namespace schemaport::testing {
namespace {

using namespace std::chrono_literals;
using warehouse::Catalog;
using warehouse::ConnectionSettings;
using warehouse::FetchDepth;
using warehouse::FetchRequest;
using warehouse::StepStatus;
using warehouse::TableKind;
using warehouse::TestReport;

constexpr char kAliceKey[] = "AKIAALICE0000000000";
constexpr char kAliceSecret[] = "alice-secret-key-0000000000000000000000";

// A warehouse with the shapes that trip connectors: quoted, mixed-case, unicode and 127-byte
// names, every kind of relation, comments, defaults, and tables the user may not read.
// PostgreSQL keeps identifiers to 63 bytes (Redshift: 127), so the longest local name here is
// 63 bytes; a 127-byte name comes through the datashare views, which hold varchar(128).
std::string LongName(std::size_t bytes) {
  std::string name;
  while (name.size() + 2 <= bytes) name += "é";  // two bytes each
  while (name.size() < bytes) name += 'x';
  return name;
}

std::string FixtureSql() {
  const std::string long_name = LongName(63);
  return R"sql(
CREATE ROLE analyst LOGIN;
CREATE ROLE app_user LOGIN PASSWORD 'app-pass';
CREATE SCHEMA sales;
CREATE TABLE sales.orders (
  id bigint NOT NULL,
  amount numeric(38,2) DEFAULT 0,
  code character(3),
  note character varying(65535),
  created date,
  at timestamp without time zone,
  at_tz timestamp with time zone,
  t time without time zone,
  ttz time with time zone,
  ratio double precision,
  small smallint,
  flag boolean,
  r real,
  payload bytea);
COMMENT ON TABLE sales.orders IS 'one row per order';
COMMENT ON COLUMN sales.orders.amount IS 'in EUR';
INSERT INTO sales.orders (id, amount) VALUES (1, 10), (2, 20);
CREATE VIEW sales.big_orders AS SELECT id, amount FROM sales.orders WHERE amount > 15;
SELECT pg_catalog.emulator_create_materialized_view('sales', 'order_totals',
  'SELECT count(*) AS n FROM sales.orders');
CREATE VIEW sales.late AS SELECT 1 AS placeholder;
CREATE TABLE sales.secret_stuff (x int);
CREATE TABLE sales.partial (visible int, hidden int);
GRANT SELECT (visible) ON sales.partial TO PUBLIC;
CREATE TABLE sales.empty_keyed (k int, at date);
GRANT SELECT ON sales.empty_keyed TO PUBLIC;
INSERT INTO pg_catalog.emulator_table_keys VALUES
  ('sales', 'orders', 'id', true, 1), ('sales', 'orders', 'created', false, 2),
  ('sales', 'empty_keyed', 'k', true, 0), ('sales', 'empty_keyed', 'at', false, 1);
CREATE TABLE sales.modern (doc super, shape geometry, place geography, sketch hllsketch, bytes varbyte,
  amount numeric(38,10), c char(1), v varchar(65535), tz timestamptz, ttz timetz);
GRANT SELECT ON sales.modern TO PUBLIC;
CREATE SCHEMA "Mixed ""Case"" Schema";
CREATE TABLE "Mixed ""Case"" Schema"."Table With Spaces" ("Col.Dot" int, "ünïcödé" text);
CREATE SCHEMA "données";
CREATE TABLE "données".")sql" +
         long_name + R"sql(" ("id" int);
CREATE SCHEMA private;
CREATE TABLE private.hidden (x int);
GRANT USAGE ON SCHEMA sales, "Mixed ""Case"" Schema", "données" TO PUBLIC;
GRANT SELECT ON sales.orders, sales.big_orders, sales.order_totals, sales.late,
  "Mixed ""Case"" Schema"."Table With Spaces", "données".")sql" +
         long_name + R"sql(" TO PUBLIC;
INSERT INTO pg_catalog.emulator_late_binding_view_cols VALUES
  ('sales', 'late', 'customer_id', 'integer', 1),
  ('sales', 'late', 'name', 'character varying(256)', 2);
INSERT INTO pg_catalog.emulator_external_schemas (schemaname, databasename) VALUES ('spectrum', 'ext_db');
INSERT INTO pg_catalog.emulator_external_tables (redshift_database_name, schemaname, tablename, location)
  VALUES (current_database(), 'spectrum', 'events', 's3://bucket/events/'),
         ('other_db', 'spectrum', 'events', 's3://other/events/'),
         ('other_db', 'spectrum', 'only_elsewhere', 's3://other/x/');
INSERT INTO pg_catalog.emulator_external_columns (redshift_database_name, schemaname, tablename, columnname,
  external_type, columnnum)
  VALUES (current_database(), 'spectrum', 'events', 'ts', 'timestamp', 1),
         (current_database(), 'spectrum', 'events', 'payload', 'struct<a:int>', 2),
         ('other_db', 'spectrum', 'events', 'elsewhere', 'int', 1),
         ('other_db', 'spectrum', 'only_elsewhere', 'x', 'int', 1);
INSERT INTO pg_catalog.emulator_datashares (share_name, consumer_database, producer_account, producer_namespace,
  share_acl)
  VALUES ('salesshare', 'sales_share', '210987654321', 'b1f6d9e2-4c1b-4a7e-9d36-6f0e1c2b3a4d', 'IAM:alice=U/admin');
INSERT INTO pg_catalog.emulator_datashare_tables (database_name, schema_name, table_name, table_type, remarks)
  VALUES ('sales_share', 'shared', 'customers', 'TABLE', 'from the producer');
INSERT INTO pg_catalog.emulator_datashare_columns (database_name, schema_name, table_name, column_name,
  ordinal_position, data_type, is_nullable)
  VALUES ('sales_share', 'shared', 'customers', 'id', 1, 'integer', 'NO');
INSERT INTO pg_catalog.emulator_datashare_tables (database_name, schema_name, table_name)
  VALUES ('sales_share', 'shared', ')sql" +
         LongName(127) + R"sql(');
INSERT INTO pg_catalog.emulator_datashare_columns (database_name, schema_name, table_name, column_name,
  ordinal_position, data_type)
  VALUES ('sales_share', 'shared', ')sql" +
         LongName(127) + R"sql(', ')sql" + LongName(127) + R"sql(', 1, 'super');
)sql";
}

class RedshiftConnectorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    PgCluster& pg = SharedPgCluster();
    auto db = pg.CreateDatabase("dev");
    ASSERT_TRUE(db.ok()) << db.status();
    database_ = new std::string(*db);
    auto locked = pg.CreateDatabase("locked");
    ASSERT_TRUE(locked.ok()) << locked.status();
    locked_database_ = new std::string(*locked);
    // A database where nobody but the owner may read anything.
    ASSERT_TRUE(pg.Exec(*locked_database_,
                        "CREATE SCHEMA vault; CREATE TABLE vault.gold (bars int); "
                        "REVOKE ALL ON SCHEMA public FROM PUBLIC")
                    .ok());
    // The emulator installs its catalog objects on start; start one once so fixtures can fill them.
    auto emu = Emulator::Start(Config(""));
    ASSERT_TRUE(emu.ok()) << emu.status();
    Status st = pg.Exec(*database_, FixtureSql());
    ASSERT_TRUE(st.ok()) << st;
  }
  static void TearDownTestSuite() {
    delete database_;
    database_ = nullptr;
    delete locked_database_;
    locked_database_ = nullptr;
  }

  static std::string Config(const std::string& extra) {
    PgCluster& pg = SharedPgCluster();
    return fmt::format(R"(account_id = "123456789012"
region = "us-east-1"
seed = 7
[postgres]
host = "127.0.0.1"
port = {port}
superuser = "{superuser}"
{extra}
[[users]]
name = "alice"
access_key_id = "{alice_key}"
secret_access_key = "{alice_secret}"
allow = ["redshift-data:*", "redshift-serverless:GetCredentials", "redshift:GetClusterCredentials",
         "redshift:GetClusterCredentialsWithIAM", "secretsmanager:GetSecretValue"]
[[users]]
name = "bob"
access_key_id = "AKIABOB000000000000"
secret_access_key = "bob-secret-key-00000000000000000000000000"
allow = ["redshift-data:*"]
[[users]]
name = "carol"
access_key_id = "AKIACAROL0000000000"
secret_access_key = "carol-secret-key-000000000000000000000000"
allow = ["redshift-serverless:GetCredentials"]
[[workgroups]]
name = "analytics"
databases = {{ "{db}" = "{db}" }}
[[clusters]]
identifier = "prod-cluster"
databases = {{ "{db}" = "{db}", "{locked}" = "{locked}" }}
[[secrets]]
name = "redshift/app"
secret_string = '{{"username":"app_user","password":"app-pass"}}'
)",
                       fmt::arg("port", pg.port()), fmt::arg("superuser", pg.superuser()),
                       fmt::arg("extra", extra), fmt::arg("alice_key", kAliceKey),
                       fmt::arg("alice_secret", kAliceSecret), fmt::arg("db", *database_),
                       fmt::arg("locked", *locked_database_));
  }

  void SetUp() override {
    auto emu = Emulator::Start(Config(extra_config_));
    ASSERT_TRUE(emu.ok()) << emu.status();
    emu_ = std::move(emu).value();
    auto http = aws::CurlHttpClient::Create({});
    ASSERT_TRUE(http.ok());
    deps_.http = std::shared_ptr<aws::HttpClient>(std::move(http).value());
    deps_.endpoints.endpoint_url = emu_->EndpointUrl();
    deps_.clock = &clock_;
    deps_.random = &random_;
    deps_.session_keep_alive_seconds = 1;
    ASSERT_TRUE(registry_.Register(warehouse::redshift::MakeConnectorType(deps_)).ok());
  }

  ConnectionSettings Settings(const std::string& key = kAliceKey,
                              const std::string& secret = kAliceSecret) {
    ConnectionSettings s;
    s.values["access_key_id"] = key;
    s.secrets["secret_access_key"] = Secret(secret);
    s.values["region"] = "us-east-1";
    s.values["workgroup"] = "analytics";
    s.values["database"] = *database_;
    return s;
  }

  std::unique_ptr<warehouse::Connector> Connector(const ConnectionSettings& s) {
    auto c = registry_.Create("redshift", s);
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? std::move(c).value() : nullptr;
  }

  TestReport RunTest(const ConnectionSettings& s) {
    auto connector = Connector(s);
    if (connector == nullptr) return {};
    auto report = connector->Test();
    EXPECT_TRUE(report.ok()) << report.status();
    return report.ok() ? *report : TestReport{};
  }

  static const warehouse::TestStep& StepOf(const TestReport& r, std::string_view id) {
    for (const auto& s : r.steps) {
      if (s.id == id) return s;
    }
    static const warehouse::TestStep kMissing{"missing", "", StepStatus::kSkipped, "", ""};
    return kMissing;
  }

  static std::string Describe(const TestReport& r) {
    std::string out;
    for (const auto& s : r.steps) {
      out += s.id + "=" + std::string(warehouse::StepStatusName(s.status)) + " [" + s.detail +
             "] fix: " + s.fix + "\n";
    }
    return out;
  }

  Catalog MustFetch(const ConnectionSettings& s, FetchRequest request) {
    auto connector = Connector(s);
    if (connector == nullptr) return {};
    if (request.databases.empty() && !request.selection) request.databases = {*database_};
    auto catalog = connector->Fetch(request);
    EXPECT_TRUE(catalog.ok()) << catalog.status();
    return catalog.ok() ? *catalog : Catalog{};
  }

  // seq_scan + idx_scan of every user table, by name.
  std::map<std::string, std::int64_t> ScanCounters() {
    auto rows = SharedPgCluster().Query(*database_,
                                        "SELECT schemaname || '.' || relname, seq_scan + "
                                        "coalesce(idx_scan, 0) FROM pg_stat_user_tables");
    EXPECT_TRUE(rows.ok()) << rows.status();
    std::map<std::string, std::int64_t> out;
    if (rows.ok()) {
      for (const auto& r : *rows) out[r[0]] = std::stoll(r[1]);
    }
    return out;
  }

  // Waits until no other backend is connected to the test database, so their statistics are
  // flushed (a backend reports its table counters when it exits).
  void WaitForBackendsToEnd() {
    const bool ended = WaitUntil(
        [&] {
          auto rows = SharedPgCluster().Query(
              "postgres",
              "SELECT count(*) FROM pg_stat_activity WHERE datname = '" + *database_ + "'");
          return rows.ok() && (*rows)[0][0] == "0";
        },
        60s);
    EXPECT_TRUE(ended) << "sessions to the test database did not end";
  }

  static const warehouse::Table* FindTable(const Catalog& c, std::string_view schema,
                                           std::string_view table) {
    for (const auto& d : c.databases) {
      for (const auto& s : d.schemas) {
        if (s.name != schema) continue;
        for (const auto& t : s.tables) {
          if (t.name == table) return &t;
        }
      }
    }
    return nullptr;
  }

  static std::string* database_;
  static std::string* locked_database_;
  std::string extra_config_;
  std::unique_ptr<Emulator> emu_;
  SystemClock clock_;
  SystemRandom random_;
  warehouse::redshift::Dependencies deps_;
  warehouse::ConnectorRegistry registry_;
};

std::string* RedshiftConnectorTest::database_ = nullptr;
std::string* RedshiftConnectorTest::locked_database_ = nullptr;

TEST_F(RedshiftConnectorTest, ServerlessConnectionTestPassesEveryStep) {
  auto connector = Connector(Settings());
  ASSERT_NE(connector, nullptr);
  auto report = connector->Test();
  ASSERT_TRUE(report.ok()) << report.status();
  for (const auto& s : report->steps) {
    EXPECT_EQ(s.status, StepStatus::kOk) << s.id << ": " << s.detail << " / " << s.fix;
  }
  EXPECT_EQ(report->steps.size(), 6u);
  EXPECT_NE(report->steps[0].detail.find("IAM:alice"), std::string::npos)
      << report->steps[0].detail;
}

TEST_F(RedshiftConnectorTest, FetchReadsTheCatalogExactlyAsStored) {
  auto connector = Connector(Settings());
  ASSERT_NE(connector, nullptr);
  FetchRequest request;
  request.databases = {*database_, "sales_share"};
  auto catalog = connector->Fetch(request);
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  const auto* orders = FindTable(*catalog, "sales", "orders");
  ASSERT_NE(orders, nullptr);
  EXPECT_EQ(orders->comment, "one row per order");
  EXPECT_TRUE(orders->can_select);
  ASSERT_EQ(orders->columns.size(), 14u);
  EXPECT_EQ(orders->columns[1].type, "numeric(38,2)");
  EXPECT_EQ(orders->columns[1].comment, "in EUR");
  EXPECT_EQ(orders->columns[3].type, "character varying(65535)");
  EXPECT_FALSE(orders->columns[0].nullable);
  const auto* modern = FindTable(*catalog, "sales", "modern");
  ASSERT_NE(modern, nullptr);
  std::vector<std::pair<std::string, std::string>> types;
  for (const auto& c : modern->columns)
    types.emplace_back(c.type, std::string(warehouse::TypeFamilyName(c.family)));
  EXPECT_EQ(types, (std::vector<std::pair<std::string, std::string>>{
                       {"super", "semi_structured"},
                       {"geometry", "spatial"},
                       {"geography", "spatial"},
                       {"hllsketch", "sketch"},
                       {"varbyte", "binary"},
                       {"numeric(38,10)", "decimal"},
                       {"character(1)", "string"},
                       {"character varying(65535)", "string"},
                       {"timestamp with time zone", "timestamp"},
                       {"time with time zone", "time"}}));
  const auto* late = FindTable(*catalog, "sales", "late");
  ASSERT_NE(late, nullptr);
  EXPECT_EQ(late->kind, TableKind::kLateBindingView);
  ASSERT_EQ(late->columns.size(), 2u);
  EXPECT_EQ(late->columns[1].type, "character varying(256)");
  // A materialized view is a view with a backing table on Redshift: the view is the MV, the
  // backing table is not a user table.
  ASSERT_NE(FindTable(*catalog, "sales", "order_totals"), nullptr);
  EXPECT_EQ(FindTable(*catalog, "sales", "order_totals")->kind, TableKind::kMaterializedView);
  EXPECT_EQ(FindTable(*catalog, "sales", "mv_tbl__order_totals__0"), nullptr);
  // Keys come from svv_redshift_columns, which every user reads, even for empty tables.
  EXPECT_TRUE(orders->columns[0].dist_key);
  EXPECT_EQ(orders->columns[0].sort_key_position, 1);
  EXPECT_EQ(orders->columns[4].sort_key_position, 2);
  const auto* empty_keyed = FindTable(*catalog, "sales", "empty_keyed");
  ASSERT_NE(empty_keyed, nullptr);
  EXPECT_TRUE(empty_keyed->columns[0].dist_key);
  EXPECT_EQ(empty_keyed->columns[1].sort_key_position, 1);
  // SELECT on some columns: has_table_privilege says no, yet the table is readable.
  ASSERT_NE(FindTable(*catalog, "sales", "partial"), nullptr);
  EXPECT_TRUE(FindTable(*catalog, "sales", "partial")->can_select);
  EXPECT_EQ(FindTable(*catalog, "sales", "big_orders")->kind, TableKind::kView);
  EXPECT_FALSE(FindTable(*catalog, "sales", "secret_stuff")->can_select);
  const auto* spaced = FindTable(*catalog, "Mixed \"Case\" Schema", "Table With Spaces");
  ASSERT_NE(spaced, nullptr);
  EXPECT_EQ(spaced->columns[0].name, "Col.Dot");
  EXPECT_EQ(spaced->columns[1].name, "ünïcödé");
  EXPECT_NE(FindTable(*catalog, "données", LongName(63)), nullptr);
  const auto* long_shared = FindTable(*catalog, "shared", LongName(127));
  ASSERT_NE(long_shared, nullptr);
  ASSERT_EQ(long_shared->columns.size(), 1u);
  EXPECT_EQ(long_shared->columns[0].name, LongName(127));
  EXPECT_EQ(long_shared->columns[0].family, warehouse::TypeFamily::kSemiStructured);
  const auto* events = FindTable(*catalog, "spectrum", "events");
  ASSERT_NE(events, nullptr);
  EXPECT_EQ(events->kind, TableKind::kExternalTable);
  // svv_external_* also list other databases' external tables: none of them belong here.
  ASSERT_EQ(events->columns.size(), 2u) << "columns of another database's table were merged";
  EXPECT_EQ(FindTable(*catalog, "spectrum", "only_elsewhere"), nullptr);
  const auto* customers = FindTable(*catalog, "shared", "customers");
  ASSERT_NE(customers, nullptr);
  EXPECT_EQ(customers->columns.size(), 1u);
}

TEST_F(RedshiftConnectorTest, DatashareDatabasesAreReadFromTheConnectedDatabase) {
  // sales_share is a consumer database: no workgroup maps it, it cannot be connected to, and
  // the catalog lists it with its producer.
  FetchRequest request;
  request.depth = FetchDepth::kTables;
  request.databases = {*database_, "sales_share"};
  Catalog c = MustFetch(Settings(), request);
  ASSERT_EQ(c.databases.size(), 2u);
  const warehouse::Database* share = nullptr;
  for (const auto& d : c.databases) {
    if (d.name == "sales_share") share = &d;
  }
  ASSERT_NE(share, nullptr);
  ASSERT_EQ(share->schemas.size(), 1u);
  EXPECT_EQ(share->schemas[0].kind, warehouse::SchemaKind::kDatashare);
  EXPECT_EQ(share->schemas[0].source, "210987654321/b1f6d9e2-4c1b-4a7e-9d36-6f0e1c2b3a4d");
  EXPECT_EQ(share->schemas[0].tables.size(), 2u);
  // And nothing of it shows up in the connected database.
  for (const auto& d : c.databases) {
    if (d.name != *database_) continue;
    for (const auto& s : d.schemas) EXPECT_NE(s.name, "shared");
  }
  // Without a database list, the datashare database is found through the catalog.
  FetchRequest all;
  all.depth = FetchDepth::kTables;
  all.include = {"sales_share.*"};
  auto connector = Connector(Settings());
  ASSERT_NE(connector, nullptr);
  auto listed = connector->Fetch(all);
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->databases.size(), 1u);
  EXPECT_EQ(listed->databases[0].name, "sales_share");
}

TEST_F(RedshiftConnectorTest, PatternsIgnoreCaseUnlessCaseSensitiveIdentifiersAreOn) {
  std::string upper = *database_;
  for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  FetchRequest request;
  request.depth = FetchDepth::kTables;
  request.include = {upper + ".SALES.ORDERS"};
  Catalog folded = MustFetch(Settings(), request);
  EXPECT_EQ(folded.TableCount(), 1u) << "enable_case_sensitive_identifier is off by default";
  EXPECT_FALSE(folded.case_sensitive) << "the catalog tells the service how names compare";
  // The parameter on for the database (as a parameter group sets it): names compare exactly.
  PgCluster& pg = SharedPgCluster();
  ASSERT_TRUE(pg.Exec(*database_, "ALTER DATABASE " + QuoteSqlIdentifier(*database_) +
                                      " SET emulator.enable_case_sensitive_identifier = on")
                  .ok());
  Catalog exact = MustFetch(Settings(), request);
  ASSERT_TRUE(pg.Exec(*database_, "ALTER DATABASE " + QuoteSqlIdentifier(*database_) +
                                      " RESET emulator.enable_case_sensitive_identifier")
                  .ok());
  EXPECT_EQ(exact.TableCount(), 0u);
  EXPECT_TRUE(exact.case_sensitive);
}

TEST_F(RedshiftConnectorTest, EveryAuthModePassesTheConnectionTest) {
  auto cluster_user = Settings();
  cluster_user.values.erase("workgroup");
  cluster_user.values["cluster_identifier"] = "prod-cluster";
  cluster_user.values["database_user"] = "analyst";
  TestReport r = RunTest(cluster_user);
  EXPECT_TRUE(r.ok()) << Describe(r);
  EXPECT_NE(StepOf(r, "temporary_credentials").detail.find("redshift:GetClusterCredentials"),
            std::string::npos);
  EXPECT_NE(StepOf(r, "database").detail.find("analyst"), std::string::npos) << Describe(r);

  auto cluster_iam = cluster_user;
  cluster_iam.values.erase("database_user");
  r = RunTest(cluster_iam);
  EXPECT_TRUE(r.ok()) << Describe(r);
  EXPECT_NE(StepOf(r, "database").detail.find("IAM:alice"), std::string::npos) << Describe(r);

  // The secret's ARN as Secrets Manager reports it.
  auto http = aws::CurlHttpClient::Create({});
  ASSERT_TRUE(http.ok());
  aws::ClientConfig config;
  config.region = "us-east-1";
  config.endpoints.endpoint_url = emu_->EndpointUrl();
  aws::Credentials creds;
  creds.access_key_id = kAliceKey;
  creds.secret_access_key = Secret(kAliceSecret);
  auto sm = aws::SecretsManagerClient::Create(
      config, std::shared_ptr<aws::HttpClient>(std::move(http).value()),
      std::make_shared<aws::StaticCredentialsProvider>(creds), clock_, random_);
  ASSERT_TRUE(sm.ok()) << sm.status();
  auto secret = (*sm)->GetSecretValue("redshift/app");
  ASSERT_TRUE(secret.ok()) << secret.status();
  auto with_secret = Settings();
  with_secret.values["secret_arn"] = secret->arn;
  r = RunTest(with_secret);
  EXPECT_TRUE(r.ok()) << Describe(r);
  EXPECT_NE(StepOf(r, "database").detail.find("app_user"), std::string::npos) << Describe(r);
}

TEST_F(RedshiftConnectorTest, WrongSecretKeyFailsTheCredentialsStepAndSkipsTheRest) {
  TestReport r = RunTest(Settings(kAliceKey, "wrong-secret-key-0000000000000000000000"));
  const auto& step = StepOf(r, "credentials");
  EXPECT_EQ(step.status, StepStatus::kFailed) << Describe(r);
  EXPECT_NE(step.fix.find("Access Key ID and Secret Key"), std::string::npos);
  EXPECT_EQ(StepOf(r, "database").status, StepStatus::kSkipped);
  EXPECT_EQ(Describe(r).find("wrong-secret-key"), std::string::npos) << "the secret leaked";
}

TEST_F(RedshiftConnectorTest, MissingDataApiPermissionNamesTheActions) {
  TestReport r =
      RunTest(Settings("AKIACAROL0000000000", "carol-secret-key-000000000000000000000000"));
  EXPECT_EQ(StepOf(r, "credentials").status, StepStatus::kOk) << Describe(r);
  const auto& step = StepOf(r, "data_api");
  EXPECT_EQ(step.status, StepStatus::kFailed) << Describe(r);
  EXPECT_NE(step.detail.find("redshift-data:DescribeStatement"), std::string::npos) << step.detail;
  EXPECT_NE(step.fix.find("redshift-data:ExecuteStatement"), std::string::npos);
}

TEST_F(RedshiftConnectorTest, MissingTemporaryCredentialsPermissionNamesTheActionForEachMode) {
  const auto bob = Settings("AKIABOB000000000000", "bob-secret-key-00000000000000000000000000");
  TestReport r = RunTest(bob);
  const auto& step = StepOf(r, "temporary_credentials");
  EXPECT_EQ(step.status, StepStatus::kFailed) << Describe(r);
  EXPECT_NE(step.detail.find("AccessDenied"), std::string::npos) << step.detail;
  EXPECT_NE(step.fix.find("redshift-serverless:GetCredentials"), std::string::npos) << step.fix;
  EXPECT_EQ(StepOf(r, "database").status, StepStatus::kSkipped);

  auto cluster_user = bob;
  cluster_user.values.erase("workgroup");
  cluster_user.values["cluster_identifier"] = "prod-cluster";
  cluster_user.values["database_user"] = "analyst";
  r = RunTest(cluster_user);
  EXPECT_NE(StepOf(r, "temporary_credentials").fix.find("\"redshift:GetClusterCredentials\""),
            std::string::npos)
      << Describe(r);
  auto cluster_iam = cluster_user;
  cluster_iam.values.erase("database_user");
  r = RunTest(cluster_iam);
  EXPECT_NE(StepOf(r, "temporary_credentials").fix.find("redshift:GetClusterCredentialsWithIAM"),
            std::string::npos)
      << Describe(r);
}

TEST_F(RedshiftConnectorTest, NoSelectAnywherePrintsTheGrantThatFixesIt) {
  auto s = Settings();
  s.values.erase("workgroup");
  s.values["cluster_identifier"] = "prod-cluster";
  s.values["database_user"] = "analyst";
  s.values["database"] = *locked_database_;
  TestReport r = RunTest(s);
  EXPECT_EQ(StepOf(r, "catalog").status, StepStatus::kOk) << Describe(r);
  const auto& step = StepOf(r, "select_privilege");
  EXPECT_EQ(step.status, StepStatus::kFailed) << Describe(r);
  EXPECT_EQ(step.fix,
            "GRANT USAGE ON SCHEMA \"vault\" TO \"analyst\"; GRANT SELECT ON ALL TABLES IN SCHEMA "
            "\"vault\" TO \"analyst\";");
}

TEST_F(RedshiftConnectorTest, UnknownDatabaseFailsTheDatabaseStep) {
  auto s = Settings();
  s.values["database"] = "no_such_db";
  TestReport r = RunTest(s);
  EXPECT_FALSE(r.ok());
  // Whichever step meets the unknown database first fails, and its fix names the database.
  bool named = false;
  for (const auto& step : r.steps) {
    if (step.status == StepStatus::kFailed)
      named = step.fix.find("database name") != std::string::npos;
  }
  EXPECT_TRUE(named) << Describe(r);
  EXPECT_EQ(StepOf(r, "catalog").status, StepStatus::kSkipped);
}

TEST_F(RedshiftConnectorTest, EveryAuthModeFetchesTheSameCatalogForItsUser) {
  Catalog serverless = MustFetch(Settings(), {});
  auto cluster_iam = Settings();
  cluster_iam.values.erase("workgroup");
  cluster_iam.values["cluster_identifier"] = "prod-cluster";
  Catalog iam = MustFetch(cluster_iam, {});
  EXPECT_EQ(serverless, iam);  // both run as IAM:alice
  auto cluster_user = cluster_iam;
  cluster_user.values["database_user"] = "analyst";
  Catalog analyst = MustFetch(cluster_user, {});
  EXPECT_EQ(analyst.TableCount(), serverless.TableCount());
}

TEST_F(RedshiftConnectorTest, TablesDepthReadsNoColumns) {
  FetchRequest request;
  request.depth = FetchDepth::kTables;
  Catalog c = MustFetch(Settings(), request);
  EXPECT_GT(c.TableCount(), 5u);
  EXPECT_EQ(c.ColumnCount(), 0u);
  EXPECT_EQ(FindTable(c, "sales", "late")->kind, TableKind::kLateBindingView);
  EXPECT_EQ(FindTable(c, "spectrum", "events")->kind, TableKind::kExternalTable);
}

TEST_F(RedshiftConnectorTest, SelectionReturnsOnlyTheSelectedTables) {
  FetchRequest request;
  request.selection = std::set<warehouse::TableRef>{{*database_, "sales", "orders"},
                                                    {*database_, "spectrum", "events"},
                                                    {*database_, "sales", "late"}};
  Catalog c = MustFetch(Settings(), request);
  EXPECT_EQ(c.TableCount(), 3u);
  EXPECT_EQ(FindTable(c, "sales", "orders")->columns.size(), 14u);
  EXPECT_EQ(FindTable(c, "sales", "late")->columns.size(), 2u);
  EXPECT_EQ(FindTable(c, "sales", "big_orders"), nullptr);
}

TEST_F(RedshiftConnectorTest, IncludeAndExcludeFilterTheCatalog) {
  FetchRequest request;
  request.include = {*database_ + ".sales.*"};
  request.exclude = {"*.*.secret_*"};
  Catalog c = MustFetch(Settings(), request);
  ASSERT_EQ(c.databases.size(), 1u);
  ASSERT_EQ(c.databases[0].schemas.size(), 1u);
  EXPECT_EQ(c.databases[0].schemas[0].name, "sales");
  EXPECT_EQ(FindTable(c, "sales", "secret_stuff"), nullptr);
  EXPECT_NE(FindTable(c, "sales", "orders"), nullptr);
}

TEST_F(RedshiftConnectorTest, NeverReadsTheData) {
  // Positive control first: reading a table does move the counters this test watches.
  WaitForBackendsToEnd();
  auto before_control = ScanCounters();
  ASSERT_TRUE(SharedPgCluster().Exec(*database_, "SELECT count(*) FROM sales.orders").ok());
  WaitForBackendsToEnd();
  auto after_control = ScanCounters();
  ASSERT_GT(after_control["sales.orders"], before_control["sales.orders"])
      << "the counters do not move";

  ASSERT_TRUE(emu_->Admin("DELETE", "/statements").ok());
  auto before = ScanCounters();
  auto connector = Connector(Settings());
  ASSERT_TRUE(connector->Test().ok());
  FetchRequest request;
  request.databases = {*database_};
  auto catalog = connector->Fetch(request);
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  connector.reset();
  WaitForBackendsToEnd();
  auto after = ScanCounters();
  ASSERT_FALSE(before.empty());
  for (const auto& [table, scans] : after) {
    EXPECT_EQ(scans, before[table]) << table << " was scanned";
  }
  // The statement log holds only catalog statements.
  auto log = emu_->Admin("GET", "/statements");
  ASSERT_TRUE(log.ok());
  auto statements = nlohmann::json::parse(*log)["statements"];
  ASSERT_GE(statements.size(), 5u);
  for (const auto& st : statements) {
    const std::string sql = st["sql"];
    for (const char* user_table : {"sales.", "private.", "Mixed", "données", "vault"}) {
      EXPECT_EQ(sql.find(user_table), std::string::npos) << sql;
    }
    const bool catalog_only =
        sql.find("pg_catalog.") != std::string::npos || sql.find("svv_") != std::string::npos ||
        sql.rfind("SELECT current_user", 0) == 0 || sql == "SHOW enable_case_sensitive_identifier";
    EXPECT_TRUE(catalog_only) << sql;
  }
}

TEST_F(RedshiftConnectorTest, FaultsDoNotChangeTheCatalog) {
  Catalog clean = MustFetch(Settings(), {});
  ASSERT_TRUE(
      emu_->Admin(
              "PUT", "/faults",
              R"({"global": {"throttle": 0.10, "error_500": 0.025, "error_503": 0.025, "drop": 0.02}, "seed": 11})")
          .ok());
  for (int round = 0; round < 3; ++round) {
    Catalog faulty = MustFetch(Settings(), {});
    EXPECT_EQ(faulty, clean) << "round " << round;
  }
  auto counters = emu_->Admin("GET", "/counters");
  ASSERT_TRUE(counters.ok());
  // The faults really happened.
  EXPECT_NE(counters->find("ThrottlingException"), std::string::npos) << *counters;
}

TEST_F(RedshiftConnectorTest, PermanentFailureNamesTheStepAndTheAwsError) {
  // Bob may use the Data API but not get credentials for the workgroup.
  auto connector =
      Connector(Settings("AKIABOB000000000000", "bob-secret-key-00000000000000000000000000"));
  FetchRequest request;
  request.databases = {*database_};
  auto catalog = connector->Fetch(request);
  ASSERT_FALSE(catalog.ok());
  EXPECT_EQ(catalog.status().code(), Code::kPermissionDenied) << catalog.status();
  EXPECT_NE(catalog.status().message().find("reading the settings of " + *database_),
            std::string::npos)
      << catalog.status();
  EXPECT_NE(catalog.status().message().find("redshift-serverless:GetCredentials"),
            std::string::npos)
      << catalog.status();
}

TEST_F(RedshiftConnectorTest, CancellingStopsTheFetchAndCancelsTheRunningStatement) {
  // Another session holds a lock that the late-binding view statement waits for, so that
  // statement is running on the warehouse when the fetch is cancelled.
  PgCluster& pg = SharedPgCluster();
  ChildProcess::Options locker;
  locker.argv = {
      pg.BinDir() + "/psql",
      "-X",
      "-q",
      pg.ConnInfo(*database_),
      "-c",
      "BEGIN; LOCK TABLE pg_catalog.emulator_late_binding_view_cols IN ACCESS EXCLUSIVE MODE; "
      "SELECT pg_sleep(120);"};
  locker.log_path = emu_->dir() / "locker.log";
  auto lock = ChildProcess::Start(locker);
  ASSERT_TRUE(lock.ok()) << lock.status();
  auto waiting = [&] {
    auto rows = pg.Query(
        "postgres",
        "SELECT count(*) FROM pg_stat_activity WHERE datname = '" + *database_ +
            "' AND query LIKE '%pg_get_late_binding_view_cols%' AND wait_event_type = 'Lock'");
    return rows.ok() && (*rows)[0][0] != "0";
  };
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto rows =
            pg.Query(*database_,
                     "SELECT count(*) FROM pg_locks WHERE mode = 'AccessExclusiveLock' "
                     "AND relation = 'pg_catalog.emulator_late_binding_view_cols'::regclass");
        return rows.ok() && (*rows)[0][0] != "0";
      },
      30s));

  auto connector = Connector(Settings());
  warehouse::CancelToken cancel;
  FetchRequest request;
  request.databases = {*database_};
  request.cancel = &cancel;
  Result<Catalog> result = Status(Code::kInternal, "not run");
  std::chrono::steady_clock::time_point returned;
  std::thread fetch([&] {
    result = connector->Fetch(request);
    returned = std::chrono::steady_clock::now();
  });
  const bool blocked = WaitUntil(waiting, 30s);
  const auto cancelled_at = std::chrono::steady_clock::now();
  cancel.Cancel();
  fetch.join();
  // End the lock holder: its backend would otherwise sleep on, holding the lock.
  ASSERT_TRUE(pg.Exec("postgres",
                      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE query LIKE '%pg_sleep(120)%' AND pid <> pg_backend_pid()")
                  .ok());
  (*lock)->Stop();
  ASSERT_TRUE(blocked) << "the statement never waited on the lock";
  EXPECT_EQ(result.status().code(), Code::kCancelled) << result.status();
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(returned - cancelled_at);
  std::cout << "fetch returned " << took.count() << " ms after cancellation\n";
  EXPECT_LT(took, 10s);  // a hang detector, not a speed claim (see docs/BENCHMARKS.md)
  // The statement was cancelled on the warehouse, not left running.
  EXPECT_TRUE(WaitUntil([&] { return !waiting(); }, 10s));
  std::string log;
  const bool aborted = WaitUntil(
      [&] {
        auto text = emu_->Admin("GET", "/statements");
        if (!text.ok()) return false;
        log = *text;
        const auto parsed = nlohmann::json::parse(log);
        for (const auto& st : parsed["statements"]) {
          const std::string sql = st["sql"];
          if (sql.find("pg_get_late_binding_view_cols") != std::string::npos &&
              st["outcome"] == "ABORTED") {
            return true;
          }
        }
        return false;
      },
      10s);
  std::string summary;
  const auto parsed = nlohmann::json::parse(log);
  for (const auto& st : parsed["statements"]) {
    summary +=
        st["outcome"].get<std::string>() + " " + st["sql"].get<std::string>().substr(0, 80) + "\n";
  }
  EXPECT_TRUE(aborted) << summary;
}

TEST_F(RedshiftConnectorTest, CommandLinePrintsTheCatalogAndTheTest) {
  const auto file = emu_->dir() / "warehouse.toml";
  WriteFile(file,
            "data_store = \"redshift\"\nregion = \"us-east-1\"\nworkgroup = "
            "\"analytics\"\ndatabase = \"" +
                *database_ + "\"\n");
  Environment env = {{"AWS_ACCESS_KEY_ID", kAliceKey},
                     {"AWS_SECRET_ACCESS_KEY", kAliceSecret},
                     {"AWS_ENDPOINT_URL", emu_->EndpointUrl()}};
  std::istringstream in;
  std::ostringstream out, err;
  int rc = cli::Run({"schemaport", "warehouse", "fetch", file.string(), "--database", *database_},
                    env, in, out, err);
  ASSERT_EQ(rc, 0) << err.str();
  auto parsed = warehouse::CatalogFromJson(out.str());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_NE(FindTable(*parsed, "sales", "orders"), nullptr);
  EXPECT_NE(err.str().find("fetch:"), std::string::npos);  // progress on stderr

  std::ostringstream out2, err2;
  rc = cli::Run({"schemaport", "warehouse", "test", file.string(), "--json"}, env, in, out2, err2);
  EXPECT_EQ(rc, 0) << out2.str() << err2.str();
  auto report = nlohmann::json::parse(out2.str());
  EXPECT_EQ(report["ok"], true);
  EXPECT_EQ(report["steps"].size(), 6u);

  Environment bad = env;
  bad["AWS_SECRET_ACCESS_KEY"] = "wrong-secret-key-0000000000000000000000";
  std::ostringstream out3, err3;
  rc = cli::Run({"schemaport", "warehouse", "test", file.string()}, bad, in, out3, err3);
  EXPECT_EQ(rc, 1);
  EXPECT_NE(out3.str().find("[FAILED ] Credentials valid"), std::string::npos) << out3.str();
  EXPECT_EQ(out3.str().find("wrong-secret-key"), std::string::npos);
}

}  // namespace
}  // namespace schemaport::testing
