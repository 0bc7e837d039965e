// AwsServiceClient and the typed clients against a scripted transport, under a fake clock.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include <nlohmann/json.hpp>

#include "aws/internal.h"
#include "aws/testing/fake_http.h"

namespace schemaport::aws {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::HeaderOf;
using testing::ScriptedHttpClient;

Credentials TestCredentials() {
  return {"AKIDEXAMPLE", Secret("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"), Secret(),
          std::nullopt};
}

class ClientTestBase : public ::testing::Test {
 protected:
  ClientConfig Config() const {
    ClientConfig c;
    c.region = "us-east-1";
    return c;
  }
  std::unique_ptr<AwsServiceClient> Service(std::string_view name, ClientConfig config) {
    auto c = AwsServiceClient::Create(
        *EmbeddedModel(name), std::move(config), http_,
        std::make_shared<StaticCredentialsProvider>(TestCredentials()), clock_, random_);
    EXPECT_TRUE(c.ok()) << c.status();
    return std::move(c).value();
  }
  void ReplyJson(int status, const json& body, Headers headers = {}) {
    http_->Reply(status, body.dump(), std::move(headers));
  }
  void ReplyError(int status, std::string_view type, std::string_view message) {
    ReplyJson(status, {{"__type", type}, {"message", message}}, {{"x-amzn-RequestId", "rid"}});
  }
  json Body(size_t i) const { return json::parse(http_->requests().at(i).body); }

  std::shared_ptr<ScriptedHttpClient> http_ = std::make_shared<ScriptedHttpClient>();
  FakeClock clock_;  // starts at 2020-09-13T12:26:40Z
  SeededRandom random_{42};
};

class ServiceClientTest : public ClientTestBase {};

TEST_F(ServiceClientTest, JsonRequestIsShapedAndSignedLikeTheSdk) {
  auto client = Service("redshift-data", Config());
  ReplyJson(200, {{"Id", "d9b6c0c9-0747-4bf4-b142-e8883122f766"}});
  auto out = client->Call("ExecuteStatement", {{"Sql", "select 1"}, {"WorkgroupName", "wg1"}});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)["Id"], "d9b6c0c9-0747-4bf4-b142-e8883122f766");
  const HttpRequest req = http_->requests().at(0);
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.url, "https://redshift-data.us-east-1.amazonaws.com/");
  EXPECT_EQ(HeaderOf(req, "Host"), "redshift-data.us-east-1.amazonaws.com");
  EXPECT_EQ(HeaderOf(req, "X-Amz-Target"), "RedshiftData.ExecuteStatement");
  EXPECT_EQ(HeaderOf(req, "Content-Type"), "application/x-amz-json-1.1");
  EXPECT_EQ(HeaderOf(req, "X-Amz-Date"), "20200913T122640Z");
  auto auth = sigv4::ParseAuthorization(HeaderOf(req, "Authorization"));
  ASSERT_TRUE(auth.ok());
  EXPECT_EQ(auth->access_key_id, "AKIDEXAMPLE");
  EXPECT_EQ(auth->service, "redshift-data");
  EXPECT_EQ(auth->region, "us-east-1");
  EXPECT_THAT(auth->signed_headers,
              ElementsAre("content-type", "host", "x-amz-date", "x-amz-target"));
  // A verifier holding the secret key reproduces the signature from the wire request.
  sigv4::Request wire{"POST", "/", "", req.headers, req.body};
  const std::string canonical =
      sigv4::CanonicalRequest(wire, auth->signed_headers, true, sigv4::Sha256Hex(req.body));
  EXPECT_EQ(sigv4::Signature(
                TestCredentials().secret_access_key, "20200913", "us-east-1", "redshift-data",
                sigv4::StringToSign("20200913T122640Z",
                                    "20200913/us-east-1/redshift-data/aws4_request", canonical)),
            auth->signature);
}

