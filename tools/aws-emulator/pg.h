// Thin RAII layer over libpq for the emulator: connections, results, one identifier-quoting
// function, and the mapping of libpq failures to Status (the one adapter for PostgreSQL errors).
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config.h"
#include "core/core.h"

namespace schemaport::emulator {

class PgResult {
 public:
  PgResult() = default;
  explicit PgResult(PGresult* r) : r_(r) {}
  PgResult(PgResult&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  PgResult& operator=(PgResult&& o) noexcept {
    if (this != &o) {
      Reset();
      r_ = o.r_;
      o.r_ = nullptr;
    }
    return *this;
  }
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;
  ~PgResult() { Reset(); }

  PGresult* get() const { return r_; }
  int rows() const { return PQntuples(r_); }
  int cols() const { return PQnfields(r_); }
  bool IsNull(int row, int col) const { return PQgetisnull(r_, row, col) != 0; }
  std::string Get(int row, int col) const {
    return std::string(PQgetvalue(r_, row, col),
                       static_cast<std::size_t>(PQgetlength(r_, row, col)));
  }

 private:
  void Reset() {
    if (r_) PQclear(r_);
    r_ = nullptr;
  }
  PGresult* r_ = nullptr;
};

// The text of a failed statement as Redshift's Data API reports it: "ERROR: <primary message>".
std::string PgErrorText(const PGresult* result, PGconn* conn);

// Thread safety: one thread at a time per connection; Cancel() may be called from any thread.
class PgConn {
 public:
  // Connects to `dbname` on the configured server as `user` (password may be empty).
  static Result<std::unique_ptr<PgConn>> Connect(const PostgresConfig& server,
                                                 const std::string& dbname, const std::string& user,
                                                 const Secret& password);
  ~PgConn();
  PgConn(const PgConn&) = delete;
  PgConn& operator=(const PgConn&) = delete;

  PGconn* get() const { return conn_; }
  int BackendPid() const { return PQbackendPID(conn_); }

  // Runs a statement with text parameters. A database error is returned as kFailedPrecondition
  // whose message is PgErrorText (the database's own words); a lost connection is kUnavailable.
  Result<PgResult> Exec(const std::string& sql,
                        const std::vector<std::optional<std::string>>& params = {});
  // Like Exec but only checks success.
  Status Run(const std::string& sql, const std::vector<std::optional<std::string>>& params = {});
  // Runs several statements with the simple query protocol (trusted, emulator-owned SQL only).
  Status RunScript(const std::string& sql);
  // PostgreSQL's own parse tree of `sql` (with `params` $n parameters of unknown type), as its
  // debug_print_parse output (nodeToString of each analysed Query), without running it: the
  // statement is only prepared (unnamed). Errors (syntax, unknown names) are returned as Exec's.
  Result<std::string> ParseTree(const std::string& sql, int params);
  // Requests cancellation of the statement in progress (thread-safe).
  void Cancel();
  bool Healthy() const { return PQstatus(conn_) == CONNECTION_OK; }

 private:
  explicit PgConn(PGconn* c);
  PGconn* conn_;
  std::mutex cancel_mu_;
  PGcancel* cancel_ = nullptr;
};

}  // namespace schemaport::emulator
