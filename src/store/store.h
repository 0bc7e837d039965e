// schemaport store: the durable state of a schemaport deployment, sealed at rest.
//
// One interface (Store) with two backends:
//   OpenSqliteStore    the embedded default: one file (WAL, foreign keys, busy timeout).
//   OpenPostgresStore  for teams that outgrow one machine: libpq, a small connection pool,
//                      sslmode configurable; several schemaport instances may share one database
//                      (jobs are shared through leases).
//
// Sealing happens inside the store; callers pass and receive plain structs and cannot forget
// it. What is sealed (AES-256-GCM, see crypto.h) and with which key:
//   org data key (one per org, wrapped by the master key):  org name, user e-mail addresses,
//                                                           job inputs and errors, audit
//                                                           details, API token names
//   connection data key (one per connection, wrapped):      connection name, settings and
//                                                           credentials, fetched catalogs,
//                                                           saved tables (names, types, comments),
//                                                           connection documents
//   store index key (one per store, wrapped):               the e-mail blind index (HMAC), so a
//                                                           login finds its user without the
//                                                           e-mail in clear
// In clear: ids, org ids, timestamps, states, counts, roles, the data store type, audit action
// names, Argon2id password hashes, SHA-256 token hashes, the e-mail blind index and catalog
// revisions (random ids).
// Every sealed value is bound to its row and field: a value copied elsewhere reads as
// kDataLoss. Deleting a connection deletes its wrapped data key (crypto-shredding); a copy of
// the store taken before is shredded too once the master key versions it names are retired.
//
// Errors: kNotFound (no such row in that org), kAlreadyExists (unique e-mail), kDataLoss (a
// sealed value or wrapped key does not open), kFailedPrecondition (schema newer than this
// build, a lost job lease), kUnavailable (busy/locked database, lost server connection),
// kInternal otherwise. Messages never hold a secret, a sealed value or a DSN.
//
// Thread safety: a Store is thread-safe. Several processes may open the same store.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/core.h"
#include "crypto/crypto.h"

