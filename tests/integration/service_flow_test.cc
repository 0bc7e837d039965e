// The seed flow through the service layer against the aws-emulator, a real PostgreSQL warehouse
// and a PostgreSQL store shared by two service instances: setup, connection test and save,
// fetch with an unreadable database, selection by tables and patterns, Save Metadata, saved
// columns equal to PostgreSQL's catalog, unselected tables never read, no scan of a user
// table, refresh marks with the selection kept, and no secret anywhere at rest or in the logs.
// Also: two connections of one AWS account share the process's Data API rate budget (runtime).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <regex>
#include <thread>

#include "crypto/crypto.h"
#include "runtime/runtime.h"
#include "service/service.h"
#include "store/store.h"
#include "support/support.h"
#include "warehouse/redshift/redshift.h"

namespace schemaport::testing {
namespace {

using namespace std::chrono_literals;
using service::CatalogView;
using service::JobView;
using service::Mark;
using service::Service;
using warehouse::TableRef;

constexpr char kAliceKey[] = "AKIAALICE0000000000";
constexpr char kAliceSecret[] = "alice-secret-FLOWTEST-key-000000000000000";
constexpr char kPassword[] = "a long admin password";

class ServiceFlowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    PgCluster& pg = SharedPgCluster();
    dev_ = pg.CreateDatabase("dev").value();
    other_ = pg.CreateDatabase("other").value();
    dropped_ = pg.CreateDatabase("dropped").value();
    // The emulator installs its catalog objects when it starts.
    auto emu = Emulator::Start(EmulatorConfig());
    ASSERT_TRUE(emu.ok()) << emu.status();
    emu_ = std::move(emu).value();
    // A database the warehouse still lists but that is gone.
    ASSERT_TRUE(pg.Exec("postgres", "DROP DATABASE \"" + dropped_ + "\" WITH (FORCE)").ok());
    ASSERT_TRUE(pg.Exec(dev_, R"sql(
CREATE SCHEMA sales;
CREATE TABLE sales.orders (id bigint NOT NULL, amount numeric(12,2) DEFAULT 0, note varchar(256));
COMMENT ON TABLE sales.orders IS 'one row per order';
INSERT INTO sales.orders VALUES (1, 10, 'a'), (2, 20, 'b');
CREATE TABLE sales.customers (id integer, name character varying(100), "Mixed ""Case""" text);
CREATE TABLE sales.payroll (ssn character(11), salary numeric(10,2));
CREATE VIEW sales.big_orders AS SELECT id, amount FROM sales.orders WHERE amount > 15;
CREATE SCHEMA staging;
CREATE TABLE staging.events (id integer);
CREATE TABLE staging.tmp_load (id integer);
GRANT USAGE ON SCHEMA sales, staging TO PUBLIC;
GRANT SELECT ON ALL TABLES IN SCHEMA sales, staging TO PUBLIC;
)sql")
                    .ok());
    ASSERT_TRUE(pg.Exec(other_,
                        "CREATE SCHEMA ops; CREATE TABLE ops.runs (id int); "
                        "GRANT USAGE ON SCHEMA ops TO PUBLIC; GRANT SELECT ON ops.runs TO PUBLIC")
                    .ok());
    store_db_ = pg.CreateDatabase("store").value();

