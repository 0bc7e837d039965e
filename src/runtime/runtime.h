// schemaport runtime: the one place that turns configuration and environment into the wired
// parts every command uses. The CLI (`warehouse test|fetch`, `keys rotate`, `users add`) and the
// server (`serve`) build their parts here and nowhere else:
//
//   HTTP client        libcurl, verifying TLS against the system store or AWS_CA_BUNDLE, wrapped
//                      so every AWS call is reported to an AwsCallObserver (metrics)
//   AWS endpoints      from the server's environment only (AWS_ENDPOINT_URL*, AWS_CA_BUNDLE):
//                      a connection's settings can never choose a host
//   connectors         the registry with the Redshift connector
//   rate budgets       one aws::RateBudgets per process: the Data API quotas belong to the AWS
//                      account and Region, so every connection and job of the process that
//                      uses an account draws from that account's one budget
//   key provider       the local key file under the data dir (default) or AWS Secrets Manager
//   store              SQLite under the data dir (default) or PostgreSQL
//
// Configuration: one TOML file (`--config`) with SCHEMAPORT_* environment overrides, validated
// at load (core.h Config). Keys are listed by ServerConfigSchema(); a command that needs more
// keys (the server's listen address, TLS files) passes them in `extra` so that one file
// describes the whole deployment and an unknown key is still an error.
//
// Thread safety: the parts are thread-safe once built; building is single-threaded.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "aws/aws.h"
#include "core/core.h"
#include "crypto/crypto.h"
#include "store/store.h"
#include "warehouse/warehouse.h"

namespace schemaport::runtime {

// One HTTP attempt to an AWS service, as seen by the transport.
struct AwsCall {
  std::string service;    // endpoint host's first label, e.g. "redshift-data", "sts"
  std::string operation;  // "ExecuteStatement" (X-Amz-Target) or "AssumeRole" (query Action)
  // "ok" (2xx), "throttled" (429 or a throttling error code), "client_error" (other 4xx),
  // "server_error" (5xx), "transport_error" (no complete response).
  std::string outcome;
  std::chrono::nanoseconds latency{0};
};
// Called from any thread, once per attempt (retries count separately). Must be thread-safe
// and quick (e.g. increment a counter).
using AwsCallObserver = std::function<void(const AwsCall&)>;

// An HttpClient that forwards to `inner` and reports each attempt to `observer`.
std::shared_ptr<aws::HttpClient> ObserveAwsCalls(std::shared_ptr<aws::HttpClient> inner,
                                                 AwsCallObserver observer);

// The keys of the server configuration file: data_dir, store.*, keys.*, jobs.*, sessions.*.
// `extra` keys (another command's) are appended.
ConfigSchema ServerConfigSchema(const ConfigSchema& extra = ConfigSchema());

// The Redshift connector registry, on `http`, with endpoints from `env` (never from a
// connection), drawing the Data API quotas from `rate_budgets` (the process's one; null makes
// one for this registry). REQUIRES: clock and random outlive the registry's connectors.
Result<std::unique_ptr<warehouse::ConnectorRegistry>> MakeConnectorRegistry(
    std::shared_ptr<aws::HttpClient> http, const Environment& env, Clock& clock, Random& random,
    std::shared_ptr<Logger> logger, std::shared_ptr<aws::RateBudgets> rate_budgets = nullptr);

// The libcurl client configured from `env` (AWS_CA_BUNDLE), observed when `observer` is set.
Result<std::shared_ptr<aws::HttpClient>> MakeHttpClient(const Environment& env,
                                                        AwsCallObserver observer = nullptr);

// What the warehouse commands need (no store): clock, randomness, HTTP and connectors.
struct WarehouseParts {
  SystemClock clock;
  SystemRandom random;
  std::shared_ptr<aws::HttpClient> http;
  std::shared_ptr<aws::RateBudgets> rate_budgets;  // the process's Data API budgets
  std::unique_ptr<warehouse::ConnectorRegistry> registry;
};
Result<std::unique_ptr<WarehouseParts>> WireWarehouse(const Environment& env,
                                                      AwsCallObserver observer = nullptr);

struct Options {
  std::string config_path;         // may be empty: defaults and environment only
  std::string data_dir_override;   // --data-dir; wins over the file's data_dir
  ConfigSchema extra_config;       // the command's own keys (see ServerConfigSchema)
  AwsCallObserver observer;        // may be null
  std::shared_ptr<Logger> logger;  // may be null
};

// Everything a store-backed command needs, owned together (members refer to each other, so the
// struct is neither copied nor moved: hold it by unique_ptr).
struct Runtime {
  Config config;  // the loaded configuration (read the command's extra keys here)
  std::filesystem::path data_dir;
  SystemClock clock;
  SystemRandom random;
  std::shared_ptr<aws::HttpClient> http;
  // The Data API quotas' budgets, one per account and Region, shared by every connection and
  // job this process runs (every connector the registry makes draws from it).
  std::shared_ptr<aws::RateBudgets> rate_budgets;
  std::unique_ptr<warehouse::ConnectorRegistry> registry;
  std::unique_ptr<aws::SecretsManagerClient> secrets_manager;  // only with that key provider
  std::unique_ptr<crypto::KeyProvider> keys;
  std::unique_ptr<crypto::Crypto> crypto;
  std::unique_ptr<crypto::PasswordHasher> hasher;
  std::unique_ptr<store::Store> store;
  std::string describe;  // "SQLite store /var/lib/schemaport/schemaport.db, local key file ..."

  // Service options from the jobs.* and sessions.* keys.
  int worker_threads = 2;
  int max_job_attempts = 3;
  std::chrono::seconds session_idle{std::chrono::hours(2)};
  std::chrono::seconds session_absolute{std::chrono::hours(12)};

  Runtime() = default;
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;
};

// Loads the configuration, creates the data dir (0700) when the embedded defaults need it,
// opens the key provider and the store, and builds the connector registry. Errors name the
// setting at fault; none holds a secret or a DSN.
Result<std::unique_ptr<Runtime>> Wire(const Options& options, const Environment& env);

}  // namespace schemaport::runtime