TEST_F(ServiceClientTest, InvalidInputIsRejectedBeforeAnythingIsSent) {
  auto client = Service("redshift-data", Config());
  auto out = client->Call("ExecuteStatement", {{"Sql", "x"}, {"WaitTimeSeconds", 31}});
  EXPECT_EQ(out.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(out.status().message(),
            "redshift-data ExecuteStatement: invalid input: WaitTimeSeconds: must be at most 30");
  EXPECT_TRUE(http_->requests().empty());
  EXPECT_EQ(client->Call("NoSuchOp", json::object()).status().code(), Code::kInvalidArgument);
}

TEST_F(ServiceClientTest, ThrottlingIsRetriedWithThrottlingBackoffAndSlowsTheOperation) {
  ClientConfig config = Config();
  config.rates_per_second = DefaultDataApiRates();
  auto client = Service("redshift-data", config);
  ReplyError(400, "ThrottlingException", "Rate exceeded");
  ReplyJson(200, {{"Id", "d9b6c0c9-0747-4bf4-b142-e8883122f766"}});
  auto out = client->Call("DescribeStatement", {{"Id", "d9b6c0c9-0747-4bf4-b142-e8883122f766"}});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(http_->requests().size(), 2u);
  ASSERT_EQ(clock_.sleeps().size(), 1u);
  EXPECT_LT(clock_.sleeps()[0], std::chrono::milliseconds(500));  // throttling base, retry 0
  EXPECT_LT(client->rate_limiter().CurrentRate("DescribeStatement"), 100.0);
}

TEST_F(ServiceClientTest, ClientsOfOneAccountAndRegionShareOneRateBudget) {
  RateBudgets budgets(clock_);
  int lookups = 0;
  auto account_of = [&]() -> Result<std::string> {
    ++lookups;
    return std::string("123456789012");
  };
  auto a = budgets.ForAccessKey("AKIAONE", "us-east-1", account_of);
  auto b = budgets.ForAccessKey("AKIATWO", "us-east-1", account_of);  // same account, other key
  EXPECT_EQ(a, b);
  EXPECT_EQ(budgets.ForAccessKey("AKIAONE", "us-east-1", account_of), a);
  EXPECT_EQ(lookups, 2) << "each key's account is looked up once";
  EXPECT_NE(budgets.ForAccessKey("AKIAONE", "eu-west-1", account_of), a) << "quotas are per Region";
  auto unknown = budgets.ForAccessKey(
      "AKIABAD", "us-east-1", []() -> Result<std::string> { return Unauthenticated("bad key"); });
  EXPECT_NE(unknown, a);
  // 10% under the quota, so that calls sent evenly arrive under it.
  EXPECT_DOUBLE_EQ(a->CurrentRate("ExecuteStatement"), 27.0);
  EXPECT_DOUBLE_EQ(a->CurrentRate("ListStatements"), 2.7);

  // Two clients drawing from the shared budget: the second waits for the first one's tokens.
  ClientConfig config = Config();
  config.shared_rate_limiter = [a] { return a; };
  auto one = Service("redshift-data", config);
  auto two = Service("redshift-data", config);
  for (int i = 0; i < 6; ++i) ReplyJson(200, {{"Statements", json::array()}});
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(one->Call("ListStatements", json::object()).ok());
    ASSERT_TRUE(two->Call("ListStatements", json::object()).ok());
  }
  EXPECT_EQ(&one->rate_limiter(), &two->rate_limiter());
  EXPECT_FALSE(clock_.sleeps().empty()) << "six calls at 2.7/s must wait";
}

TEST_F(ServiceClientTest, ServerErrorsGiveUpAfterThreeAttemptsWithExponentialJitter) {
  auto client = Service("redshift-data", Config());
  for (int i = 0; i < 3; ++i) ReplyError(503, "ServiceUnavailableException", "try later");
  auto out = client->Call("ListDatabases", {{"Database", "dev"}, {"WorkgroupName", "wg1"}});
  EXPECT_EQ(out.status().code(), Code::kUnavailable);
  EXPECT_EQ(AwsErrorCode(out.status()), "ServiceUnavailableException");
  EXPECT_EQ(http_->requests().size(), 3u);
  const auto sleeps = clock_.sleeps();
  ASSERT_EQ(sleeps.size(), 2u);
  EXPECT_LT(sleeps[0], std::chrono::milliseconds(100));
  EXPECT_LT(sleeps[1], std::chrono::milliseconds(200));
  EXPECT_EQ(client->retry_quota().tokens(), 500 - 2 * 5);
}