namespace schemaport::store {

using TimePoint = Clock::TimePoint;  // stored with millisecond precision

// The schema version this build knows. Opening a store whose schema is newer fails with
// kFailedPrecondition; an older one is migrated at open (each migration in one transaction).
inline constexpr int kSchemaVersion = 4;

struct Org {
  std::string id;
  std::string name;  // sealed
  TimePoint created_at;
};

enum class Role { kAdmin, kMember };
std::string_view RoleName(Role role);  // "admin", "member"
Result<Role> ParseRole(std::string_view name);

struct User {
  std::string id;
  std::string org_id;
  std::string email;  // stored lower-cased; unique across the store
  Role role = Role::kMember;
  TimePoint created_at;
};

struct Session {
  std::string id;
  std::string user_id;
  std::string org_id;
  TimePoint created_at;
  TimePoint expires_at;    // absolute expiry
  TimePoint last_seen_at;  // the last TouchSession (created_at before any)
};

// A token is shown once, at creation; the store keeps only its SHA-256.
struct IssuedSession {
  Session session;
  Secret token;
};

struct ApiToken {
  std::string id;
  std::string user_id;
  std::string org_id;
  std::string name;  // sealed
  TimePoint created_at;
  std::optional<TimePoint> expires_at;
};

struct IssuedApiToken {
  ApiToken token;
  Secret secret;
};

// Who holds an API token, as every request authenticated by one needs it.
struct TokenHolder {
  std::string token_id;
  std::string user_id;
  std::string org_id;
  Role role = Role::kMember;
};

struct Connection {
  std::string id;  // assigned by CreateConnection
  std::string org_id;
  std::string data_store_type;                  // e.g. "redshift" (clear)
  std::string name;                             // sealed
  std::map<std::string, std::string> settings;  // sealed
  std::map<std::string, Secret> credentials;    // sealed
  TimePoint created_at;
  TimePoint updated_at;
};

// A fetched catalog, kept for the selection step until expires_at. `document` is opaque to the
// store (the service's serialized tree) and sealed whole.
struct FetchedCatalog {
  std::string connection_id;
  std::string org_id;
  TimePoint fetched_at;
  TimePoint expires_at;
  std::int64_t table_count = 0;  // clear
  std::string document;          // sealed
  // A random id (clear) that PutCatalog assigns anew with every write (whatever the caller
  // set), so that equal revisions mean an equal document, across instances: a reader may keep
  // a decoded document and check it with CatalogRevision, which opens nothing.
  std::string revision;
};

struct SavedColumn {
  std::string name;
  std::string type;
  std::int32_t ordinal = 0;
  bool nullable = true;
  std::string comment;
  std::map<std::string, std::string> attributes;
  friend bool operator==(const SavedColumn&, const SavedColumn&) = default;
};

// One saved table (one row in the store; columns inside; everything but ids, counts and the
// timestamp sealed).
struct SavedTable {
  std::string id;  // unique within the connection; assigned when empty (pass the previous id
                   // to keep a table's id stable across saves)
  std::string connection_id;
  std::string org_id;
  std::string database;
  std::string schema;
  std::string name;
  std::string kind;  // e.g. "table", "view", "late_binding_view", "external_table"
  std::string comment;
  std::map<std::string, std::string> attributes;
  std::vector<SavedColumn> columns;
  TimePoint saved_at;
};

enum class JobState { kQueued, kRunning, kSucceeded, kFailed };
std::string_view JobStateName(JobState state);  // "queued", "running", "succeeded", "failed"

struct Job {
  std::string id;
  std::string org_id;
  std::string connection_id;  // may be empty
  std::string kind;           // e.g. "fetch", "save"
  JobState state = JobState::kQueued;
  std::int64_t progress_done = 0;
  std::int64_t progress_total = 0;
  std::string input;  // sealed: the job's parameters (e.g. the selection)
  std::string error;  // sealed: when failed, a Status::ToString() text ("cancelled: ...")
  std::string step;   // sealed: what the job is doing now ("Reading the catalog of dev")
  bool cancel_requested = false;  // set by RequestJobCancel; seen by every instance
  std::string lease_owner;
  std::optional<TimePoint> lease_expires_at;
  std::int32_t attempts = 0;
  TimePoint created_at;
  TimePoint updated_at;
};

struct NewJob {
  std::string org_id;
  std::string connection_id;
  std::string kind;
  std::string input;
};

// Jobs by kind and state (metrics).
struct JobCount {
  std::string kind;
  JobState state = JobState::kQueued;
  std::int64_t count = 0;
};

// What a connection list shows besides the connection itself.
struct ConnectionSummary {
  std::optional<TimePoint> fetched_at;  // the fetched catalog's, when one is kept
  std::int64_t saved_tables = 0;
  std::optional<TimePoint> saved_at;  // newest saved table's
};

struct AuditEvent {
  std::string id;  // assigned by AppendAudit
  std::string org_id;
  TimePoint at;  // assigned by AppendAudit
  std::string actor_id;
  std::string action;  // e.g. "connection.create" (clear)
  std::string target_id;
  std::string detail;  // sealed
};

// The store. All methods are org-scoped where a row belongs to an org: asking for another
// org's row is kNotFound.
class Store {
 public:
  virtual ~Store() = default;

  // Schema version currently applied.
  virtual Result<int> SchemaVersion() = 0;

  // --- orgs and users ---
  virtual Result<Org> CreateOrg(const std::string& name) = 0;
  virtual Result<Org> GetOrg(const std::string& org_id) = 0;
  virtual Result<std::int64_t> CountOrgs() = 0;
  virtual Result<std::vector<Org>> ListOrgs() = 0;
  // Hashes the password with Argon2id; the e-mail is lower-cased and must be unique.
  virtual Result<User> CreateUser(const std::string& org_id, const std::string& email, Role role,
                                  const Secret& password) = 0;
  virtual Result<User> GetUser(const std::string& org_id, const std::string& user_id) = 0;
  virtual Result<std::vector<User>> ListUsers(const std::string& org_id) = 0;
  // A user's role alone (nothing unsealed: the authentication of a session). kNotFound.
  virtual Result<Role> GetUserRole(const std::string& org_id, const std::string& user_id) = 0;
  // kUnauthenticated for an unknown e-mail or a wrong password (same message for both).
  virtual Result<User> VerifyPassword(const std::string& email, const Secret& password) = 0;
  // The user with this e-mail (any org), e.g. to audit a failed login in its org. kNotFound.
  virtual Result<User> FindUserByEmail(const std::string& email) = 0;
  virtual Status SetPassword(const std::string& org_id, const std::string& user_id,
                             const Secret& password) = 0;
  // Deletes the user with its sessions and API tokens.
  virtual Status DeleteUser(const std::string& org_id, const std::string& user_id) = 0;

