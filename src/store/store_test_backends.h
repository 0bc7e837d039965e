// Test-only: the two store backends behind one small helper type, so that the same typed test
// suites run against both. Each helper owns a fresh database (a SQLite file in a temp dir, or a
// new database in the shared PostgreSQL cluster) and gives raw access to what is at rest.
#pragma once

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include <filesystem>
#include <memory>
#include <string>

#include "store/store.h"
#include "support/support.h"

namespace schemaport::store::testing {

using schemaport::testing::TempDir;

// Raw blob access for tamper tests. `table` and `column` are test constants.
class SqliteBackend {
 public:
  static constexpr const char* kName = "Sqlite";

  SqliteBackend() : dir_("store-sqlite") {}

  Result<std::unique_ptr<Store>> Open(StoreDeps deps) const {
    return OpenSqliteStore({path(), std::chrono::milliseconds(5000)}, deps);
  }
  std::filesystem::path path() const { return dir_ / "data" / "store.db"; }
  const std::filesystem::path& dir() const { return dir_.path(); }

  // Everything at rest: the database file and its WAL (and shared-memory index).
  std::string RawContents() const {
    std::string all;
    for (const char* suffix : {"", "-wal", "-shm"}) {
      const auto p = path().string() + suffix;
      if (std::filesystem::exists(p)) all += schemaport::testing::ReadFile(p);
    }
    return all;
  }
  bool HasWal() const {
    const auto p = path().string() + "-wal";
    return std::filesystem::exists(p) && std::filesystem::file_size(p) > 0;
  }

  Status Exec(const std::string& sql) const {
    Db db = SP_TRY(Connect());
    char* err = nullptr;
    if (sqlite3_exec(db.get(), sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "sqlite error";
      sqlite3_free(err);
      return Internal(msg);
    }
    return Status::Ok();
  }

  // The first cell of `sql` as an integer (-1 on error).
  std::int64_t Count(const std::string& sql) const {
    auto db = Connect();
    if (!db.ok()) return -1;
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db->get(), sql.c_str(), -1, &raw, nullptr) != SQLITE_OK) return -1;
    Stmt stmt(raw);
    if (sqlite3_step(raw) != SQLITE_ROW) return -1;
    return sqlite3_column_int64(raw, 0);
  }

  Result<crypto::Bytes> ReadBlob(const std::string& table, const std::string& column,
                                 const std::string& key_column, const std::string& id) const {
    Db db = SP_TRY(Connect());
    const std::string sql =
        "SELECT " + column + " FROM " + table + " WHERE " + key_column + " = ?1";
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db.get(), sql.c_str(), -1, &raw, nullptr) != SQLITE_OK) {
      return Internal(sqlite3_errmsg(db.get()));
    }
    Stmt stmt(raw);
    sqlite3_bind_text(raw, 1, id.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(raw) != SQLITE_ROW) return NotFound("row");
    const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(raw, 0));
    return crypto::Bytes(p, p + sqlite3_column_bytes(raw, 0));
  }

  Status WriteBlob(const std::string& table, const std::string& column,
                   const std::string& key_column, const std::string& id,
                   const crypto::Bytes& bytes) const {
    Db db = SP_TRY(Connect());
    const std::string sql =
        "UPDATE " + table + " SET " + column + " = ?1 WHERE " + key_column + " = ?2";
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db.get(), sql.c_str(), -1, &raw, nullptr) != SQLITE_OK) {
      return Internal(sqlite3_errmsg(db.get()));
    }
    Stmt stmt(raw);
    sqlite3_bind_blob(raw, 1, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
    sqlite3_bind_text(raw, 2, id.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(raw) != SQLITE_DONE) return Internal(sqlite3_errmsg(db.get()));
    if (sqlite3_changes(db.get()) != 1) return NotFound("row");
    return Status::Ok();
  }

  // A copy of the store as a backup would hold it (database + WAL, taken while idle).
  Status Snapshot() {
    snapshot_ = std::make_unique<TempDir>("store-sqlite-backup");
    for (const char* suffix : {"", "-wal"}) {
      const auto from = path().string() + suffix;
      if (!std::filesystem::exists(from)) continue;
      std::error_code ec;
      std::filesystem::copy_file(from, (snapshot_->path() / "store.db").string() + suffix, ec);
      if (ec) return Internal("copy: " + ec.message());
    }
    return Status::Ok();
  }
  Result<std::unique_ptr<Store>> OpenSnapshot(StoreDeps deps) const {
    return OpenSqliteStore({snapshot_->path() / "store.db", std::chrono::milliseconds(5000)}, deps);
  }

 private:
  struct DbCloser {
    void operator()(sqlite3* d) const { sqlite3_close_v2(d); }
  };
  struct StmtFinalizer {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
  };
  using Db = std::unique_ptr<sqlite3, DbCloser>;
  using Stmt = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

  Result<Db> Connect() const {
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(path().c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr);
    Db db(raw);
    if (rc != SQLITE_OK) return Internal("open failed");
    sqlite3_busy_timeout(raw, 5000);
    return db;
  }

  TempDir dir_;
  std::unique_ptr<TempDir> snapshot_;
};

class PostgresBackend {
 public:
  static constexpr const char* kName = "Postgres";

  PostgresBackend() : dir_("store-pg") {
    auto db = schemaport::testing::SharedPgCluster().CreateDatabase("store");
    EXPECT_TRUE(db.ok()) << db.status();
    if (db.ok()) db_ = *db;
  }

  Result<std::unique_ptr<Store>> Open(StoreDeps deps) const { return OpenDb(db_, deps); }
  const std::filesystem::path& dir() const { return dir_.path(); }
  std::string conninfo() const { return Cluster().ConnInfo(db_); }

