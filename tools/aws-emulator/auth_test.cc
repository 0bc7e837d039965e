#include "auth.h"

#include <gtest/gtest.h>

namespace schemaport::emulator {
namespace {

class AuthTest : public ::testing::Test {
 protected:
  AuthTest() : clock_(std::chrono::system_clock::from_time_t(1'700'000'000)) {
    config_.users.push_back(
        UserConfig{"alice", "AKIAALICE0000000000", Secret("alice-secret"), {"*"}});
  }
  aws::sigv4::Request Signed(Clock::TimePoint when, const std::string& secret = "alice-secret",
                             const std::string& key = "AKIAALICE0000000000") {
    aws::sigv4::Request r;
    r.method = "POST";
    r.path = "/";
    r.headers = {{"Host", "localhost"},
                 {"X-Amz-Target", "RedshiftData.ListStatements"},
                 {"Content-Type", "application/x-amz-json-1.1"}};
    r.body = "{}";
    aws::Credentials c{key, Secret(secret), Secret(), std::nullopt};
    aws::sigv4::SignHeaders(r, c, aws::sigv4::SigningParams{"us-east-1", "redshift-data", when});
    return r;
  }
  EmulatorConfig config_;
  FakeClock clock_;
  SeededRandom random_{1};
};

TEST_F(AuthTest, AcceptsCorrectSignature) {
  Iam iam(config_, clock_, random_);
  auto r = VerifySigV4(Signed(clock_.Now()), iam, clock_, std::chrono::minutes(5));
  ASSERT_TRUE(std::holds_alternative<VerifiedRequest>(r)) << std::get<AuthFailure>(r).message;
  EXPECT_EQ(std::get<VerifiedRequest>(r).identity.name, "alice");
  EXPECT_EQ(std::get<VerifiedRequest>(r).service, "redshift-data");
}

TEST_F(AuthTest, RejectsUnknownKeyBadSignatureAndSkew) {
  Iam iam(config_, clock_, random_);
  auto unknown = VerifySigV4(Signed(clock_.Now(), "x", "AKIANOBODY000000000"), iam, clock_,
                             std::chrono::minutes(5));
  ASSERT_TRUE(std::holds_alternative<AuthFailure>(unknown));
  EXPECT_EQ(std::get<AuthFailure>(unknown).message,
            "The security token included in the request is invalid.");
  auto bad = VerifySigV4(Signed(clock_.Now(), "wrong"), iam, clock_, std::chrono::minutes(5));
  ASSERT_TRUE(std::holds_alternative<AuthFailure>(bad));
  EXPECT_EQ(std::get<AuthFailure>(bad).kind, AuthFailure::Kind::kBadSignature);
  auto old = VerifySigV4(Signed(clock_.Now() - std::chrono::minutes(6)), iam, clock_,
                         std::chrono::minutes(5));
  ASSERT_TRUE(std::holds_alternative<AuthFailure>(old));
  EXPECT_EQ(std::get<AuthFailure>(old).kind, AuthFailure::Kind::kSignatureExpired);
  EXPECT_EQ(std::get<AuthFailure>(old).message,
            "Signature expired: 20231114T220720Z is now earlier than 20231114T220820Z "
            "(20231114T221320Z - 5 min.)");
}

TEST_F(AuthTest, TamperedBodyFailsSignature) {
  Iam iam(config_, clock_, random_);
  auto req = Signed(clock_.Now());
  req.body = "{\"MaxResults\":1}";
  auto r = VerifySigV4(req, iam, clock_, std::chrono::minutes(5));
  ASSERT_TRUE(std::holds_alternative<AuthFailure>(r));
  EXPECT_EQ(std::get<AuthFailure>(r).kind, AuthFailure::Kind::kBadSignature);
}

// Regression: the emulator used to trust a claimed x-amz-content-sha256 without hashing the body,
// so a body changed after signing still verified.
TEST_F(AuthTest, TamperedBodyWithSignedContentHashFails) {
  Iam iam(config_, clock_, random_);
  aws::sigv4::Request r;
  r.method = "POST";
  r.path = "/";
  r.headers = {{"Host", "localhost"}, {"X-Amz-Target", "RedshiftData.ListStatements"}};
  r.body = "{}";
  aws::Credentials c{"AKIAALICE0000000000", Secret("alice-secret"), Secret(), std::nullopt};
  aws::sigv4::SigningParams params{"us-east-1", "redshift-data", clock_.Now()};
  params.sign_body = true;
  aws::sigv4::SignHeaders(r, c, params);
  ASSERT_TRUE(std::holds_alternative<VerifiedRequest>(
      VerifySigV4(r, iam, clock_, std::chrono::minutes(5))));
  r.body = "{\"Database\":\"prod\"}";
  auto v = VerifySigV4(r, iam, clock_, std::chrono::minutes(5));
  ASSERT_TRUE(std::holds_alternative<AuthFailure>(v));
  EXPECT_EQ(std::get<AuthFailure>(v).kind, AuthFailure::Kind::kBadSignature);
}

// Regression: a signature that does not cover host (or x-amz-date) was accepted.
TEST_F(AuthTest, HostAndDateMustBeSigned) {
  Iam iam(config_, clock_, random_);
  aws::sigv4::Request r = Signed(clock_.Now());
  for (auto& [k, v] : r.headers) {
    if (k == "Authorization") {
      const std::string full = "SignedHeaders=content-type;host;x-amz-date;x-amz-target";
      const size_t at = v.find(full);
      ASSERT_NE(at, std::string::npos) << v;
      v.replace(at, full.size(), "SignedHeaders=content-type;x-amz-date;x-amz-target");
    }
  }
  auto v = VerifySigV4(r, iam, clock_, std::chrono::minutes(5));
  ASSERT_TRUE(std::holds_alternative<AuthFailure>(v));
  EXPECT_EQ(std::get<AuthFailure>(v).kind, AuthFailure::Kind::kMalformed);
}

TEST_F(AuthTest, ExpiredSessionTokenIsReported) {
  config_.users[0].allow = {"sts:AssumeRole"};
  RoleConfig role;
  role.name = "r";
  role.trust = {"*"};
  config_.roles.push_back(role);
  Iam iam(config_, clock_, random_);
  auto creds = std::get<TemporaryCredentials>(
      iam.AssumeRole(iam.FindKey("AKIAALICE0000000000")->identity,
                     "arn:aws:iam::123456789012:role/r", "sess", std::nullopt, 900));
  clock_.Advance(std::chrono::seconds(901));
  aws::sigv4::Request r;
  r.method = "POST";
  r.path = "/";
  r.headers = {{"Host", "localhost"}};
  aws::Credentials c{creds.access_key_id, creds.secret_access_key, creds.session_token,
                     creds.expiration};
  aws::sigv4::SignHeaders(r, c, aws::sigv4::SigningParams{"us-east-1", "sts", clock_.Now()});
  auto v = VerifySigV4(r, iam, clock_, std::chrono::minutes(5));
  ASSERT_TRUE(std::holds_alternative<AuthFailure>(v));
  EXPECT_EQ(std::get<AuthFailure>(v).kind, AuthFailure::Kind::kExpiredToken);
  EXPECT_EQ(std::get<AuthFailure>(v).message,
            "The security token included in the request is expired");
}

}  // namespace
}  // namespace schemaport::emulator
