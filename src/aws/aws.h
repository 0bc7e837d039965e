// schemaport AWS client layer (no AWS C++ SDK is packaged for Debian, so this is ours):
//
//   sigv4::          SigV4 signing (header and presigned) and server-side verification
//   ServiceModel     botocore models embedded at build time; input validation naming the field
//   HttpClient       the injected transport; CurlHttpClient is libcurl over verified TLS
//   AwsError         error replies of both protocols, mapped once to Status (ErrorToStatus)
//   Endpoint         from the region, overridable only by server settings (AWS_ENDPOINT_URL*)
//   RetryPolicy      AWS "standard" retries with a quota; RateLimiter per operation
//   AwsServiceClient one service: validate, serialise, sign, send, retry, parse
//   StsClient, AssumeRoleCredentialsProvider, RedshiftDataClient (with RunStatement),
//   SecretsManagerClient, RedshiftServerlessClient, RedshiftClient
//
// See docs/aws.md for the reasoning and the tests.
//
// Everything here returns Status/Result; nothing throws across this header. Secrets (secret keys,
// session tokens, passwords) are held in `Secret` and never appear in a Status, a log or a
// debug string produced by this layer.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/core.h"

namespace schemaport::aws {

// AWS credentials. `session_token` is empty for long-term keys. `expiration` is set for
// temporary credentials (STS, redshift GetCredentials...).
struct Credentials {
  std::string access_key_id;
  Secret secret_access_key;
  Secret session_token;
  std::optional<Clock::TimePoint> expiration;
};

// ---------------------------------------------------------------------------------------------
// SigV4
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html)
// ---------------------------------------------------------------------------------------------
//
// Semantics (shared with the emulator, which verifies with the same functions):
//  * Request::path is the path exactly as sent on the wire (percent-encoded). The canonical URI
//    is that path, normalised when `normalize_path` (empty and "." segments removed, ".." pops,
//    a trailing "/" kept), then URI-encoded once more byte by byte (everything but the
//    unreserved set A-Z a-z 0-9 - . _ ~ and "/"). So a wire path "/a%20b" is canonicalised as
//    "/a%2520b": the double encoding that every AWS service but S3 expects, and what
//    @smithy/signature-v4 computes with `uriEscapePath: true` (its default).
//    `normalize_path = false` only skips the normalisation (S3-style callers pass an already
//    canonical path and should not use this signer's path encoding).
//  * Request::query is the raw query string. Each `&`-separated pair is split at the first
//    `=`, percent-decoded ('+' stays '+'), re-encoded with the strict SigV4 encoding, and the
//    pairs are sorted by key, then value. Empty segments are dropped; a key without `=` has an
//    empty value. A pair named X-Amz-Signature is excluded (so a presigned URL can be verified).
//  * Header names are compared case-insensitively; values are trimmed and every run of
//    spaces, tabs, CRs and LFs becomes one space (as @smithy/signature-v4 does); repeated
//    headers are joined with "," in order.
//  * SignHeaders signs every header present except the ones no signer signs (authorization,
//    user-agent, expect, connection, transfer-encoding, x-amzn-trace-id, proxy-*, sec-*, ... the
//    @smithy/signature-v4 list), plus x-amz-date, x-amz-security-token (unless
//    omit_session_token) and x-amz-content-sha256 (when sign_body). REQUIRES: a Host header.
// Thread safety: pure functions.
namespace sigv4 {

struct Request {       // a request as on the wire
  std::string method;  // "POST"
  std::string path;    // raw path as sent, percent-encoded ("/", "/a%20b")
  std::string query;   // raw query string without '?', may be empty
  std::vector<std::pair<std::string, std::string>> headers;  // names in any case, in order
  std::string body;
};

struct SigningParams {
  std::string region, service;
  Clock::TimePoint time;
  bool normalize_path = true;
  bool sign_body = false;           // adds and signs x-amz-content-sha256
  bool omit_session_token = false;  // X-Amz-Security-Token added after signing, unsigned
};

inline constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

std::string CanonicalRequest(const Request& request,
                             const std::vector<std::string>& signed_headers_lowercase,
                             bool normalize_path, std::string_view payload_hash_hex);
std::string StringToSign(std::string_view amz_date,
                         std::string_view scope /* date/region/service/aws4_request */,
                         std::string_view canonical_request);
// Lowercase hex HMAC-SHA256 of string_to_sign with the derived signing key.
std::string Signature(const Secret& secret_key, std::string_view date /*YYYYMMDD*/,
                      std::string_view region, std::string_view service,
                      std::string_view string_to_sign);
std::string Sha256Hex(std::string_view data);

// Signs in place: adds X-Amz-Date, X-Amz-Security-Token (if a token is set), Authorization,
// and x-amz-content-sha256 if sign_body. Existing headers of those names are replaced.
void SignHeaders(Request& request, const Credentials& credentials, const SigningParams& params);
// Presigned form: appends X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-Expires,
// X-Amz-SignedHeaders, X-Amz-Security-Token (if any) and X-Amz-Signature to the query.
void SignQuery(Request& request, const Credentials& credentials, const SigningParams& params,
               std::chrono::seconds expires);

// Building blocks, exposed for verifiers (the emulator) and tests.
std::string UriEncode(std::string_view bytes, bool keep_slash);  // strict SigV4 encoding
std::string PercentDecode(std::string_view text);  // invalid escapes are kept literally
std::string CanonicalUri(std::string_view wire_path, bool normalize_path);
std::string CanonicalQuery(std::string_view raw_query);
// The headers SignHeaders would sign for this request, lowercase and sorted (without the
// x-amz-* headers the signer adds itself).
std::vector<std::string> SignableHeaders(const Request& request);
// "AKID/20150830/us-east-1/service/aws4_request" parts of an Authorization header.
struct ParsedAuthorization {
  std::string access_key_id, date, region, service;
  std::vector<std::string> signed_headers;
  std::string signature;
};
Result<ParsedAuthorization> ParseAuthorization(std::string_view header_value);

// Server-side verification of a header-signed request (for the emulator and tests).
enum class VerifyFailure {
  kMissingAuthentication,  // no Authorization header  (AWS: MissingAuthenticationToken)
  kMalformed,              // unparsable Authorization, missing/bad X-Amz-Date, host or
                           // x-amz-date not signed, scope date != X-Amz-Date  (IncompleteSignature)
  kUnknownAccessKey,       // lookup found no such key  (UnrecognizedClientException /
                           // InvalidClientTokenId)
  kRequestExpired,     // X-Amz-Date more than max_skew away from now  (InvalidSignatureException
                       // "Signature expired" / RequestExpired)
  kSignatureMismatch,  // wrong signature or x-amz-content-sha256 not matching the body
                       // (InvalidSignatureException / SignatureDoesNotMatch)
};
struct VerifiedRequest {
  std::string access_key_id, date, region, service;
  std::vector<std::string> signed_headers;
  std::string session_token;  // X-Amz-Security-Token ("" if absent); the caller checks it
};
struct VerifyOutcome {
  std::optional<VerifyFailure> failure;  // nullopt: verified
  std::string message;                   // why, for the error reply (never a secret)
  VerifiedRequest request;
  bool ok() const { return !failure.has_value(); }
};
// Verifies `wire` (path and query exactly as received; headers in any case) signed with
// SignHeaders semantics. `secret_for` returns the secret key of an access key id, or nullopt.
// The signature is compared in constant time.
VerifyOutcome Verify(
    const Request& wire,
    const std::function<std::optional<Secret>(std::string_view access_key_id)>& secret_for,
    Clock::TimePoint now, std::chrono::seconds max_skew = std::chrono::minutes(15),
    bool normalize_path = true);

}  // namespace sigv4

