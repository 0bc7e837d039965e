// schemaport service: what the product does, behind the REST API and the CLI.
//
//   accounts     first-run setup, users and roles, login (Argon2id, throttled), sessions with
//                idle and absolute expiry, CSRF tokens, API tokens
//   connections  data stores and their forms, create/list/get/update/delete (crypto-shredding),
//                connection tests of unsaved and saved settings
//   metadata     fetch (a job: tables, no columns), the catalog tree with selection and change
//                marks, selection by tables and patterns (preview), Save Metadata (a job: columns
//                of the selected tables only), refresh (a job: fetch again and mark changes),
//                saved tables and one table with its columns
//   jobs         a worker pool claiming jobs from the store through leases, progress, cancel
//   audit        events for every security-relevant action; never a secret in a detail
//   keys         master key rotation
//
// The service sees only interfaces: store::Store, warehouse::ConnectorRegistry (and the
// Connectors it makes) and crypto::KeyProvider. Implementations are wired in src/runtime.
//
// Authorisation is enforced here, not in the server: every call that acts for someone takes a
// Principal (from AuthenticateSession or AuthenticateApiToken) and answers
//   kPermissionDenied  when the principal's role may not do it (members: read, fetch, save,
//                      refresh, jobs, their own password; admins: everything);
//   kNotFound          for ids of another org (indistinguishable from ids that do not exist).
// Errors are Status values with user-safe messages (core.h): kInvalidArgument names the field
// ("Password: must be at least 12 characters"), kUnauthenticated for bad credentials, expired
// sessions and tokens, kResourceExhausted for throttled logins, kAlreadyExists for a taken
// e-mail, kFailedPrecondition for a state that forbids the call (setup already done, no fetch
// yet). No message, log line or audit detail ever holds a secret (passwords, tokens, secret
// keys): secrets travel as Secret and are write-only (views hold only which secrets are set).
//
// Thread safety: Service is thread-safe. Start() runs the job workers; Stop() (or the
// destructor) stops them and waits.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/core.h"
#include "crypto/crypto.h"
#include "datamap/datamap.h"
#include "store/store.h"
#include "warehouse/warehouse.h"

