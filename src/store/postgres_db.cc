// PostgreSQL backend of the internal SQL layer: libpq, a small pool of connections, typed
// parameters (bytea in binary), binary results.
#include <libpq-fe.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>

#include "store/db.h"

namespace schemaport::store::internal {
namespace {

struct PgConnCloser {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct PgResultClearer {
  void operator()(PGresult* r) const { PQclear(r); }
};
// RAII owners (unique_ptr: copies deleted).
using PgConnPtr = std::unique_ptr<PGconn, PgConnCloser>;
using PgResultPtr = std::unique_ptr<PGresult, PgResultClearer>;

// Type OIDs (pg_type.h); stable across server versions.
constexpr Oid kBoolOid = 16, kByteaOid = 17, kInt8Oid = 20, kInt2Oid = 21, kInt4Oid = 23,
              kTextOid = 25;

// The one mapping from libpq/SQLSTATE errors to ours. Only the primary message goes to the
// detail (the DETAIL field may quote values).
Status PgError(const PGresult* res, PGconn* conn, std::string_view what) {
  const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  const char* primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  std::string detail = std::string(what) + ": ";
  if (state) detail += std::string("SQLSTATE ") + state + " ";
  if (primary) {
    detail += primary;
  } else if (conn) {
    detail += PQerrorMessage(conn);
  }
  const std::string code = state ? state : "";
  if (code.empty()) {
    if (conn && PQstatus(conn) != CONNECTION_OK) {
      return Unavailable("the store database is unreachable", detail);
    }
    return Internal("store error", detail);
  }
  if (code == "23505") return Status(Code::kAlreadyExists, "already exists", detail);
  if (code == "23503") return NotFound("a referenced record does not exist", detail);
  if (code.rfind("23", 0) == 0) return InvalidArgument("the store rejected the record", detail);
  if (code == "40001" || code == "40P01" || code == "55P03") {
    return Unavailable("the store is busy; try again", detail);
  }
  if (code.rfind("08", 0) == 0 || code.rfind("57P", 0) == 0) {
    return Unavailable("the store database is unreachable", detail);
  }
  if (code.rfind("53", 0) == 0) {
    return Status(Code::kResourceExhausted, "the store database is out of resources", detail);
  }
  if (code.rfind("28", 0) == 0) {
    return Unauthenticated("the store database rejected the login", detail);
  }
  if (code == "42501") return PermissionDenied("the store database denied access", detail);
  if (code == "57014") return Status(Code::kTimeout, "a store query timed out", detail);
  return Internal("store error", detail);
}

std::int64_t ReadBigEndian(const char* p, int len) {
  std::uint64_t v = 0;
  for (int i = 0; i < len; ++i) v = (v << 8) | static_cast<std::uint8_t>(p[i]);
  // Sign-extend shorter integers.
  if (len < 8 && len > 0 && (static_cast<std::uint8_t>(p[0]) & 0x80)) {
    v |= ~std::uint64_t{0} << (8 * len);
  }
  return static_cast<std::int64_t>(v);
}

class PgConn final : public Conn {
 public:
  explicit PgConn(PgConnPtr conn) : conn_(std::move(conn)) {}