// ---------------------------------------------------------------------------------------------
// Service models (botocore service-2.json) and input validation
// ---------------------------------------------------------------------------------------------

struct ServiceMetadata {
  std::string service_id;       // "Redshift Data"
  std::string api_version;      // "2019-12-20"
  std::string protocol;         // "json" or "query"
  std::string json_version;     // "1.1" for json services
  std::string target_prefix;    // "RedshiftData" (json services)
  std::string endpoint_prefix;  // "redshift-data"
  std::string signing_name;     // signingName, or endpointPrefix when absent
};

// One problem found in an input, e.g. {"Parameters[0].name", "is required"}.
struct ValidationIssue {
  std::string path;  // member path from the input's root: "WaitTimeSeconds", "Parameters[1].value"
  std::string message;  // "must be at most 30"; never echoes the value (it may be a secret)
  std::string ToString() const { return path + ": " + message; }
};

// A parsed botocore model with its patterns compiled (ICU regular expressions; `\w` and `\d` keep
// their ASCII meaning). A value must match a pattern as a whole, as the AWS services check them
// (STS rejects RoleSessionName "a b" against `[\w+=,.@-]*`), although Smithy's trait is unanchored.
// Copies share the parsed model. Thread safety: const methods may be called concurrently.
class ServiceModel {
 public:
  // Parses a service-2.json text. Fails with kInvalidArgument on bad JSON, a missing metadata
  // block, a dangling shape reference or a pattern that does not compile.
  static Result<ServiceModel> Load(std::string_view json_text);
  static Result<ServiceModel> LoadFile(const std::string& path);

  const ServiceMetadata& metadata() const;
  bool HasOperation(std::string_view operation) const;
  std::vector<std::string> Operations() const;

  // Checks `input` against the operation's input shape, the way the service would: required
  // members, unknown members, JSON types, string length (in code points) min/max, patterns,
  // enums, integer/long/double ranges, list and map sizes, unions (exactly one member), recursing
  // into lists, maps and structures. JSON null counts as absent.
  // Returns every issue found (empty when valid); an unknown operation is one issue at path "".
  std::vector<ValidationIssue> CheckInput(std::string_view operation,
                                          const nlohmann::json& input) const;
  // OK, or kInvalidArgument whose message lists the issues: "WaitTimeSeconds: must be at most 30"
  // (several joined with "; ").
  Status ValidateInput(std::string_view operation, const nlohmann::json& input) const;

  // Error shapes declared by the model (e.g. "ValidationException"): its HTTP status code from
  // the `error` trait (botocore "error": {"httpStatusCode"}), or nullopt if not declared.
  std::optional<int> ErrorHttpStatus(std::string_view error_code) const;

  // The whole parsed service-2.json (operations, shapes...).
  const nlohmann::json& document() const;

  struct Impl;