TEST_F(ServiceClientTest, AccessAndValidationErrorsAreNeverRetried) {
  auto client = Service("redshift-data", Config());
  ReplyError(400, "AccessDeniedException",
             "User: arn:aws:iam::123456789012:user/bob is not authorized to perform: "
             "redshift-data:ExecuteStatement");
  auto denied = client->Call("ExecuteStatement", {{"Sql", "x"}, {"WorkgroupName", "wg1"}});
  EXPECT_EQ(denied.status().code(), Code::kPermissionDenied);
  EXPECT_THAT(denied.status().message(), HasSubstr("redshift-data:ExecuteStatement"));
  ReplyError(400, "ValidationException", "bad");
  EXPECT_EQ(
      client->Call("ExecuteStatement", {{"Sql", "x"}, {"WorkgroupName", "wg1"}}).status().code(),
      Code::kInvalidArgument);
  EXPECT_EQ(http_->requests().size(), 2u);
  EXPECT_TRUE(clock_.sleeps().empty());
}

TEST_F(ServiceClientTest, DroppedConnectionsAndTimeoutsAreRetriedButTlsFailuresAreNot) {
  auto client = Service("redshift-data", Config());
  http_->Fail(Unavailable("connection reset"));
  http_->Fail(Status(Code::kTimeout, "timed out"));
  ReplyJson(200, {{"Status", true}});
  auto ok = client->Call("CancelStatement", {{"Id", "d9b6c0c9-0747-4bf4-b142-e8883122f766"}});
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(http_->requests().size(), 3u);
  EXPECT_EQ(client->retry_quota().tokens(), 500 - 10 - 10 + 10);  // success refunds the last retry

  http_->Fail(FailedPrecondition("certificate could not be verified"));
  auto tls = client->Call("CancelStatement", {{"Id", "d9b6c0c9-0747-4bf4-b142-e8883122f766"}});
  EXPECT_EQ(tls.status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(http_->requests().size(), 4u);
}

TEST_F(ServiceClientTest, EmptyRetryQuotaStopsRetrying) {
  ClientConfig config = Config();
  config.retry.initial_quota = 5;
  auto client = Service("redshift-data", config);
  ReplyError(500, "InternalServerException", "oops");
  ReplyError(500, "InternalServerException", "oops");
  ReplyError(500, "InternalServerException", "oops");
  EXPECT_FALSE(
      client->Call("CancelStatement", {{"Id", "d9b6c0c9-0747-4bf4-b142-e8883122f766"}}).ok());
  // One retry paid 5 tokens; the quota was then empty, so the second retry never happened.
  EXPECT_EQ(http_->requests().size(), 2u);
  EXPECT_EQ(http_->pending(), 1u);
}

TEST_F(ServiceClientTest, ClockSkewIsCorrectedFromTheDateHeaderAndRetried) {
  auto client = Service("redshift-data", Config());
  // Our clock: 2020-09-13T12:26:40Z; the service's: one hour later.
  ReplyJson(
      400,
      {{"__type", "InvalidSignatureException"},
       {"message", "Signature expired: 20200913T122640Z is now earlier than 20200913T132140Z"}},
      {{"Date", "Sun, 13 Sep 2020 13:26:40 GMT"}});
  ReplyJson(200, {{"Status", true}});
  ReplyJson(200, {{"Status", true}});
  ASSERT_TRUE(
      client->Call("CancelStatement", {{"Id", "d9b6c0c9-0747-4bf4-b142-e8883122f766"}}).ok());
  EXPECT_EQ(client->clock_offset(), std::chrono::hours(1));
  ASSERT_EQ(http_->requests().size(), 2u);
  EXPECT_EQ(HeaderOf(http_->requests()[0], "X-Amz-Date"), "20200913T122640Z");
  EXPECT_EQ(HeaderOf(http_->requests()[1], "X-Amz-Date").substr(0, 11), "20200913T13");
  // Later calls keep the offset.
  ASSERT_TRUE(
      client->Call("CancelStatement", {{"Id", "d9b6c0c9-0747-4bf4-b142-e8883122f766"}}).ok());
  EXPECT_EQ(HeaderOf(http_->requests()[2], "X-Amz-Date").substr(0, 11), "20200913T13");
}

TEST_F(ServiceClientTest, SignatureMismatchWithoutSkewIsNotRetried) {
  auto client = Service("redshift-data", Config());
  ReplyJson(400, {{"__type", "InvalidSignatureException"}, {"message", "does not match"}},
            {{"Date", "Sun, 13 Sep 2020 12:26:41 GMT"}});
  auto out = client->Call("CancelStatement", {{"Id", "d9b6c0c9-0747-4bf4-b142-e8883122f766"}});
  EXPECT_EQ(out.status().code(), Code::kUnauthenticated);
  EXPECT_EQ(http_->requests().size(), 1u);
  EXPECT_EQ(client->clock_offset(), std::chrono::milliseconds(0));
  EXPECT_EQ(ParseHttpDate("Sun, 13 Sep 2020 12:26:41 GMT"),
            Clock::TimePoint(std::chrono::seconds(1600000001)));
  EXPECT_FALSE(ParseHttpDate("Sunday, 13-Sep-20 12:26:41 GMT").has_value());
  EXPECT_FALSE(ParseHttpDate("Sun, 13 Foo 2020 12:26:41 GMT").has_value());
}

TEST_F(ServiceClientTest, ExecuteStatementRetryReusesItsClientToken) {
  auto data =
      std::make_unique<RedshiftDataClient>(Service("redshift-data", Config()), clock_, random_);
  ReplyError(500, "InternalServerException", "oops");
  ReplyJson(200, {{"Id", "d9b6c0c9-0747-4bf4-b142-e8883122f766"}});
  ExecuteStatementRequest req;
  req.target.workgroup_name = "wg1";
  req.target.database = "dev";
  req.sql = "select 1";
  auto out = data->ExecuteStatement(req);
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(http_->requests().size(), 2u);
  EXPECT_FALSE(Body(0)["ClientToken"].get<std::string>().empty());
  EXPECT_EQ(Body(0)["ClientToken"], Body(1)["ClientToken"]);
}

TEST_F(ServiceClientTest, QueryProtocolPostsAFormAndReadsXml) {
  auto sts = std::make_unique<StsClient>(Service("sts", Config()));
  http_->Reply(200, R"(<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
   <Arn>arn:aws:iam::123456789012:user/Alice</Arn>
    <UserId>AIDACKCEVSQ6C2EXAMPLE</UserId>
    <Account>123456789012</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata><RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId></ResponseMetadata>
</GetCallerIdentityResponse>)");
  auto id = sts->GetCallerIdentity();
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->arn, "arn:aws:iam::123456789012:user/Alice");
  EXPECT_EQ(id->account, "123456789012");
  EXPECT_EQ(id->user_id, "AIDACKCEVSQ6C2EXAMPLE");
  const HttpRequest req = http_->requests().at(0);
  EXPECT_EQ(req.url, "https://sts.us-east-1.amazonaws.com/");
  EXPECT_EQ(req.body, "Action=GetCallerIdentity&Version=2011-06-15");
  EXPECT_EQ(HeaderOf(req, "Content-Type"), "application/x-www-form-urlencoded; charset=utf-8");
  EXPECT_EQ(HeaderOf(req, "X-Amz-Target"), "");

  http_->Reply(403,
               "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code>"
               "<Message>The security token included in the request is invalid.</Message>"
               "</Error><RequestId>r</RequestId></ErrorResponse>");
  auto bad = sts->GetCallerIdentity();
  EXPECT_EQ(bad.status().code(), Code::kUnauthenticated);
  EXPECT_EQ(bad.status().message(),
            "sts GetCallerIdentity failed: InvalidClientTokenId: The security token included in "
            "the request is invalid.");
}

