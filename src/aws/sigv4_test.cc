#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "aws/internal.h"

namespace schemaport::aws::sigv4 {
namespace {

namespace fs = std::filesystem;

const fs::path kTestData = SCHEMAPORT_AWS_TESTDATA;

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Parses the suites' request files: "METHOD PATH[?QUERY] HTTP/1.1", "Name:value" lines (lines
// starting with whitespace continue the previous value), a blank line, then the body.
Request ParseRequestFile(const std::string& text) {
  Request r;
  size_t pos = text.find('\n');
  const std::string first = text.substr(0, pos);
  const size_t sp = first.find(' ');
  const size_t http = first.rfind(" HTTP/");
  r.method = first.substr(0, sp);
  std::string target = first.substr(sp + 1, http - sp - 1);
  const size_t q = target.find('?');
  r.path = target.substr(0, q);
  if (q != std::string::npos) r.query = target.substr(q + 1);
  while (pos != std::string::npos && pos + 1 <= text.size()) {
    const size_t next = text.find('\n', pos + 1);
    std::string line =
        text.substr(pos + 1, next == std::string::npos ? std::string::npos : next - pos - 1);
    pos = next;
    if (line.empty()) {
      if (pos != std::string::npos) r.body = text.substr(pos + 1);
      break;
    }
    if ((line[0] == ' ' || line[0] == '\t') && !r.headers.empty()) {
      r.headers.back().second += "\n" + line;
      continue;
    }
    const size_t colon = line.find(':');
    r.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
  }
  return r;
}

std::string Header(const Request& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k.size() == name.size() && std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
          return std::tolower(a) == std::tolower(b);
        })) {
      return v;
    }
  }
  return {};
}

// Number of failed assertions so far in the running test (to count cases that passed).
int FailedParts() {
  const auto* result = ::testing::UnitTest::GetInstance()->current_test_info()->result();
  int failed = 0;
  for (int i = 0; i < result->total_part_count(); ++i)
    failed += result->GetTestPartResult(i).failed();
  return failed;
}

std::string QueryParam(std::string_view query, std::string_view key) {
  std::string_view rest = query;
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    const std::string_view item = rest.substr(0, amp);
    if (item.starts_with(std::string(key) + "=")) return std::string(item.substr(key.size() + 1));
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
  return {};
}

std::string FirstLine(const std::string& s) {
  return s.substr(0, s.find('\n'));
}

std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

class SigV4VectorTest : public ::testing::Test {};

// aws-c-auth v4 suite: every case, header and query forms.
TEST_F(SigV4VectorTest, AwsCAuthSuitePassesEveryCaseInBothForms) {
  const fs::path root = kTestData / "sigv4-test-suite" / "v4";
  ASSERT_TRUE(fs::is_directory(root)) << root;
  int header_cases = 0, query_cases = 0;
  for (const auto& entry : fs::directory_iterator(root)) {
    if (!entry.is_directory()) continue;
    const fs::path dir = entry.path();
    SCOPED_TRACE(dir.filename().string());
    const auto ctx = nlohmann::json::parse(Slurp(dir / "context.json"));
    Credentials creds;
    creds.access_key_id = ctx["credentials"]["access_key_id"];
    creds.secret_access_key = Secret(ctx["credentials"]["secret_access_key"].get<std::string>());
    if (ctx["credentials"].contains("token")) {
      creds.session_token = Secret(ctx["credentials"]["token"].get<std::string>());
    }
    SigningParams params;
    params.region = ctx["region"];
    params.service = ctx["service"];
    params.time = *ParseIso8601(ctx["timestamp"].get<std::string>());
    params.normalize_path = ctx["normalize"];
    params.sign_body = ctx["sign_body"];
    params.omit_session_token = ctx.value("omit_session_token", false);
    const Request unsigned_request = ParseRequestFile(Slurp(dir / "request.txt"));

    // Header form.
    {
      const int failed_before = FailedParts();
      Request r = unsigned_request;
      SignHeaders(r, creds, params);
      const std::string expected_signed = Slurp(dir / "header-signed-request.txt");
      const std::string authz = Header(r, "Authorization");
      EXPECT_NE(expected_signed.find("Authorization:" + authz + "\n"), std::string::npos)
          << "got " << authz;
      auto parsed = ParseAuthorization(authz);
      ASSERT_TRUE(parsed.ok());
      EXPECT_EQ(parsed->signature, Trimmed(Slurp(dir / "header-signature.txt")));
      const std::string canonical =
          CanonicalRequest(r, parsed->signed_headers, params.normalize_path, Sha256Hex(r.body));
      EXPECT_EQ(canonical, Slurp(dir / "header-canonical-request.txt"));
      EXPECT_EQ(StringToSign(FormatAmzDate(params.time), "20150830/us-east-1/service/aws4_request",
                             canonical),
                Slurp(dir / "header-string-to-sign.txt"));
      if (FailedParts() == failed_before) ++header_cases;
    }
    // Query (presigned) form.
    {
      const int failed_before = FailedParts();
      Request r = unsigned_request;
      SignQuery(r, creds, params, std::chrono::seconds(ctx["expiration_in_seconds"].get<int>()));
      EXPECT_EQ(QueryParam(r.query, "X-Amz-Signature"),
                Trimmed(Slurp(dir / "query-signature.txt")));
      EXPECT_EQ(r.method + " " + r.path + "?" + r.query + " HTTP/1.1",
                FirstLine(Slurp(dir / "query-signed-request.txt")));
      std::vector<std::string> signed_headers;
      std::string sh = PercentDecode(QueryParam(r.query, "X-Amz-SignedHeaders"));
      for (size_t p = 0; p != std::string::npos;) {
        const size_t semi = sh.find(';', p);
        signed_headers.push_back(sh.substr(p, semi == std::string::npos ? semi : semi - p));
        p = semi == std::string::npos ? semi : semi + 1;
      }
      Request without_late_token = r;
      if (params.omit_session_token) {
        // The token was appended after signing; it is not part of the canonical request.
        const size_t at = without_late_token.query.find("&X-Amz-Security-Token=");
        ASSERT_NE(at, std::string::npos);
        const size_t end = without_late_token.query.find('&', at + 1);
        without_late_token.query.erase(at, end - at);
      }
      const std::string canonical = CanonicalRequest(without_late_token, signed_headers,
                                                     params.normalize_path, Sha256Hex(r.body));
      EXPECT_EQ(canonical, Slurp(dir / "query-canonical-request.txt"));
      EXPECT_EQ(StringToSign(FormatAmzDate(params.time), "20150830/us-east-1/service/aws4_request",
                             canonical),
                Slurp(dir / "query-string-to-sign.txt"));
      if (FailedParts() == failed_before) ++query_cases;
    }
  }
  EXPECT_EQ(header_cases, 38);
  EXPECT_EQ(query_cases, 38);
}