 private:
  explicit ServiceModel(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

// The models built into the binary (third_party/aws-models, embedded at build time):
// "redshift-data", "redshift-serverless", "redshift", "sts", "secretsmanager".
// Returns kNotFound for any other name. Each call parses the model (milliseconds): keep the result.
Result<ServiceModel> EmbeddedModel(std::string_view service);
// The raw service-2.json text of an embedded model (empty when unknown).
std::string_view EmbeddedModelJson(std::string_view service);
std::vector<std::string> EmbeddedModelNames();

// ---------------------------------------------------------------------------------------------
// HTTP transport
// ---------------------------------------------------------------------------------------------

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "POST";
  std::string url;  // "https://host[:port]/path?query", already percent-encoded
  Headers headers;
  std::string body;
};

struct HttpResponse {
  int status = 0;
  Headers headers;  // names as received
  std::string body;
  // The first header of that name (case-insensitive), or nullopt.
  std::optional<std::string> Header(std::string_view name) const;
};

// Sends one HTTP request. A response with any HTTP status is a success of Send; errors are for
// requests that got no complete response, with codes the retry layer relies on:
//   kUnavailable       could not resolve or connect, connection dropped, send/receive failed
//   kTimeout           connect or total timeout
//   kFailedPrecondition TLS peer or host verification failed (not retried)
//   kResourceExhausted the response exceeded the size cap (not retried)
//   kInvalidArgument   a malformed or non-HTTP(S) URL
// Thread safety: implementations are thread-safe.
class HttpClient {
 public:
  virtual ~HttpClient() = default;
  virtual Result<HttpResponse> Send(const HttpRequest& request) = 0;
};

// libcurl transport. Connections are reused through a pool of easy handles (each keeps its
// connection cache). TLS peer and host verification are always on, against the system store or
// `ca_bundle` (AWS_CA_BUNDLE). Proxies come from the standard variables (https_proxy, HTTPS_PROXY,
// http_proxy, no_proxy/NO_PROXY), read by libcurl itself. Only http and https, no redirects.
// With a `debug_logger`, request and response header lines are logged at debug level with the
// values of Authorization, X-Amz-Security-Token and X-Amz-Signature replaced by ***; bodies are
// never logged.
class CurlHttpClient final : public HttpClient {
 public:
  struct Options {
    std::string ca_bundle;  // PEM file; empty: the system store
    std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};
    std::chrono::milliseconds total_timeout{std::chrono::seconds(120)};
    std::size_t max_response_bytes = std::size_t{512} << 20;
    std::shared_ptr<Logger> debug_logger;
  };
  static Result<std::unique_ptr<CurlHttpClient>> Create(Options options);
  ~CurlHttpClient() override;
  CurlHttpClient(const CurlHttpClient&) = delete;
  CurlHttpClient& operator=(const CurlHttpClient&) = delete;

  Result<HttpResponse> Send(const HttpRequest& request) override;
  // New TCP connections opened so far (to observe connection reuse).
  std::int64_t connections_opened() const { return connections_opened_.load(); }

 private:
  explicit CurlHttpClient(Options options);
  struct Handle;
  std::unique_ptr<Handle> Acquire();
  void Release(std::unique_ptr<Handle> handle);

  Options options_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Handle>> idle_;  // guarded by mu_
  std::atomic<std::int64_t> connections_opened_{0};
};

// ---------------------------------------------------------------------------------------------
// AWS errors
// ---------------------------------------------------------------------------------------------

// An error reply from an AWS service (or a transport failure, with code "" and status 0).
struct AwsError {
  std::string code;        // "AccessDeniedException", "Throttling", ... (namespace/URI stripped)
  std::string message;     // the service's message (may name the missing IAM action)
  std::string request_id;  // x-amzn-RequestId / <RequestId>
  int http_status = 0;
  bool throttling = false;  // a throttling code or HTTP 429
  bool retryable = false;   // throttling, a transient code, or HTTP 500/502/503/504
};

// Standard-mode classification (the AWS SDKs' lists).
bool IsThrottlingErrorCode(std::string_view code);
bool IsTransientErrorCode(std::string_view code);
// Fills throttling/retryable from code and http_status.
void Classify(AwsError& error);

// Parses a non-2xx awsJson1_1 reply. The code comes from the x-amzn-ErrorType header, else the
// body's "__type" (or "code"), in any of its forms: "Code", "aws.prefix#Code",
// "Code:http://internal.amazon.com/...". Falls back to "HttpStatus<N>" for unparsable bodies.
AwsError ParseJsonError(const HttpResponse& response);
// Parses a non-2xx awsQuery reply: <ErrorResponse><Error><Type/><Code/><Message/></Error>
// <RequestId/></ErrorResponse> (also <Response><Errors><Error>...<RequestID>), entities decoded.
AwsError ParseQueryError(const HttpResponse& response);

// The one conversion of AWS errors into Status. Message (user-safe):
//   "<service> <Operation> failed: <Code>: <AWS message>"
// with the AWS message cut before any canonical-request or string-to-sign echo and at 1000
// characters. Detail: "aws_code=<Code> http_status=<N> request_id=<id>".
// Codes: access errors -> kPermissionDenied; signature/unknown key/expired token ->
// kUnauthenticated; validation -> kInvalidArgument; not found -> kNotFound; exists ->
// kAlreadyExists; throttling and quota (ActiveStatementsExceeded...) -> kResourceExhausted;
// 5xx and internal/transient -> kUnavailable; query timeouts -> kTimeout; else by HTTP status.
Status ErrorToStatus(const AwsError& error, std::string_view service, std::string_view operation);
// The AWS error code carried by a Status made by ErrorToStatus ("" if none).
std::string AwsErrorCode(const Status& status);
// Codes the SDKs treat as a possible clock skew.
bool IsClockSkewErrorCode(std::string_view code);
// Parses an HTTP date (IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT").
std::optional<Clock::TimePoint> ParseHttpDate(std::string_view text);