// ---- AssumeRole credentials --------------------------------------------------------------

std::string AssumeRoleXml(std::string_view key, std::string_view expiration) {
  return "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>" + std::string(key) +
         "</AccessKeyId><SecretAccessKey>secret-" + std::string(key) +
         "</SecretAccessKey><SessionToken>token-" + std::string(key) +
         "</SessionToken><Expiration>" + std::string(expiration) +
         "</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>";
}

class AssumeRoleProviderTest : public ClientTestBase {};

TEST_F(AssumeRoleProviderTest, RefreshesAheadOfExpiryAndSharesOneRefreshAcrossThreads) {
  auto sts = std::make_shared<StsClient>(Service("sts", Config()));
  AssumeRoleParams params;
  params.role_arn = "arn:aws:iam::123456789012:role/reader";
  params.external_id = "ext-123";
  params.duration_seconds = 3600;
  AssumeRoleCredentialsProvider provider(sts, params, clock_);
  // Clock starts at 2020-09-13T12:26:40Z; these credentials expire an hour later.
  http_->Reply(200, AssumeRoleXml("ASIA1", "2020-09-13T13:26:40Z"));
  http_->Reply(200, AssumeRoleXml("ASIA2", "2020-09-13T14:26:40Z"));

  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      auto c = provider.Get();
      if (c.ok() && c->access_key_id == "ASIA1") ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 8);
  EXPECT_EQ(provider.refreshes(), 1);
  const std::string body = http_->requests().at(0).body;
  EXPECT_THAT(body, HasSubstr("Action=AssumeRole"));
  EXPECT_THAT(body, HasSubstr("RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Freader"));
  EXPECT_THAT(body, HasSubstr("ExternalId=ext-123"));
  EXPECT_THAT(body, HasSubstr("RoleSessionName=schemaport"));
  EXPECT_THAT(body, HasSubstr("DurationSeconds=3600"));

  clock_.Advance(std::chrono::minutes(54));  // 6 minutes left: still fresh
  EXPECT_EQ(provider.Get()->access_key_id, "ASIA1");
  clock_.Advance(std::chrono::minutes(2));  // 4 minutes left: refreshed
  auto refreshed = provider.Get();
  ASSERT_TRUE(refreshed.ok());
  EXPECT_EQ(refreshed->access_key_id, "ASIA2");
  EXPECT_EQ(refreshed->session_token.Reveal(), "token-ASIA2");
  EXPECT_EQ(provider.refreshes(), 2);
}