namespace schemaport::service {

using TimePoint = Clock::TimePoint;

// ---------------------------------------------------------------------------------------------
// Construction
// ---------------------------------------------------------------------------------------------

struct Options {
  // Sessions: a session ends after `session_idle` without use or `session_absolute` after login,
  // whichever comes first.
  std::chrono::seconds session_idle{std::chrono::hours(2)};
  std::chrono::seconds session_absolute{std::chrono::hours(12)};
  // Passwords: length in Unicode code points (bytes for invalid UTF-8).
  std::size_t min_password_length = 12;
  std::size_t max_password_length = 256;
  // Login throttling (in memory, per instance): after `max_failures_per_account` failed logins
  // for one e-mail within `failure_window`, or `max_failures_per_address` from one client
  // address, further attempts answer kResourceExhausted until the window has passed since the
  // oldest counted failure. A success clears the account's count.
  int max_failures_per_account = 5;
  int max_failures_per_address = 20;
  std::chrono::seconds failure_window{std::chrono::minutes(15)};
  // How long a fetched catalog is kept for the selection step.
  std::chrono::hours catalog_ttl{24 * 30};
  // Decoded catalog documents kept in memory, counted in tables (10,000 tables take a few MB):
  // reads of the catalog tree and of saved tables (their change marks) then open nothing but
  // the catalog's revision in the store. 0: none kept.
  std::int64_t catalog_cache_tables = 200'000;
  // Jobs.
  int worker_threads = 2;  // 0: this instance runs no jobs
  std::chrono::milliseconds job_lease{std::chrono::seconds(30)};
  std::chrono::milliseconds job_poll{std::chrono::milliseconds(250)};  // idle claim interval
  std::int32_t max_job_attempts = 3;  // a job interrupted this often is failed, not retried
  int parallel_databases = 4;         // databases fetched at once by a fetch or refresh job
  std::string instance_id;            // lease owner prefix; empty: a random id
};

// REQUIRES: every referenced object outlives the Service.
struct Deps {
  store::Store& store;
  const warehouse::ConnectorRegistry& registry;
  crypto::KeyProvider& keys;  // only to report the current master key id after a rotation
  Clock& clock;
  Random& random;                  // tokens and ids: SystemRandom in production
  std::shared_ptr<Logger> logger;  // may be null
};

// Who is calling: made by AuthenticateSession / AuthenticateApiToken (or Login and Setup).
struct Principal {
  std::string user_id;
  std::string org_id;
  store::Role role = store::Role::kMember;
  std::string session_id;  // set when authenticated by a session
  std::string token_id;    // set when authenticated by an API token
  bool is_admin() const { return role == store::Role::kAdmin; }
};

// ---------------------------------------------------------------------------------------------
// Views (what the API returns; never a secret)
// ---------------------------------------------------------------------------------------------

struct UserView {
  std::string id;
  std::string email;
  store::Role role = store::Role::kMember;
  TimePoint created_at;
};

struct OrgView {
  std::string id;
  std::string name;
};

// A new session. `session_token` goes into the cookie and is shown nowhere else;
// `csrf_token` must accompany every state-changing call authenticated by that cookie.
struct SignedIn {
  UserView user;
  OrgView org;
  Principal principal;
  Secret session_token;
  std::string csrf_token;
  TimePoint expires_at;  // absolute expiry
};

struct Me {
  UserView user;
  OrgView org;
};

struct ApiTokenView {
  std::string id;
  std::string name;
  std::string user_id;
  TimePoint created_at;
  std::optional<TimePoint> expires_at;
};

struct IssuedToken {
  ApiTokenView token;
  Secret secret;  // shown once
};

struct DataStore {
  std::string id;     // "redshift"
  std::string label;  // "Amazon Redshift"
  std::vector<warehouse::FormField> fields;
};

// What a client sends to create or test a connection. `settings` holds the form's non-secret
// fields, `secrets` its secret ones (FormField::kind == "secret"); a key that is not a field of
// that kind is rejected naming it ("settings.hostname: unknown field").
struct ConnectionInput {
  std::string name;  // may be empty only for a test
  std::string data_store;
  std::map<std::string, std::string> settings;
  std::map<std::string, Secret> secrets;
};

// A change to a saved connection. `settings`, when given, replaces every setting; a secret left
// out, or given as "", keeps its stored value.
struct ConnectionPatch {
  std::optional<std::string> name;
  std::optional<std::map<std::string, std::string>> settings;
  std::map<std::string, Secret> secrets;
};

struct ConnectionView {
  std::string id;
  std::string name;
  std::string data_store;
  std::map<std::string, std::string> settings;  // no secrets
  std::vector<std::string> secrets_set;         // ids of the secret fields that hold a value
  TimePoint created_at;
  TimePoint updated_at;
  std::optional<TimePoint> last_fetched_at;
  std::int64_t saved_table_count = 0;
};

// A change mark from the last refresh, against what is saved.
enum class Mark { kNone, kNew, kRemoved, kChanged };
std::string_view MarkName(Mark mark);  // "", "new", "removed", "changed"

// The selection: explicit tables plus include/exclude patterns (warehouse::TableFilter globs).
// A table is selected when it is listed, or when some include matches it and no exclude does.
// Patterns with no include select nothing by themselves (excludes only subtract from matches).
struct Selection {
  std::vector<warehouse::TableRef> tables;
  std::vector<std::string> include;
  std::vector<std::string> exclude;
};

struct SelectionPreview {
  std::int64_t selected = 0;             // tables the selection would save
  std::int64_t matched_by_patterns = 0;  // of the fetched tables, those the patterns select
};

struct TableNode {
  std::string name;
  warehouse::TableKind kind = warehouse::TableKind::kTable;
  std::optional<std::string> comment;
  bool can_select = false;
  bool selected = false;  // in the selection to show (saved one, carried over a refresh)
  bool saved = false;     // has a saved row
  Mark mark = Mark::kNone;
  std::optional<std::int64_t> column_count;  // saved tables only
};

struct SchemaNode {
  std::string name;
  warehouse::SchemaKind kind = warehouse::SchemaKind::kLocal;
  std::optional<std::string> source;
  std::vector<TableNode> tables;
};

struct DatabaseNode {
  std::string name;
  std::optional<Status> error;  // this database could not be read (its schemas are empty)
  std::vector<SchemaNode> schemas;
};

// The catalog tree of the last fetch or refresh. Built in O(tables log tables).
struct CatalogView {
  TimePoint fetched_at;
  std::int64_t table_count = 0;
  std::optional<TimePoint> saved_at;  // the last Save Metadata
  bool case_sensitive = false;
  Selection selection;  // patterns only are meaningful here; explicit tables show as `selected`
  std::vector<DatabaseNode> databases;
  std::vector<warehouse::TableRef> removed;  // saved tables gone in the last refresh
};

struct SavedColumnView {
  std::string name;
  std::string type;
  warehouse::TypeFamily family = warehouse::TypeFamily::kOther;
  std::int32_t position = 0;
  bool nullable = true;
  std::optional<std::string> comment;
  Mark mark = Mark::kNone;  // kNew or kChanged after a refresh that re-read the columns
};

struct SavedTableView {
  std::string id;  // stable across saves
  std::string database, schema, name;
  std::string kind;  // TableKindName
  std::optional<std::string> comment;
  std::int64_t column_count = 0;
  TimePoint saved_at;
  Mark mark = Mark::kNone;  // kChanged when the last refresh found its columns changed
};

struct SavedTableDetail {
  SavedTableView table;
  std::vector<SavedColumnView> columns;
  std::vector<std::string> removed_columns;  // saved columns gone in the last refresh
};

enum class JobKind { kFetch, kSave, kRefresh };
std::string_view JobKindName(JobKind kind);  // "fetch", "save", "refresh"

struct JobView {
  std::string id;
  std::string kind;  // JobKindName
  store::JobState state = store::JobState::kQueued;
  std::string connection_id;
  std::int64_t done = 0;
  std::int64_t total = 0;
  std::string step;             // what the job is doing now, e.g. "Reading the catalog of dev"
  std::optional<Status> error;  // when failed (code kCancelled after a cancel)
  bool cancel_requested = false;
  TimePoint created_at;
  TimePoint updated_at;
};

struct SaveStarted {
  JobView job;
  std::int64_t selected = 0;
};

struct AuditView {
  std::string id;
  TimePoint at;
  std::string actor_id;
  std::string action;  // e.g. "login.failure", "connection.create"
  std::string target_id;
  std::string detail;
};

// The Data Map of a connection (DESIGN §1 step 8), built from its saved tables and its
// decisions (kept sealed in the store, per connection, across refreshes and re-saves).
struct DataMapTable {
  std::string id;  // the saved table's id
  warehouse::TableRef ref;
  std::string kind;  // TableKindName
  std::optional<std::string> comment;
  std::int64_t column_count = 0;
  std::vector<std::string> primary_key;               // empty when none declared
  std::vector<std::vector<std::string>> unique_keys;  // declared unique constraints
  datamap::RoleInfo role;
};

struct DataMapRelationship {
  datamap::Relationship relationship;
  std::string from_table_id, to_table_id;  // saved table ids ("" if no longer saved)
  Mark mark = Mark::kNone;  // against the previous Save Metadata: kNew, kChanged (kRemoved
                            // for DataMapView::removed_relationships)
};

struct DataMapCounts {
  std::int64_t tables = 0, relationships = 0, declared = 0, inferred = 0, accepted = 0,
               rejected = 0;
};

struct DataMapView {
  std::optional<TimePoint> saved_at;               // the last Save Metadata; nullopt before any
  std::vector<DataMapTable> tables;                // by (database, schema, name)
  std::vector<DataMapRelationship> relationships;  // datamap::BuildDataMap order
  std::vector<DataMapRelationship> removed_relationships;  // sorted by id
  DataMapCounts counts;
};

struct DataMapExport {
  std::string bytes;
  std::string content_type;
  std::string file_name;
};

// For /metrics: jobs by kind and state, across every instance sharing the store.
struct JobCount {
  std::string kind;
  store::JobState state = store::JobState::kQueued;
  std::int64_t count = 0;
};

// ---------------------------------------------------------------------------------------------
// The service
// ---------------------------------------------------------------------------------------------

class Service {
 public:
  Service(Deps deps, Options options);
  ~Service();  // Stop()s
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Starts options.worker_threads job workers (idempotent). Stop() asks running jobs to stop
  // at their next check point, waits for the workers, and leaves unfinished jobs to be
  // reclaimed when their lease expires (by this or another instance).
  void Start();
  void Stop();