// ---------------------------------------------------------------------------------------------
// Endpoints
// ---------------------------------------------------------------------------------------------

// Where requests go. Server settings only: nothing a user submits may set these (no SSRF).
struct EndpointSettings {
  std::string endpoint_url;  // AWS_ENDPOINT_URL
  std::map<std::string, std::string>
      service_urls;       // "REDSHIFT_DATA" -> AWS_ENDPOINT_URL_REDSHIFT_DATA
  std::string ca_bundle;  // AWS_CA_BUNDLE
  // Reads AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE> and AWS_CA_BUNDLE from `env`
  // (the caller passes the process environment or a config; nothing is read implicitly).
  static EndpointSettings FromEnvironment(const Environment& env);
};

// us-east-1, eu-central-2, us-gov-west-1, cn-north-1, ap-southeast-5...
bool IsValidRegion(std::string_view region);
// The env-variable key of a service: serviceId upper-cased, spaces to underscores
// ("Redshift Data" -> "REDSHIFT_DATA", "Secrets Manager" -> "SECRETS_MANAGER").
std::string ServiceEndpointKey(std::string_view service_id);

struct Endpoint {
  std::string url;   // scheme and authority: "https://redshift-data.us-east-1.amazonaws.com"
  std::string host;  // Host header value: "host" or "host:port"
  std::string path;  // request path, ending in "/": "/" unless the URL setting had a path
};
// The service-specific URL, else the global one, else https://<prefix>.<region>.amazonaws.com
// (.amazonaws.com.cn for cn-*). Fails with kInvalidArgument on an invalid region or URL.
Result<Endpoint> ResolveEndpoint(const EndpointSettings& settings, const ServiceMetadata& service,
                                 std::string_view region);

// ---------------------------------------------------------------------------------------------
// Retries and rate limiting
// ---------------------------------------------------------------------------------------------

// AWS "standard" retry mode. Delay before retry i (0-based) is
//   random[0,1) * min(base * 2^i, max_backoff), base = throttling_base for throttling errors,
// and a shared retry quota: each retry takes retry_cost (timeout_retry_cost for timeouts and
// dropped connections) from `initial_quota` tokens; a success gives back the retry's cost (or
// 1 when it was a first attempt), up to the initial quota. No tokens: no retry.
struct RetryPolicy {
  int max_attempts = 3;
  std::chrono::milliseconds base{100};
  std::chrono::milliseconds throttling_base{500};
  std::chrono::milliseconds max_backoff{20000};
  int initial_quota = 500;
  int retry_cost = 5;
  int timeout_retry_cost = 10;
};

// Thread safety: thread-safe.
class RetryQuota {
 public:
  explicit RetryQuota(const RetryPolicy& policy) : policy_(policy), tokens_(policy.initial_quota) {}
  // Takes the cost of a retry; false (nothing taken) if the quota cannot pay it.
  bool TryAcquire(bool timeout_error, int* cost_taken);
  void OnSuccess(int cost_of_last_retry /* 0 for a first attempt */);
  int tokens() const;

 private:
  const RetryPolicy policy_;
  mutable std::mutex mu_;
  int tokens_;
};

std::chrono::nanoseconds BackoffDelay(const RetryPolicy& policy, int retry_index, bool throttling,
                                      Random& random);

// A token bucket per operation (requests per second, burst = one second's worth). Acquire()
// reserves a token and sleeps on the injected clock until it is due. OnThrottled() halves the
// operation's rate (down to 1/8 of the configured rate); each success restores 5% of the
// configured rate. Operations without a configured rate are not limited.
// Thread safety: thread-safe; sleeping happens outside the lock.
class RateLimiter {
 public:
  RateLimiter(std::map<std::string, double, std::less<>> rates_per_second, Clock& clock);
  void Acquire(std::string_view operation);
  void OnThrottled(std::string_view operation);
  void OnSuccess(std::string_view operation);
  double CurrentRate(std::string_view operation) const;  // 0 when unlimited

 private:
  struct Bucket {
    double configured = 0, rate = 0, tokens = 0;
    std::chrono::steady_clock::time_point last;
  };
  Clock& clock_;
  mutable std::mutex mu_;
  std::map<std::string, Bucket, std::less<>> buckets_;
};

// The Data API quotas per account and Region (Amazon Redshift Management Guide, "Quotas for
// Amazon Redshift Data API"): ExecuteStatement 30/s, BatchExecuteStatement 20/s,
// GetStatementResult(V2) 20/s, DescribeStatement 100/s, CancelStatement 10/s, and 3/s for
// ListDatabases, ListSchemas, ListTables, ListStatements and DescribeTable.
std::map<std::string, double, std::less<>> DefaultDataApiRates();