  // --- sessions and API tokens (stored as hashes only) ---
  virtual Result<IssuedSession> CreateSession(const std::string& user_id,
                                              std::chrono::seconds ttl) = 0;
  // kUnauthenticated when unknown or expired.
  virtual Result<Session> LookupSession(const Secret& token) = 0;
  virtual Status DeleteSession(const Secret& token) = 0;
  // Records use of a session (for idle expiry). kUnauthenticated when it is gone.
  virtual Status TouchSession(const std::string& session_id, TimePoint at) = 0;
  // Deletes every session of the user but `keep_session_id` (may be empty).
  virtual Status DeleteUserSessions(const std::string& org_id, const std::string& user_id,
                                    const std::string& keep_session_id) = 0;
  virtual Result<IssuedApiToken> CreateApiToken(const std::string& user_id, const std::string& name,
                                                std::optional<std::chrono::seconds> ttl) = 0;
  virtual Result<ApiToken> LookupApiToken(const Secret& token) = 0;
  // The holder of a live API token: one query joining the token to its user, nothing unsealed
  // (the authentication of every API call). kUnauthenticated when the token is unknown, revoked
  // or expired, or its user is gone.
  virtual Result<TokenHolder> LookupApiTokenHolder(const Secret& token) = 0;
  virtual Result<std::vector<ApiToken>> ListApiTokens(const std::string& org_id) = 0;
  virtual Status RevokeApiToken(const std::string& org_id, const std::string& token_id) = 0;

  // --- connections ---
  // Creates the connection's data key; `connection.id`, timestamps are assigned.
  virtual Result<Connection> CreateConnection(const Connection& connection) = 0;
  virtual Result<Connection> GetConnection(const std::string& org_id, const std::string& id) = 0;
  virtual Result<std::vector<Connection>> ListConnections(const std::string& org_id) = 0;
  // Replaces name, settings and credentials (the data store type is fixed).
  virtual Status UpdateConnection(const Connection& connection) = 0;
  // Deletes the connection, its data key (crypto-shredding), catalog, saved tables, documents
  // and jobs.
  virtual Status DeleteConnection(const std::string& org_id, const std::string& id) = 0;
  // Per connection id of the org: fetch time and saved-table count (connections with neither
  // may be missing from the map).
  virtual Result<std::map<std::string, ConnectionSummary>> SummarizeConnections(
      const std::string& org_id) = 0;

  // --- fetched catalogs (one per connection; replaced by the next fetch) ---
  virtual Status PutCatalog(const FetchedCatalog& catalog) = 0;
  // kNotFound when absent or expired.
  virtual Result<FetchedCatalog> GetCatalog(const std::string& org_id,
                                            const std::string& connection_id) = 0;
  // The catalog's revision alone (one indexed row, nothing unsealed): what GetCatalog would
  // return as `revision` now. kNotFound when absent or expired.
  virtual Result<std::string> CatalogRevision(const std::string& org_id,
                                              const std::string& connection_id) = 0;

  // --- saved tables ---
  // Replaces every saved table of the connection with `tables`, in one transaction: readers
  // see the old set or the new set, never a mix. Ids are assigned where empty.
  virtual Status ReplaceSavedTables(const std::string& org_id, const std::string& connection_id,
                                    std::vector<SavedTable> tables) = 0;
  virtual Result<std::vector<SavedTable>> ListSavedTables(const std::string& org_id,
                                                          const std::string& connection_id) = 0;
  virtual Result<SavedTable> GetSavedTable(const std::string& org_id,
                                           const std::string& connection_id,
                                           const std::string& table_id) = 0;

  // --- connection documents (small, opaque, sealed; one per connection and kind) ---
  // A caller's own state about a connection that outlives fetched catalogs (e.g. the Data
  // Map's decisions). `kind` is a short constant naming the document (stored in clear).
  // Put replaces the document of that kind; kNotFound when the connection is not the org's.
  virtual Status PutConnectionDocument(const std::string& org_id, const std::string& connection_id,
                                       const std::string& kind, const std::string& document) = 0;
  // nullopt when no document of that kind was put; kNotFound when the connection is not the
  // org's.
  virtual Result<std::optional<std::string>> GetConnectionDocument(const std::string& org_id,
                                                                   const std::string& connection_id,
                                                                   const std::string& kind) = 0;
  // Read-modify-write of one document: `update` gets the current document (nullopt when none
  // was put) and returns the new one, which replaces it in the same transaction. Writers of the
  // same document take turns, across instances sharing the store, so no update is lost. An error
  // from `update` is returned and leaves the document as it was. `update` may run more than once
  // only if the store retries; it must not have other effects. kNotFound as Put.
  using DocumentUpdate = std::function<Result<std::string>(const std::optional<std::string>&)>;
  virtual Status UpdateConnectionDocument(const std::string& org_id,
                                          const std::string& connection_id, const std::string& kind,
                                          const DocumentUpdate& update) = 0;

