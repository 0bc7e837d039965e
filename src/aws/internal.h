// src/aws internals: the machinery below the public clients of aws/aws.h. Used by this layer,
// the emulator (tools/aws-emulator verifies SigV4, reads models and writes replies with these
// functions, so client and emulator share one source of each rule) and tests. Not part of the
// contract the rest of schemaport relies on.
#pragma once

#include <nlohmann/json.hpp>

#include "aws/aws.h"

namespace schemaport::aws {

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
  Headers headers;     // names in any case, in order
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
// Codes the SDKs treat as a possible clock skew.
bool IsClockSkewErrorCode(std::string_view code);
// Parses an HTTP date (IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT").
std::optional<Clock::TimePoint> ParseHttpDate(std::string_view text);

// ---------------------------------------------------------------------------------------------
// Endpoint resolution
// ---------------------------------------------------------------------------------------------

// The env-variable key of a service: serviceId upper-cased, spaces to underscores
// ("Redshift Data" -> "REDSHIFT_DATA", "Secrets Manager" -> "SECRETS_MANAGER").
std::string ServiceEndpointKey(std::string_view service_id);

// True for "localhost", 127.x.y.z and [::1] (with or without a port).
bool IsLoopbackHost(std::string_view host_and_port);
// The one rule for outbound AWS traffic: https:// always; http:// only to a loopback host (the
// local emulator). Anything else is kInvalidArgument with a message that says why; checked when
// an endpoint is resolved and again by CurlHttpClient before any connection is made.
Status CheckTransportSecurity(std::string_view url);

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
// Retry quota
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// A service client: model-driven serialisation, signing, retries, rate limits, error mapping
// ---------------------------------------------------------------------------------------------

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

}  // namespace schemaport::aws

// Helpers shared by the src/aws clients.
namespace schemaport::aws::internal {

// Epoch seconds (JSON protocols) or ISO-8601 text (query protocols).
std::optional<Clock::TimePoint> ParseTimestamp(const nlohmann::json& value);
// The string member `key`, or "" when absent or not a string.
std::string String(const nlohmann::json& object, const char* key);
// Moves the string member `key` into a Secret, wiping the json's copy ("" when absent).
Secret TakeSecret(nlohmann::json& object, const char* key);
// Wipes every string in `value` (recursively), for request and reply documents that held secret
// material (SecretString, SecretAccessKey, SessionToken, DbPassword).
void WipeJson(nlohmann::json& value) noexcept;
// Wipes a json document when it goes out of scope.
class JsonWiper {
 public:
  explicit JsonWiper(nlohmann::json& value) : value_(value) {}
  ~JsonWiper() { WipeJson(value_); }
  JsonWiper(const JsonWiper&) = delete;
  JsonWiper& operator=(const JsonWiper&) = delete;

 private:
  nlohmann::json& value_;
};
// The boolean member `key`, or `fallback` when absent or not a boolean.
bool Bool(const nlohmann::json& object, const char* key, bool fallback);
Result<std::unique_ptr<AwsServiceClient>> MakeServiceClient(
    std::string_view service, ClientConfig config, std::shared_ptr<HttpClient> http,
    std::shared_ptr<CredentialsProvider> credentials, Clock& clock, Random& random);

}  // namespace schemaport::aws::internal
