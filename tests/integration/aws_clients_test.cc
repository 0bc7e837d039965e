// src/aws clients against the aws-emulator (a real PostgreSQL behind it): every client operation,
// each auth mode, AccessDenied texts, AssumeRole credentials, and retries under injected
// throttles, 5xx and dropped connections. Signing time comes from a FakeClock set to the wall
// clock (the emulator checks a 5-minute skew), so backoff never sleeps for real.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "aws/internal.h"
#include "support/support.h"

namespace schemaport {
namespace {

using nlohmann::json;
using ::testing::Contains;
using ::testing::ElementsAre;
using testing::Emulator;
using ::testing::HasSubstr;
using testing::PgCluster;
using testing::SharedPgCluster;

constexpr char kAliceKey[] = "AKIAALICE0000000000";
constexpr char kAliceSecret[] = "alice-secret-key-0000000000000000000000";
constexpr char kBobKey[] = "AKIABOB000000000000";
constexpr char kBobSecret[] = "bob-secret-key-00000000000000000000000000";

class AwsClientsEmulatorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    PgCluster& pg = SharedPgCluster();
    auto db = pg.CreateDatabase("awsdev");
    ASSERT_TRUE(db.ok()) << db.status();
    database_ = new std::string(*db);
    ASSERT_TRUE(
        pg.Exec(*database_,
                "CREATE SCHEMA sales;"
                "CREATE TABLE sales.orders (id int PRIMARY KEY, note text, amount numeric(10,2));"
                "INSERT INTO sales.orders SELECT g, 'n' || g, g * 1.5 FROM generate_series(1, 7) g;"
                "CREATE VIEW sales.big_orders AS SELECT * FROM sales.orders WHERE amount > 5;"
                "CREATE ROLE etl_user LOGIN;"
                "GRANT USAGE ON SCHEMA sales TO PUBLIC; GRANT SELECT ON ALL TABLES IN SCHEMA sales "
                "TO PUBLIC;")
            .ok());
  }
  static void TearDownTestSuite() {
    delete database_;
    database_ = nullptr;
  }

  static std::string Config() {
    PgCluster& pg = SharedPgCluster();
    return fmt::format(R"(account_id = "123456789012"
region = "us-east-1"
seed = 11
[postgres]
host = "127.0.0.1"
port = {port}
superuser = "{superuser}"
[limits]
result_page_rows = 3
metadata_page_size = 1
[[users]]
name = "alice"
access_key_id = "{alice_key}"
secret_access_key = "{alice_secret}"
allow = ["redshift-data:*", "redshift-serverless:GetCredentials", "redshift:GetClusterCredentials",
         "redshift:GetClusterCredentialsWithIAM", "secretsmanager:*", "sts:AssumeRole"]
[[users]]
name = "bob"
access_key_id = "{bob_key}"
secret_access_key = "{bob_secret}"
allow = ["redshift-data:*"]
[[roles]]
name = "reader"
trust = ["arn:aws:iam::123456789012:user/alice"]
external_id = "ext-123"
allow = ["redshift-data:*", "redshift-serverless:GetCredentials"]
max_session_duration = 3600
[[workgroups]]
name = "analytics"
databases = {{ "{db}" = "{db}" }}
[[clusters]]
identifier = "prod-cluster"
databases = {{ "{db}" = "{db}" }}
)",
                       fmt::arg("port", pg.port()), fmt::arg("superuser", pg.superuser()),
                       fmt::arg("alice_key", kAliceKey), fmt::arg("alice_secret", kAliceSecret),
                       fmt::arg("bob_key", kBobKey), fmt::arg("bob_secret", kBobSecret),
                       fmt::arg("db", *database_));
  }

  void SetUp() override {
    auto emu = Emulator::Start(Config());
    ASSERT_TRUE(emu.ok()) << emu.status();
    emu_ = std::move(emu).value();
    auto http = aws::CurlHttpClient::Create({});
    ASSERT_TRUE(http.ok());
    http_ = std::shared_ptr<aws::HttpClient>(std::move(http).value());
    config_.region = "us-east-1";
    config_.endpoints.endpoint_url = emu_->EndpointUrl();
  }

  static std::shared_ptr<aws::CredentialsProvider> Keys(const char* id, const char* secret) {
    return std::make_shared<aws::StaticCredentialsProvider>(
        aws::Credentials{id, Secret(secret), Secret(), std::nullopt});
  }
  std::unique_ptr<aws::RedshiftDataClient> Data(std::shared_ptr<aws::CredentialsProvider> creds) {
    auto c = aws::RedshiftDataClient::Create(config_, http_, std::move(creds), clock_, random_);
    EXPECT_TRUE(c.ok()) << c.status();
    return std::move(c).value();
  }
  aws::DataApiTarget Workgroup() const { return {*database_, "analytics", "", "", ""}; }

  static std::string* database_;
  FakeClock clock_{SystemClock().Now()};
  SeededRandom random_{5};
  std::unique_ptr<Emulator> emu_;
  std::shared_ptr<aws::HttpClient> http_;
  aws::ClientConfig config_;
};