    keys_ = crypto::LocalKeyFile::Open(dir_ / "master.key", random_).value();
    crypto_ = std::make_unique<crypto::Crypto>(*keys_, random_);
    warehouse::redshift::Dependencies deps;
    deps.http = runtime::MakeHttpClient(Environment{}, [this](const runtime::AwsCall& call) {
                  std::lock_guard lock(calls_mu_);
                  ++calls_[call.operation + " " + call.outcome];
                }).value();
    deps.endpoints.endpoint_url =
        emu_->EndpointUrl();  // the server's setting, never a connection's
    deps.clock = &clock_;
    deps.random = &random_;
    deps.session_keep_alive_seconds = 1;
    ASSERT_TRUE(registry_.Register(warehouse::redshift::MakeConnectorType(deps)).ok());
    for (int i = 0; i < 2; ++i) {
      store::PostgresOptions options;
      options.conninfo = pg.ConnInfo(store_db_);
      options.sslmode = "disable";
      options.pool_size = 3;
      auto store = store::OpenPostgresStore(options, {*crypto_, hasher_, clock_, random_});
      ASSERT_TRUE(store.ok()) << store.status();
      stores_.push_back(std::move(store).value());
      service::Options o;
      o.worker_threads = 2;
      o.job_poll = 20ms;
      o.instance_id = "instance-" + std::to_string(i);
      services_.push_back(std::make_unique<Service>(
          service::Deps{*stores_.back(), registry_, *keys_, clock_, random_, logger_}, o));
      services_.back()->Start();
    }
  }

  void TearDown() override {
    for (auto& s : services_) s->Stop();
  }

