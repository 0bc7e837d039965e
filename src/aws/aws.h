// schemaport AWS client layer: the public contract (no AWS C++ SDK is packaged for Debian, so
// this is ours). What the rest of schemaport uses:
//
//   Credentials, CredentialsProvider   static keys, AssumeRoleCredentialsProvider (STS)
//   HttpClient       the injected transport; CurlHttpClient is libcurl over verified TLS
//   EndpointSettings where requests go (AWS_ENDPOINT_URL*, server settings only)
//   RetryPolicy, RateLimiter            AWS "standard" retries; a token bucket per operation
//   ClientConfig     region, endpoints, retries, rates: the input of every client
//   StsClient, RedshiftDataClient (with RunStatement), SecretsManagerClient,
//   RedshiftServerlessClient, RedshiftClient
//   AwsErrorCode     the AWS error code carried by a Status of this layer
//
// The machinery below these clients (SigV4 signing and verification, botocore models, error
// reply parsing, endpoint resolution, the model-driven service client, the query protocol) is in
// aws/internal.h, for this layer, the emulator and tests. See docs/aws.md.
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

#include "core/core.h"

namespace schemaport::aws {

class AwsServiceClient;  // aws/internal.h

// AWS credentials. `session_token` is empty for long-term keys. `expiration` is set for
// temporary credentials (STS, redshift GetCredentials...).
struct Credentials {
  std::string access_key_id;
  Secret secret_access_key;
  Secret session_token;
  std::optional<Clock::TimePoint> expiration;
};

// ---------------------------------------------------------------------------------------------
// HTTP transport
// ---------------------------------------------------------------------------------------------

using Headers = std::vector<std::pair<std::string, std::string>>;

// The one case-insensitive header lookup: the value of the first header named `name` (any
// case), or nullopt.
std::optional<std::string> FindHeader(const Headers& headers, std::string_view name);

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

// The AWS error code ("AccessDeniedException", "ResourceNotFoundException", ...) carried by a
// Status this layer returned for an AWS error reply ("" if none: a transport or local error).
// Callers classify AWS errors by this code, never by message text.
std::string AwsErrorCode(const Status& status);

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

// The one region rule (settings forms, endpoint resolution): us-east-1, eu-central-2,
// us-gov-west-1, cn-north-1, ap-southeast-5, eusc-de-east-1...
bool IsValidRegion(std::string_view region);

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
// Client configuration
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
  explicit StsClient(std::unique_ptr<AwsServiceClient> client);
  ~StsClient();
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
  std::int64_t nullable = 0, precision = 0, scale = 0, length = 0;  // as the service sent them
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
  // Reading the result pages (after the statement finished) fails with kTimeout past this; a
  // NextToken the service already sent fails with kUnavailable. So a misbehaving reply ends.
  std::chrono::milliseconds results_deadline{std::chrono::minutes(30)};
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
  RedshiftDataClient(std::unique_ptr<AwsServiceClient> client, Clock& clock, Random& random);
  ~RedshiftDataClient();
  // The underlying service client (aws/internal.h), for tests that inspect its rate limiter and
  // clock-skew correction.
  AwsServiceClient& service();

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
  // (kPermissionDenied for "permission denied", kNotFound for "... does not exist", else
  // kFailedPrecondition; such a Status carries no AWS error code); ABORTED is kCancelled.
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
  SecretsManagerClient(std::unique_ptr<AwsServiceClient> client, Random& random);
  ~SecretsManagerClient();
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
  explicit RedshiftServerlessClient(std::unique_ptr<AwsServiceClient> client);
  ~RedshiftServerlessClient();
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
  explicit RedshiftClient(std::unique_ptr<AwsServiceClient> client);
  ~RedshiftClient();
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
