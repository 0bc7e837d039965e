#include "iam.h"

#include <gtest/gtest.h>

namespace schemaport::emulator {
namespace {

class IamTest : public ::testing::Test {
 protected:
  IamTest() {
    config_.users.push_back(UserConfig{
        "alice", "AKIAALICE0000000000", Secret("s1"), {"redshift-data:*", "sts:AssumeRole"}});
    config_.users.push_back(
        UserConfig{"mallory", "AKIAMALLORY00000000", Secret("s2"), {"sts:AssumeRole"}});
    RoleConfig role;
    role.name = "reader";
    role.trust = {"arn:aws:iam::123456789012:user/alice"};
    role.external_id = "ext-1";
    role.allow = {"redshift-data:Describe*"};
    config_.roles.push_back(role);
  }
  EmulatorConfig config_;
  FakeClock clock_;
  SeededRandom random_{42};
};

TEST_F(IamTest, WildcardMatchesStarAndQuestionMarkCaseInsensitively) {
  EXPECT_TRUE(WildcardMatch("redshift-data:*", "redshift-data:ExecuteStatement"));
  EXPECT_TRUE(WildcardMatch("*", "sts:AssumeRole"));
  EXPECT_TRUE(WildcardMatch("redshift-data:get*result*", "redshift-data:GetStatementResultV2"));
  EXPECT_TRUE(WildcardMatch("sts:Assume?ole", "sts:AssumeRole"));
  EXPECT_FALSE(WildcardMatch("redshift-data:Get*", "redshift-data:ExecuteStatement"));
  EXPECT_FALSE(
      WildcardMatch("redshift:GetClusterCredentials", "redshift:GetClusterCredentialsWithIAM"));
}

TEST_F(IamTest, FindKeyReturnsUserIdentity) {
  Iam iam(config_, clock_, random_);
  auto k = iam.FindKey("AKIAALICE0000000000");
  ASSERT_TRUE(k.has_value());
  EXPECT_EQ(k->identity.arn, "arn:aws:iam::123456789012:user/alice");
  EXPECT_EQ(k->identity.DbUser(), "IAM:alice");
  EXPECT_FALSE(iam.FindKey("AKIAUNKNOWN00000000").has_value());
}

TEST_F(IamTest, DenyMessageHasAwsShape) {
  Identity id;
  id.arn = "arn:aws:iam::123456789012:user/alice";
  EXPECT_EQ(Iam::DenyMessage(id, "redshift-serverless:GetCredentials", "arn:x"),
            "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: "
            "redshift-serverless:GetCredentials on resource: arn:x because no identity-based "
            "policy allows the "
            "redshift-serverless:GetCredentials action");
}

TEST_F(IamTest, AssumeRoleIssuesExpiringTemporaryKeyWhenTrustedWithExternalId) {
  Iam iam(config_, clock_, random_);
  Identity alice = iam.FindKey("AKIAALICE0000000000")->identity;
  auto r = iam.AssumeRole(alice, "arn:aws:iam::123456789012:role/reader", "s1",
                          std::string("ext-1"), 900);
  ASSERT_TRUE(std::holds_alternative<TemporaryCredentials>(r)) << std::get<ApiError>(r).message;
  const auto& c = std::get<TemporaryCredentials>(r);
  EXPECT_EQ(c.access_key_id.substr(0, 4), "ASIA");
  EXPECT_EQ(c.assumed_role_arn, "arn:aws:sts::123456789012:assumed-role/reader/s1");
  auto k = iam.FindKey(c.access_key_id);
  ASSERT_TRUE(k.has_value());
  EXPECT_EQ(k->identity.DbUser(), "IAMR:reader");
  ASSERT_TRUE(k->expiration.has_value());
  EXPECT_EQ(*k->expiration - clock_.Now(), std::chrono::seconds(900));
  EXPECT_TRUE(Iam::IsAllowed(k->identity, "redshift-data:DescribeStatement"));
  EXPECT_FALSE(Iam::IsAllowed(k->identity, "redshift-data:ExecuteStatement"));
}

TEST_F(IamTest, AssumeRoleDeniedWithoutExternalIdOrTrust) {
  Iam iam(config_, clock_, random_);
  Identity alice = iam.FindKey("AKIAALICE0000000000")->identity;
  Identity mallory = iam.FindKey("AKIAMALLORY00000000")->identity;
  auto no_ext = iam.AssumeRole(alice, "arn:aws:iam::123456789012:role/reader", "s1", std::nullopt,
                               std::nullopt);
  ASSERT_TRUE(std::holds_alternative<ApiError>(no_ext));
  EXPECT_EQ(std::get<ApiError>(no_ext).code, "AccessDenied");
  EXPECT_EQ(std::get<ApiError>(no_ext).http_status, 403);
  auto untrusted = iam.AssumeRole(mallory, "arn:aws:iam::123456789012:role/reader", "s1",
                                  std::string("ext-1"), std::nullopt);
  ASSERT_TRUE(std::holds_alternative<ApiError>(untrusted));
  EXPECT_NE(std::get<ApiError>(untrusted).message.find(
                "user/mallory is not authorized to perform: sts:AssumeRole"),
            std::string::npos);
}

}  // namespace
}  // namespace schemaport::emulator