// The Data API's quotas are per account and Region: every connection and job of the process
// that uses an account shares its budget. RateBudgets holds one RateLimiter per (account,
// Region); clients draw from it (ClientConfig::shared_rate_limiter) so that together they stay
// under the quotas rather than lean on retries. Make one per process and inject it
// (warehouse::redshift::Dependencies::rate_budgets).
// Thread safety: thread-safe. REQUIRES: clock outlives the budgets and their limiters.
class RateBudgets {
 public:
  // `headroom` scales the rates: 0.9 keeps 10% under each quota, so that calls sent evenly are
  // not pushed over it by network jitter.
  explicit RateBudgets(Clock& clock,
                       std::map<std::string, double, std::less<>> rates = DefaultDataApiRates(),
                       double headroom = 0.9);
  std::shared_ptr<RateLimiter> ForAccount(std::string_view account, std::string_view region);
  // The budget of the account that owns `access_key_id`, asked once of `account_of` (e.g. STS
  // GetCallerIdentity) and remembered; when that fails, a budget of its own for the key.
  std::shared_ptr<RateLimiter> ForAccessKey(std::string_view access_key_id, std::string_view region,
                                            const std::function<Result<std::string>()>& account_of);
  std::size_t size() const;  // budgets made so far

 private:
  Clock& clock_;
  std::map<std::string, double, std::less<>> rates_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<RateLimiter>, std::less<>> budgets_;  // account|region
  std::map<std::string, std::string, std::less<>> accounts_;                  // key -> account
};

// ---------------------------------------------------------------------------------------------
// Credentials providers
// ---------------------------------------------------------------------------------------------

// Thread safety: implementations are thread-safe.
class CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;
  virtual Result<Credentials> Get() = 0;
  // The service said the credentials have expired (ExpiredToken): forget cached ones. Returns
  // true when the next Get will fetch new credentials (so a retry may succeed).
  virtual bool Invalidate() { return false; }
};

class StaticCredentialsProvider final : public CredentialsProvider {
 public:
  explicit StaticCredentialsProvider(Credentials credentials)
      : credentials_(std::move(credentials)) {}
  Result<Credentials> Get() override;

 private:
  const Credentials credentials_;
};

// ---------------------------------------------------------------------------------------------
// A service client: model-driven serialisation, signing, retries, rate limits, error mapping
// ---------------------------------------------------------------------------------------------

struct ClientConfig {
  std::string region;
  EndpointSettings endpoints;
  RetryPolicy retry;
  std::map<std::string, double, std::less<>> rates_per_second;  // per operation; empty: none
  // When set, called once, at the first call: the limiter it returns (e.g. a RateBudgets entry
  // shared with every client of the account) is used instead of one made of rates_per_second.
  std::function<std::shared_ptr<RateLimiter>()> shared_rate_limiter;
  std::string user_agent = "schemaport/0.1";
};

// Calls the operations of one AWS service described by its model. For every call: validates
// the input against the model (kInvalidArgument naming the field, nothing sent), waits for the
// operation's rate limiter, gets credentials, serialises (awsJson1_1: POST / with X-Amz-Target;
// awsQuery: form POST Action=...&Version=...), signs with SigV4 at clock.Now(), sends, retries
// per RetryPolicy (plus one retry with fresh credentials after ExpiredToken when the provider
// can refresh them), and parses the reply: JSON as is; query XML converted to the JSON form of
// the output shape (the result wrapper removed). Errors go through ErrorToStatus.
// REQUIRES: clock and random outlive the client. Thread safety: thread-safe.
class AwsServiceClient {
 public:
  static Result<std::unique_ptr<AwsServiceClient>> Create(
      ServiceModel model, ClientConfig config, std::shared_ptr<HttpClient> http,
      std::shared_ptr<CredentialsProvider> credentials, Clock& clock, Random& random);

  Result<nlohmann::json> Call(std::string_view operation, const nlohmann::json& input);
  // The raw reply body (JSON services), for callers that parse large replies themselves.
  Result<std::string> CallRaw(std::string_view operation, const nlohmann::json& input);

  const ServiceModel& model() const { return model_; }
  const Endpoint& endpoint() const { return endpoint_; }
  RateLimiter& rate_limiter() { return Limiter(); }
  const RetryQuota& retry_quota() const { return quota_; }
  // Clock skew correction, as the AWS SDKs do it: when a reply is a clock-skew error
  // (RequestTimeTooSkewed, InvalidSignatureException, SignatureDoesNotMatch, RequestExpired,
  // RequestInTheFuture, AuthFailure) and its Date header is 5 minutes or more away from our
  // clock (plus the current offset), the offset is set to the difference and the call is retried;
  // later requests are signed at clock.Now() + offset.
  std::chrono::milliseconds clock_offset() const {
    return std::chrono::milliseconds(clock_offset_ms_.load());
  }

 private:
  AwsServiceClient(ServiceModel model, ClientConfig config, Endpoint endpoint,
                   std::shared_ptr<HttpClient> http,
                   std::shared_ptr<CredentialsProvider> credentials, Clock& clock, Random& random);
  Result<HttpResponse> Send(std::string_view operation, const std::string& body);
  bool CorrectClockSkew(const HttpResponse& response);

  ServiceModel model_;
  ClientConfig config_;
  Endpoint endpoint_;
  std::shared_ptr<HttpClient> http_;
  std::shared_ptr<CredentialsProvider> credentials_;
  Clock& clock_;
  Random& random_;
  RateLimiter& Limiter();
  RateLimiter limiter_;  // used unless config_.shared_rate_limiter gives one
  std::once_flag shared_limiter_once_;
  std::shared_ptr<RateLimiter> shared_limiter_;
  RetryQuota quota_;
  std::atomic<std::int64_t> clock_offset_ms_{0};  // server time - our clock, learnt from replies
};

