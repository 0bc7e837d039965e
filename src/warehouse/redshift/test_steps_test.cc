#include "warehouse/redshift/test_steps.h"

#include <gtest/gtest.h>

namespace schemaport::warehouse::redshift {
namespace {

TEST(DatabaseUserForArnTest, MapsUsersAndRoles) {
  EXPECT_EQ(DatabaseUserForArn("arn:aws:iam::123456789012:user/alice"), "IAM:alice");
  EXPECT_EQ(DatabaseUserForArn("arn:aws:iam::123456789012:user/team/data/bob"), "IAM:bob");
  EXPECT_EQ(DatabaseUserForArn("arn:aws:sts::123456789012:assumed-role/Analyst/session-1"),
            "IAMR:Analyst");
  EXPECT_EQ(DatabaseUserForArn("arn:aws:iam::123456789012:root"), "");
  EXPECT_EQ(DatabaseUserForArn("garbage"), "");
}

}  // namespace
}  // namespace schemaport::warehouse::redshift