std::string* AwsClientsEmulatorTest::database_ = nullptr;

TEST_F(AwsClientsEmulatorTest, RunStatementStreamsEveryPageInBothFormats) {
  auto data = Data(Keys(kAliceKey, kAliceSecret));
  aws::ExecuteStatementRequest req;
  req.target = Workgroup();
  req.sql = "SELECT id, note, amount FROM sales.orders WHERE id >= :min ORDER BY id";
  req.parameters = {{"min", "2"}};
  std::vector<std::int64_t> ids;
  int pages = 0;
  auto desc = data->RunStatement(req, aws::RunOptions{}, [&](const aws::ResultPage& page) {
    ++pages;
    for (const auto& row : page.records) ids.push_back(std::get<std::int64_t>(row[0]));
    EXPECT_EQ(page.columns.size(), 3u);
    return Status::Ok();
  });
  ASSERT_TRUE(desc.ok()) << desc.status();
  EXPECT_EQ(desc->status, aws::StatementStatus::kFinished);
  EXPECT_EQ(desc->result_rows, 6);
  EXPECT_THAT(ids, ElementsAre(2, 3, 4, 5, 6, 7));
  EXPECT_EQ(pages, 2);  // 3 rows a page

  std::string csv;
  req.parameters.clear();
  req.sql = "SELECT id FROM sales.orders WHERE id <= 4 ORDER BY id";
  auto csv_desc =
      data->RunStatementCsv(req, aws::RunOptions{}, [&](const aws::CsvResultPage& page) {
        for (const auto& block : page.csv_records) csv += block;
        return Status::Ok();
      });
  ASSERT_TRUE(csv_desc.ok()) << csv_desc.status();
  EXPECT_THAT(csv, HasSubstr("1"));
  EXPECT_THAT(csv, HasSubstr("4"));

  // Polling instead of long polling reaches the same end.
  aws::RunOptions polling;
  polling.long_poll = false;
  req.sql = "SELECT 1";
  auto polled = data->RunStatement(req, polling, nullptr);
  ASSERT_TRUE(polled.ok()) << polled.status();
  EXPECT_EQ(polled->status, aws::StatementStatus::kFinished);
}