TEST_F(AssumeRoleProviderTest, AccessDeniedIsReturnedAndRetriedOnTheNextGet) {
  auto sts = std::make_shared<StsClient>(Service("sts", Config()));
  AssumeRoleParams params;
  params.role_arn = "arn:aws:iam::123456789012:role/reader";
  AssumeRoleCredentialsProvider provider(sts, params, clock_);
  http_->Reply(403,
               "<ErrorResponse><Error><Code>AccessDenied</Code><Message>User is not authorized "
               "to perform: sts:AssumeRole</Message></Error></ErrorResponse>");
  auto denied = provider.Get();
  EXPECT_EQ(denied.status().code(), Code::kPermissionDenied);
  EXPECT_THAT(denied.status().message(), HasSubstr("sts:AssumeRole"));
  http_->Reply(200, AssumeRoleXml("ASIA3", "2020-09-13T13:26:40Z"));
  EXPECT_EQ(provider.Get()->access_key_id, "ASIA3");
}

TEST_F(AssumeRoleProviderTest, AssumedCredentialsSignLaterCallsWithTheirSessionToken) {
  auto sts = std::make_shared<StsClient>(Service("sts", Config()));
  AssumeRoleParams params;
  params.role_arn = "arn:aws:iam::123456789012:role/reader";
  auto provider = std::make_shared<AssumeRoleCredentialsProvider>(sts, params, clock_);
  http_->Reply(200, AssumeRoleXml("ASIA4", "2020-09-13T13:26:40Z"));
  auto data = AwsServiceClient::Create(*EmbeddedModel("redshift-data"), Config(), http_, provider,
                                       clock_, random_);
  ASSERT_TRUE(data.ok());
  ReplyJson(200, {{"Databases", {"dev"}}});
  auto listed = (*data)->Call("ListDatabases", {{"Database", "dev"}, {"WorkgroupName", "wg1"}});
  ASSERT_TRUE(listed.ok()) << listed.status();
  const HttpRequest req = http_->requests().at(1);
  EXPECT_EQ(HeaderOf(req, "X-Amz-Security-Token"), "token-ASIA4");
  EXPECT_THAT(HeaderOf(req, "Authorization"), HasSubstr("Credential=ASIA4/"));
  EXPECT_THAT(HeaderOf(req, "Authorization"), HasSubstr("x-amz-security-token"));
}