  // Everything at rest, as a logical backup shows it: pg_dump of the database.
  std::string RawContents() const { return Dump(db_); }
  bool HasWal() const { return false; }

  Status Exec(const std::string& sql) const { return Cluster().Exec(db_, sql); }
  // The first cell of `sql` as an integer (-1 on error).
  std::int64_t Count(const std::string& sql) const {
    auto rows = Cluster().Query(db_, sql);
    if (!rows.ok() || rows->empty() || rows->front().empty()) return -1;
    return std::stoll(rows->front().front());
  }

  Result<crypto::Bytes> ReadBlob(const std::string& table, const std::string& column,
                                 const std::string& key_column, const std::string& id) const {
    Conn conn = SP_TRY(Connect());
    const std::string sql =
        "SELECT " + column + " FROM " + table + " WHERE " + key_column + " = $1";
    const char* values[] = {id.c_str()};
    Res res(PQexecParams(conn.get(), sql.c_str(), 1, nullptr, values, nullptr, nullptr, 1));
    if (PQresultStatus(res.get()) != PGRES_TUPLES_OK) return Internal(PQerrorMessage(conn.get()));
    if (PQntuples(res.get()) != 1) return NotFound("row");
    const auto* p = reinterpret_cast<const std::uint8_t*>(PQgetvalue(res.get(), 0, 0));
    return crypto::Bytes(p, p + PQgetlength(res.get(), 0, 0));
  }

  Status WriteBlob(const std::string& table, const std::string& column,
                   const std::string& key_column, const std::string& id,
                   const crypto::Bytes& bytes) const {
    Conn conn = SP_TRY(Connect());
    const std::string sql =
        "UPDATE " + table + " SET " + column + " = $1 WHERE " + key_column + " = $2";
    const char* values[] = {reinterpret_cast<const char*>(bytes.data()), id.c_str()};
    const int lengths[] = {static_cast<int>(bytes.size()), 0};
    const int formats[] = {1, 0};
    const Oid types[] = {17, 25};
    Res res(PQexecParams(conn.get(), sql.c_str(), 2, types, values, lengths, formats, 0));
    if (PQresultStatus(res.get()) != PGRES_COMMAND_OK) {
      return Internal(PQerrorMessage(conn.get()));
    }
    if (std::string(PQcmdTuples(res.get())) != "1") return NotFound("row");
    return Status::Ok();
  }

  // A backup: pg_dump of the database, restored into a fresh database.
  Status Snapshot() {
    const std::string dump = Dump(db_);
    if (dump.empty()) return Internal("pg_dump produced nothing");
    snapshot_db_ = SP_TRY(Cluster().CreateDatabase("backup"));
    const auto file = dir_ / "backup.sql";
    schemaport::testing::WriteFile(file, dump);
    return RunTool("psql",
                   {"-q", "-v", "ON_ERROR_STOP=1", "-X", "-d", snapshot_db_, "-f", file.string()})
        .status();
  }
  Result<std::unique_ptr<Store>> OpenSnapshot(StoreDeps deps) const {
    return OpenDb(snapshot_db_, deps);
  }

 private:
  struct ConnCloser {
    void operator()(PGconn* c) const { PQfinish(c); }
  };
  struct ResClearer {
    void operator()(PGresult* r) const { PQclear(r); }
  };
  using Conn = std::unique_ptr<PGconn, ConnCloser>;
  using Res = std::unique_ptr<PGresult, ResClearer>;

  static schemaport::testing::PgCluster& Cluster() {
    return schemaport::testing::SharedPgCluster();
  }

  Result<std::unique_ptr<Store>> OpenDb(const std::string& db, StoreDeps deps) const {
    PostgresOptions options;
    options.conninfo = Cluster().ConnInfo(db);
    options.sslmode = "disable";
    options.pool_size = 3;
    return OpenPostgresStore(options, deps);
  }

  Result<Conn> Connect() const {
    Conn conn(PQconnectdb(conninfo().c_str()));
    if (PQstatus(conn.get()) != CONNECTION_OK) return Internal(PQerrorMessage(conn.get()));
    return conn;
  }

  // Runs a PostgreSQL client tool against the cluster and returns its output.
  Result<std::string> RunTool(const std::string& tool, std::vector<std::string> args) const {
    std::vector<std::string> argv = {
        Cluster().BinDir() + "/" + tool,  "-h", "127.0.0.1",          "-p",
        std::to_string(Cluster().port()), "-U", Cluster().superuser()};
    argv.insert(argv.end(), args.begin(), args.end());
    const auto log = dir_ / (tool + "-" + std::to_string(++runs_) + ".out");
    auto child = SP_TRY(schemaport::testing::ChildProcess::Start({argv, {}, log, {}, {}}));
    const int status = SP_TRY(child->Wait(std::chrono::seconds(120)));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      return Internal(tool + " failed: " + schemaport::testing::ReadFile(log));
    }
    return schemaport::testing::ReadFile(log);
  }

  std::string Dump(const std::string& db) const {
    auto out = RunTool("pg_dump", {"--no-owner", "-d", db});
    EXPECT_TRUE(out.ok()) << out.status();
    return out.ok() ? *out : std::string();
  }

  TempDir dir_;
  std::string db_;
  std::string snapshot_db_;
  mutable int runs_ = 0;
};

using Backends = ::testing::Types<SqliteBackend, PostgresBackend>;

class BackendNames {
 public:
  template <typename T>
  static std::string GetName(int) {
    return T::kName;
  }
};

}  // namespace schemaport::store::testing
