// The Data API's statement engine: statements queued on a worker pool, run against PostgreSQL as
// the mapped database user, with their status machine, results, sessions and retention.
#pragma once

#include <nlohmann/json.hpp>

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "api.h"
#include "config.h"
#include "faults.h"
#include "pg.h"

namespace schemaport::emulator {

enum class StatementStatus { kSubmitted, kPicked, kStarted, kFinished, kFailed, kAborted };
std::string_view StatusName(StatementStatus s);
inline bool IsTerminal(StatementStatus s) {
  return s == StatementStatus::kFinished || s == StatementStatus::kFailed ||
         s == StatementStatus::kAborted;
}

// Where and as whom SQL runs.
struct Target {
  std::string workgroup;     // set for serverless
  std::string cluster;       // set for provisioned
  std::string database;      // Redshift database name
  std::string pg_database;   // PostgreSQL database it maps to
  std::string db_user;       // role to connect as
  Secret db_password;        // from a secret; empty: the emulator manages the role's password
  bool create_user = false;  // IAM:<name> / IAMR:<name>, created on first use
  std::string secret_arn;
  std::string db_user_param;  // DbUser as given by the caller
};

// Opens PostgreSQL connections for targets, creating IAM database users on first use.
// Thread safety: thread-safe.
class PgAccess {
 public:
  PgAccess(const PostgresConfig& server, Random& random) : server_(server), random_(random) {}
  Result<std::unique_ptr<PgConn>> Connect(const Target& target);
  // A superuser connection to one database (catalog installation).
  Result<std::unique_ptr<PgConn>> ConnectSuperuser(const std::string& pg_database);

 private:
  Status EnsureRole(const Target& target, Secret& password_out);
  const PostgresConfig& server_;
  Random& random_;
  std::mutex mu_;
  std::map<std::string, Secret> role_passwords_;  // roles whose password the emulator set
};

// A typed result column and the rows as PostgreSQL's text output (nullopt = NULL).
struct ResultColumn {
  enum class Kind { kLong, kDouble, kBool, kBlob, kString };
  Kind kind = Kind::kString;
  nlohmann::json metadata;  // ColumnMetadata as the Data API returns it
};
struct ResultSet {
  std::vector<ResultColumn> columns;
  std::vector<std::vector<std::optional<std::string>>> rows;
};

// The Data API Field for one value.
nlohmann::json FieldFor(const ResultColumn& column, const std::optional<std::string>& value);
// RFC 4180 CSV of rows [begin, end), with a header line when `header`.
std::string CsvRecords(const ResultSet& result, std::size_t begin, std::size_t end, bool header);

// Rewrites Redshift-only statements PostgreSQL lacks (SHOW/SET enable_case_sensitive_identifier).
std::string RewriteRedshiftSql(const std::string& sql);

// Replaces :name parameters with $n (outside quotes, comments and :: casts). Fails when a
// parameter used in the SQL is not given, or a given one is not used.
struct BoundSql {
  std::string sql;
  std::vector<std::optional<std::string>> values;
};
std::variant<BoundSql, ApiError> BindParameters(
    const std::string& sql, const std::vector<std::pair<std::string, std::string>>& params);

struct SubStatement {
  std::string id;
  std::string sql;
  StatementStatus status = StatementStatus::kSubmitted;
  std::string error;
  std::int64_t duration_ns = 0;
  std::int64_t result_rows = -1;
  std::int64_t result_size = 0;
  bool has_result_set = false;
  std::int64_t query_id = 0;
  Clock::TimePoint created_at, updated_at;
  std::shared_ptr<const ResultSet> result;
};

struct Statement {
  std::string id;
  std::string owner_arn;    // principal (user or role) that may see the statement
  std::string session_arn;  // exact caller ARN (assumed-role session)
  std::string statement_name;
  std::string client_token;
  std::string session_id;
  Target target;
  std::vector<std::pair<std::string, std::string>> parameters;
  bool is_batch = false;
  bool transaction = true;  // batch execution mode
  std::string result_format = "JSON";
  StatementStatus status = StatementStatus::kSubmitted;
  std::string error;
  Clock::TimePoint created_at, updated_at;
  std::int64_t duration_ns = 0;
  std::int64_t redshift_pid = 0;
  std::int64_t query_id = 0;
  std::vector<SubStatement> subs;  // one for ExecuteStatement; one per SQL for a batch
};

struct SessionInfo {
  std::string id;
  std::string owner_arn;
  Target target;
  std::string status;  // AVAILABLE, BUSY, CLOSED
  int alive_seconds = 0;
  Clock::TimePoint created_at, updated_at, ttl;
  std::string current_statement_id;
};

struct SubmitRequest {
  std::string owner_arn;    // Identity::PrincipalArn()
  std::string session_arn;  // Identity::arn
  std::vector<std::string> sqls;
  bool is_batch = false;
  bool transaction = true;
  Target target;
  std::vector<std::pair<std::string, std::string>> parameters;
  std::string statement_name;
  std::string client_token;
  std::string result_format = "JSON";
  std::optional<int> session_keep_alive_seconds;
  std::string session_id;  // run on this existing session
};

// Thread safety: all public methods are thread-safe.
class StatementEngine {
 public:
  StatementEngine(const EmulatorConfig& config, const Clock& clock, Random& ids, PgAccess& pg,
                  StatementLog& log, FaultInjector& faults);
  ~StatementEngine();  // Stop()
  StatementEngine(const StatementEngine&) = delete;
  StatementEngine& operator=(const StatementEngine&) = delete;