  // --- first-run setup ---
  // When the store has no org yet: makes a one-time setup token (kept hashed in memory; a new
  // call replaces it) and returns it, to be printed once. nullopt when setup is done.
  Result<std::optional<Secret>> PrepareSetup();
  Result<bool> SetupNeeded();
  // Creates the first org and its admin and signs the admin in. kUnauthenticated for a wrong or
  // missing token; kFailedPrecondition once an org exists (works once, even across instances:
  // the org count is checked in the store).
  Result<SignedIn> Setup(const Secret& token, const std::string& organization,
                         const std::string& email, const Secret& password);
  // `schemaport users add`: with an empty store, creates the org named `organization` and this
  // user (who must then be an admin); otherwise adds the user to the org whose id or name is
  // `organization`. Audited with actor "cli".
  Result<UserView> AddUserFromShell(const std::string& organization, const std::string& email,
                                    store::Role role, const Secret& password);

  // --- sign in and out ---
  // `address` is the client's address (for throttling and the audit detail).
  Result<SignedIn> Login(const std::string& email, const Secret& password,
                         const std::string& address);
  Status Logout(const Secret& session_token);
  // kUnauthenticated when unknown, idle too long or past its absolute expiry (the session is
  // then deleted). Refreshes the idle clock.
  Result<Principal> AuthenticateSession(const Secret& session_token);
  // The session's CSRF token (an HMAC of the session token under a key derived from it, so it
  // needs no storage and holds across instances); CheckCsrf compares in constant time.
  std::string CsrfToken(const Secret& session_token) const;
  bool CheckCsrf(const Secret& session_token, std::string_view csrf_token) const;
  Result<Principal> AuthenticateApiToken(const Secret& token);
  Result<Me> GetMe(const Principal& who);
  // Checks the current password, sets the new one and revokes every other session of the user
  // (and, when `who` is a session, keeps that one).
  Status ChangePassword(const Principal& who, const Secret& current_password,
                        const Secret& new_password);