TEST_F(AssumeRoleProviderTest, ExpiredTokenFetchesNewCredentialsAndRetriesOnce) {
  auto sts = std::make_shared<StsClient>(Service("sts", Config()));
  AssumeRoleParams params;
  params.role_arn = "arn:aws:iam::123456789012:role/reader";
  auto provider = std::make_shared<AssumeRoleCredentialsProvider>(sts, params, clock_);
  auto data = AwsServiceClient::Create(*EmbeddedModel("redshift-data"), Config(), http_, provider,
                                       clock_, random_);
  ASSERT_TRUE(data.ok());
  http_->Reply(200, AssumeRoleXml("ASIA5", "2020-09-13T13:26:40Z"));
  ReplyJson(400, {{"__type", "ExpiredTokenException"},
                  {"message", "The security token included in the request is expired"}});
  http_->Reply(200, AssumeRoleXml("ASIA6", "2020-09-13T13:26:40Z"));
  ReplyJson(200, {{"Status", true}});
  auto out = (*data)->Call("CancelStatement", {{"Id", "d9b6c0c9-0747-4bf4-b142-e8883122f766"}});
  ASSERT_TRUE(out.ok()) << out.status();
  const auto requests = http_->requests();
  ASSERT_EQ(requests.size(), 4u);
  EXPECT_THAT(HeaderOf(requests[1], "Authorization"), HasSubstr("Credential=ASIA5/"));
  EXPECT_THAT(HeaderOf(requests[3], "Authorization"), HasSubstr("Credential=ASIA6/"));
  EXPECT_EQ(provider->refreshes(), 2);
  EXPECT_TRUE(clock_.sleeps().empty());

  // Static keys cannot be renewed: the error is returned as is.
  auto static_client = Service("redshift-data", Config());
  ReplyJson(400, {{"__type", "ExpiredTokenException"}, {"message", "expired"}});
  EXPECT_EQ(static_client->Call("CancelStatement", {{"Id", "d9b6c0c9-0747-4bf4-b142-e8883122f766"}})
                .status()
                .code(),
            Code::kUnauthenticated);
  EXPECT_EQ(http_->requests().size(), 5u);
}

// ---- Secrets Manager, redshift-serverless, redshift ---------------------------------------

class CredentialClientsTest : public ClientTestBase {};

TEST_F(CredentialClientsTest, SecretsManagerOperations) {
  SecretsManagerClient sm(Service("secretsmanager", Config()), random_);
  ReplyJson(200, {{"ARN", "arn:aws:secretsmanager:us-east-1:1:secret:s-AbCdEf"},
                  {"Name", "s"},
                  {"VersionId", "v1"},
                  {"SecretString", "{\"password\":\"hunter2\"}"},
                  {"VersionStages", {"AWSPREVIOUS"}},
                  {"CreatedDate", 1.6e9}});
  auto v = sm.GetSecretValue("s", "", "AWSPREVIOUS");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->secret_string.Reveal(), "{\"password\":\"hunter2\"}");
  EXPECT_THAT(v->version_stages, ElementsAre("AWSPREVIOUS"));
  EXPECT_EQ(Body(0), (json{{"SecretId", "s"}, {"VersionStage", "AWSPREVIOUS"}}));
  EXPECT_EQ(HeaderOf(http_->requests()[0], "X-Amz-Target"), "secretsmanager.GetSecretValue");
  EXPECT_EQ(sm.GetSecretValue("s", "v1", "AWSCURRENT").status().code(), Code::kInvalidArgument);

  ReplyJson(200, {{"ARN", "arn:x"}, {"Name", "n"}, {"VersionId", "v2"}});
  auto created = sm.CreateSecret("n", Secret("top"), "desc");
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->version_id, "v2");
  EXPECT_EQ(Body(1)["SecretString"], "top");
  EXPECT_EQ(Body(1)["Description"], "desc");
  EXPECT_EQ(Body(1)["ClientRequestToken"].get<std::string>().size(), 44u);

  ReplyJson(
      200,
      {{"ARN", "arn:x"}, {"Name", "n"}, {"VersionId", "v3"}, {"VersionStages", {"AWSCURRENT"}}});
  auto put = sm.PutSecretValue("n", Secret("next"), "token-0123456789-0123456789-0123456789");
  ASSERT_TRUE(put.ok()) << put.status();
  EXPECT_EQ(Body(2)["ClientRequestToken"], "token-0123456789-0123456789-0123456789");
  EXPECT_THAT(put->version_stages, ElementsAre("AWSCURRENT"));

  ReplyError(400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
  EXPECT_EQ(sm.GetSecretValue("missing").status().code(), Code::kNotFound);
}