  // --- jobs (shared by instances through leases) ---
  virtual Result<Job> CreateJob(const NewJob& job) = 0;
  virtual Result<Job> GetJob(const std::string& org_id, const std::string& job_id) = 0;
  // Atomically claims the oldest queued job, or a running one whose lease expired, for `owner`
  // until now + lease; the job becomes running and its attempts count grows. nullopt when none.
  // Along the way (each in its own transaction, so a bad row never blocks the queue):
  //   a running job whose lease expired after `max_attempts` claims is failed ("unavailable:
  //   the job was interrupted N times ...") instead of being claimed again;
  //   a claimed job whose row does not open (sealed input unreadable, unknown state) is failed
  //   ("data_loss: ...") and the next one is tried.
  virtual Result<std::optional<Job>> ClaimJob(const std::string& owner,
                                              std::chrono::milliseconds lease,
                                              std::int32_t max_attempts) = 0;
  // Records progress and the current step, and extends the lease. Returns whether a cancel was
  // requested. kFailedPrecondition when `owner` lost the lease.
  virtual Result<bool> UpdateJobProgress(const std::string& job_id, const std::string& owner,
                                         std::int64_t done, std::int64_t total,
                                         const std::string& step,
                                         std::chrono::milliseconds lease) = 0;
  // REQUIRES: state is kSucceeded or kFailed. kFailedPrecondition when `owner` lost the lease
  // (another owner holds it, or the job is no longer running): nothing is changed then.
  virtual Status FinishJob(const std::string& job_id, const std::string& owner, JobState state,
                           const std::string& error) = 0;
  // A queued job fails at once ("cancelled: ..."); a running one gets cancel_requested, for its
  // owner to see at its next UpdateJobProgress. A finished job is returned unchanged.
  virtual Result<Job> RequestJobCancel(const std::string& org_id, const std::string& job_id) = 0;
  // Every job of the store, by kind and state.
  virtual Result<std::vector<JobCount>> CountJobs() = 0;

  // --- audit ---
  // Sequence numbers are unique per org, also under concurrent writers on PostgreSQL.
  virtual Result<AuditEvent> AppendAudit(const AuditEvent& event) = 0;
  // Newest first.
  virtual Result<std::vector<AuditEvent>> ListAudit(const std::string& org_id,
                                                    std::int32_t limit) = 0;

  // --- housekeeping and keys ---
  // Deletes expired catalogs and sessions.
  virtual Status PurgeExpired() = 0;
  // `keys rotate`: asks the KeyProvider for a new master key version, then rewraps every data
  // key with it in one transaction. Until that commits, the old version still opens every
  // key; a crash at any point leaves everything readable (rerunning rotates again).
  virtual Status RotateMasterKey() = 0;
  // Rewraps every data key not wrapped by the provider's current version (one transaction).
  virtual Status RewrapDataKeys() = 0;
  // The master key ids that wrap at least one data key (to know when a version may retire).
  virtual Result<std::vector<std::string>> MasterKeyIdsInUse() = 0;
};

// What every backend needs. The referenced objects must outlive the store.
struct StoreDeps {
  crypto::Crypto& crypto;
  const crypto::PasswordHasher& hasher;
  Clock& clock;
  Random& random;  // ids and tokens: SystemRandom in production
};

struct SqliteOptions {
  std::filesystem::path path;  // created with its parent directory when missing (mode 0600)
  std::chrono::milliseconds busy_timeout{5000};
};

// Opens (creating when missing) and migrates a SQLite store: WAL journal, synchronous=FULL,
// foreign keys on, secure_delete on, busy timeout.
Result<std::unique_ptr<Store>> OpenSqliteStore(const SqliteOptions& options, StoreDeps deps);

struct PostgresOptions {
  std::string conninfo;  // libpq keyword/value string or URI; never logged
  // Always overrides the conninfo's sslmode; empty means verify-full (TLS with the server's
  // certificate and host name verified). The weaker modes (disable, allow, prefer, require,
  // verify-ca) are accepted only when every host of the conninfo is a loopback address or a
  // Unix socket, or when insecure_allow_weak_sslmode is set; otherwise kInvalidArgument.
  std::string sslmode;
  int pool_size = 4;  // 1..64
  std::chrono::milliseconds acquire_timeout{10000};
  bool insecure_allow_weak_sslmode = false;  // see sslmode
};

// Connects (pool_size connections), then migrates under an advisory lock so that several
// instances starting together apply each migration once.
Result<std::unique_ptr<Store>> OpenPostgresStore(const PostgresOptions& options, StoreDeps deps);

}  // namespace schemaport::store