  void Start();
  void Stop();

  // Queues a statement; returns a snapshot right after submission. Errors: limits
  // (ActiveStatementsExceededException, ActiveSessionsExceededException), a bad or busy session.
  std::variant<Statement, ApiError> Submit(SubmitRequest request);

  // A snapshot of a statement (or a batch sub-statement "<id>:<n>") owned by `owner_arn`;
  // nullopt when it does not exist for this owner. With `wait`, blocks until it is terminal or
  // the wait ends.
  std::optional<Statement> Find(const std::string& id, const std::string& owner_arn,
                                std::chrono::milliseconds wait = std::chrono::milliseconds(0));
  // CancelStatement: true when it was cancelled; error when already terminal or unknown.
  std::variant<bool, ApiError> Cancel(const std::string& id, const std::string& owner_arn);

  std::vector<Statement> List(const std::string& owner_arn) const;
  std::vector<SessionInfo> Sessions(const std::string& owner_arn) const;

  // Drops expired results and sessions (called periodically; exposed for tests).
  void Sweep();

 private:
  struct Session {
    SessionInfo info;
    std::unique_ptr<PgConn> conn;
  };
  struct Running {
    PgConn* conn = nullptr;
    bool cancel_requested = false;
  };

  void WorkerLoop();
  void SweeperLoop();
  void Execute(const std::string& id);
  void SetStatus(Statement& st, StatementStatus s);
  std::size_t ActiveStatementsLocked() const;
  std::size_t ActiveSessionsLocked() const;

  const EmulatorConfig& config_;
  const Clock& clock_;
  Random& ids_;
  PgAccess& pg_;
  StatementLog& log_;
  FaultInjector& faults_;

  mutable std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable changed_cv_;
  std::condition_variable sweep_cv_;
  bool stopping_ = false;
  std::deque<std::string> queue_;
  std::map<std::string, Statement> statements_;
  std::map<std::string, Running> running_;
  std::map<std::string, Session> sessions_;
  std::map<std::pair<std::string, std::string>, std::string> client_tokens_;
  std::int64_t next_query_id_ = 1000;
  std::vector<std::thread> workers_;
  std::thread sweeper_;
};

std::string NewUuid(Random& random);

}  // namespace schemaport::emulator