  Result<std::vector<Row>> Query(std::string_view sql, std::span<const Value> params) override {
    PgResultPtr res = SP_TRY(Execute(sql, params));
    const int nrows = PQntuples(res.get());
    const int ncols = PQnfields(res.get());
    std::vector<Row> rows;
    rows.reserve(static_cast<std::size_t>(nrows));
    for (int r = 0; r < nrows; ++r) {
      Row row;
      row.reserve(static_cast<std::size_t>(ncols));
      for (int c = 0; c < ncols; ++c) {
        if (PQgetisnull(res.get(), r, c)) {
          row.emplace_back(nullptr);
          continue;
        }
        const char* p = PQgetvalue(res.get(), r, c);
        const int len = PQgetlength(res.get(), r, c);
        switch (PQftype(res.get(), c)) {
          case kInt8Oid:
          case kInt4Oid:
          case kInt2Oid: row.emplace_back(ReadBigEndian(p, len)); break;
          case kBoolOid: row.emplace_back(static_cast<std::int64_t>(len > 0 && p[0] != 0)); break;
          case kByteaOid: row.emplace_back(crypto::Bytes(p, p + len)); break;
          default:  // text, varchar, name: binary form is the raw text
            row.emplace_back(std::string(p, static_cast<std::size_t>(len)));
            break;
        }
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }

  Result<std::int64_t> Exec(std::string_view sql, std::span<const Value> params) override {
    PgResultPtr res = SP_TRY(Execute(sql, params));
    const std::string_view n = PQcmdTuples(res.get());
    std::int64_t count = 0;
    std::from_chars(n.data(), n.data() + n.size(), count);
    return count;
  }

  Status ExecScript(std::string_view sql) override {
    const std::string text(sql);
    PgResultPtr res(PQexec(conn_.get(), text.c_str()));
    const auto st = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      return PgError(res.get(), conn_.get(), "exec");
    }
    return Status::Ok();
  }

  bool Healthy() const { return PQstatus(conn_.get()) == CONNECTION_OK; }
  bool IdleOutsideTransaction() const { return PQtransactionStatus(conn_.get()) == PQTRANS_IDLE; }
  void Reset() { PQreset(conn_.get()); }

 private:
  Result<PgResultPtr> Execute(std::string_view sql, std::span<const Value> params) {
    const std::size_t n = params.size();
    std::vector<Oid> types(n);
    std::vector<const char*> values(n);
    std::vector<int> lengths(n), formats(n);
    std::vector<std::string> ints(n);
    for (std::size_t i = 0; i < n; ++i) {
      const Value& v = params[i];
      if (std::holds_alternative<std::nullptr_t>(v)) {
        types[i] = 0;
        values[i] = nullptr;
      } else if (const auto* num = std::get_if<std::int64_t>(&v)) {
        ints[i] = std::to_string(*num);
        types[i] = kInt8Oid;
        values[i] = ints[i].c_str();
      } else if (const auto* s = std::get_if<std::string>(&v)) {
        types[i] = kTextOid;
        values[i] = s->c_str();
      } else {
        const auto& b = std::get<crypto::Bytes>(v);
        types[i] = kByteaOid;
        values[i] = reinterpret_cast<const char*>(b.data());
        lengths[i] = static_cast<int>(b.size());
        formats[i] = 1;
        if (b.empty()) values[i] = "";
      }
    }
    const std::string text(sql);
    PgResultPtr res(PQexecParams(conn_.get(), text.c_str(), static_cast<int>(n), types.data(),
                                 values.data(), lengths.data(), formats.data(), /*binary=*/1));
    const auto st = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      return PgError(res.get(), conn_.get(), "query");
    }
    return res;
  }

  PgConnPtr conn_;
};

class PostgresDatabase final : public Database {
 public:
  PostgresDatabase(std::vector<std::unique_ptr<PgConn>> conns, int acquire_timeout_ms)
      : acquire_timeout_(acquire_timeout_ms) {
    for (auto& c : conns) idle_.push_back(std::move(c));
  }

  Dialect dialect() const override { return Dialect::kPostgres; }

  Status Transaction(const std::function<Status(Conn&)>& fn) override {
    Lease lease = SP_TRY(Acquire());
    SP_TRY(lease->ExecScript("BEGIN"));
    Status s = fn(*lease);
    if (s.ok()) {
      s = lease->ExecScript("COMMIT");
      if (s.ok()) return s;
    }
    (void)lease->ExecScript("ROLLBACK");
    return s;
  }

  Status Run(const std::function<Status(Conn&)>& fn) override {
    Lease lease = SP_TRY(Acquire());
    return fn(*lease);
  }

  Status AfterShred() override { return Status::Ok(); }

 private:
  // A connection borrowed from the pool; returned (reset when broken) on destruction.
  class Lease {
   public:
    Lease(PostgresDatabase* db, std::unique_ptr<PgConn> conn) : db_(db), conn_(std::move(conn)) {}
    Lease(Lease&& o) noexcept : db_(o.db_), conn_(std::move(o.conn_)) {}
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (conn_) db_->Release(std::move(conn_));
    }
    PgConn* operator->() { return conn_.get(); }
    PgConn& operator*() { return *conn_; }

   private:
    PostgresDatabase* db_;
    std::unique_ptr<PgConn> conn_;
  };