  // --- users (admin) ---
  Result<std::vector<UserView>> ListUsers(const Principal& who);
  Result<UserView> CreateUser(const Principal& who, const std::string& email,
                              const Secret& password, store::Role role);
  // kFailedPrecondition for oneself. Deletes the user's sessions and API tokens.
  Status DeleteUser(const Principal& who, const std::string& user_id);

  // --- API tokens (admin) ---
  Result<std::vector<ApiTokenView>> ListApiTokens(const Principal& who);
  // expires_in_days: 1..3650, or nullopt for no expiry.
  Result<IssuedToken> CreateApiToken(const Principal& who, const std::string& name,
                                     std::optional<int> expires_in_days);
  Status RevokeApiToken(const Principal& who, const std::string& token_id);

  // --- connections ---
  std::vector<DataStore> DataStores() const;
  // Tests unsaved settings (admin). kInvalidArgument for invalid settings; otherwise the report
  // (a failed step is a report, not an error). Audited as connection.test.
  Result<warehouse::TestReport> TestSettings(const Principal& who, const ConnectionInput& input);
  Result<ConnectionView> CreateConnection(const Principal& who, const ConnectionInput& input);
  Result<std::vector<ConnectionView>> ListConnections(const Principal& who);
  Result<ConnectionView> GetConnection(const Principal& who, const std::string& id);
  Result<ConnectionView> UpdateConnection(const Principal& who, const std::string& id,
                                          const ConnectionPatch& patch);
  // Deletes the connection with its catalog, saved tables and jobs; its data key is destroyed.
  Status DeleteConnection(const Principal& who, const std::string& id);
  Result<warehouse::TestReport> TestConnection(const Principal& who, const std::string& id);