TEST_F(AwsClientsEmulatorTest, MetadataListingsFollowEveryPage) {
  auto data = Data(Keys(kAliceKey, kAliceSecret));
  auto dbs = data->ListAllDatabases(Workgroup());
  ASSERT_TRUE(dbs.ok()) << dbs.status();
  EXPECT_THAT(*dbs, Contains(*database_));
  auto schemas = data->ListAllSchemas(Workgroup(), "sal%");
  ASSERT_TRUE(schemas.ok()) << schemas.status();
  EXPECT_THAT(*schemas, ElementsAre("sales"));
  auto tables = data->ListAllTables(Workgroup(), "sales", "%");
  ASSERT_TRUE(tables.ok()) << tables.status();
  ASSERT_EQ(tables->size(), 2u);  // one a page: NextToken was followed
  std::vector<std::string> kinds;
  for (const auto& t : *tables) kinds.push_back(t.name + ":" + t.type);
  EXPECT_THAT(kinds, ::testing::UnorderedElementsAre("orders:TABLE", "big_orders:VIEW"));
  auto columns = data->DescribeAllColumns(Workgroup(), "sales", "orders");
  ASSERT_TRUE(columns.ok()) << columns.status();
  ASSERT_EQ(columns->size(), 3u);
  EXPECT_EQ((*columns)[0].name, "id");
  EXPECT_EQ((*columns)[2].type_name, "numeric");
}

TEST_F(AwsClientsEmulatorTest, EveryAuthModeOfTheDataApi) {
  auto data = Data(Keys(kAliceKey, kAliceSecret));
  const std::vector<aws::DataApiTarget> targets = {
      {*database_, "analytics", "", "", ""},             // serverless: IAM:alice
      {*database_, "", "prod-cluster", "etl_user", ""},  // GetClusterCredentials
      {*database_, "", "prod-cluster", "", ""},          // GetClusterCredentialsWithIAM
  };
  const std::vector<std::string> users = {"IAM:alice", "etl_user", "IAM:alice"};
  for (size_t i = 0; i < targets.size(); ++i) {
    aws::ExecuteStatementRequest req;
    req.target = targets[i];
    req.sql = "SELECT current_user";
    std::string user;
    auto desc = data->RunStatement(req, aws::RunOptions{}, [&](const aws::ResultPage& page) {
      user = std::get<std::string>(page.records.at(0).at(0));
      return Status::Ok();
    });
    ASSERT_TRUE(desc.ok()) << i << ": " << desc.status();
    EXPECT_EQ(user, users[i]);
  }
}

TEST_F(AwsClientsEmulatorTest, TemporaryDatabaseCredentialsAndTheirDenials) {
  auto serverless = aws::RedshiftServerlessClient::Create(
      config_, http_, Keys(kAliceKey, kAliceSecret), clock_, random_);
  ASSERT_TRUE(serverless.ok());
  auto creds = (*serverless)->GetCredentials("analytics", *database_);
  ASSERT_TRUE(creds.ok()) << creds.status();
  EXPECT_EQ(creds->db_user, "IAM:alice");
  EXPECT_FALSE(creds->db_password.empty());
  EXPECT_TRUE(creds->expiration.has_value());

  auto redshift =
      aws::RedshiftClient::Create(config_, http_, Keys(kAliceKey, kAliceSecret), clock_, random_);
  ASSERT_TRUE(redshift.ok());
  auto cluster = (*redshift)->GetClusterCredentials("prod-cluster", "etl_user", *database_);
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  EXPECT_THAT(cluster->db_user, HasSubstr("etl_user"));
  auto iam = (*redshift)->GetClusterCredentialsWithIAM("prod-cluster", *database_);
  ASSERT_TRUE(iam.ok()) << iam.status();
  EXPECT_EQ(iam->db_user, "IAM:alice");
  auto missing = (*redshift)->GetClusterCredentialsWithIAM("no-such-cluster", *database_);
  EXPECT_EQ(missing.status().code(), Code::kNotFound) << missing.status();

  // Bob may use the Data API but not get credentials: AWS's text names the missing action.
  auto bob = aws::RedshiftServerlessClient::Create(config_, http_, Keys(kBobKey, kBobSecret),
                                                   clock_, random_);
  auto denied = (*bob)->GetCredentials("analytics", *database_);
  EXPECT_EQ(denied.status().code(), Code::kPermissionDenied);
  EXPECT_THAT(denied.status().message(), HasSubstr("redshift-serverless:GetCredentials"));
  auto bob_data = Data(Keys(kBobKey, kBobSecret));
  aws::ExecuteStatementRequest req;
  req.target = Workgroup();
  req.sql = "SELECT 1";
  auto bob_run = bob_data->RunStatement(req, aws::RunOptions{}, nullptr);
  EXPECT_EQ(bob_run.status().code(), Code::kPermissionDenied);
  EXPECT_THAT(bob_run.status().message(), HasSubstr("redshift-serverless:GetCredentials"));
}

