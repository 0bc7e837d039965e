// Error parsing, error mapping, endpoints, the query protocol, retry and rate-limit primitives.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "aws/internal.h"

namespace schemaport::aws {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

HttpResponse Reply(int status, std::string body, Headers headers = {}) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

class JsonErrorTest : public ::testing::Test {};

TEST_F(JsonErrorTest, TypeIsParsedInAllItsForms) {
  for (const char* type :
       {"ValidationException", "com.amazonaws.redshiftdata#ValidationException",
        "ValidationException:http://internal.amazon.com/coral/com.amazon.x/",
        "aws.protocoltests.restjson#ValidationException:http://internal.amazon.com/"}) {
    SCOPED_TRACE(type);
    const AwsError e = ParseJsonError(Reply(400, json{{"__type", type}, {"message", "bad"}}.dump(),
                                            {{"x-amzn-RequestId", "rid-1"}}));
    EXPECT_EQ(e.code, "ValidationException");
    EXPECT_EQ(e.message, "bad");
    EXPECT_EQ(e.request_id, "rid-1");
    EXPECT_EQ(e.http_status, 400);
    EXPECT_FALSE(e.retryable);
  }
}

TEST_F(JsonErrorTest, ErrorTypeHeaderWinsOverTheBody) {
  const AwsError e = ParseJsonError(Reply(400, R"({"__type":"Other","Message":"slow down"})",
                                          {{"X-Amzn-ErrorType", "ThrottlingException:http://x/"}}));
  EXPECT_EQ(e.code, "ThrottlingException");
  EXPECT_EQ(e.message, "slow down");
  EXPECT_TRUE(e.throttling);
  EXPECT_TRUE(e.retryable);
}

TEST_F(JsonErrorTest, UnparsableBodyFallsBackToTheStatus) {
  const AwsError e = ParseJsonError(Reply(502, "<html>bad gateway</html>"));
  EXPECT_EQ(e.code, "HttpStatus502");
  EXPECT_TRUE(e.retryable);
  EXPECT_FALSE(e.throttling);
  EXPECT_TRUE(ParseJsonError(Reply(429, "")).throttling);
}

class QueryErrorTest : public ::testing::Test {};

TEST_F(QueryErrorTest, EnvelopeIsParsedWithEntitiesDecoded) {
  const std::string xml = R"(<?xml version="1.0" encoding="UTF-8"?>
<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error>
    <Type>Sender</Type>
    <Code>AccessDenied</Code>
    <Message>User: arn:aws:iam::123456789012:user/bob is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/r &amp; &lt;more&gt; &#233;</Message>
  </Error>
  <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>
</ErrorResponse>)";
  const AwsError e = ParseQueryError(Reply(403, xml));
  EXPECT_EQ(e.code, "AccessDenied");
  EXPECT_THAT(e.message, HasSubstr("not authorized to perform: sts:AssumeRole"));
  EXPECT_THAT(e.message, HasSubstr("role/r & <more> \xC3\xA9"));
  EXPECT_EQ(e.request_id, "c6104cbe-af31-11e0-8154-cbc7ccf896c7");
  EXPECT_FALSE(e.retryable);
}

TEST_F(QueryErrorTest, Ec2StyleEnvelopeAndThrottlingAreRecognised) {
  const AwsError e = ParseQueryError(Reply(
      400,
      "<Response><Errors><Error><Code>Throttling</Code><Message>Rate exceeded</Message></Error>"
      "</Errors><RequestID>r-9</RequestID></Response>"));
  EXPECT_EQ(e.code, "Throttling");
  EXPECT_EQ(e.request_id, "r-9");
  EXPECT_TRUE(e.throttling);
  EXPECT_TRUE(e.retryable);
}

TEST_F(QueryErrorTest, MalformedXmlFallsBackToTheStatus) {
  const AwsError e = ParseQueryError(Reply(503, "<ErrorResponse><Error>"));
  EXPECT_EQ(e.code, "HttpStatus503");
  EXPECT_TRUE(e.retryable);
}

TEST_F(QueryErrorTest, ExternalEntitiesAreNotExpanded) {
  const std::string xml = R"(<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>
<ErrorResponse><Error><Code>X</Code><Message>a&xxe;b</Message></Error></ErrorResponse>)";
  const AwsError e = ParseQueryError(Reply(400, xml));
  EXPECT_EQ(e.code, "X");
  EXPECT_EQ(e.message, "ab");
}

