#include "warehouse/redshift/settings.h"

#include <gtest/gtest.h>

namespace schemaport::warehouse::redshift {
namespace {

constexpr char kSecretKey[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

ConnectionSettings Valid() {
  ConnectionSettings s;
  s.values[kAccessKeyId] = "AKIAIOSFODNN7EXAMPLE";
  s.secrets[kSecretAccessKey] = Secret(kSecretKey);
  s.values[kRegion] = "eu-west-1";
  s.values[kWorkgroup] = "analytics";
  s.values[kDatabase] = "dev";
  return s;
}

TEST(SettingsTest, ServerlessWorkgroup) {
  auto s = ParseSettings(Valid());
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->mode, AuthMode::kServerless);
  EXPECT_EQ(s->secret_access_key.Reveal(), kSecretKey);
}

TEST(SettingsTest, ModesFollowTheFields) {
  auto c = Valid();
  c.values.erase(kWorkgroup);
  c.values[kClusterIdentifier] = "prod-cluster-1";
  EXPECT_EQ(ParseSettings(c)->mode, AuthMode::kClusterIam);
  c.values[kDatabaseUser] = "analyst";
  EXPECT_EQ(ParseSettings(c)->mode, AuthMode::kClusterDbUser);
  c.values.erase(kDatabaseUser);
  c.values[kSecretArn] = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:redshift-AbC123";
  EXPECT_EQ(ParseSettings(c)->mode, AuthMode::kSecret);
}

TEST(SettingsTest, TrimsPastedValues) {
  auto c = Valid();
  c.values[kAccessKeyId] = "  AKIAIOSFODNN7EXAMPLE\n";
  c.secrets[kSecretAccessKey] = Secret(std::string(" ") + kSecretKey + "\t");
  auto s = ParseSettings(c);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->access_key_id, "AKIAIOSFODNN7EXAMPLE");
  EXPECT_EQ(s->secret_access_key.Reveal(), kSecretKey);
}

TEST(SettingsTest, EachBadFieldIsNamed) {
  struct Case {
    const char* field;
    const char* value;
    const char* message;
  };
  const Case cases[] = {
      {kAccessKeyId, "", "Access Key ID: is required"},
      {kAccessKeyId, "akia-lower",
       "Access Key ID: must be 16 to 128 upper-case letters and digits (it starts with AKIA)"},
      {kRegion, "", "Region: is required"},
      {kRegion, "moon-1", "Region: is not an AWS Region name such as us-east-1"},
      {kWorkgroup, "Bad_Name", "Workgroup: use 3 to 64 lower-case letters, digits and hyphens"},
      {kDatabase, "", "Database: is required"},
      {kDatabaseUser, "bob",
       "Database user: applies to provisioned clusters only; a workgroup connects as IAM:<user>"},
      {kSecretArn, "arn:aws:s3:::bucket",
       "Secrets Manager secret ARN: is not a secret ARN "
       "(arn:aws:secretsmanager:<region>:<account>:secret:<name>)"},
  };
  for (const auto& c : cases) {
    auto settings = Valid();
    settings.values[c.field] = c.value;
    auto r = ParseSettings(settings);
    ASSERT_FALSE(r.ok()) << c.field;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    EXPECT_EQ(r.status().message(), c.message);
  }
}

TEST(SettingsTest, WorkgroupAndClusterAreExclusive) {
  auto c = Valid();
  c.values[kClusterIdentifier] = "prod";
  EXPECT_EQ(ParseSettings(c).status().message(),
            "Workgroup: fill in either a serverless workgroup or a cluster identifier, not both");
  c.values.erase(kClusterIdentifier);
  c.values.erase(kWorkgroup);
  EXPECT_FALSE(ParseSettings(c).ok());
}

TEST(SettingsTest, BadClusterIdentifiers) {
  const std::vector<std::string> bad_ids = {"1abc", "abc-", "a--b", "UPPER", std::string(64, 'a')};
  for (const std::string& bad : bad_ids) {
    auto c = Valid();
    c.values.erase(kWorkgroup);
    c.values[kClusterIdentifier] = bad;
    EXPECT_FALSE(ParseSettings(c).ok()) << bad;
  }
}

TEST(SettingsTest, SecretKeyProblemsNeverEchoTheKey) {
  auto c = Valid();
  c.secrets[kSecretAccessKey] = Secret("short key with spaces in it!");
  auto r = ParseSettings(c);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().find("short key"), std::string::npos);
  c.secrets.erase(kSecretAccessKey);
  EXPECT_EQ(ParseSettings(c).status().message(), "Secret Key: is required");
}

TEST(SettingsTest, UnicodeDatabaseNamesAreAccepted) {
  auto c = Valid();
  c.values[kDatabase] = "Données \"prod\"";
  auto s = ParseSettings(c);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->database, "Données \"prod\"");
  c.values[kDatabase] = std::string(128, 'd');
  EXPECT_FALSE(ParseSettings(c).ok());
}

TEST(SettingsTest, FormHasTheDesignedLabels) {
  std::vector<std::string> labels;
  for (const auto& f : FormFields()) labels.push_back(f.label);
  EXPECT_EQ(labels,
            (std::vector<std::string>{"Access Key ID", "Secret Key", "Region", "Workgroup",
                                      "Cluster identifier", "Database user", "Database",
                                      "Secrets Manager secret ARN", "Role ARN", "External ID"}));
}

TEST(SettingsTest, RoleArnAndExternalIdSelectAssumeRole) {
  auto c = Valid();
  c.values[kRoleArn] = "arn:aws:iam::123456789012:role/schemaport-reader";
  c.values[kExternalId] = "tenant-42";
  auto s = ParseSettings(c);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->role_arn, "arn:aws:iam::123456789012:role/schemaport-reader");
  EXPECT_EQ(s->external_id, "tenant-42");
  c.values[kRoleArn] = "arn:aws:iam::123456789012:user/alice";
  EXPECT_EQ(ParseSettings(c).status().message(),
            "Role ARN: is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)");
  c.values.erase(kRoleArn);
  EXPECT_EQ(ParseSettings(c).status().message(), "External ID: applies only with a Role ARN");
}

}  // namespace
}  // namespace schemaport::warehouse::redshift