  std::string EmulatorConfig() {
    PgCluster& pg = SharedPgCluster();
    return fmt::format(R"(account_id = "123456789012"
region = "us-east-1"
seed = 7
[postgres]
host = "127.0.0.1"
port = {port}
superuser = "{superuser}"
[[users]]
name = "alice"
access_key_id = "{key}"
secret_access_key = "{secret}"
allow = ["redshift-data:*", "redshift-serverless:GetCredentials"]
[[users]]
name = "roleuser"
access_key_id = "AKIAROLEUSER0000000"
secret_access_key = "roleuser-secret-key-00000000000000000000"
allow = ["sts:AssumeRole"]
[[roles]]
name = "reader"
trust = ["arn:aws:iam::123456789012:user/roleuser"]
external_id = "tenant-42"
allow = ["redshift-data:*", "redshift-serverless:GetCredentials"]
[[workgroups]]
name = "analytics"
databases = {{ "{dev}" = "{dev}", "{other}" = "{other}", "dropped_db" = "{dropped}" }}
)",
                       fmt::arg("port", pg.port()), fmt::arg("superuser", pg.superuser()),
                       fmt::arg("key", kAliceKey), fmt::arg("secret", kAliceSecret),
                       fmt::arg("dev", dev_), fmt::arg("other", other_),
                       fmt::arg("dropped", dropped_));
  }

  Service& A() { return *services_[0]; }
  Service& B() { return *services_[1]; }

  JobView Wait(const service::Principal& who, const std::string& id) {
    JobView j;
    const bool done = WaitUntil(
        [&] {
          j = A().GetJob(who, id).value();
          return j.state == store::JobState::kSucceeded || j.state == store::JobState::kFailed;
        },
        120s);
    EXPECT_TRUE(done) << "job " << id << " still " << store::JobStateName(j.state) << ": "
                      << j.step;
    return j;
  }

  std::map<std::string, std::int64_t> ScanCounters() {
    auto rows = SharedPgCluster().Query(dev_,
                                        "SELECT schemaname || '.' || relname, seq_scan + "
                                        "coalesce(idx_scan, 0) FROM pg_stat_user_tables");
    std::map<std::string, std::int64_t> out;
    if (rows.ok()) {
      for (const auto& r : *rows) out[r[0]] = std::stoll(r[1]);
    }
    return out;
  }

  void WaitForBackendsToEnd() {
    EXPECT_TRUE(WaitUntil(
        [&] {
          auto rows = SharedPgCluster().Query(
              "postgres", "SELECT count(*) FROM pg_stat_activity WHERE datname = '" + dev_ + "'");
          return rows.ok() && (*rows)[0][0] == "0";
        },
        60s));
  }

  // Everything the store holds, as text (bytea as hex).
  std::string StoreContents() {
    std::string all;
    auto tables = SharedPgCluster().Query(
        store_db_,
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'");
    EXPECT_TRUE(tables.ok());
    for (const auto& t : *tables) {
      auto rows = SharedPgCluster().Query(store_db_, "SELECT x::text FROM " + t[0] + " x");
      if (rows.ok()) {
        for (const auto& r : *rows) all += r[0] + "\n";
      }
    }
    return all;
  }

  static std::string Hex(std::string_view s) {
    return HexEncode(
        std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
  }

  TempDir dir_;
  std::string dev_, other_, dropped_, store_db_;
  std::unique_ptr<Emulator> emu_;
  SystemClock clock_;
  SystemRandom random_;
  std::unique_ptr<crypto::KeyProvider> keys_;
  std::unique_ptr<crypto::Crypto> crypto_;
  crypto::PasswordHasher hasher_{crypto::PasswordHasher::Minimum()};
  warehouse::ConnectorRegistry registry_;
  std::shared_ptr<MemoryLogSink> sink_ = std::make_shared<MemoryLogSink>();
  std::shared_ptr<Logger> logger_ = std::make_shared<Logger>(sink_, LogLevel::kDebug, clock_);
  std::vector<std::unique_ptr<store::Store>> stores_;
  std::vector<std::unique_ptr<Service>> services_;
  std::mutex calls_mu_;
  std::map<std::string, int> calls_;
};

TEST_F(ServiceFlowTest, SeedFlowFromSetupToRefresh) {
  // Setup and login (either instance serves either step).
  const Secret token = A().PrepareSetup().value().value();
  ASSERT_TRUE(A().Setup(token, "Acme", "admin@acme.example", Secret(kPassword)).ok());
  const service::SignedIn admin =
      B().Login("admin@acme.example", Secret(kPassword), "127.0.0.1").value();
  const service::Principal& who = admin.principal;

  // Test the unsaved settings, then save the connection.
  service::ConnectionInput input;
  input.name = "warehouse";
  input.data_store = "redshift";
  input.settings = {{"access_key_id", kAliceKey},
                    {"region", "us-east-1"},
                    {"workgroup", "analytics"},
                    {"database", dev_}};
  input.secrets = {{"secret_access_key", Secret(kAliceSecret)}};
  const warehouse::TestReport report = A().TestSettings(who, input).value();
  for (const auto& step : report.steps) {
    EXPECT_EQ(step.status, warehouse::StepStatus::kOk) << step.title << ": " << step.detail;
  }
  const service::ConnectionView conn = A().CreateConnection(who, input).value();
  EXPECT_TRUE(A().TestConnection(who, conn.id).value().ok());

  // Fetch: the dropped database is reported on itself, the others are read.
  WaitForBackendsToEnd();
  const auto scans_before = ScanCounters();
  ASSERT_TRUE(emu_->Admin("DELETE", "/statements").ok());
  const JobView fetch = Wait(who, A().StartFetch(who, conn.id, {}).value().id);
  ASSERT_EQ(fetch.state, store::JobState::kSucceeded) << fetch.error.value_or(Status());
  const CatalogView cat = B().GetCatalog(who, conn.id).value();
  std::map<std::string, const service::DatabaseNode*> dbs;
  for (const auto& d : cat.databases) dbs[d.name] = &d;
  ASSERT_EQ(dbs.size(), 3u);
  ASSERT_TRUE(dbs.at("dropped_db")->error.has_value());
  EXPECT_FALSE(dbs.at(dev_)->error.has_value());
  EXPECT_FALSE(dbs.at(other_)->error.has_value());
  std::set<std::string> dev_tables;
  for (const auto& s : dbs.at(dev_)->schemas) {
    for (const auto& t : s.tables) dev_tables.insert(s.name + "." + t.name);
  }
  EXPECT_EQ(dev_tables,
            (std::set<std::string>{"sales.big_orders", "sales.customers", "sales.orders",
                                   "sales.payroll", "staging.events", "staging.tmp_load"}));

  // Select: one table explicitly, a schema by pattern minus an exclude.
  service::Selection sel;
  sel.tables = {{dev_, "sales", "orders"}, {dev_, "sales", "customers"}};
  sel.include = {dev_ + ".staging"};
  sel.exclude = {dev_ + ".staging.tmp_*"};
  const service::SelectionPreview preview = B().PreviewSelection(who, conn.id, sel).value();
  EXPECT_EQ(preview.selected, 3);
  EXPECT_EQ(preview.matched_by_patterns, 1);
  // The warehouse compares names ignoring case (enable_case_sensitive_identifier off), and so
  // do the patterns.
  EXPECT_FALSE(cat.case_sensitive);
  service::Selection upper;
  upper.include = {dev_ + ".STAGING.Ev*"};
  EXPECT_EQ(B().PreviewSelection(who, conn.id, upper).value().matched_by_patterns, 1);
  const service::SaveStarted save = B().SaveSelection(who, conn.id, sel).value();
  EXPECT_EQ(save.selected, 3);
  const JobView saved_job = Wait(who, save.job.id);
  ASSERT_EQ(saved_job.state, store::JobState::kSucceeded) << saved_job.error.value_or(Status());

  // Saved: exactly the selection, with PostgreSQL's own column names and types.
  const auto saved = A().ListSavedTables(who, conn.id).value();
  std::set<std::string> saved_names;
  for (const auto& t : saved) saved_names.insert(t.schema + "." + t.name);
  EXPECT_EQ(saved_names,
            (std::set<std::string>{"sales.customers", "sales.orders", "staging.events"}));
  for (const auto& t : saved) {
    const service::SavedTableDetail detail = A().GetSavedTable(who, conn.id, t.id).value();
    auto expected = SharedPgCluster().Query(
        dev_,
        "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnum FROM pg_attribute a "
        "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = '" +
            t.schema + "' AND c.relname = '" + t.name +
            "' AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum");
    ASSERT_TRUE(expected.ok());
    ASSERT_EQ(detail.columns.size(), expected->size()) << t.name;
    for (std::size_t i = 0; i < detail.columns.size(); ++i) {
      EXPECT_EQ(detail.columns[i].name, (*expected)[i][0]);
      EXPECT_EQ(detail.columns[i].type, (*expected)[i][1]);
      EXPECT_EQ(detail.columns[i].position, std::stoi((*expected)[i][2]));
    }
  }

  // The columns of unselected tables were never read: every column statement names only
  // selected tables' ids; and nothing but the catalog was queried.
  auto selected_ids =
      SharedPgCluster().Query(dev_,
                              "SELECT string_agg(c.oid::text, ',') FROM pg_class c JOIN "
                              "pg_namespace n ON n.oid = c.relnamespace "
                              "WHERE (n.nspname, c.relname) IN "
                              "(('sales','orders'),('sales','customers'),('staging','events'))");
  ASSERT_TRUE(selected_ids.ok());
  std::set<std::string> allowed;
  {
    std::stringstream ids((*selected_ids)[0][0]);
    for (std::string id; std::getline(ids, id, ',');) allowed.insert(id);
  }
  auto log = emu_->Admin("GET", "/statements");
  ASSERT_TRUE(log.ok());
  int column_statements = 0;
  // Column reads and key reads are both restricted to the selected tables' ids.
  const std::regex in_list(R"((?:attrelid|conrelid) IN \(([0-9, ]+)\))");
  const nlohmann::json statements = nlohmann::json::parse(*log)["statements"];
  for (const auto& st : statements) {
    const std::string sql = st["sql"];
    for (const char* user_table : {"sales.", "staging.", "ops."}) {
      EXPECT_EQ(sql.find(user_table), std::string::npos) << sql;
    }
    std::smatch m;
    if (std::regex_search(sql, m, in_list)) {
      ++column_statements;
      std::stringstream ids(m[1].str());
      for (std::string id; std::getline(ids, id, ',');) {
        id.erase(std::remove(id.begin(), id.end(), ' '), id.end());
        EXPECT_EQ(allowed.count(id), 1u) << "columns of table " << id << " were read";
      }
    } else {
      EXPECT_EQ(sql.find("pg_attribute"), std::string::npos)
          << "an unrestricted column read: " << sql;
    }
  }
  EXPECT_GE(column_statements, 1);
  WaitForBackendsToEnd();
  const auto scans_after = ScanCounters();
  ASSERT_FALSE(scans_before.empty());
  for (const auto& [table, scans] : scans_after) {
    EXPECT_EQ(scans, scans_before.at(table)) << table << " was scanned";
  }

  // The warehouse changes; refresh marks it against what is saved and keeps the selection.
  ASSERT_TRUE(
      SharedPgCluster()
          .Exec(dev_,
                "ALTER TABLE sales.customers ALTER COLUMN name TYPE varchar(200); "
                "ALTER TABLE sales.customers ADD COLUMN email text; "
                "DROP TABLE sales.orders CASCADE; "
                "CREATE TABLE staging.clicks (id int); CREATE TABLE staging.tmp_two (id int); "
                "CREATE TABLE sales.refunds (id int); "
                "GRANT SELECT ON ALL TABLES IN SCHEMA sales, staging TO PUBLIC")
          .ok());
  const JobView refresh = Wait(who, B().StartRefresh(who, conn.id).value().id);
  ASSERT_EQ(refresh.state, store::JobState::kSucceeded) << refresh.error.value_or(Status());
  const CatalogView after = A().GetCatalog(who, conn.id).value();
  std::map<std::string, service::TableNode> tables;
  for (const auto& d : after.databases) {
    if (d.name != dev_) continue;
    for (const auto& s : d.schemas) {
      for (const auto& t : s.tables) tables[s.name + "." + t.name] = t;
    }
  }
  EXPECT_EQ(tables.at("sales.customers").mark, Mark::kChanged);
  EXPECT_TRUE(tables.at("sales.customers").selected);
  EXPECT_EQ(tables.at("staging.clicks").mark, Mark::kNew);
  EXPECT_TRUE(tables.at("staging.clicks").selected) << "the include matches it";
  EXPECT_EQ(tables.at("staging.tmp_two").mark, Mark::kNew);
  EXPECT_FALSE(tables.at("staging.tmp_two").selected) << "the exclude matches it";
  EXPECT_EQ(tables.at("sales.refunds").mark, Mark::kNew);
  EXPECT_FALSE(tables.at("sales.refunds").selected);
  EXPECT_EQ(tables.count("sales.orders"), 0u);
  ASSERT_EQ(after.removed.size(), 1u);
  EXPECT_EQ(after.removed[0], (TableRef{dev_, "sales", "orders"}));
  // Nothing is saved until Save Metadata; the saved table shows its column marks.
  const auto still = A().ListSavedTables(who, conn.id).value();
  EXPECT_EQ(still.size(), 3u);
  for (const auto& t : still) {
    if (t.name != "customers") continue;
    EXPECT_EQ(t.mark, Mark::kChanged);
    const service::SavedTableDetail d = A().GetSavedTable(who, conn.id, t.id).value();
    std::map<std::string, Mark> marks;
    for (const auto& c : d.columns) marks[c.name] = c.mark;
    EXPECT_EQ(marks.at("name"), Mark::kChanged);
    EXPECT_EQ(marks.at("id"), Mark::kNone);
  }

  // Each job ran once, shared by the two instances through the PostgreSQL store.
  for (const std::string& id : {fetch.id, saved_job.id, refresh.id}) {
    EXPECT_EQ(stores_[0]->GetJob(who.org_id, id).value().attempts, 1);
  }
  {
    std::lock_guard lock(calls_mu_);
    EXPECT_GT(calls_["ExecuteStatement ok"], 0);
  }

  // No secret at rest or in a log line.
  const std::string at_rest = StoreContents();
  ASSERT_FALSE(at_rest.empty());
  for (const std::string& needle :
       {std::string(kAliceSecret), Hex(kAliceSecret), std::string(kPassword), Hex(kPassword),
        std::string("payroll"), Hex("customers")}) {
    EXPECT_EQ(at_rest.find(needle), std::string::npos) << needle;
  }
  for (const auto& line : sink_->lines())
    EXPECT_EQ(line.find(kAliceSecret), std::string::npos) << line;

  // Deleting the connection shreds it.
  ASSERT_TRUE(A().DeleteConnection(who, conn.id).ok());
  EXPECT_EQ(B().GetCatalog(who, conn.id).status().code(), Code::kNotFound);
}

TEST_F(ServiceFlowTest, AssumeRoleConnectionRunsAsTheRoleAndAWrongExternalIdIsNamed) {
  const Secret token = A().PrepareSetup().value().value();
  const service::SignedIn admin =
      A().Setup(token, "Acme", "admin@acme.example", Secret(kPassword)).value();
  service::ConnectionInput input;
  input.data_store = "redshift";
  input.settings = {{"access_key_id", "AKIAROLEUSER0000000"},
                    {"region", "us-east-1"},
                    {"workgroup", "analytics"},
                    {"database", dev_}};
  input.secrets = {{"secret_access_key", Secret("roleuser-secret-key-00000000000000000000")}};
  // The user alone may not use the Data API...
  const warehouse::TestReport direct = A().TestSettings(admin.principal, input).value();
  EXPECT_FALSE(direct.ok());
  // ...the role it assumes may.
  input.settings["role_arn"] = "arn:aws:iam::123456789012:role/reader";
  input.settings["external_id"] = "tenant-42";
  const warehouse::TestReport assumed = A().TestSettings(admin.principal, input).value();
  ASSERT_FALSE(assumed.steps.empty());
  EXPECT_NE(assumed.steps[0].detail.find("assumed-role/reader"), std::string::npos)
      << assumed.steps[0].detail;
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(assumed.steps[i].status, warehouse::StepStatus::kOk)
        << assumed.steps[i].title << ": " << assumed.steps[i].detail;
  }
  input.settings["external_id"] = "tenant-43";
  const warehouse::TestReport wrong = A().TestSettings(admin.principal, input).value();
  EXPECT_EQ(wrong.steps[0].status, warehouse::StepStatus::kFailed);
  EXPECT_NE(wrong.steps[0].fix.find("sts:AssumeRole"), std::string::npos) << wrong.steps[0].fix;
}