class ErrorToStatusTest : public ::testing::Test {};

TEST_F(ErrorToStatusTest, AccessDeniedKeepsTheAwsMessageNamingTheAction) {
  AwsError e{
      "AccessDeniedException",
      "User: arn:aws:iam::1:user/u is not authorized to perform: redshift-data:ExecuteStatement",
      "rid",
      400,
      false,
      false};
  const Status s = ErrorToStatus(e, "redshift-data", "ExecuteStatement");
  EXPECT_EQ(s.code(), Code::kPermissionDenied);
  EXPECT_EQ(s.message(),
            "redshift-data ExecuteStatement failed: AccessDeniedException: User: "
            "arn:aws:iam::1:user/u is not authorized to perform: redshift-data:ExecuteStatement");
  EXPECT_EQ(AwsErrorCode(s), "AccessDeniedException");
  EXPECT_THAT(s.detail(), HasSubstr("request_id=rid"));
}

TEST_F(ErrorToStatusTest, CodesMapOntoStatusCodes) {
  const std::vector<std::pair<AwsError, Code>> cases = {
      {{"UnrecognizedClientException", "", "", 400}, Code::kUnauthenticated},
      {{"InvalidClientTokenId", "", "", 403}, Code::kUnauthenticated},
      {{"ExpiredTokenException", "", "", 400}, Code::kUnauthenticated},
      {{"AccessDenied", "", "", 403}, Code::kPermissionDenied},
      {{"ValidationException", "", "", 400}, Code::kInvalidArgument},
      {{"ValidationError", "", "", 400}, Code::kInvalidArgument},
      {{"ResourceNotFoundException", "", "", 400}, Code::kNotFound},
      {{"ClusterNotFound", "", "", 404}, Code::kNotFound},
      {{"ResourceExistsException", "", "", 400}, Code::kAlreadyExists},
      {{"ThrottlingException", "", "", 400}, Code::kResourceExhausted},
      {{"ActiveStatementsExceededException", "", "", 400}, Code::kResourceExhausted},
      {{"InternalServerException", "", "", 500}, Code::kUnavailable},
      {{"HttpStatus503", "", "", 503}, Code::kUnavailable},
      {{"QueryTimeoutException", "", "", 400}, Code::kTimeout},
      {{"InvalidClusterStateFault", "", "", 400}, Code::kFailedPrecondition},
      {{"SomethingNew", "", "", 400}, Code::kInvalidArgument},
  };
  for (const auto& [error, code] : cases) {
    EXPECT_EQ(ErrorToStatus(error, "svc", "Op").code(), code) << error.code;
  }
}

TEST_F(ErrorToStatusTest, SignatureEchoIsCutFromTheMessage) {
  AwsError e{"SignatureDoesNotMatch",
             "The request signature we calculated does not match the signature you provided.\n\n"
             "The Canonical String for this request should have been\n'POST\n/\n\n"
             "x-amz-security-token:SECRETTOKEN'",
             "", 403};
  const Status s = ErrorToStatus(e, "sts", "GetCallerIdentity");
  EXPECT_EQ(s.code(), Code::kUnauthenticated);
  EXPECT_THAT(s.message(), Not(HasSubstr("SECRETTOKEN")));
  EXPECT_THAT(s.message(), HasSubstr("does not match the signature you provided."));
}

class EndpointTest : public ::testing::Test {
 protected:
  static ServiceMetadata Meta(std::string_view name) { return EmbeddedModel(name)->metadata(); }
};

TEST_F(EndpointTest, RegionalDefaultsFollowTheEndpointPrefix) {
  auto e = ResolveEndpoint({}, Meta("redshift-data"), "eu-west-1");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->url, "https://redshift-data.eu-west-1.amazonaws.com");
  EXPECT_EQ(e->host, "redshift-data.eu-west-1.amazonaws.com");
  EXPECT_EQ(e->path, "/");
  EXPECT_EQ(ResolveEndpoint({}, Meta("sts"), "us-east-1")->url,
            "https://sts.us-east-1.amazonaws.com");
  EXPECT_EQ(ResolveEndpoint({}, Meta("secretsmanager"), "cn-north-1")->url,
            "https://secretsmanager.cn-north-1.amazonaws.com.cn");
}