// Query-protocol helpers, exposed for the emulator and tests.
// Serialises a JSON input as awsQuery form fields (Action and Version first), following the
// input shape: structures "A.B", lists "A.member.N" (or the member's locationName; flattened
// lists "A.N"), maps "A.entry.N.key/value", booleans "true"/"false".
Result<std::string> QueryFormBody(const ServiceModel& model, std::string_view operation,
                                  const nlohmann::json& input);
// Converts an awsQuery XML reply into the JSON form of the operation's output shape.
Result<nlohmann::json> QueryXmlToJson(const ServiceModel& model, std::string_view operation,
                                      std::string_view xml);

// ---------------------------------------------------------------------------------------------
// STS
// ---------------------------------------------------------------------------------------------

struct CallerIdentity {
  std::string account;  // "123456789012"
  std::string arn;      // "arn:aws:iam::123456789012:user/alice"
  std::string user_id;  // "AIDA..."
};

struct AssumeRoleParams {
  std::string role_arn;
  std::string role_session_name = "schemaport";
  std::string external_id;              // optional
  std::optional<int> duration_seconds;  // 900..43200
};

// Thread safety: thread-safe.
class StsClient {
 public:
  static Result<std::unique_ptr<StsClient>> Create(ClientConfig config,
                                                   std::shared_ptr<HttpClient> http,
                                                   std::shared_ptr<CredentialsProvider> credentials,
                                                   Clock& clock, Random& random);
  explicit StsClient(std::unique_ptr<AwsServiceClient> client) : client_(std::move(client)) {}
  Result<CallerIdentity> GetCallerIdentity();
  // Temporary credentials (with session token and expiration) for the role.
  Result<Credentials> AssumeRole(const AssumeRoleParams& params);

 private:
  std::unique_ptr<AwsServiceClient> client_;
};

// Credentials of an assumed role, fetched on first use and again `refresh_before` ahead of
// their expiration. One refresh runs at a time; concurrent callers wait for it and share the
// result. A failed refresh is returned to the caller (and tried again on the next Get).
// Thread safety: thread-safe.
class AssumeRoleCredentialsProvider final : public CredentialsProvider {
 public:
  AssumeRoleCredentialsProvider(std::shared_ptr<StsClient> sts, AssumeRoleParams params,
                                Clock& clock,
                                std::chrono::seconds refresh_before = std::chrono::minutes(5));
  Result<Credentials> Get() override;
  bool Invalidate() override;
  int refreshes() const;  // AssumeRole calls made so far

 private:
  std::shared_ptr<StsClient> sts_;
  const AssumeRoleParams params_;
  Clock& clock_;
  const std::chrono::seconds refresh_before_;
  mutable std::mutex mu_;
  std::optional<Credentials> cached_;  // guarded by mu_
  int refreshes_ = 0;                  // guarded by mu_
};

// ---------------------------------------------------------------------------------------------
// Redshift Data API
// ---------------------------------------------------------------------------------------------

// Which warehouse and how to authenticate. Exactly one of workgroup_name (serverless) or
// cluster_identifier (provisioned); with a cluster, db_user (GetClusterCredentials) or neither
// (GetClusterCredentialsWithIAM); or secret_arn (Secrets Manager) with either.
struct DataApiTarget {
  std::string database;
  std::string workgroup_name;
  std::string cluster_identifier;
  std::string db_user;
  std::string secret_arn;
};

struct SqlParameter {
  std::string name;
  std::string value;
};

struct ExecuteStatementRequest {
  DataApiTarget target;
  std::string sql;
  std::vector<SqlParameter> parameters;
  std::string statement_name;
  bool with_event = false;
  std::string client_token;  // idempotency token; generated (NewId) when empty, so retries are safe
  std::string result_format;                      // "", "JSON" or "CSV"
  std::optional<int> session_keep_alive_seconds;  // 0..86400
  std::string session_id;                // run in an existing session (then target is not sent)
  std::optional<int> wait_time_seconds;  // 1..30: long-poll for completion
};

enum class StatementStatus {
  kSubmitted,
  kPicked,
  kStarted,
  kFinished,
  kFailed,
  kAborted,
  kUnknown
};
StatementStatus ParseStatementStatus(std::string_view text);
std::string_view StatementStatusName(StatementStatus status);
inline bool IsTerminal(StatementStatus s) {
  return s == StatementStatus::kFinished || s == StatementStatus::kFailed ||
         s == StatementStatus::kAborted;
}

struct ExecuteStatementResult {
  std::string id;
  std::string session_id;
  std::string database;
  StatementStatus status = StatementStatus::kUnknown;  // present when WaitTimeSeconds was used
  std::optional<bool> has_result_set;
};

struct StatementDescription {
  std::string id;
  StatementStatus status = StatementStatus::kUnknown;
  std::string error;  // the SQL error of a FAILED statement
  bool has_result_set = false;
  std::int64_t result_rows = -1;
  std::int64_t result_size = -1;
  std::int64_t duration_ns = -1;
  std::int64_t redshift_query_id = 0;
  std::string session_id;
  std::string result_format;
};

struct ColumnMetadata {
  std::string name, label, type_name, schema_name, table_name, column_default;
  int nullable = 0, precision = 0, scale = 0, length = 0;
  bool is_case_sensitive = false, is_signed = false, is_currency = false;
};

