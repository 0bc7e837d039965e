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
CREATE MATERIALIZED VIEW sales.order_totals AS SELECT count(*) AS n FROM sales.orders;
CREATE VIEW sales.late AS SELECT 1 AS placeholder;
CREATE TABLE sales.secret_stuff (x int);
CREATE SCHEMA "Mixed ""Case"" Schema";
CREATE TABLE "Mixed ""Case"" Schema"."Table With Spaces" ("Col.Dot" int, "ünïcödé" text);
CREATE SCHEMA "données";
CREATE TABLE "données".")sql" + long_name + R"sql(" ("id" int);
CREATE SCHEMA private;
CREATE TABLE private.hidden (x int);
GRANT USAGE ON SCHEMA sales, "Mixed ""Case"" Schema", "données" TO PUBLIC;
GRANT SELECT ON sales.orders, sales.big_orders, sales.order_totals, sales.late,
  "Mixed ""Case"" Schema"."Table With Spaces", "données".")sql" + long_name + R"sql(" TO PUBLIC;
INSERT INTO pg_catalog.emulator_late_binding_view_cols VALUES
  ('sales', 'late', 'customer_id', 'integer', 1),
  ('sales', 'late', 'name', 'character varying(256)', 2);
INSERT INTO pg_catalog.emulator_external_schemas (schemaname, databasename) VALUES ('spectrum', 'ext_db');
INSERT INTO pg_catalog.emulator_external_tables (schemaname, tablename, location)
  VALUES ('spectrum', 'events', 's3://bucket/events/');
INSERT INTO pg_catalog.emulator_external_columns (schemaname, tablename, columnname, external_type, columnnum)
  VALUES ('spectrum', 'events', 'ts', 'timestamp', 1), ('spectrum', 'events', 'payload', 'struct<a:int>', 2);
INSERT INTO pg_catalog.emulator_datashare_tables (database_name, schema_name, table_name, table_type, remarks)
  VALUES (current_database(), 'shared', 'customers', 'TABLE', 'from the producer');
INSERT INTO pg_catalog.emulator_datashare_columns (database_name, schema_name, table_name, column_name,
  ordinal_position, data_type, is_nullable)
  VALUES (current_database(), 'shared', 'customers', 'id', 1, 'integer', 'NO');
INSERT INTO pg_catalog.emulator_datashare_tables (database_name, schema_name, table_name)
  VALUES (current_database(), 'shared', ')sql" + LongName(127) + R"sql(');
INSERT INTO pg_catalog.emulator_datashare_columns (database_name, schema_name, table_name, column_name,
  ordinal_position, data_type)
  VALUES (current_database(), 'shared', ')sql" + LongName(127) + R"sql(', ')sql" + LongName(127) + R"sql(', 1, 'super');
)sql";
}

class RedshiftConnectorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    PgCluster& pg = SharedPgCluster();
    auto db = pg.CreateDatabase("dev");
    ASSERT_TRUE(db.ok()) << db.status();
    database_ = new std::string(*db);
    // The emulator installs its catalog objects on start; start one once so fixtures can fill them.
    auto emu = Emulator::Start(Config(""));
    ASSERT_TRUE(emu.ok()) << emu.status();
    Status st = pg.Exec(*database_, FixtureSql());
    ASSERT_TRUE(st.ok()) << st;
  }
  static void TearDownTestSuite() {
    delete database_;
    database_ = nullptr;
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
databases = {{ "{db}" = "{db}" }}
[[secrets]]
name = "redshift/app"
secret_string = '{{"username":"app_user","password":"app-pass"}}'
)",
                       fmt::arg("port", pg.port()), fmt::arg("superuser", pg.superuser()),
                       fmt::arg("extra", extra), fmt::arg("alice_key", kAliceKey),
                       fmt::arg("alice_secret", kAliceSecret), fmt::arg("db", *database_));
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

  ConnectionSettings Settings(const std::string& key = kAliceKey, const std::string& secret = kAliceSecret) {
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

  static const warehouse::Table* FindTable(const Catalog& c, std::string_view schema, std::string_view table) {
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
  std::string extra_config_;
  std::unique_ptr<Emulator> emu_;
  SystemClock clock_;
  SystemRandom random_;
  warehouse::redshift::Dependencies deps_;
  warehouse::ConnectorRegistry registry_;
};

std::string* RedshiftConnectorTest::database_ = nullptr;

TEST_F(RedshiftConnectorTest, ServerlessConnectionTestPassesEveryStep) {
  auto connector = Connector(Settings());
  ASSERT_NE(connector, nullptr);
  auto report = connector->Test();
  ASSERT_TRUE(report.ok()) << report.status();
  for (const auto& s : report->steps) {
    EXPECT_EQ(s.status, StepStatus::kOk) << s.id << ": " << s.detail << " / " << s.fix;
  }
  EXPECT_EQ(report->steps.size(), 6u);
  EXPECT_NE(report->steps[0].detail.find("IAM:alice"), std::string::npos) << report->steps[0].detail;
}

TEST_F(RedshiftConnectorTest, FetchReadsTheCatalogExactlyAsStored) {
  auto connector = Connector(Settings());
  ASSERT_NE(connector, nullptr);
  FetchRequest request;
  request.databases = {*database_};
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
  const auto* late = FindTable(*catalog, "sales", "late");
  ASSERT_NE(late, nullptr);
  EXPECT_EQ(late->kind, TableKind::kLateBindingView);
  ASSERT_EQ(late->columns.size(), 2u);
  EXPECT_EQ(late->columns[1].type, "character varying(256)");
  EXPECT_EQ(FindTable(*catalog, "sales", "order_totals")->kind, TableKind::kMaterializedView);
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
  const auto* customers = FindTable(*catalog, "shared", "customers");
  ASSERT_NE(customers, nullptr);
  EXPECT_EQ(customers->columns.size(), 1u);
}

}  // namespace
}  // namespace schemaport::testing