TEST_F(CredentialClientsTest, ServerlessGetCredentials) {
  RedshiftServerlessClient rs(Service("redshift-serverless", Config()));
  ReplyJson(200, {{"dbUser", "IAM:alice"},
                  {"dbPassword", "pw"},
                  {"expiration", 1600003600},
                  {"nextRefreshTime", 1600002000}});
  auto c = rs.GetCredentials("wg1", "dev", 900);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->db_user, "IAM:alice");
  EXPECT_EQ(c->db_password.Reveal(), "pw");
  EXPECT_EQ(c->expiration, Clock::TimePoint(std::chrono::seconds(1600003600)));
  EXPECT_EQ(Body(0), (json{{"workgroupName", "wg1"}, {"dbName", "dev"}, {"durationSeconds", 900}}));
  EXPECT_EQ(HeaderOf(http_->requests()[0], "X-Amz-Target"), "RedshiftServerless.GetCredentials");
}

TEST_F(CredentialClientsTest, ProvisionedClusterCredentials) {
  RedshiftClient rs(Service("redshift", Config()));
  http_->Reply(
      200,
      "<GetClusterCredentialsResponse><GetClusterCredentialsResult><DbUser>IAM:bob</DbUser>"
      "<DbPassword>p&amp;w</DbPassword><Expiration>2020-09-13T13:26:40Z</Expiration>"
      "</GetClusterCredentialsResult></GetClusterCredentialsResponse>");
  auto c = rs.GetClusterCredentials("c1", "bob", "dev", 900, true, {"readers"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->db_user, "IAM:bob");
  EXPECT_EQ(c->db_password.Reveal(), "p&w");
  EXPECT_EQ(c->expiration, Clock::TimePoint(std::chrono::seconds(1600003600)));
  EXPECT_EQ(http_->requests()[0].body,
            "Action=GetClusterCredentials&Version=2012-12-01&AutoCreate=true&ClusterIdentifier=c1"
            "&DbGroups.DbGroup.1=readers&DbName=dev&DbUser=bob&DurationSeconds=900");
  EXPECT_EQ(http_->requests()[0].url, "https://redshift.us-east-1.amazonaws.com/");

  http_->Reply(200,
               "<GetClusterCredentialsWithIAMResponse><GetClusterCredentialsWithIAMResult>"
               "<DbUser>IAMR:reader</DbUser><DbPassword>x</DbPassword>"
               "<Expiration>2020-09-13T13:26:40Z</Expiration>"
               "<NextRefreshTime>2020-09-13T13:00:00Z</NextRefreshTime>"
               "</GetClusterCredentialsWithIAMResult></GetClusterCredentialsWithIAMResponse>");
  auto iam = rs.GetClusterCredentialsWithIAM("c1", "dev");
  ASSERT_TRUE(iam.ok()) << iam.status();
  EXPECT_EQ(iam->db_user, "IAMR:reader");
  EXPECT_TRUE(iam->next_refresh_time.has_value());

  http_->Reply(404,
               "<ErrorResponse><Error><Type>Sender</Type><Code>ClusterNotFound</Code>"
               "<Message>Cluster c9 not found.</Message></Error></ErrorResponse>");
  EXPECT_EQ(rs.GetClusterCredentialsWithIAM("c9").status().code(), Code::kNotFound);
}

}  // namespace
}  // namespace schemaport::aws