TEST_F(AwsClientsEmulatorTest, StsIdentityAndAssumedRoleCredentials) {
  auto sts = aws::StsClient::Create(config_, http_, Keys(kAliceKey, kAliceSecret), clock_, random_);
  ASSERT_TRUE(sts.ok());
  auto id = (*sts)->GetCallerIdentity();
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->arn, "arn:aws:iam::123456789012:user/alice");
  EXPECT_EQ(id->account, "123456789012");

  aws::AssumeRoleParams params;
  params.role_arn = "arn:aws:iam::123456789012:role/reader";
  params.external_id = "wrong";
  std::shared_ptr<aws::StsClient> shared_sts = std::move(sts).value();
  aws::AssumeRoleCredentialsProvider wrong(shared_sts, params, clock_);
  EXPECT_EQ(wrong.Get().status().code(), Code::kPermissionDenied);

  params.external_id = "ext-123";
  auto provider = std::make_shared<aws::AssumeRoleCredentialsProvider>(shared_sts, params, clock_);
  auto data = Data(provider);
  auto dbs = data->ListAllDatabases(Workgroup());
  ASSERT_TRUE(dbs.ok()) << dbs.status();
  EXPECT_THAT(*dbs, Contains(*database_));
  EXPECT_EQ(provider->refreshes(), 1);
  auto creds = provider->Get();
  ASSERT_TRUE(creds.ok());
  EXPECT_TRUE(creds->access_key_id.starts_with("ASIA"));
  EXPECT_FALSE(creds->session_token.empty());

  auto wrong_key =
      aws::StsClient::Create(config_, http_, Keys("AKIAUNKNOWN00000000", "x"), clock_, random_);
  EXPECT_EQ((*wrong_key)->GetCallerIdentity().status().code(), Code::kUnauthenticated);
}

TEST_F(AwsClientsEmulatorTest, SecretsManagerVersions) {
  auto sm = aws::SecretsManagerClient::Create(config_, http_, Keys(kAliceKey, kAliceSecret), clock_,
                                              random_);
  ASSERT_TRUE(sm.ok());
  auto created = (*sm)->CreateSecret("schemaport/master-key", Secret("v1-material"), "test key");
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_THAT(created->arn, HasSubstr(":secret:schemaport/master-key-"));
  auto put = (*sm)->PutSecretValue(created->arn, Secret("v2-material"));
  ASSERT_TRUE(put.ok()) << put.status();
  EXPECT_NE(put->version_id, created->version_id);
  auto current = (*sm)->GetSecretValue("schemaport/master-key");
  ASSERT_TRUE(current.ok()) << current.status();
  EXPECT_EQ(current->secret_string.Reveal(), "v2-material");
  auto previous = (*sm)->GetSecretValue("schemaport/master-key", "", "AWSPREVIOUS");
  ASSERT_TRUE(previous.ok()) << previous.status();
  EXPECT_EQ(previous->secret_string.Reveal(), "v1-material");
  auto by_version = (*sm)->GetSecretValue(created->arn, created->version_id);
  ASSERT_TRUE(by_version.ok()) << by_version.status();
  EXPECT_EQ(by_version->secret_string.Reveal(), "v1-material");
  EXPECT_EQ((*sm)->CreateSecret("schemaport/master-key", Secret("again")).status().code(),
            Code::kAlreadyExists);
  EXPECT_EQ((*sm)->GetSecretValue("nope").status().code(), Code::kNotFound);
}