// One Data API field: null, boolean, long, double, string (blobs as their base64 text).
using FieldValue = std::variant<std::monostate, bool, std::int64_t, double, std::string>;

// A field as a view into a parsed reply (valid during a row callback).
using FieldView = std::variant<std::monostate, bool, std::int64_t, double, std::string_view>;

struct ResultPage {
  std::vector<ColumnMetadata> columns;  // on every page the service sends them
  std::vector<std::vector<FieldValue>> records;
  std::int64_t total_rows = 0;
  std::string next_token;  // empty on the last page
};

struct CsvResultPage {
  std::vector<ColumnMetadata> columns;
  std::vector<std::string> csv_records;  // each a CSV text block ("CSVRecords")
  std::int64_t total_rows = 0;
  std::string next_token;
};

struct TableMember {
  std::string name, schema, type;  // type: "TABLE", "VIEW", ...
};

template <typename T>
struct Page {
  std::vector<T> items;
  std::string next_token;  // empty on the last page
};

struct DescribeTableResult {
  std::string table_name;
  std::vector<ColumnMetadata> columns;
  std::string next_token;
};

// Options for RunStatement.
struct RunOptions {
  std::chrono::milliseconds deadline{std::chrono::minutes(5)};  // then CancelStatement
  bool long_poll = true;  // WaitTimeSeconds on ExecuteStatement/DescribeStatement
  std::chrono::milliseconds poll_initial{100};  // polling backoff when not long-polling
  std::chrono::milliseconds poll_max{std::chrono::seconds(5)};
  // False: when ExecuteStatement's own wait saw the statement finish, skip DescribeStatement
  // (one call less per statement; the description then holds id, status, session and
  // has_result_set only, not ResultRows, Duration, ...).
  bool full_description = true;
  // When set, polled between waits: once it returns true the statement is cancelled
  // (CancelStatement) and RunStatement fails with kCancelled. Long polls then wait at most
  // one second at a time, so cancellation takes effect within about a second.
  std::function<bool()> cancelled;
};

// Thread safety: thread-safe.
class RedshiftDataClient {
 public:
  static Result<std::unique_ptr<RedshiftDataClient>> Create(
      ClientConfig config, std::shared_ptr<HttpClient> http,
      std::shared_ptr<CredentialsProvider> credentials, Clock& clock, Random& random);
  RedshiftDataClient(std::unique_ptr<AwsServiceClient> client, Clock& clock, Random& random)
      : client_(std::move(client)), clock_(clock), random_(random) {}

  Result<ExecuteStatementResult> ExecuteStatement(const ExecuteStatementRequest& request);
  Result<StatementDescription> DescribeStatement(std::string_view id,
                                                 std::optional<int> wait_time_seconds = {});
  // Parsed with simdjson straight from the reply (the hot path of large catalog fetches).
  Result<ResultPage> GetStatementResult(std::string_view id, std::string_view next_token = {});
  Result<CsvResultPage> GetStatementResultV2(std::string_view id, std::string_view next_token = {});
  // True when the service accepted the cancellation.
  Result<bool> CancelStatement(std::string_view id);

  Result<Page<std::string>> ListDatabases(const DataApiTarget& target,
                                          std::string_view next_token = {},
                                          std::optional<int> max_results = {});
  Result<Page<std::string>> ListSchemas(const DataApiTarget& target,
                                        std::string_view schema_pattern = {},
                                        std::string_view connected_database = {},
                                        std::string_view next_token = {},
                                        std::optional<int> max_results = {});
  Result<Page<TableMember>> ListTables(const DataApiTarget& target,
                                       std::string_view schema_pattern = {},
                                       std::string_view table_pattern = {},
                                       std::string_view connected_database = {},
                                       std::string_view next_token = {},
                                       std::optional<int> max_results = {});
  Result<DescribeTableResult> DescribeTable(const DataApiTarget& target, std::string_view schema,
                                            std::string_view table,
                                            std::string_view connected_database = {},
                                            std::string_view next_token = {},
                                            std::optional<int> max_results = {});
  // All pages, following NextToken.
  Result<std::vector<std::string>> ListAllDatabases(const DataApiTarget& target);
  Result<std::vector<std::string>> ListAllSchemas(const DataApiTarget& target,
                                                  std::string_view schema_pattern = {});
  Result<std::vector<TableMember>> ListAllTables(const DataApiTarget& target,
                                                 std::string_view schema_pattern = {},
                                                 std::string_view table_pattern = {});
  Result<std::vector<ColumnMetadata>> DescribeAllColumns(const DataApiTarget& target,
                                                         std::string_view schema,
                                                         std::string_view table);

