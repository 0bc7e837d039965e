// Versioned schema migrations, written once for both dialects ({BLOB} and {INT} are replaced).
#include <string>

#include "store/db.h"
#include "store/store.h"

namespace schemaport::store::internal {
namespace {

// Migration N brings the schema from version N-1 to N. Append only; never edit a released one.
// Timestamps are milliseconds since the Unix epoch. Sealed columns end in "_sealed"; wrapped
// data keys are "wrapped_key"; "email_index" is a keyed hash (blind index) of the e-mail.
constexpr std::string_view kMigrations[] = {
    // 1: initial schema.
    R"sql(
CREATE TABLE orgs (
  id TEXT PRIMARY KEY,
  created_at {INT} NOT NULL,
  wrapped_key {BLOB} NOT NULL,
  name_sealed {BLOB} NOT NULL
);
CREATE TABLE store_keys (
  id TEXT PRIMARY KEY,
  wrapped_key {BLOB} NOT NULL
);
CREATE TABLE users (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  email_index TEXT NOT NULL UNIQUE,
  email_sealed {BLOB} NOT NULL,
  role TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  created_at {INT} NOT NULL
);
CREATE INDEX users_org ON users(org_id);
CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  org_id TEXT NOT NULL,
  created_at {INT} NOT NULL,
  expires_at {INT} NOT NULL
);
CREATE INDEX sessions_expiry ON sessions(expires_at);
CREATE TABLE api_tokens (
  id TEXT PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  org_id TEXT NOT NULL,
  name_sealed {BLOB} NOT NULL,
  created_at {INT} NOT NULL,
  expires_at {INT}
);
CREATE INDEX api_tokens_org ON api_tokens(org_id);
CREATE TABLE connections (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  data_store_type TEXT NOT NULL,
  wrapped_key {BLOB} NOT NULL,
  name_sealed {BLOB} NOT NULL,
  settings_sealed {BLOB} NOT NULL,
  credentials_sealed {BLOB} NOT NULL,
  created_at {INT} NOT NULL,
  updated_at {INT} NOT NULL
);
CREATE INDEX connections_org ON connections(org_id);
CREATE TABLE catalogs (
  connection_id TEXT PRIMARY KEY REFERENCES connections(id) ON DELETE CASCADE,
  org_id TEXT NOT NULL,
  fetched_at {INT} NOT NULL,
  expires_at {INT} NOT NULL,
  table_count {INT} NOT NULL,
  document_sealed {BLOB} NOT NULL
);
CREATE INDEX catalogs_expiry ON catalogs(expires_at);
CREATE TABLE saved_tables (
  connection_id TEXT NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
  id TEXT NOT NULL,
  org_id TEXT NOT NULL,
  saved_at {INT} NOT NULL,
  column_count {INT} NOT NULL,
  metadata_sealed {BLOB} NOT NULL,
  PRIMARY KEY (connection_id, id)
);
CREATE TABLE jobs (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  connection_id TEXT REFERENCES connections(id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  state TEXT NOT NULL,
  progress_done {INT} NOT NULL,
  progress_total {INT} NOT NULL,
  input_sealed {BLOB} NOT NULL,
  error_sealed {BLOB},
  lease_owner TEXT,
  lease_expires_at {INT},
  attempts {INT} NOT NULL,
  created_at {INT} NOT NULL,
  updated_at {INT} NOT NULL
);
CREATE INDEX jobs_claim ON jobs(state, created_at);
CREATE INDEX jobs_connection ON jobs(connection_id);
CREATE TABLE audit_events (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  seq {INT} NOT NULL,
  at {INT} NOT NULL,
  actor_id TEXT NOT NULL,
  action TEXT NOT NULL,
  target_id TEXT NOT NULL,
  detail_sealed {BLOB} NOT NULL
);
CREATE INDEX audit_events_org ON audit_events(org_id, at, seq);
)sql",
    // 2: jobs carry their current step (sealed) and a cancel request visible to every instance;
    //    sessions record their last use (idle expiry).
    R"sql(
ALTER TABLE jobs ADD COLUMN step_sealed {BLOB};
ALTER TABLE jobs ADD COLUMN cancel_requested {INT} NOT NULL DEFAULT 0;
CREATE INDEX jobs_kind_state ON jobs(kind, state);
ALTER TABLE sessions ADD COLUMN last_seen_at {INT};
CREATE INDEX sessions_user ON sessions(user_id);
)sql",
    // 3: small sealed documents kept per connection by kind (the Data Map's decisions and the
    //    relationships of the last Save Metadata); they go with the connection.
    R"sql(
CREATE TABLE connection_documents (
  connection_id TEXT NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  org_id TEXT NOT NULL,
  updated_at {INT} NOT NULL,
  document_sealed {BLOB} NOT NULL,
  PRIMARY KEY (connection_id, kind)
);
)sql",
    // 4: a catalog carries a revision, a random id that every write replaces, so a reader can
    //    check a decoded copy without unsealing the document ('' for rows written before).
    R"sql(
ALTER TABLE catalogs ADD COLUMN revision TEXT NOT NULL DEFAULT '';
)sql",
};

static_assert(std::size(kMigrations) == kSchemaVersion,
              "kSchemaVersion must equal the number of migrations");

std::string ForDialect(std::string_view sql, Dialect dialect) {
  std::string out(sql);
  const auto replace = [&](std::string_view from, std::string_view to) {
    for (auto pos = out.find(from); pos != std::string::npos; pos = out.find(from, pos)) {
      out.replace(pos, from.size(), to);
      pos += to.size();
    }
  };
  replace("{BLOB}", dialect == Dialect::kSqlite ? "BLOB" : "BYTEA");
  replace("{INT}", dialect == Dialect::kSqlite ? "INTEGER" : "BIGINT");
  return out;
}

}  // namespace

Status Migrate(Database& db, std::int64_t now_ms) {
  return db.Transaction([&](Conn& conn) -> Status {
    if (db.dialect() == Dialect::kPostgres) {
      // Instances starting together: the first applies, the others wait and then see it done.
      SP_TRY(conn.ExecScript("SELECT pg_advisory_xact_lock(8727261001)"));
    }
    SP_TRY(conn.ExecScript(
        ForDialect("CREATE TABLE IF NOT EXISTS schema_migrations (version {INT} PRIMARY KEY, "
                   "applied_at {INT} NOT NULL)",
                   db.dialect())));
    const auto rows =
        SP_TRY(conn.Query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", {}));
    const std::int64_t current = rows.empty() ? 0 : AsInt(rows[0][0]);
    if (current > kSchemaVersion) {
      return FailedPrecondition("the store's schema (version " + std::to_string(current) +
                                ") is newer than this build of schemaport knows (version " +
                                std::to_string(kSchemaVersion) + "); upgrade schemaport");
    }
    for (std::int64_t v = current + 1; v <= kSchemaVersion; ++v) {
      SP_TRY(conn.ExecScript(ForDialect(kMigrations[v - 1], db.dialect())));
      const Value params[] = {v, now_ms};
      SP_TRY(
          conn.Exec("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)", params));
    }
    return Status::Ok();
  });
}

}  // namespace schemaport::store::internal