TEST_F(EndpointTest, RegionIsValidated) {
  for (const char* ok :
       {"us-east-1", "us-gov-west-1", "ap-southeast-5", "eusc-de-east-1", "cn-northwest-1"}) {
    EXPECT_TRUE(IsValidRegion(ok)) << ok;
  }
  for (const char* bad : {"", "us", "us-east", "US-EAST-1", "us-east-1.evil.com", "us-east-1/",
                          "x-1", "us-east-100", "us--1", "127.0.0.1"}) {
    EXPECT_FALSE(IsValidRegion(bad)) << bad;
    EXPECT_EQ(ResolveEndpoint({}, Meta("sts"), bad).status().code(), Code::kInvalidArgument);
  }
}

TEST_F(EndpointTest, ServiceSpecificSettingWinsOverTheGlobalOne) {
  const EndpointSettings s = EndpointSettings::FromEnvironment(
      {{"AWS_ENDPOINT_URL", "http://127.0.0.1:4566"},
       {"AWS_ENDPOINT_URL_REDSHIFT_DATA", "https://localhost:9443/base"},
       {"AWS_ENDPOINT_URL_SECRETS_MANAGER", "https://sm.local"},
       {"AWS_CA_BUNDLE", "/etc/ca.pem"},
       {"HOME", "/root"}});
  EXPECT_EQ(s.ca_bundle, "/etc/ca.pem");
  auto data = ResolveEndpoint(s, Meta("redshift-data"), "us-east-1");
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(data->url, "https://localhost:9443");
  EXPECT_EQ(data->host, "localhost:9443");
  EXPECT_EQ(data->path, "/base/");
  EXPECT_EQ(ResolveEndpoint(s, Meta("secretsmanager"), "us-east-1")->host, "sm.local");
  EXPECT_EQ(ResolveEndpoint(s, Meta("sts"), "us-east-1")->url, "http://127.0.0.1:4566");
  EXPECT_EQ(ServiceEndpointKey(Meta("redshift-serverless").service_id), "REDSHIFT_SERVERLESS");
  EXPECT_EQ(ServiceEndpointKey(Meta("redshift").service_id), "REDSHIFT");
  EXPECT_EQ(ServiceEndpointKey(Meta("sts").service_id), "STS");
}

TEST_F(EndpointTest, MalformedEndpointUrlsAreRejected) {
  for (const char* bad :
       {"ftp://x", "https://", "https://u:p@host", "https://h?x=1", "https://h:99999x"}) {
    EndpointSettings s;
    s.endpoint_url = bad;
    EXPECT_EQ(ResolveEndpoint(s, Meta("sts"), "us-east-1").status().code(), Code::kInvalidArgument)
        << bad;
  }
}

// Regression: any endpoint could be http://, so session tokens, temporary passwords and master
// keys could travel in clear. Only loopback hosts (the local emulator) may use http://.
TEST_F(EndpointTest, PlainHttpIsRefusedExceptForLoopbackHosts) {
  for (const char* bad : {"http://redshift-data.us-east-1.amazonaws.com", "http://10.0.0.5:4566",
                          "http://127.0.0.1.example.com", "http://localhost.evil.com:80",
                          "http://128.0.0.1", "http://[::2]:80", "http://127.0.0.256"}) {
    EndpointSettings s;
    s.endpoint_url = bad;
    auto e = ResolveEndpoint(s, Meta("sts"), "us-east-1");
    EXPECT_EQ(e.status().code(), Code::kInvalidArgument) << bad;
    EXPECT_THAT(e.status().message(), ::testing::HasSubstr("refusing plain http://")) << bad;
  }
  for (const char* good : {"http://127.0.0.1:4566", "http://localhost:8080/base",
                           "http://127.1.2.3", "http://[::1]:4566", "https://example.com"}) {
    EndpointSettings s;
    s.endpoint_url = good;
    EXPECT_TRUE(ResolveEndpoint(s, Meta("sts"), "us-east-1").ok()) << good;
  }
  EXPECT_TRUE(IsLoopbackHost("LOCALHOST:1"));
  EXPECT_FALSE(IsLoopbackHost("127.0.0"));
}