// botocore's classic suite: header signing; the requests carry X-Amz-Date (and, for
// post-sts-header-before, the signed session token).
TEST_F(SigV4VectorTest, ClassicSuitePassesEveryCase) {
  const fs::path root = kTestData / "sigv4-test-suite-classic";
  ASSERT_TRUE(fs::is_directory(root)) << root;
  int cases = 0;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.path().extension() != ".req") continue;
    const fs::path base = entry.path().parent_path() / entry.path().stem();
    SCOPED_TRACE(base.filename().string());
    const int failed_before = FailedParts();
    Request r = ParseRequestFile(Slurp(entry.path()));
    Credentials creds;
    creds.access_key_id = "AKIDEXAMPLE";
    creds.secret_access_key = Secret("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    // The session token, when a case uses one, is in the signed request (.sreq).
    const Request sreq = ParseRequestFile(Slurp(base.string() + ".sreq"));
    const std::string token = Header(sreq, "X-Amz-Security-Token");
    if (!token.empty()) creds.session_token = Secret(token);
    SigningParams params;
    // The suite's readme: in post-sts-header-after the token is added after signing.
    params.omit_session_token = base.filename() == "post-sts-header-after";
    params.region = "us-east-1";
    params.service = "service";
    params.time = *ParseIso8601("2015-08-30T12:36:00Z");
    SignHeaders(r, creds, params);
    EXPECT_EQ(Header(r, "Authorization"), Trimmed(Slurp(base.string() + ".authz")));
    auto parsed = ParseAuthorization(Header(r, "Authorization"));
    ASSERT_TRUE(parsed.ok());
    const std::string canonical =
        CanonicalRequest(r, parsed->signed_headers, true, Sha256Hex(r.body));
    EXPECT_EQ(canonical, Slurp(base.string() + ".creq"));
    EXPECT_EQ(
        StringToSign("20150830T123600Z", "20150830/us-east-1/service/aws4_request", canonical),
        Slurp(base.string() + ".sts"));
    if (FailedParts() == failed_before) ++cases;
  }
  EXPECT_EQ(cases, 34);
}

class SigV4Test : public ::testing::Test {};

TEST_F(SigV4Test, WirePathIsEncodedAgainLikeNonS3Services) {
  EXPECT_EQ(CanonicalUri("/a%20b/c", true), "/a%2520b/c");
  EXPECT_EQ(CanonicalUri("", true), "/");
  EXPECT_EQ(CanonicalUri("/a/./b/../c/", true), "/a/c/");
  EXPECT_EQ(CanonicalUri("//a//b//", false), "//a//b//");
}

TEST_F(SigV4Test, QueryIsDecodedSortedAndReencoded) {
  EXPECT_EQ(CanonicalQuery("b=2&a=%7e&a=1&&c&x+y=%2x"), "a=1&a=~&b=2&c=&x%2By=%252x");
  EXPECT_EQ(CanonicalQuery("X-Amz-Signature=abc&a=1"), "a=1");
}

