// SQLite backend of the internal SQL layer: one connection serialized by a mutex, a cache of
// prepared statements, WAL journal.
#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <unordered_map>

#include "store/db.h"

namespace schemaport::store::internal {
namespace {

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
// RAII owners (unique_ptr: copies deleted).
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

// The one mapping from SQLite result codes to ours. sqlite3_errmsg text names tables and
// columns, never bound values, so it may go to the detail.
Status SqliteError(sqlite3* db, int rc, std::string_view what) {
  const std::string detail = std::string(what) + ": " + sqlite3_errstr(rc) +
                             (db ? std::string(" (") + sqlite3_errmsg(db) + ")" : "");
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return Unavailable("the store is busy; try again", detail);
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return Status(Code::kAlreadyExists, "already exists", detail);
      }
      if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) {
        return NotFound("a referenced record does not exist", detail);
      }
      return InvalidArgument("the store rejected the record", detail);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return DataLoss("the store file is corrupt", detail);
    case SQLITE_FULL:
      return Status(Code::kResourceExhausted, "the disk holding the store is full", detail);
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_PERM:
    case SQLITE_READONLY: return Unavailable("the store file cannot be accessed", detail);
    default: return Internal("store error", detail);
  }
}

// "$1" -> "?1": SQLite numbered parameters.
std::string Translate(std::string_view sql) {
  std::string out;
  out.reserve(sql.size());
  for (char c : sql) out += (c == '$') ? '?' : c;
  return out;
}

class SqliteConn final : public Conn {
 public:
  explicit SqliteConn(DbPtr db) : db_(std::move(db)) {}

  Result<std::vector<Row>> Query(std::string_view sql, std::span<const Value> params) override {
    sqlite3_stmt* stmt = SP_TRY(Prepare(sql, params));
    std::vector<Row> rows;
    for (;;) {
      const int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return Finish(stmt, SqliteError(db_.get(), rc, "step"));
      const int n = sqlite3_column_count(stmt);
      Row row;
      row.reserve(static_cast<std::size_t>(n));
      for (int i = 0; i < n; ++i) {
        switch (sqlite3_column_type(stmt, i)) {
          case SQLITE_NULL: row.emplace_back(nullptr); break;
          case SQLITE_INTEGER:
          case SQLITE_FLOAT:
            row.emplace_back(static_cast<std::int64_t>(sqlite3_column_int64(stmt, i)));
            break;
          case SQLITE_TEXT: {
            const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
            row.emplace_back(
                std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt, i))));
            break;
          }
          default: {
            const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt, i));
            const auto len = static_cast<std::size_t>(sqlite3_column_bytes(stmt, i));
            row.emplace_back(p ? crypto::Bytes(p, p + len) : crypto::Bytes());
            break;
          }
        }
      }
      rows.push_back(std::move(row));
    }
    SP_TRY(Finish(stmt, Status::Ok()));
    return rows;
  }

  Result<std::int64_t> Exec(std::string_view sql, std::span<const Value> params) override {
    sqlite3_stmt* stmt = SP_TRY(Prepare(sql, params));
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    }
    if (rc != SQLITE_DONE) return Finish(stmt, SqliteError(db_.get(), rc, "step"));
    SP_TRY(Finish(stmt, Status::Ok()));
    return static_cast<std::int64_t>(sqlite3_changes64(db_.get()));
  }

  Status ExecScript(std::string_view sql) override {
    const std::string text(sql);
    const int rc = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return SqliteError(db_.get(), rc, "exec");
    return Status::Ok();
  }

  sqlite3* db() { return db_.get(); }

 private:
  Result<sqlite3_stmt*> Prepare(std::string_view sql, std::span<const Value> params) {
    auto it = cache_.find(std::string(sql));
    if (it == cache_.end()) {
      const std::string text = Translate(sql);
      sqlite3_stmt* raw = nullptr;
      const int rc = sqlite3_prepare_v3(db_.get(), text.c_str(), static_cast<int>(text.size()),
                                        SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
      if (rc != SQLITE_OK) return SqliteError(db_.get(), rc, "prepare");
      it = cache_.emplace(std::string(sql), StmtPtr(raw)).first;
    }
    sqlite3_stmt* stmt = it->second.get();
    for (std::size_t i = 0; i < params.size(); ++i) {
      const int idx = static_cast<int>(i) + 1;
      int rc = SQLITE_OK;
      const Value& v = params[i];
      if (std::holds_alternative<std::nullptr_t>(v)) {
        rc = sqlite3_bind_null(stmt, idx);
      } else if (const auto* n = std::get_if<std::int64_t>(&v)) {
        rc = sqlite3_bind_int64(stmt, idx, *n);
      } else if (const auto* s = std::get_if<std::string>(&v)) {
        rc = sqlite3_bind_text64(stmt, idx, s->data(), s->size(), SQLITE_STATIC, SQLITE_UTF8);
      } else {
        const auto& b = std::get<crypto::Bytes>(v);
        rc = sqlite3_bind_blob64(stmt, idx, b.empty() ? "" : static_cast<const void*>(b.data()),
                                 b.size(), SQLITE_STATIC);
      }
      if (rc != SQLITE_OK) return Finish(stmt, SqliteError(db_.get(), rc, "bind"));
    }
    return stmt;
  }

  // Resets the cached statement (keeping it) and returns `s`.
  Status Finish(sqlite3_stmt* stmt, Status s) {
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return s;
  }

  std::unordered_map<std::string, StmtPtr> cache_;
  DbPtr db_;  // declared last: destroyed after the statements
};