  // Runs a statement to completion: ExecuteStatement (with a ClientToken), then long polls
  // (WaitTimeSeconds, up to 30 s per call; see RunOptions::full_description) or, when long
  // polling is off or rejected, polls
  // DescribeStatement with exponential backoff on the injected clock. Past the deadline it
  // calls CancelStatement and fails with kTimeout. A FAILED statement fails with its SQL error
  // (kPermissionDenied for "permission denied", else kFailedPrecondition); ABORTED is kCancelled.
  // When the statement has a result set and `on_page` is set, every result page is passed to it
  // in order and then dropped, so memory is bounded by one page; an error from `on_page` stops
  // the fetch and is returned.
  Result<StatementDescription> RunStatement(
      ExecuteStatementRequest request, const RunOptions& options,
      const std::function<Status(const ResultPage&)>& on_page);
  // The same with ResultFormat CSV: pages come from GetStatementResultV2.
  Result<StatementDescription> RunStatementCsv(
      ExecuteStatementRequest request, const RunOptions& options,
      const std::function<Status(const CsvResultPage&)>& on_page);
  // The same, streaming rows instead of pages: each row goes to `on_row` as views into the
  // reply, so memory holds one reply and no materialised page. An error from `on_row` stops.
  Result<StatementDescription> RunStatementRows(
      ExecuteStatementRequest request, const RunOptions& options,
      const std::function<Status(std::span<const FieldView>)>& on_row);
  // One result page, row by row (see RunStatementRows); returns the next token ("" at the end).
  Result<std::string> GetStatementResultRows(
      std::string_view id, std::string_view next_token,
      const std::function<Status(std::span<const FieldView>)>& on_row);

  AwsServiceClient& service() { return *client_; }

  // The Data API's limit on SQL text; ExecuteStatement refuses longer text locally.
  static constexpr std::size_t kMaxSqlBytes = 100 * 1024;

 private:
  // ExecuteStatement, then wait for a terminal state; FAILED/ABORTED become errors.
  Result<StatementDescription> RunToCompletion(ExecuteStatementRequest request,
                                               const RunOptions& options);
  // Follows NextToken: `page` reads one page and returns the next token.
  Status ReadPages(const StatementDescription& desc, const RunOptions& options,
                   const std::function<Result<std::string>(const std::string&)>& page);

  std::unique_ptr<AwsServiceClient> client_;
  Clock& clock_;
  Random& random_;
};

// ---------------------------------------------------------------------------------------------
// Secrets Manager, redshift-serverless, redshift
// ---------------------------------------------------------------------------------------------

struct SecretValue {
  std::string arn, name, version_id;
  Secret secret_string;
  Secret secret_binary;  // raw bytes (decoded from base64)
  std::vector<std::string> version_stages;
};

struct SecretVersionRef {
  std::string arn, name, version_id;
  std::vector<std::string> version_stages;
};

// Thread safety: thread-safe.
class SecretsManagerClient {
 public:
  static Result<std::unique_ptr<SecretsManagerClient>> Create(
      ClientConfig config, std::shared_ptr<HttpClient> http,
      std::shared_ptr<CredentialsProvider> credentials, Clock& clock, Random& random);
  explicit SecretsManagerClient(std::unique_ptr<AwsServiceClient> client, Random& random)
      : client_(std::move(client)), random_(random) {}
  // By name or ARN; at most one of version_id and version_stage (default AWSCURRENT).
  Result<SecretValue> GetSecretValue(std::string_view secret_id, std::string_view version_id = {},
                                     std::string_view version_stage = {});
  // client_request_token: idempotency token; generated when empty.
  Result<SecretVersionRef> CreateSecret(std::string_view name, const Secret& secret_string,
                                        std::string_view description = {},
                                        std::string_view kms_key_id = {},
                                        std::string client_request_token = {});
  Result<SecretVersionRef> PutSecretValue(std::string_view secret_id, const Secret& secret_string,
                                          std::string client_request_token = {},
                                          const std::vector<std::string>& version_stages = {});

 private:
  std::unique_ptr<AwsServiceClient> client_;
  Random& random_;
};

// Temporary database credentials (redshift-serverless GetCredentials, redshift
// GetClusterCredentials[WithIAM]).
struct DbCredentials {
  std::string db_user;  // "IAM:alice", "IAMR:role", or the DbUser
  Secret db_password;
  std::optional<Clock::TimePoint> expiration;
  std::optional<Clock::TimePoint> next_refresh_time;
};

// Thread safety: thread-safe.
class RedshiftServerlessClient {
 public:
  static Result<std::unique_ptr<RedshiftServerlessClient>> Create(
      ClientConfig config, std::shared_ptr<HttpClient> http,
      std::shared_ptr<CredentialsProvider> credentials, Clock& clock, Random& random);
  explicit RedshiftServerlessClient(std::unique_ptr<AwsServiceClient> client)
      : client_(std::move(client)) {}
  Result<DbCredentials> GetCredentials(std::string_view workgroup_name,
                                       std::string_view db_name = {},
                                       std::optional<int> duration_seconds = {});

 private:
  std::unique_ptr<AwsServiceClient> client_;
};

// Thread safety: thread-safe.
class RedshiftClient {
 public:
  static Result<std::unique_ptr<RedshiftClient>> Create(
      ClientConfig config, std::shared_ptr<HttpClient> http,
      std::shared_ptr<CredentialsProvider> credentials, Clock& clock, Random& random);
  explicit RedshiftClient(std::unique_ptr<AwsServiceClient> client) : client_(std::move(client)) {}
  Result<DbCredentials> GetClusterCredentials(std::string_view cluster_identifier,
                                              std::string_view db_user,
                                              std::string_view db_name = {},
                                              std::optional<int> duration_seconds = {},
                                              bool auto_create = false,
                                              const std::vector<std::string>& db_groups = {});
  Result<DbCredentials> GetClusterCredentialsWithIAM(std::string_view cluster_identifier,
                                                     std::string_view db_name = {},
                                                     std::optional<int> duration_seconds = {});

 private:
  std::unique_ptr<AwsServiceClient> client_;
};

}  // namespace schemaport::aws