TEST_F(SigV4Test, SignHeadersReplacesPreviousSignatureAndSkipsUnsignableHeaders) {
  Request r{"POST", "/", "", {{"Host", "h"}, {"User-Agent", "x"}, {"X-Amz-Date", "old"}}, "{}"};
  Credentials c{"AKID", Secret("secret"), Secret("tok"), std::nullopt};
  SigningParams p{"us-east-1", "redshift-data", *ParseIso8601("2020-01-02T03:04:05Z")};
  SignHeaders(r, c, p);
  SignHeaders(r, c, p);
  int dates = 0, authz = 0;
  for (const auto& [k, v] : r.headers) {
    dates += k == "X-Amz-Date";
    authz += k == "Authorization";
  }
  EXPECT_EQ(dates, 1);
  EXPECT_EQ(authz, 1);
  auto parsed = ParseAuthorization(Header(r, "Authorization"));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->signed_headers,
            (std::vector<std::string>{"host", "x-amz-date", "x-amz-security-token"}));
  EXPECT_EQ(parsed->service, "redshift-data");
  EXPECT_EQ(parsed->date, "20200102");
}

TEST_F(SigV4Test, ParseAuthorizationRejectsMalformedValues) {
  EXPECT_FALSE(ParseAuthorization("AWS4-HMAC-SHA256").ok());
  EXPECT_FALSE(ParseAuthorization("Basic abc").ok());
  EXPECT_FALSE(
      ParseAuthorization("AWS4-HMAC-SHA256 Credential=A/b/c/d, SignedHeaders=host, Signature=00")
          .ok());
}

class SigV4VerifyTest : public ::testing::Test {
 protected:
  Request Signed(Credentials creds = {"AKID", Secret("secret"), Secret("tok"), std::nullopt}) {
    Request r{"POST",
              "/a%20b/",
              "x=1&y=%2F",
              {{"Host", "svc.local:8443"}, {"X-Amz-Target", "Svc.Op"}},
              "{\"a\":1}"};
    SigningParams p{"eu-west-1", "redshift-data", now_};
    p.sign_body = true;
    SignHeaders(r, creds, p);
    return r;
  }
  std::optional<Secret> Lookup(std::string_view key) {
    if (key == "AKID") return Secret("secret");
    return std::nullopt;
  }
  VerifyOutcome Check(const Request& r, Clock::TimePoint at) {
    return Verify(
        r, [this](std::string_view k) { return Lookup(k); }, at);
  }
  Clock::TimePoint now_ = *ParseIso8601("2026-11-28T23:00:00Z");
};

TEST_F(SigV4VerifyTest, AcceptsWhatSignHeadersProduces) {
  const auto v = Check(Signed(), now_ + std::chrono::minutes(3));
  ASSERT_TRUE(v.ok()) << v.message;
  EXPECT_EQ(v.request.access_key_id, "AKID");
  EXPECT_EQ(v.request.region, "eu-west-1");
  EXPECT_EQ(v.request.service, "redshift-data");
  EXPECT_EQ(v.request.session_token, "tok");
}

TEST_F(SigV4VerifyTest, RejectsEachKindOfBadRequest) {
  Request r = Signed();
  r.body = "{\"a\":2}";
  EXPECT_EQ(Check(r, now_).failure, VerifyFailure::kSignatureMismatch);
  r = Signed();
  r.headers[1].second = "Svc.Other";  // X-Amz-Target changed after signing
  EXPECT_EQ(Check(r, now_).failure, VerifyFailure::kSignatureMismatch);
  r = Signed();
  r.path = "/a%20c/";
  EXPECT_EQ(Check(r, now_).failure, VerifyFailure::kSignatureMismatch);
  EXPECT_EQ(Check(Signed({"AKOTHER", Secret("secret"), Secret(), std::nullopt}), now_).failure,
            VerifyFailure::kUnknownAccessKey);
  EXPECT_EQ(Check(Signed({"AKID", Secret("wrong"), Secret(), std::nullopt}), now_).failure,
            VerifyFailure::kSignatureMismatch);
  EXPECT_EQ(Check(Signed(), now_ + std::chrono::minutes(16)).failure,
            VerifyFailure::kRequestExpired);
  EXPECT_EQ(Check(Signed(), now_ - std::chrono::minutes(16)).failure,
            VerifyFailure::kRequestExpired);
  r = Signed();
  std::erase_if(r.headers, [](const auto& h) { return h.first == "Authorization"; });
  EXPECT_EQ(Check(r, now_).failure, VerifyFailure::kMissingAuthentication);
  r = Signed();
  for (auto& [k, v] : r.headers) {
    if (k == "Authorization")
      v = "AWS4-HMAC-SHA256 Credential=AKID/20261128/eu-west-1/redshift-data/aws4_request";
  }
  EXPECT_EQ(Check(r, now_).failure, VerifyFailure::kMalformed);
  r = Signed();
  for (auto& [k, v] : r.headers) {
    if (k == "X-Amz-Date") v = "2026-11-28";
  }
  EXPECT_EQ(Check(r, now_).failure, VerifyFailure::kMalformed);
}

}  // namespace
}  // namespace schemaport::aws::sigv4