class QueryProtocolTest : public ::testing::Test {};

TEST_F(QueryProtocolTest, FormBodyFollowsTheInputShape) {
  const auto redshift = *EmbeddedModel("redshift");
  auto body = QueryFormBody(redshift, "GetClusterCredentials",
                            {{"DbUser", "alice smith"},
                             {"ClusterIdentifier", "c1"},
                             {"AutoCreate", true},
                             {"DurationSeconds", 900},
                             {"DbGroups", {"g1", "g/2"}}});
  ASSERT_TRUE(body.ok()) << body.status();
  // Members in name order (the JSON object's order); list members named by locationName.
  EXPECT_EQ(*body,
            "Action=GetClusterCredentials&Version=2012-12-01&AutoCreate=true&ClusterIdentifier=c1"
            "&DbGroups.DbGroup.1=g1&DbGroups.DbGroup.2=g%2F2&DbUser=alice%20smith"
            "&DurationSeconds=900");
  const auto sts = *EmbeddedModel("sts");
  EXPECT_EQ(*QueryFormBody(sts, "GetCallerIdentity", json::object()),
            "Action=GetCallerIdentity&Version=2011-06-15");
  EXPECT_EQ(*QueryFormBody(sts, "AssumeRole",
                           {{"RoleArn", "arn:aws:iam::1:role/r"},
                            {"RoleSessionName", "s"},
                            {"Tags", {{{"Key", "k"}, {"Value", "v"}}}}}),
            "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fr"
            "&RoleSessionName=s&Tags.member.1.Key=k&Tags.member.1.Value=v");
}

TEST_F(QueryProtocolTest, XmlReplyBecomesTheOutputShapeAsJson) {
  const auto sts = *EmbeddedModel("sts");
  auto out = QueryXmlToJson(
      sts, "AssumeRole", R"(<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <SourceIdentity>DevUser123</SourceIdentity>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/demo/John</Arn>
      <AssumedRoleId>ARO123EXAMPLE123:John</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>
      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>
      <SessionToken>AQoDYXdzEPT//////////wEXAMPLE&amp;=</SessionToken>
      <Expiration>2019-11-09T13:34:41Z</Expiration>
    </Credentials>
    <PackedPolicySize>6</PackedPolicySize>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>
</AssumeRoleResponse>)");
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)["Credentials"]["AccessKeyId"], "ASIAIOSFODNN7EXAMPLE");
  EXPECT_EQ((*out)["Credentials"]["SessionToken"], "AQoDYXdzEPT//////////wEXAMPLE&=");
  EXPECT_EQ((*out)["Credentials"]["Expiration"], "2019-11-09T13:34:41Z");
  EXPECT_EQ((*out)["PackedPolicySize"], 6);
  EXPECT_EQ((*out)["AssumedRoleUser"]["AssumedRoleId"], "ARO123EXAMPLE123:John");
  EXPECT_EQ((*out)["ResponseMetadata"]["RequestId"], "c6104cbe-af31-11e0-8154-cbc7ccf896c7");

  const auto redshift = *EmbeddedModel("redshift");
  auto creds = QueryXmlToJson(redshift, "GetClusterCredentials",
                              "<GetClusterCredentialsResponse><GetClusterCredentialsResult>"
                              "<DbUser>IAM:alice</DbUser><DbPassword>p&amp;w</DbPassword>"
                              "<Expiration>2026-11-28T23:59:00Z</Expiration>"
                              "</GetClusterCredentialsResult></GetClusterCredentialsResponse>");
  ASSERT_TRUE(creds.ok());
  EXPECT_EQ((*creds)["DbUser"], "IAM:alice");
  EXPECT_EQ((*creds)["DbPassword"], "p&w");
  EXPECT_FALSE(QueryXmlToJson(sts, "AssumeRole", "<nope").ok());
  EXPECT_FALSE(QueryXmlToJson(sts, "AssumeRole", "<AssumeRoleResponse/>").ok());
}

class RetryTest : public ::testing::Test {};

