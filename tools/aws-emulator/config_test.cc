#include "config.h"

#include <gtest/gtest.h>

namespace schemaport::emulator {
namespace {

constexpr const char* kFull = R"(
account_id = "123456789012"
region = "eu-west-1"
seed = 7
[server]
port = 0
statement_log = "/tmp/x.log"
[postgres]
host = "127.0.0.1"
port = 5433
superuser = "postgres"
[limits]
result_page_rows = 2
max_active_statements = 3
[faults]
throttle = 0.25
[faults.operations.ExecuteStatement]
error_503 = 0.5
latency_ms = 10
[[users]]
name = "alice"
access_key_id = "AKIAALICE0000000000"
secret_access_key = "alice-secret"
allow = ["redshift-data:*", "redshift-serverless:GetCredentials"]
[[roles]]
name = "reader"
trust = ["arn:aws:iam::123456789012:user/alice"]
external_id = "ext-1"
allow = ["redshift-data:*"]
[[workgroups]]
name = "analytics"
databases = { dev = "pg_dev" }
[[clusters]]
identifier = "prod-cluster"
databases = { sales = "pg_sales" }
[[secrets]]
name = "redshift/app"
secret_string = '{"username":"app","password":"pw"}'
)";

class ConfigTest : public ::testing::Test {};

TEST_F(ConfigTest, ParsesEverySectionWhenFullConfigGiven) {
  auto c = ParseEmulatorConfig(kFull, "test.toml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->region, "eu-west-1");
  EXPECT_EQ(c->seed, 7u);
  EXPECT_EQ(c->postgres.port, 5433);
  EXPECT_EQ(c->limits.result_page_rows, 2);
  EXPECT_EQ(c->limits.max_active_statements, 3);
  EXPECT_DOUBLE_EQ(c->faults.global.throttle, 0.25);
  ASSERT_EQ(c->faults.operations.count("ExecuteStatement"), 1u);
  EXPECT_DOUBLE_EQ(c->faults.operations["ExecuteStatement"].error_503, 0.5);
  EXPECT_EQ(c->faults.operations["ExecuteStatement"].latency_ms, 10);
  ASSERT_EQ(c->users.size(), 1u);
  EXPECT_EQ(c->users[0].secret_access_key.Reveal(), "alice-secret");
  EXPECT_EQ(c->roles[0].external_id, "ext-1");
  EXPECT_EQ(c->workgroups[0].databases.at("dev"), "pg_dev");
  EXPECT_EQ(c->clusters[0].name, "prod-cluster");
  EXPECT_EQ(c->secrets[0].name, "redshift/app");
}

TEST_F(ConfigTest, DataApiLimitsDefaultToAwsFiguresAndCanBeChanged) {
  auto d = ParseEmulatorConfig("", "x.toml");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->limits.max_row_bytes, 64 * 1024);
  EXPECT_EQ(d->limits.max_result_bytes, 500LL * 1024 * 1024);
  EXPECT_EQ(d->limits.result_page_bytes, 1024 * 1024);
  EXPECT_EQ(d->limits.rates_per_second.at("ExecuteStatement"), 30);
  EXPECT_EQ(d->limits.rates_per_second.at("GetStatementResult"), 20);
  EXPECT_EQ(d->limits.rates_per_second.at("DescribeStatement"), 100);
  EXPECT_TRUE(d->limits.redshift_sql_rules);
  auto c = ParseEmulatorConfig(
      "[limits]\nresult_page_bytes = 4096\nredshift_sql_rules = false\n"
      "[limits.rates_per_second]\nExecuteStatement = 5\nListTables = 0\n",
      "x.toml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->limits.result_page_bytes, 4096);
  EXPECT_FALSE(c->limits.redshift_sql_rules);
  EXPECT_EQ(c->limits.rates_per_second.at("ExecuteStatement"), 5);
  EXPECT_EQ(c->limits.rates_per_second.count("ListTables"), 0u);
  EXPECT_FALSE(
      ParseEmulatorConfig("[limits.rates_per_second]\nExecuteStatement = -1\n", "x.toml").ok());
}

TEST_F(ConfigTest, RejectsUnknownKeyWithItsLocation) {
  auto c = ParseEmulatorConfig("[limits]\nbogus = 1\n", "x.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("x.toml: limits: unknown key \"bogus\""), std::string::npos)
      << c.status().message();
}

TEST_F(ConfigTest, RejectsProbabilityOutOfRange) {
  auto c = ParseEmulatorConfig("[faults]\nthrottle = 1.5\n", "x.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("throttle"), std::string::npos);
}

TEST_F(ConfigTest, RejectsSyntaxErrorWithLine) {
  auto c = ParseEmulatorConfig("a = 1\nb = = 2\n", "bad.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("bad.toml:2"), std::string::npos) << c.status().message();
}

TEST_F(ConfigTest, NeverEchoesSecretKeyInErrors) {
  auto c = ParseEmulatorConfig(R"([[users]]
name = "bob"
access_key_id = "bad-key"
secret_access_key = "top-secret-value"
)",
                               "x.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message().find("top-secret-value"), std::string::npos);
}

TEST_F(ConfigTest, RejectsInvalidWorkgroupName) {
  auto c = ParseEmulatorConfig("[[workgroups]]\nname = \"A_B\"\ndatabases = { dev = \"x\" }\n",
                               "x.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("not a valid workgroup name"), std::string::npos);
}

TEST_F(ConfigTest, ApplyFaultFieldRejectsUnknownKey) {
  FaultSpec s;
  EXPECT_FALSE(ApplyFaultField(s, "nope", 1).ok());
  EXPECT_TRUE(ApplyFaultField(s, "drop", 0.5).ok());
  EXPECT_DOUBLE_EQ(s.drop, 0.5);
}

}  // namespace
}  // namespace schemaport::emulator