  Result<Lease> Acquire() {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, acquire_timeout_, [&] { return !idle_.empty(); })) {
      return Status(Code::kTimeout, "no store connection became free in time");
    }
    std::unique_ptr<PgConn> conn = std::move(idle_.back());
    idle_.pop_back();
    lock.unlock();
    if (!conn->Healthy()) conn->Reset();
    if (!conn->Healthy()) {
      Release(std::move(conn));
      return Unavailable("the store database is unreachable");
    }
    return Lease(this, std::move(conn));
  }

  void Release(std::unique_ptr<PgConn> conn) {
    if (conn->Healthy() && !conn->IdleOutsideTransaction()) {
      (void)conn->ExecScript("ROLLBACK");
    }
    {
      std::lock_guard lock(mu_);
      idle_.push_back(std::move(conn));
    }
    cv_.notify_one();
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<PgConn>> idle_;
  std::chrono::milliseconds acquire_timeout_;
};

// True when every host the conninfo names is local: a Unix socket directory (or none, which is
// libpq's default socket), localhost, 127.x.y.z or ::1. Unparsable conninfo: false.
bool OnlyLoopbackHosts(const std::string& conninfo) {
  char* err = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &err);
  if (err != nullptr) PQfreemem(err);
  if (options == nullptr) return false;
  std::string host, hostaddr;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    if (std::strcmp(o->keyword, "host") == 0) host = o->val;
    if (std::strcmp(o->keyword, "hostaddr") == 0) hostaddr = o->val;
  }
  PQconninfoFree(options);
  auto local = [](std::string_view list) {
    while (true) {
      const size_t comma = list.find(',');
      const std::string_view h = list.substr(0, comma);
      const bool ok = h.empty() || h.front() == '/' || h.front() == '@' || h == "localhost" ||
                      h == "::1" || (h.starts_with("127.") && h.size() <= 15);
      if (!ok) return false;
      if (comma == std::string_view::npos) return true;
      list.remove_prefix(comma + 1);
    }
  };
  // With hostaddr, libpq connects to those addresses (host is then only the TLS name).
  return hostaddr.empty() ? local(host) : local(hostaddr);
}

}  // namespace

Result<std::unique_ptr<Database>> OpenPostgresDatabase(const PostgresConfig& config) {
  static constexpr std::array<std::string_view, 6> kSslModes = {
      "disable", "allow", "prefer", "require", "verify-ca", "verify-full"};
  const std::string sslmode = config.sslmode.empty() ? "verify-full" : config.sslmode;
  if (std::find(kSslModes.begin(), kSslModes.end(), sslmode) == kSslModes.end()) {
    return InvalidArgument(
        "store sslmode must be one of disable, allow, prefer, require, "
        "verify-ca, verify-full");
  }
  if (sslmode != "verify-full" && !config.insecure_allow_weak_sslmode &&
      !OnlyLoopbackHosts(config.conninfo)) {
    return InvalidArgument("store sslmode " + sslmode +
                           " does not verify the server's certificate and host name, and the "
                           "store is not on this machine: use sslmode verify-full (the default) "
                           "or set the insecure option explicitly");
  }
  if (config.pool_size < 1 || config.pool_size > 64) {
    return InvalidArgument("store pool size must be between 1 and 64");
  }
  std::vector<const char*> keys = {"dbname", "application_name"};
  std::vector<const char*> values = {config.conninfo.c_str(), "schemaport"};
  keys.push_back("sslmode");
  values.push_back(sslmode.c_str());
  keys.push_back(nullptr);
  values.push_back(nullptr);

  std::vector<std::unique_ptr<PgConn>> conns;
  for (int i = 0; i < config.pool_size; ++i) {
    PgConnPtr conn(PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/1));
    if (!conn) return Status(Code::kResourceExhausted, "out of memory connecting to the store");
    if (PQstatus(conn.get()) != CONNECTION_OK) {
      // PQerrorMessage may name host and user but never the password; keep it in the detail.
      return Unavailable("cannot connect to the store database",
                         std::string("connect: ") + PQerrorMessage(conn.get()));
    }
    conns.push_back(std::make_unique<PgConn>(std::move(conn)));
  }
  for (auto& c : conns) {
    SP_TRY(c->ExecScript("SET client_min_messages = warning; SET TIME ZONE 'UTC'"));
  }
  return std::unique_ptr<Database>(
      std::make_unique<PostgresDatabase>(std::move(conns), config.acquire_timeout_ms));
}

}  // namespace schemaport::store::internal
