// Internal to src/store: the small SQL layer both backends implement, so that the entity code
// (sql_store.cc) is written once. Not part of the public contract.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/core.h"
#include "crypto/crypto.h"

namespace schemaport::store::internal {

// A bound parameter or a result cell. Text and blobs are distinct (TEXT vs BLOB/BYTEA).
using Value = std::variant<std::nullptr_t, std::int64_t, std::string, crypto::Bytes>;
using Row = std::vector<Value>;

enum class Dialect { kSqlite, kPostgres };

// One database connection. SQL uses $1..$n placeholders in both dialects.
// Not thread-safe: used by one thread at a time (the Database hands it out).
class Conn {
 public:
  virtual ~Conn() = default;
  virtual Result<std::vector<Row>> Query(std::string_view sql, std::span<const Value> params) = 0;
  // Returns the number of rows changed.
  virtual Result<std::int64_t> Exec(std::string_view sql, std::span<const Value> params) = 0;
  // Several statements without parameters (migrations).
  virtual Status ExecScript(std::string_view sql) = 0;
};

// Thread safety: thread-safe.
class Database {
 public:
  virtual ~Database() = default;
  virtual Dialect dialect() const = 0;
  // Runs `fn` inside one transaction: committed when fn returns OK, rolled back otherwise.
  virtual Status Transaction(const std::function<Status(Conn&)>& fn) = 0;
  // Runs `fn` on a connection in autocommit mode.
  virtual Status Run(const std::function<Status(Conn&)>& fn) = 0;
  // Called after a connection is deleted (SQLite checkpoints the WAL so freed pages holding the
  // old data key are not left in the journal).
  virtual Status AfterShred() = 0;
};

struct SqliteConfig {
  std::string path;
  int busy_timeout_ms = 5000;
};
Result<std::unique_ptr<Database>> OpenSqliteDatabase(const SqliteConfig& config);

struct PostgresConfig {
  std::string conninfo;
  std::string sslmode;  // empty: verify-full
  bool insecure_allow_weak_sslmode = false;
  int pool_size = 4;
  int acquire_timeout_ms = 10000;
};
Result<std::unique_ptr<Database>> OpenPostgresDatabase(const PostgresConfig& config);

// Applies the migrations this build knows; kFailedPrecondition when the store is newer.
Status Migrate(Database& db, std::int64_t now_ms);

// Cell accessors. A NULL reads as 0 / "" / {}.
std::int64_t AsInt(const Value& v);
std::string AsText(const Value& v);
crypto::Bytes AsBytes(const Value& v);
bool IsNull(const Value& v);

}  // namespace schemaport::store::internal