TEST_F(RetryTest, BackoffIsFullJitterUnderAnExponentialCeiling) {
  RetryPolicy p;
  SeededRandom random(7);
  for (int i = 0; i < 12; ++i) {
    for (int n = 0; n < 50; ++n) {
      const auto d = BackoffDelay(p, i, false, random);
      const auto ceiling = std::min<std::chrono::nanoseconds>(p.base * (1LL << i), p.max_backoff);
      EXPECT_GE(d.count(), 0);
      EXPECT_LT(d, ceiling);
      const auto t = BackoffDelay(p, i, true, random);
      EXPECT_LT(t,
                std::min<std::chrono::nanoseconds>(p.throttling_base * (1LL << i), p.max_backoff));
    }
  }
  // Full jitter spreads the delays over the whole range.
  std::chrono::nanoseconds lo = p.max_backoff, hi{0};
  for (int n = 0; n < 200; ++n) {
    const auto d = BackoffDelay(p, 10, false, random);
    lo = std::min(lo, d);
    hi = std::max(hi, d);
  }
  EXPECT_LT(lo, std::chrono::seconds(2));
  EXPECT_GT(hi, std::chrono::seconds(18));
}

TEST_F(RetryTest, QuotaRunsOutAndRefillsOnSuccess) {
  RetryPolicy p;
  p.initial_quota = 20;
  RetryQuota q(p);
  int cost = 0;
  EXPECT_TRUE(q.TryAcquire(false, &cost));
  EXPECT_EQ(cost, 5);
  EXPECT_TRUE(q.TryAcquire(true, &cost));
  EXPECT_EQ(cost, 10);
  EXPECT_TRUE(q.TryAcquire(false, &cost));
  EXPECT_FALSE(q.TryAcquire(false, &cost));
  EXPECT_EQ(q.tokens(), 0);
  q.OnSuccess(5);
  EXPECT_EQ(q.tokens(), 5);
  q.OnSuccess(0);
  EXPECT_EQ(q.tokens(), 6);
  for (int i = 0; i < 100; ++i) q.OnSuccess(10);
  EXPECT_EQ(q.tokens(), 20);
}

class RateLimiterTest : public ::testing::Test {};

TEST_F(RateLimiterTest, BurstThenSteadyRateOnTheFakeClock) {
  FakeClock clock;
  RateLimiter limiter({{"ExecuteStatement", 30.0}}, clock);
  const auto start = clock.Monotonic();
  for (int i = 0; i < 30; ++i) limiter.Acquire("ExecuteStatement");
  EXPECT_TRUE(clock.sleeps().empty());
  for (int i = 0; i < 60; ++i) limiter.Acquire("ExecuteStatement");
  // 90 requests at 30/s with a burst of 30 take two seconds.
  const double elapsed = std::chrono::duration<double>(clock.Monotonic() - start).count();
  EXPECT_NEAR(elapsed, 2.0, 0.01);
  limiter.Acquire("ListDatabases");  // not limited
  EXPECT_EQ(limiter.CurrentRate("ListDatabases"), 0.0);
}

TEST_F(RateLimiterTest, ThrottlingSlowsDownAndSuccessRecovers) {
  FakeClock clock;
  RateLimiter limiter(DefaultDataApiRates(), clock);
  EXPECT_EQ(limiter.CurrentRate("GetStatementResult"), 20.0);
  EXPECT_EQ(limiter.CurrentRate("DescribeStatement"), 100.0);
  limiter.OnThrottled("GetStatementResult");
  EXPECT_EQ(limiter.CurrentRate("GetStatementResult"), 10.0);
  for (int i = 0; i < 10; ++i) limiter.OnThrottled("GetStatementResult");
  EXPECT_EQ(limiter.CurrentRate("GetStatementResult"), 2.5);  // floor: 1/8 of 20
  // At 2.5/s, the next requests are spaced 400 ms apart.
  const auto before = clock.Monotonic();
  for (int i = 0; i < 3; ++i) limiter.Acquire("GetStatementResult");
  EXPECT_NEAR(std::chrono::duration<double>(clock.Monotonic() - before).count(), 1.2, 0.01);
  for (int i = 0; i < 100; ++i) limiter.OnSuccess("GetStatementResult");
  EXPECT_EQ(limiter.CurrentRate("GetStatementResult"), 20.0);
}

}  // namespace
}  // namespace schemaport::aws