  // --- metadata ---
  // Starts a fetch job (tables depth). `databases` empty: every database the connection lists.
  Result<JobView> StartFetch(const Principal& who, const std::string& connection_id,
                             const std::vector<std::string>& databases);
  // Starts a refresh job: fetches the tables again (and re-reads the columns of the saved tables
  // so changed columns show), marks tables and columns new/removed/changed against what is
  // saved, and carries the selection over (DESIGN §1 step 7). Nothing is saved.
  Result<JobView> StartRefresh(const Principal& who, const std::string& connection_id);
  // kNotFound before the first fetch (or after the fetched catalog expired).
  Result<CatalogView> GetCatalog(const Principal& who, const std::string& connection_id);
  Result<SelectionPreview> PreviewSelection(const Principal& who, const std::string& connection_id,
                                            const Selection& selection);
  // Save Metadata: validates the selection against the last fetch (an explicit table that is not
  // in it is kInvalidArgument naming it), records it, and starts a save job that reads the
  // columns of the selected tables only and replaces the saved tables (ids stay stable).
  Result<SaveStarted> SaveSelection(const Principal& who, const std::string& connection_id,
                                    const Selection& selection);
  Result<std::vector<SavedTableView>> ListSavedTables(const Principal& who,
                                                      const std::string& connection_id);
  Result<SavedTableDetail> GetSavedTable(const Principal& who, const std::string& connection_id,
                                         const std::string& table_id);

  // --- Data Map (members and admins; another org's connection is kNotFound) ---
  // The map of the saved tables with the connection's decisions applied. Marks compare the
  // relationships of the last Save Metadata with those of the save before it (both without
  // decisions, so a decision is not a change). Empty lists when nothing is saved.
  Result<DataMapView> GetDataMap(const Principal& who, const std::string& connection_id);
  // Accepts or rejects (nullopt: clears the decision on) the relationship with this id in the
  // current map. kNotFound when there is none; kFailedPrecondition for a declared one. Kept
  // sealed in the store; audited as datamap.relationship. Returns it with its new status.
  Result<DataMapRelationship> SetRelationshipDecision(const Principal& who,
                                                      const std::string& connection_id,
                                                      const std::string& relationship_id,
                                                      std::optional<datamap::Decision> decision);
  // Overrides the role of a saved table (nullopt: back to the suggestion). kNotFound for an
  // unknown or unsaved table. Audited as datamap.role.
  Result<DataMapTable> SetTableRole(const Principal& who, const std::string& connection_id,
                                    const std::string& table_id,
                                    std::optional<datamap::TableRole> role);
  // datamap::Export of the map with decisions applied: deterministic bytes, saved tables only.
  Result<DataMapExport> ExportDataMap(const Principal& who, const std::string& connection_id,
                                      datamap::ExportFormat format);

  // --- jobs ---
  Result<JobView> GetJob(const Principal& who, const std::string& job_id);
  // A queued job fails at once with kCancelled; a running one is flagged in the store, and the
  // worker running it (on any instance) stops at its next check point. A finished job is left
  // as it is. Returns the job after the request.
  Result<JobView> CancelJob(const Principal& who, const std::string& job_id);
  // Runs one claimable job on the calling thread, if any (tests; the workers call this in a
  // loop). Returns whether a job was claimed.
  Result<bool> RunOneJob();

  // --- audit (admin) ---
  Result<std::vector<AuditView>> ListAudit(const Principal& who, int limit);

  // --- keys (admin) ---
  // Rotates the master key (store.RotateMasterKey) and returns the current master key id.
  Result<std::string> RotateMasterKey(const Principal& who);

  // --- observability ---
  Result<std::vector<JobCount>> JobCounts();

  struct Impl;  // internal (src/service/internal.h)

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace schemaport::service