class SqliteDatabase final : public Database {
 public:
  explicit SqliteDatabase(std::unique_ptr<SqliteConn> conn) : conn_(std::move(conn)) {}

  Dialect dialect() const override { return Dialect::kSqlite; }

  Status Transaction(const std::function<Status(Conn&)>& fn) override {
    std::lock_guard lock(mu_);
    SP_TRY(conn_->ExecScript("BEGIN IMMEDIATE"));
    Status s = fn(*conn_);
    if (s.ok()) {
      s = conn_->ExecScript("COMMIT");
      if (s.ok()) return s;
    }
    if (!sqlite3_get_autocommit(conn_->db())) {
      (void)conn_->ExecScript("ROLLBACK");
    }
    return s;
  }

  Status Run(const std::function<Status(Conn&)>& fn) override {
    std::lock_guard lock(mu_);
    return fn(*conn_);
  }

  Status AfterShred() override {
    std::lock_guard lock(mu_);
    const int rc = sqlite3_wal_checkpoint_v2(conn_->db(), nullptr, SQLITE_CHECKPOINT_TRUNCATE,
                                             nullptr, nullptr);
    // Another process reading the store may keep the WAL from being truncated; the deleted
    // key is then overwritten in the main file (secure_delete) and the WAL is recycled later.
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) return SqliteError(conn_->db(), rc, "checkpoint");
    return Status::Ok();
  }

 private:
  std::mutex mu_;
  std::unique_ptr<SqliteConn> conn_;
};

}  // namespace

Result<std::unique_ptr<Database>> OpenSqliteDatabase(const SqliteConfig& config) {
  const std::filesystem::path path(config.path);
  if (path.has_parent_path()) {
    std::error_code ec;
    if (!std::filesystem::exists(path.parent_path())) {
      std::filesystem::create_directories(path.parent_path(), ec);
      if (ec) return Unavailable("cannot create the store directory", ec.message());
      std::filesystem::permissions(path.parent_path(), std::filesystem::perms::owner_all, ec);
    }
  }
  // Create the file 0600 first: SQLite gives the -wal and -shm files the database file's mode.
  // The store holds only sealed values, but ids and counts are nobody else's business either.
  // Existing files (the database and its -wal, -shm and -journal companions) are opened with
  // O_NOFOLLOW and refused when group or others may read or write them; SQLite itself is told
  // not to follow symbolic links either. `held` keeps the checked database file open while
  // SQLite opens it.
  UniqueFd held;
  if (config.path != ":memory:") {
    auto fd = OpenOwnerOnlyFile(config.path, O_RDWR | O_CREAT, "store file");
    if (!fd.ok()) return fd.status();
    held = std::move(fd).value();
    for (const char* suffix : {"-wal", "-shm", "-journal"}) {
      auto side = OpenOwnerOnlyFile(config.path + suffix, O_RDONLY, "store file");
      if (!side.ok() && side.status().code() != Code::kNotFound) return side.status();
    }
  }
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(
      config.path.c_str(), &raw,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW,
      nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK) return SqliteError(db.get(), rc, "open");
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(db.get(), config.busy_timeout_ms);
  auto conn = std::make_unique<SqliteConn>(std::move(db));
  SP_TRY(
      conn->ExecScript("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; "
                       "PRAGMA secure_delete=ON;"));
  // journal_mode answers with the mode in effect; verify WAL took hold.
  const auto mode = SP_TRY(conn->Query("PRAGMA journal_mode", {}));
  if (mode.empty() || AsText(mode[0][0]) != "wal") {
    return Unavailable("the store file does not support WAL journaling");
  }
  return std::unique_ptr<Database>(std::make_unique<SqliteDatabase>(std::move(conn)));
}

std::int64_t AsInt(const Value& v) {
  if (const auto* n = std::get_if<std::int64_t>(&v)) return *n;
  if (const auto* s = std::get_if<std::string>(&v)) {
    std::int64_t n = 0;
    std::from_chars(s->data(), s->data() + s->size(), n);
    return n;
  }
  return 0;
}

std::string AsText(const Value& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  if (const auto* n = std::get_if<std::int64_t>(&v)) return std::to_string(*n);
  if (const auto* b = std::get_if<crypto::Bytes>(&v)) return std::string(b->begin(), b->end());
  return {};
}

crypto::Bytes AsBytes(const Value& v) {
  if (const auto* b = std::get_if<crypto::Bytes>(&v)) return *b;
  if (const auto* s = std::get_if<std::string>(&v)) return crypto::Bytes(s->begin(), s->end());
  return {};
}

bool IsNull(const Value& v) {
  return std::holds_alternative<std::nullptr_t>(v);
}

}  // namespace schemaport::store::internal