// The Data API quotas are per account and Region (issue 12). Two connections of one account
// (two IAM users) fetching at once in one service, wired by the runtime as `serve` wires it,
// draw from the process's one budget and so stay under the quotas together: the emulator,
// which enforces AWS's quotas per account, answers no ThrottlingException although the two
// fetches need several seconds' worth of GetStatementResult quota (one row a result page).
TEST(SharedRateBudgetTest, TwoConnectionsOfOneAccountStayUnderTheQuotasTogether) {
  PgCluster& pg = SharedPgCluster();
  const std::string db = pg.CreateDatabase("budget").value();
  constexpr int kTables = 40;
  std::string ddl = "CREATE SCHEMA s; ";
  for (int i = 0; i < kTables; ++i) ddl += fmt::format("CREATE TABLE s.t{} (id int); ", i);
  ddl += "GRANT USAGE ON SCHEMA s TO PUBLIC; GRANT SELECT ON ALL TABLES IN SCHEMA s TO PUBLIC;";
  ASSERT_TRUE(pg.Exec(db, ddl).ok());
  // The emulator's quotas are its defaults, AWS's documented figures.
  auto emu = Emulator::Start(fmt::format(
      R"(account_id = "123456789012"
region = "us-east-1"
seed = 11
[postgres]
host = "127.0.0.1"
port = {port}
superuser = "{superuser}"
[limits]
result_page_rows = 1
[[users]]
name = "alice"
access_key_id = "AKIAALICEBUDGET00000"
secret_access_key = "alice-budget-secret-0000000000000000000"
allow = ["redshift-data:*", "redshift-serverless:GetCredentials"]
[[users]]
name = "bob"
access_key_id = "AKIABOBBUDGET000000"
secret_access_key = "bob-budget-secret-00000000000000000000"
allow = ["redshift-data:*", "redshift-serverless:GetCredentials"]
[[workgroups]]
name = "analytics"
databases = {{ "{db}" = "{db}" }}
)",
      fmt::arg("port", pg.port()), fmt::arg("superuser", pg.superuser()), fmt::arg("db", db)));
  ASSERT_TRUE(emu.ok()) << emu.status();
  const auto quotas = nlohmann::json::parse((*emu)->Admin("GET", "/quotas").value());
  ASSERT_EQ(quotas["rates_per_second"]["GetStatementResult"].get<double>(), 20.0);

  TempDir dir("rate-budget");
  runtime::Options options;
  options.data_dir_override = (dir / "data").string();
  auto rt = runtime::Wire(options, Environment{{"AWS_ENDPOINT_URL", (*emu)->EndpointUrl()}});
  ASSERT_TRUE(rt.ok()) << rt.status();
  runtime::Runtime& w = **rt;
  service::Options o;
  o.worker_threads = 2;
  o.job_poll = 20ms;
  Service svc(service::Deps{*w.store, *w.registry, *w.keys, w.clock, w.random, nullptr}, o);
  const Secret token = svc.PrepareSetup().value().value();
  const service::Principal who =
      svc.Setup(token, "Acme", "admin@acme.example", Secret(kPassword)).value().principal;
  std::vector<std::string> connections;
  for (const auto& [key, secret] :
       {std::pair{"AKIAALICEBUDGET00000", "alice-budget-secret-0000000000000000000"},
        std::pair{"AKIABOBBUDGET000000", "bob-budget-secret-00000000000000000000"}}) {
    service::ConnectionInput input;
    input.name = key;
    input.data_store = "redshift";
    input.settings = {{"access_key_id", key},
                      {"region", "us-east-1"},
                      {"workgroup", "analytics"},
                      {"database", db}};
    input.secrets = {{"secret_access_key", Secret(secret)}};
    connections.push_back(svc.CreateConnection(who, input).value().id);
  }

  ASSERT_TRUE((*emu)->Admin("DELETE", "/counters").ok());
  std::vector<std::string> jobs;
  for (const auto& id : connections) jobs.push_back(svc.StartFetch(who, id, {}).value().id);
  svc.Start();  // both jobs queued: the two workers run them at once
  for (const auto& id : jobs) {
    service::JobView j;
    ASSERT_TRUE(WaitUntil(
        [&] {
          j = svc.GetJob(who, id).value();
          return j.state == store::JobState::kSucceeded || j.state == store::JobState::kFailed;
        },
        180s));
    ASSERT_EQ(j.state, store::JobState::kSucceeded) << (j.error ? j.error->ToString() : "");
  }
  svc.Stop();
  for (const auto& id : connections) {
    EXPECT_EQ(svc.GetCatalog(who, id).value().table_count, kTables);
  }

  const auto counters = nlohmann::json::parse((*emu)->Admin("GET", "/counters").value());
  std::int64_t throttled = 0;
  for (const auto& [op, outcomes] : counters["counters"].items()) {
    if (outcomes.contains("ThrottlingException")) {
      ADD_FAILURE() << op << " was throttled " << outcomes["ThrottlingException"] << " times";
      throttled += outcomes["ThrottlingException"].get<std::int64_t>();
    }
  }
  EXPECT_EQ(throttled, 0) << counters.dump();
  // The quota was really in play: more pages than two seconds of it (its one-second burst and
  // one second of its rate), which two budgets of their own would have sent at 2 x 18/s.
  const std::int64_t pages = counters["counters"]["GetStatementResult"].value("ok", 0);
  EXPECT_GE(pages, 2 * kTables) << counters.dump();
  // One budget: both access keys were found to belong to the one account.
  EXPECT_EQ(w.rate_budgets->size(), 1u);
}

}  // namespace
}  // namespace schemaport::testing