TEST_F(AwsClientsEmulatorTest, InjectedFaultsAreRetriedOrReported) {
  // Every ListDatabases connection dropped: three attempts, then kUnavailable.
  ASSERT_TRUE(
      emu_->Admin("PUT", "/faults", R"({"operations": {"ListDatabases": {"drop": 1}}})").ok());
  auto data = Data(Keys(kAliceKey, kAliceSecret));
  auto dropped = data->ListDatabases(Workgroup());
  EXPECT_EQ(dropped.status().code(), Code::kUnavailable) << dropped.status();
  // Every DescribeStatement throttled: kResourceExhausted, and the client slows that operation.
  config_.rates_per_second = aws::DefaultDataApiRates();
  auto limited = Data(Keys(kAliceKey, kAliceSecret));
  ASSERT_TRUE(
      emu_->Admin("PUT", "/faults", R"({"operations": {"DescribeStatement": {"throttle": 1}}})")
          .ok());
  auto throttled = limited->DescribeStatement("d9b6c0c9-0747-4bf4-b142-e8883122f766");
  EXPECT_EQ(throttled.status().code(), Code::kResourceExhausted) << throttled.status();
  EXPECT_LT(limited->service().rate_limiter().CurrentRate("DescribeStatement"), 100.0);
  auto counters = emu_->Admin("GET", "/counters");
  ASSERT_TRUE(counters.ok());
  const json c = json::parse(*counters)["counters"];
  EXPECT_EQ(c["ListDatabases"]["dropped"], 3);
  EXPECT_EQ(c["DescribeStatement"]["ThrottlingException"], 3);

  // Half of all calls fail with a throttle, a 500, a 503 or a dropped connection (seeded):
  // with 6 attempts every call still succeeds, and the faults really happened.
  ASSERT_TRUE(emu_->Admin("DELETE", "/counters").ok());
  // Only the injected faults are under test here: lift the request quotas (ListTables is 3/s)
  // so a quota throttle cannot use up the attempts.
  ASSERT_TRUE(emu_->Admin("PUT", "/quotas", R"({"rates_per_second": {}})").ok());
  ASSERT_TRUE(
      emu_->Admin(
              "PUT", "/faults",
              R"({"global": {"throttle": 0.15, "error_500": 0.15, "error_503": 0.1, "drop": 0.1}, "seed": 3})")
          .ok());
  config_.retry.max_attempts = 6;
  auto patient = Data(Keys(kAliceKey, kAliceSecret));
  for (int i = 0; i < 10; ++i) {
    auto tables = patient->ListTables(Workgroup(), "sales", "orders");
    ASSERT_TRUE(tables.ok()) << i << ": " << tables.status();
  }
  const json after = json::parse(*emu_->Admin("GET", "/counters"))["counters"]["ListTables"];
  EXPECT_EQ(after["ok"], 10);
  int faults = 0;
  for (const auto& [name, n] : after.items()) {
    if (name != "ok") faults += n.get<int>();
  }
  EXPECT_GT(faults, 0) << after.dump();
  EXPECT_FALSE(clock_.sleeps().empty());  // backoff went through the fake clock
}

TEST_F(AwsClientsEmulatorTest, ClientCorrectsForAServerClockAnHourAhead) {
  ASSERT_TRUE(emu_->Admin("PUT", "/clock", R"({"offset_seconds": 3600})").ok());
  auto data = Data(Keys(kAliceKey, kAliceSecret));
  auto dbs = data->ListDatabases(Workgroup());
  ASSERT_TRUE(dbs.ok()) << dbs.status();
  EXPECT_GT(data->service().clock_offset(), std::chrono::minutes(55));
  EXPECT_LT(data->service().clock_offset(), std::chrono::minutes(65));
}

}  // namespace
}  // namespace schemaport
