// aws-emulator configuration: the account, its IAM users and roles, the Redshift workgroups and
// clusters (each mapped to databases of one PostgreSQL server), secrets, limits and faults.
// The TOML format is documented in docs/aws-emulator.md.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/core.h"

namespace schemaport::emulator {

struct UserConfig {
  std::string name;
  std::string access_key_id;
  Secret secret_access_key;
  std::vector<std::string> allow;  // "service:Action" patterns with '*' and '?' wildcards
};

struct RoleConfig {
  std::string name;
  std::vector<std::string> trust;  // principal ARNs allowed to assume the role ("*" for any)
  std::string external_id;         // required ExternalId when not empty
  std::vector<std::string> allow;
  int max_session_duration = 3600;
};

// A serverless workgroup or a provisioned cluster: Redshift database name -> PostgreSQL database.
struct WarehouseConfig {
  std::string name;  // workgroup name or cluster identifier
  std::string id;    // workgroup id (UUID) used in ARNs; generated from the seed when absent
  std::map<std::string, std::string> databases;
};

struct SecretConfig {
  std::string name;
  std::string secret_string;
  std::string description;
};

// Fault probabilities are in [0, 1]; latency in milliseconds.
struct FaultSpec {
  std::int64_t latency_ms = 0;
  std::int64_t jitter_ms = 0;
  double throttle = 0;
  double error_500 = 0;
  double error_503 = 0;
  double drop = 0;
  double statement_fail = 0;
};

struct FaultsConfig {
  FaultSpec global;
  std::map<std::string, FaultSpec> operations;  // by operation name, e.g. "ExecuteStatement"
};

struct PostgresConfig {
  std::string host = "127.0.0.1";
  int port = 5432;
  std::string superuser = "postgres";
  Secret password;
};

// The Data API's per-account, per-Region request quotas (transactions per second), from the
// "Quotas for Amazon Redshift Data API" table of the Amazon Redshift Management Guide
// (amazon-redshift-limits.html). Operations not listed are not limited.
std::map<std::string, double> DefaultDataApiQuotas();

struct LimitsConfig {
  // A GetStatementResult(V2) page ends at whichever bound comes first: result_page_rows rows, or
  // the rows that fit in result_page_bytes of JSON (CSV text for V2); a page holds at least one
  // row. AWS documents neither figure; see docs/aws-emulator.md for why these defaults.
  int result_page_rows = 1000;
  std::int64_t result_page_bytes = 1024 * 1024;
  // A statement whose result has a row over max_row_bytes, or a result over max_result_bytes,
  // fails as on the Data API (64 KB per row; 500 MB per result set).
  std::int64_t max_row_bytes = 64 * 1024;
  std::int64_t max_result_bytes = 500LL * 1024 * 1024;
  // Requests per second per operation for the emulator's account and Region; a call over the
  // rate gets ThrottlingException. Token buckets hold one second's worth.
  std::map<std::string, double> rates_per_second = DefaultDataApiQuotas();
  // Refuse what Redshift refuses (leader-node-only and unsupported functions with compute-node
  // relations; see statements.cc). Off only to compare with plain PostgreSQL.
  bool redshift_sql_rules = true;
  int list_page_size = 100;       // ListStatements/ListSessions default page
  int metadata_page_size = 1000;  // ListDatabases/ListSchemas/ListTables default page
  int describe_table_page_columns = 500;
  int result_retention_seconds = 86400;
  int max_active_statements = 200;
  int max_active_sessions = 500;
  int max_sql_bytes = 100 * 1024;
  int workers = 4;
  int clock_skew_seconds = 300;
};

struct ServerConfig {
  std::string host = "127.0.0.1";
  int port = 0;
  int admin_port = 0;
  std::string tls_cert;
  std::string tls_key;
  std::string statement_log;  // file path; empty: admin endpoint only
};

struct EmulatorConfig {
  std::string account_id = "123456789012";
  std::string region = "us-east-1";
  std::uint64_t seed = 1;
  ServerConfig server;
  PostgresConfig postgres;
  LimitsConfig limits;
  FaultsConfig faults;
  std::vector<UserConfig> users;
  std::vector<RoleConfig> roles;
  std::vector<WarehouseConfig> workgroups;
  std::vector<WarehouseConfig> clusters;
  std::vector<SecretConfig> secrets;
};

// Parses and validates TOML text. Errors are kInvalidArgument naming the source and the key;
// secret values are never echoed.
Result<EmulatorConfig> ParseEmulatorConfig(std::string_view toml, std::string_view source_name);
Result<EmulatorConfig> LoadEmulatorConfig(const std::string& path);

// Fault spec from a JSON-like key/value set (used by the admin endpoint and the TOML loader).
// Unknown keys and out-of-range values are errors.
Status ApplyFaultField(FaultSpec& spec, std::string_view key, double value);

}  // namespace schemaport::emulator
