#include "services.h"

#include <gtest/gtest.h>

namespace schemaport::emulator {
namespace {

using nlohmann::json;

class ServicesTest : public ::testing::Test {
 protected:
  // Members built from the config copy it at construction, so the config is complete first.
  static EmulatorConfig MakeConfig() {
    EmulatorConfig c;
    c.users.push_back(UserConfig{"alice", "AKIAALICE0000000000", Secret("s"), {"*"}});
    c.users.push_back(UserConfig{"bob", "AKIABOB000000000000", Secret("s"), {"redshift-data:*"}});
    c.workgroups.push_back(WarehouseConfig{"analytics", "", {{"dev", "pg_dev"}}});
    c.clusters.push_back(WarehouseConfig{"prod", "", {{"dev", "pg_dev"}}});
    c.secrets.push_back(SecretConfig{"app", R"({"username":"u","password":"p"})", ""});
    c.limits.workers = 1;
    return c;
  }
  ServiceContext Context() {
    return ServiceContext{config_, clock_, random_, iam_, secrets_, engine_, pg_, log_};
  }
  Identity Who(const char* key) { return iam_.FindKey(key)->identity; }

  EmulatorConfig config_ = MakeConfig();
  FakeClock clock_;
  SeededRandom random_{5};
  Iam iam_{config_, clock_, random_};
  SecretsStore secrets_{config_, clock_, random_};
  FaultInjector faults_{FaultsConfig{}, 1};
  StatementLog log_{""};
  PgAccess pg_{config_.postgres, random_};
  StatementEngine engine_{config_, clock_, random_, pg_, log_, faults_};
};

TEST_F(ServicesTest, PutSecretValueMovesCurrentToPrevious) {
  auto ctx = Context();
  Identity alice = Who("AKIAALICE0000000000");
  auto created =
      HandleSecretsManager(ctx, alice, "CreateSecret", {{"Name", "k"}, {"SecretString", "v1"}});
  ASSERT_TRUE(std::holds_alternative<json>(created));
  std::string arn = std::get<json>(created)["ARN"];
  EXPECT_EQ(arn.rfind("arn:aws:secretsmanager:us-east-1:123456789012:secret:k-", 0), 0u) << arn;
  ASSERT_TRUE(std::holds_alternative<json>(HandleSecretsManager(
      ctx, alice, "PutSecretValue", {{"SecretId", "k"}, {"SecretString", "v2"}})));
  ASSERT_TRUE(std::holds_alternative<json>(HandleSecretsManager(
      ctx, alice, "PutSecretValue", {{"SecretId", arn}, {"SecretString", "v3"}})));
  auto current =
      std::get<json>(HandleSecretsManager(ctx, alice, "GetSecretValue", {{"SecretId", "k"}}));
  auto previous = std::get<json>(HandleSecretsManager(
      ctx, alice, "GetSecretValue", {{"SecretId", "k"}, {"VersionStage", "AWSPREVIOUS"}}));
  EXPECT_EQ(current["SecretString"], "v3");
  EXPECT_EQ(previous["SecretString"], "v2");
  EXPECT_EQ(previous["VersionStages"], json::array({"AWSPREVIOUS"}));
  auto missing = HandleSecretsManager(ctx, alice, "GetSecretValue", {{"SecretId", "nope"}});
  ASSERT_TRUE(std::holds_alternative<ApiError>(missing));
  EXPECT_EQ(std::get<ApiError>(missing).code, "ResourceNotFoundException");
  auto exists =
      HandleSecretsManager(ctx, alice, "CreateSecret", {{"Name", "k"}, {"SecretString", "x"}});
  EXPECT_EQ(std::get<ApiError>(exists).code, "ResourceExistsException");
}

TEST_F(ServicesTest, ReusedClientRequestTokenWithOtherValueIsRejected) {
  auto ctx = Context();
  Identity alice = Who("AKIAALICE0000000000");
  json put = {{"SecretId", "app"}, {"SecretString", "a"}, {"ClientRequestToken", "tok-1"}};
  ASSERT_TRUE(
      std::holds_alternative<json>(HandleSecretsManager(ctx, alice, "PutSecretValue", put)));
  ASSERT_TRUE(
      std::holds_alternative<json>(HandleSecretsManager(ctx, alice, "PutSecretValue", put)));
  put["SecretString"] = "b";
  auto r = HandleSecretsManager(ctx, alice, "PutSecretValue", put);
  ASSERT_TRUE(std::holds_alternative<ApiError>(r));
  EXPECT_EQ(std::get<ApiError>(r).code, "ResourceExistsException");
}

TEST_F(ServicesTest, DeniedSecretAccessNamesTheSecretArn) {
  auto ctx = Context();
  auto r = HandleSecretsManager(ctx, Who("AKIABOB000000000000"), "GetSecretValue",
                                {{"SecretId", "app"}});
  ASSERT_TRUE(std::holds_alternative<ApiError>(r));
  const ApiError& e = std::get<ApiError>(r);
  EXPECT_EQ(e.code, "AccessDeniedException");
  EXPECT_NE(e.message.find("secretsmanager:GetSecretValue on resource: "
                           "arn:aws:secretsmanager:us-east-1:123456789012:secret:app-"),
            std::string::npos);
}

TEST_F(ServicesTest, StsGetCallerIdentityAndRedshiftCredentials) {
  auto ctx = Context();
  Identity alice = Who("AKIAALICE0000000000");
  auto id = HandleSts(ctx, alice, "GetCallerIdentity", {});
  ASSERT_TRUE(std::holds_alternative<std::string>(id));
  EXPECT_NE(std::get<std::string>(id).find("<Arn>arn:aws:iam::123456789012:user/alice</Arn>"),
            std::string::npos);
  auto creds = HandleRedshift(ctx, alice, "GetClusterCredentials",
                              {{"ClusterIdentifier", "prod"}, {"DbUser", "analyst"}});
  ASSERT_TRUE(std::holds_alternative<std::string>(creds));
  EXPECT_NE(std::get<std::string>(creds).find("<DbUser>IAM:analyst</DbUser>"), std::string::npos);
  auto missing = HandleRedshift(ctx, alice, "GetClusterCredentials",
                                {{"ClusterIdentifier", "nope"}, {"DbUser", "x"}});
  ASSERT_TRUE(std::holds_alternative<ApiError>(missing));
  EXPECT_EQ(std::get<ApiError>(missing).code, "ClusterNotFound");
  EXPECT_EQ(std::get<ApiError>(missing).http_status, 404);
  auto denied = HandleRedshift(ctx, Who("AKIABOB000000000000"), "GetClusterCredentialsWithIAM",
                               {{"ClusterIdentifier", "prod"}});
  ASSERT_TRUE(std::holds_alternative<ApiError>(denied));
  EXPECT_EQ(std::get<ApiError>(denied).code, "AccessDenied");
  EXPECT_EQ(std::get<ApiError>(denied).http_status, 403);
}

TEST_F(ServicesTest, ServerlessGetCredentialsMapsToIamUser) {
  auto ctx = Context();
  auto ok = HandleRedshiftServerless(ctx, Who("AKIAALICE0000000000"), "GetCredentials",
                                     {{"workgroupName", "analytics"}});
  ASSERT_TRUE(std::holds_alternative<json>(ok));
  EXPECT_EQ(std::get<json>(ok)["dbUser"], "IAM:alice");
  EXPECT_DOUBLE_EQ(std::get<json>(ok)["expiration"].get<double>(),
                   EpochSeconds(clock_.Now() + std::chrono::seconds(900)));
  auto denied = HandleRedshiftServerless(ctx, Who("AKIABOB000000000000"), "GetCredentials",
                                         {{"workgroupName", "analytics"}});
  ASSERT_TRUE(std::holds_alternative<ApiError>(denied));
  EXPECT_EQ(
      std::get<ApiError>(denied).message,
      "User: arn:aws:iam::123456789012:user/bob is not authorized to perform: "
      "redshift-serverless:GetCredentials "
      "on resource: " +
          WorkgroupArn(config_, config_.workgroups[0]) +
          " because no identity-based policy allows the redshift-serverless:GetCredentials action");
}

TEST_F(ServicesTest, DataApiRejectsBadMemberCombinationsBeforeTouchingPostgres) {
  auto ctx = Context();
  Identity alice = Who("AKIAALICE0000000000");
  auto both = HandleDataApi(ctx, alice, "ExecuteStatement",
                            {{"Sql", "select 1"},
                             {"Database", "dev"},
                             {"WorkgroupName", "analytics"},
                             {"ClusterIdentifier", "prod"}});
  EXPECT_EQ(std::get<ApiError>(both).code, "ValidationException");
  auto big = HandleDataApi(ctx, alice, "ExecuteStatement",
                           {{"Sql", std::string(100 * 1024 + 1, 'x')},
                            {"Database", "dev"},
                            {"WorkgroupName", "analytics"}});
  EXPECT_EQ(std::get<ApiError>(big).code, "ValidationException");
  auto unknown = HandleDataApi(ctx, alice, "DescribeStatement",
                               {{"Id", "00000000-0000-4000-8000-000000000000"}});
  EXPECT_EQ(std::get<ApiError>(unknown).code, "ResourceNotFoundException");
  EXPECT_EQ(std::get<ApiError>(unknown).extra["ResourceId"],
            "00000000-0000-4000-8000-000000000000");
}

}  // namespace
}  // namespace schemaport::emulator
