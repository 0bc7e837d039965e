// The Store, written once over the internal SQL layer (db.h) for both backends. Sealing
// happens here: every value listed as sealed in store.h is encrypted before it reaches SQL.
#include <openssl/crypto.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <set>

#include "store/codec.h"
#include "store/db.h"
#include "store/store.h"

namespace schemaport::store {
namespace {

using crypto::Bytes;
using crypto::Place;
using internal::AsBytes;
using internal::AsInt;
using internal::AsText;
using internal::Conn;
using internal::Database;
using internal::Dialect;
using internal::IsNull;
using internal::Reader;
using internal::Row;
using internal::Value;
using internal::Writer;

std::int64_t Ms(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
TimePoint FromMs(std::int64_t ms) {
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::milliseconds(ms)));
}

Status Corrupt(std::string_view what) {
  return DataLoss("a sealed " + std::string(what) + " has an unexpected format");
}

std::string EncodeTable(const SavedTable& t) {
  Writer w;
  w.U64(1);  // encoding version
  w.Str(t.database);
  w.Str(t.schema);
  w.Str(t.name);
  w.Str(t.kind);
  w.Str(t.comment);
  w.Map(t.attributes);
  w.U64(t.columns.size());
  for (const SavedColumn& c : t.columns) {
    w.Str(c.name);
    w.Str(c.type);
    w.U64(static_cast<std::uint32_t>(c.ordinal));
    w.U64(c.nullable ? 1 : 0);
    w.Str(c.comment);
    w.Map(c.attributes);
  }
  return w.data();
}

Status DecodeTable(std::string_view data, SavedTable& t) {
  Reader r(data);
  if (r.U64() != 1) return Corrupt("table");
  t.database = r.Str();
  t.schema = r.Str();
  t.name = r.Str();
  t.kind = r.Str();
  t.comment = r.Str();
  t.attributes = r.Map();
  const std::uint64_t n = r.U64();
  if (!r.ok() || n > data.size()) return Corrupt("table");
  t.columns.resize(n);
  for (SavedColumn& c : t.columns) {
    c.name = r.Str();
    c.type = r.Str();
    c.ordinal = static_cast<std::int32_t>(static_cast<std::uint32_t>(r.U64()));
    c.nullable = r.U64() != 0;
    c.comment = r.Str();
    c.attributes = r.Map();
  }
  if (!r.done()) return Corrupt("table");
  return Status::Ok();
}

// A Secret, so that the plaintext buffer is wiped when it goes.
Secret EncodeCredentials(const std::map<std::string, Secret>& creds) {
  Writer w;
  w.U64(creds.size());
  for (const auto& [k, v] : creds) {
    w.Str(k);
    w.Str(v.Reveal());
  }
  return Secret(w.data());
}

Result<std::map<std::string, Secret>> DecodeCredentials(std::string data) {
  std::map<std::string, Secret> out;
  Reader r(data);
  const std::uint64_t n = r.U64();
  for (std::uint64_t i = 0; r.ok() && i < n; ++i) {
    std::string k = r.Str();
    out[std::move(k)] = Secret(r.Str());
  }
  const bool good = r.done();
  OPENSSL_cleanse(data.data(), data.size());
  if (!good) return Corrupt("credential set");
  return out;
}

std::string EncodeMap(const std::map<std::string, std::string>& m) {
  Writer w;
  w.Map(m);
  return w.data();
}

Result<std::map<std::string, std::string>> DecodeMap(std::string_view data) {
  Reader r(data);
  auto m = r.Map();
  if (!r.done()) return Corrupt("settings");
  return m;
}

std::string NormalizeEmail(std::string_view email) {
  std::size_t b = 0, e = email.size();
  while (b < e && std::isspace(static_cast<unsigned char>(email[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(email[e - 1]))) --e;
  std::string out(email.substr(b, e - b));
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view StateSql(JobState s) {
  return JobStateName(s);
}

Result<JobState> ParseState(std::string_view s) {
  if (s == "queued") return JobState::kQueued;
  if (s == "running") return JobState::kRunning;
  if (s == "succeeded") return JobState::kSucceeded;
  if (s == "failed") return JobState::kFailed;
  return DataLoss("a job has an unknown state", std::string(s));
}

constexpr std::string_view kJobColumns =
    "id, org_id, connection_id, kind, state, progress_done, progress_total, input_sealed, "
    "error_sealed, lease_owner, lease_expires_at, attempts, created_at, updated_at, step_sealed, "
    "cancel_requested";

// Job errors are Status::ToString() texts, so the service can tell the code again.
constexpr std::string_view kCancelledBeforeStart =
    "cancelled: the job was cancelled before it started";
constexpr std::string_view kUnreadableJob =
    "data_loss: the job's stored parameters could not be read (the store's keys or data changed); "
    "start it again";

class SqlStore final : public Store {
 public:
  SqlStore(std::unique_ptr<Database> db, StoreDeps deps) : db_(std::move(db)), deps_(deps) {}

  Status Init() {
    SP_TRY(internal::Migrate(*db_, Now()));
    SP_TRY(EnsureStoreKeys());
    // Verifying against this keeps unknown e-mails as slow as wrong passwords.
    dummy_hash_ = SP_TRY(deps_.hasher.Hash(Secret("schemaport-no-such-user")));
    return Status::Ok();
  }

  Result<int> SchemaVersion() override {
    int version = 0;
    Status status = db_->Run([&](Conn& c) -> Status {
      const auto rows =
          SP_TRY(c.Query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", {}));
      version = static_cast<int>(AsInt(rows.at(0).at(0)));
      return Status::Ok();
    });
    SP_TRY(status);
    return version;
  }

  // ---------------------------------------------------------------------------------------
  // Orgs and users

  Result<Org> CreateOrg(const std::string& name) override {
    Org org{NewId(deps_.random), name, FromMs(Now())};
    const auto wk = SP_TRY(deps_.crypto.NewDataKey(OrgKeyPlace(org.id)));
    const Bytes name_sealed =
        SP_TRY(deps_.crypto.Seal(wk.key, name, {org.id, "orgs", org.id, "name"}));
    const Value p[] = {org.id, Ms(org.created_at), wk.wrapped, name_sealed};
    Status status = db_->Run([&](Conn& c) -> Status {
      SP_TRY(
          c.Exec("INSERT INTO orgs (id, created_at, wrapped_key, name_sealed) "
                 "VALUES ($1, $2, $3, $4)",
                 p));
      return Status::Ok();
    });
    SP_TRY(status);
    return org;
  }

  Result<Org> GetOrg(const std::string& org_id) override {
    Org org;
    Status status = db_->Run([&](Conn& c) -> Status {
      const Value p[] = {org_id};
      const auto rows =
          SP_TRY(c.Query("SELECT created_at, wrapped_key, name_sealed FROM orgs WHERE id = $1", p));
      if (rows.empty()) return NotFound("no such organization");
      const crypto::Key key =
          SP_TRY(deps_.crypto.UnwrapDataKey(AsBytes(rows[0][1]), OrgKeyPlace(org_id)));
      org.id = org_id;
      org.created_at = FromMs(AsInt(rows[0][0]));
      org.name =
          SP_TRY(deps_.crypto.Open(key, AsBytes(rows[0][2]), {org_id, "orgs", org_id, "name"}));
      return Status::Ok();
    });
    SP_TRY(status);
    return org;
  }

  Result<std::vector<Org>> ListOrgs() override {
    std::vector<std::string> ids;
    Status status = db_->Run([&](Conn& c) -> Status {
      const auto rows = SP_TRY(c.Query("SELECT id FROM orgs ORDER BY created_at, id", {}));
      for (const Row& r : rows) ids.push_back(AsText(r[0]));
      return Status::Ok();
    });
    SP_TRY(status);
    std::vector<Org> out;
    for (const std::string& id : ids) out.push_back(SP_TRY(GetOrg(id)));
    return out;
  }

  Result<std::int64_t> CountOrgs() override {
    std::int64_t n = 0;
    Status status = db_->Run([&](Conn& c) -> Status {
      const auto rows = SP_TRY(c.Query("SELECT COUNT(*) FROM orgs", {}));
      n = AsInt(rows.at(0).at(0));
      return Status::Ok();
    });
    SP_TRY(status);
    return n;
  }

  Result<User> CreateUser(const std::string& org_id, const std::string& email, Role role,
                          const Secret& password) override {
    User user{NewId(deps_.random), org_id, NormalizeEmail(email), role, FromMs(Now())};
    if (user.email.empty() || user.email.find('@') == std::string::npos) {
      return InvalidArgument("e-mail address is not valid");
    }
    if (password.empty()) return InvalidArgument("password must not be empty");
    const std::string hash = SP_TRY(deps_.hasher.Hash(password));
    const crypto::Key index_key = SP_TRY(EmailIndexKey());
    Status s = db_->Transaction([&](Conn& c) -> Status {
      const crypto::Key key = SP_TRY(OrgKey(c, org_id));
      const Bytes email_sealed =
          SP_TRY(deps_.crypto.Seal(key, user.email, {org_id, "users", user.id, "email"}));
      const Value p[] = {user.id,
                         org_id,
                         crypto::BlindIndex(index_key, user.email),
                         email_sealed,
                         std::string(RoleName(role)),
                         hash,
                         Ms(user.created_at)};
      SP_TRY(
          c.Exec("INSERT INTO users (id, org_id, email_index, email_sealed, role, password_hash, "
                 "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                 p));
      return Status::Ok();
    });
    if (s.code() == Code::kAlreadyExists) {
      return Status(Code::kAlreadyExists, "a user with this e-mail address already exists");
    }
    SP_TRY(s);
    return user;
  }

  Result<User> GetUser(const std::string& org_id, const std::string& user_id) override {
    std::vector<User> users = SP_TRY(QueryUsers(
        org_id,
        "SELECT id, org_id, email_sealed, role, created_at FROM users WHERE org_id = $1 AND "
        "id = $2",
        {org_id, user_id}));
    if (users.empty()) return NotFound("no such user");
    return std::move(users[0]);
  }

  Result<Role> GetUserRole(const std::string& org_id, const std::string& user_id) override {
    Role role = Role::kMember;
    const Value p[] = {org_id, user_id};
    Status status = db_->Run([&](Conn& c) -> Status {
      const auto rows = SP_TRY(c.Query("SELECT role FROM users WHERE org_id = $1 AND id = $2", p));
      if (rows.empty()) return NotFound("no such user");
      role = SP_TRY(ParseRole(AsText(rows[0][0])));
      return Status::Ok();
    });
    SP_TRY(status);
    return role;
  }

  Result<std::vector<User>> ListUsers(const std::string& org_id) override {
    return QueryUsers(org_id,
                      "SELECT id, org_id, email_sealed, role, created_at FROM users WHERE "
                      "org_id = $1 ORDER BY created_at, id",
                      {org_id});
  }

  Result<User> VerifyPassword(const std::string& email, const Secret& password) override {
    std::optional<User> user;
    std::string hash;
    const std::string normalized = NormalizeEmail(email);
    const crypto::Key index_key = SP_TRY(EmailIndexKey());
    Status status = db_->Run([&](Conn& c) -> Status {
      const Value p[] = {crypto::BlindIndex(index_key, normalized)};
      const auto rows =
          SP_TRY(c.Query("SELECT id, org_id, role, created_at, password_hash FROM users "
                         "WHERE email_index = $1",
                         p));
      if (!rows.empty()) {
        const Role role = SP_TRY(ParseRole(AsText(rows[0][2])));
        user = User{AsText(rows[0][0]), AsText(rows[0][1]), normalized, role,
                    FromMs(AsInt(rows[0][3]))};
        hash = AsText(rows[0][4]);
      }
      return Status::Ok();
    });
    SP_TRY(status);
    const bool match = deps_.hasher.Verify(password, user ? hash : dummy_hash_);
    if (!user || !match) return Unauthenticated("wrong e-mail address or password");
    return std::move(*user);
  }

  Result<User> FindUserByEmail(const std::string& email) override {
    const std::string normalized = NormalizeEmail(email);
    const crypto::Key index_key = SP_TRY(EmailIndexKey());
    std::optional<User> user;
    Status status = db_->Run([&](Conn& c) -> Status {
      const Value p[] = {crypto::BlindIndex(index_key, normalized)};
      const auto rows = SP_TRY(
          c.Query("SELECT id, org_id, role, created_at FROM users WHERE email_index = $1", p));
      if (rows.empty()) return NotFound("no such user");
      const Role role = SP_TRY(ParseRole(AsText(rows[0][2])));
      user =
          User{AsText(rows[0][0]), AsText(rows[0][1]), normalized, role, FromMs(AsInt(rows[0][3]))};
      return Status::Ok();
    });
    SP_TRY(status);
    return std::move(*user);
  }

  Status SetPassword(const std::string& org_id, const std::string& user_id,
                     const Secret& password) override {
    if (password.empty()) return InvalidArgument("password must not be empty");
    const std::string hash = SP_TRY(deps_.hasher.Hash(password));
    return db_->Run([&](Conn& c) -> Status {
      const Value p[] = {hash, org_id, user_id};
      const auto n =
          SP_TRY(c.Exec("UPDATE users SET password_hash = $1 WHERE org_id = $2 AND id = $3", p));
      if (n == 0) return NotFound("no such user");
      return Status::Ok();
    });
  }

  Status DeleteUser(const std::string& org_id, const std::string& user_id) override {
    return db_->Transaction([&](Conn& c) -> Status {
      const Value p[] = {org_id, user_id};
      // Explicit, not only by cascade: a store opened without foreign keys still forgets them.
      SP_TRY(c.Exec("DELETE FROM sessions WHERE org_id = $1 AND user_id = $2", p));
      SP_TRY(c.Exec("DELETE FROM api_tokens WHERE org_id = $1 AND user_id = $2", p));
      const auto n = SP_TRY(c.Exec("DELETE FROM users WHERE org_id = $1 AND id = $2", p));
      if (n == 0) return NotFound("no such user");
      return Status::Ok();
    });
  }

  // ---------------------------------------------------------------------------------------
  // Sessions and API tokens

  Result<IssuedSession> CreateSession(const std::string& user_id,
                                      std::chrono::seconds ttl) override {
    IssuedSession out;
    out.token = crypto::NewToken(deps_.random, "sps_");
    out.session.id = NewId(deps_.random);
    out.session.user_id = user_id;
    out.session.created_at = FromMs(Now());
    out.session.expires_at = out.session.created_at + ttl;
    out.session.last_seen_at = out.session.created_at;
    Status status = db_->Transaction([&](Conn& c) -> Status {
      out.session.org_id = SP_TRY(UserOrg(c, user_id));
      const Value p[] = {crypto::HashToken(out.token),
                         out.session.id,
                         user_id,
                         out.session.org_id,
                         Ms(out.session.created_at),
                         Ms(out.session.expires_at)};
      SP_TRY(
          c.Exec("INSERT INTO sessions (token_hash, id, user_id, org_id, created_at, "
                 "expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
                 p));
      return Status::Ok();
    });
    SP_TRY(status);
    return out;
  }

  Result<Session> LookupSession(const Secret& token) override {
    Session s;
    Status status = db_->Run([&](Conn& c) -> Status {
      const Value p[] = {crypto::HashToken(token), Now()};
      const auto rows =
          SP_TRY(c.Query("SELECT id, user_id, org_id, created_at, expires_at, "
                         "COALESCE(last_seen_at, created_at) FROM sessions "
                         "WHERE token_hash = $1 AND expires_at > $2",
                         p));
      if (rows.empty()) return Unauthenticated("the session is unknown or has expired");
      s = Session{AsText(rows[0][0]),        AsText(rows[0][1]),        AsText(rows[0][2]),
                  FromMs(AsInt(rows[0][3])), FromMs(AsInt(rows[0][4])), FromMs(AsInt(rows[0][5]))};
      return Status::Ok();
    });
    SP_TRY(status);
    return s;
  }

  Status DeleteSession(const Secret& token) override {
    return db_->Run([&](Conn& c) -> Status {
      const Value p[] = {crypto::HashToken(token)};
      SP_TRY(c.Exec("DELETE FROM sessions WHERE token_hash = $1", p));
      return Status::Ok();
    });
  }

  Status TouchSession(const std::string& session_id, TimePoint at) override {
    return db_->Run([&](Conn& c) -> Status {
      const Value p[] = {Ms(at), session_id};
      const auto n = SP_TRY(c.Exec("UPDATE sessions SET last_seen_at = $1 WHERE id = $2", p));
      if (n == 0) return Unauthenticated("the session is unknown or has expired");
      return Status::Ok();
    });
  }

  Status DeleteUserSessions(const std::string& org_id, const std::string& user_id,
                            const std::string& keep_session_id) override {
    return db_->Run([&](Conn& c) -> Status {
      const Value p[] = {org_id, user_id, keep_session_id};
      SP_TRY(c.Exec("DELETE FROM sessions WHERE org_id = $1 AND user_id = $2 AND id <> $3", p));
      return Status::Ok();
    });
  }

  Result<IssuedApiToken> CreateApiToken(const std::string& user_id, const std::string& name,
                                        std::optional<std::chrono::seconds> ttl) override {
    IssuedApiToken out;
    out.secret = crypto::NewToken(deps_.random, "spt_");
    ApiToken& t = out.token;
    t.id = NewId(deps_.random);
    t.user_id = user_id;
    t.name = name;
    t.created_at = FromMs(Now());
    if (ttl) t.expires_at = t.created_at + *ttl;
    Status status = db_->Transaction([&](Conn& c) -> Status {
      t.org_id = SP_TRY(UserOrg(c, user_id));
      const crypto::Key key = SP_TRY(OrgKey(c, t.org_id));
      const Bytes sealed =
          SP_TRY(deps_.crypto.Seal(key, name, {t.org_id, "api_tokens", t.id, "name"}));
      const Value p[] = {t.id,
                         crypto::HashToken(out.secret),
                         user_id,
                         t.org_id,
                         sealed,
                         Ms(t.created_at),
                         t.expires_at ? Value(Ms(*t.expires_at)) : Value(nullptr)};
      SP_TRY(
          c.Exec("INSERT INTO api_tokens (id, token_hash, user_id, org_id, name_sealed, "
                 "created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                 p));
      return Status::Ok();
    });
    SP_TRY(status);
    return out;
  }

  Result<ApiToken> LookupApiToken(const Secret& token) override {
    std::vector<ApiToken> tokens = SP_TRY(QueryApiTokens(
        "SELECT id, user_id, org_id, name_sealed, created_at, expires_at FROM api_tokens "
        "WHERE token_hash = $1 AND (expires_at IS NULL OR expires_at > $2)",
        {crypto::HashToken(token), Now()}));
    if (tokens.empty()) return Unauthenticated("the API token is unknown, revoked or expired");
    return std::move(tokens[0]);
  }

  Result<TokenHolder> LookupApiTokenHolder(const Secret& token) override {
    TokenHolder holder;
    const Value p[] = {crypto::HashToken(token), Now()};
    Status status = db_->Run([&](Conn& c) -> Status {
      const auto rows = SP_TRY(
          c.Query("SELECT t.id, t.user_id, t.org_id, u.role FROM api_tokens t JOIN users u ON "
                  "u.id = t.user_id AND u.org_id = t.org_id WHERE t.token_hash = $1 AND "
                  "(t.expires_at IS NULL OR t.expires_at > $2)",
                  p));
      if (rows.empty()) return Unauthenticated("the API token is unknown, revoked or expired");
      holder.token_id = AsText(rows[0][0]);
      holder.user_id = AsText(rows[0][1]);
      holder.org_id = AsText(rows[0][2]);
      holder.role = SP_TRY(ParseRole(AsText(rows[0][3])));
      return Status::Ok();
    });
    SP_TRY(status);
    return holder;
  }

  Result<std::vector<ApiToken>> ListApiTokens(const std::string& org_id) override {
    return QueryApiTokens(
        "SELECT id, user_id, org_id, name_sealed, created_at, expires_at FROM api_tokens "
        "WHERE org_id = $1 ORDER BY created_at, id",
        {org_id});
  }

  Status RevokeApiToken(const std::string& org_id, const std::string& token_id) override {
    return db_->Run([&](Conn& c) -> Status {
      const Value p[] = {org_id, token_id};
      const auto n = SP_TRY(c.Exec("DELETE FROM api_tokens WHERE org_id = $1 AND id = $2", p));
      if (n == 0) return NotFound("no such API token");
      return Status::Ok();
    });
  }

  // ---------------------------------------------------------------------------------------
  // Connections

  Result<Connection> CreateConnection(const Connection& in) override {
    if (in.org_id.empty()) return InvalidArgument("a connection needs an organization");
    if (in.data_store_type.empty()) return InvalidArgument("a connection needs a data store type");
    Connection conn = in;
    conn.id = NewId(deps_.random);
    conn.created_at = conn.updated_at = FromMs(Now());
    const auto wk = SP_TRY(deps_.crypto.NewDataKey(ConnectionKeyPlace(conn.org_id, conn.id)));
    const SealedConnection sealed = SP_TRY(SealConnection(wk.key, conn));
    const Value p[] = {
        conn.id,         conn.org_id,        conn.data_store_type, wk.wrapped,         sealed.name,
        sealed.settings, sealed.credentials, Ms(conn.created_at),  Ms(conn.updated_at)};
    Status s = db_->Run([&](Conn& c) -> Status {
      SP_TRY(
          c.Exec("INSERT INTO connections (id, org_id, data_store_type, wrapped_key, "
                 "name_sealed, settings_sealed, credentials_sealed, created_at, updated_at) "
                 "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                 p));
      return Status::Ok();
    });
    if (s.code() == Code::kNotFound) return NotFound("no such organization");
    SP_TRY(s);
    return conn;
  }

  Result<Connection> GetConnection(const std::string& org_id, const std::string& id) override {
    std::vector<Connection> out = SP_TRY(QueryConnections(
        std::string(kConnectionSelect) + " WHERE org_id = $1 AND id = $2", {org_id, id}));
    if (out.empty()) return NotFound("no such connection");
    return std::move(out[0]);
  }

  Result<std::vector<Connection>> ListConnections(const std::string& org_id) override {
    return QueryConnections(
        std::string(kConnectionSelect) + " WHERE org_id = $1 ORDER BY created_at, id", {org_id});
  }

  Status UpdateConnection(const Connection& in) override {
    return db_->Transaction([&](Conn& c) -> Status {
      const crypto::Key key = SP_TRY(ConnectionKey(c, in.org_id, in.id));
      const SealedConnection sealed = SP_TRY(SealConnection(key, in));
      const Value p[] = {sealed.name, sealed.settings, sealed.credentials, Now(), in.org_id, in.id};
      const auto n =
          SP_TRY(c.Exec("UPDATE connections SET name_sealed = $1, settings_sealed = $2, "
                        "credentials_sealed = $3, updated_at = $4 WHERE org_id = $5 AND id = $6",
                        p));
      if (n == 0) return NotFound("no such connection");
      return Status::Ok();
    });
  }

  Status DeleteConnection(const std::string& org_id, const std::string& id) override {
    Status status = db_->Transaction([&](Conn& c) -> Status {
      const Value p[] = {org_id, id};
      // Cascades to catalogs, saved tables, documents and jobs; the wrapped data key goes with the
      // row.
      const auto n = SP_TRY(c.Exec("DELETE FROM connections WHERE org_id = $1 AND id = $2", p));
      if (n == 0) return NotFound("no such connection");
      return Status::Ok();
    });
    SP_TRY(status);
    return db_->AfterShred();
  }

  Result<std::map<std::string, ConnectionSummary>> SummarizeConnections(
      const std::string& org_id) override {
    std::map<std::string, ConnectionSummary> out;
    Status status = db_->Run([&](Conn& c) -> Status {
      const Value p[] = {org_id, Now()};
      const auto fetched = SP_TRY(c.Query(
          "SELECT connection_id, fetched_at FROM catalogs WHERE org_id = $1 AND expires_at > $2",
          p));
      for (const Row& r : fetched) out[AsText(r[0])].fetched_at = FromMs(AsInt(r[1]));
      const Value q[] = {org_id};
      const auto saved =
          SP_TRY(c.Query("SELECT connection_id, COUNT(*), MAX(saved_at) FROM saved_tables "
                         "WHERE org_id = $1 GROUP BY connection_id",
                         q));
      for (const Row& r : saved) {
        ConnectionSummary& summary = out[AsText(r[0])];
        summary.saved_tables = AsInt(r[1]);
        summary.saved_at = FromMs(AsInt(r[2]));
      }
      return Status::Ok();
    });
    SP_TRY(status);
    return out;
  }

  // ---------------------------------------------------------------------------------------
  // Catalogs

  Status PutCatalog(const FetchedCatalog& cat) override {
    const std::string revision = NewId(deps_.random);
    return db_->Transaction([&](Conn& c) -> Status {
      const crypto::Key key = SP_TRY(ConnectionKey(c, cat.org_id, cat.connection_id));
      const Bytes sealed = SP_TRY(deps_.crypto.Seal(
          key, cat.document, {cat.org_id, "catalogs", cat.connection_id, "document"}));
      const Value p[] = {cat.connection_id,
                         cat.org_id,
                         Ms(cat.fetched_at),
                         Ms(cat.expires_at),
                         cat.table_count,
                         sealed,
                         revision};
      SP_TRY(c.Exec(
          "INSERT INTO catalogs (connection_id, org_id, fetched_at, expires_at, table_count, "
          "document_sealed, revision) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT "
          "(connection_id) DO UPDATE SET fetched_at = excluded.fetched_at, expires_at = "
          "excluded.expires_at, table_count = excluded.table_count, document_sealed = "
          "excluded.document_sealed, revision = excluded.revision",
          p));
      return Status::Ok();
    });
  }

  Result<FetchedCatalog> GetCatalog(const std::string& org_id,
                                    const std::string& connection_id) override {
    FetchedCatalog cat;
    Status status = db_->Run([&](Conn& c) -> Status {
      const crypto::Key key = SP_TRY(ConnectionKey(c, org_id, connection_id));
      const Value p[] = {org_id, connection_id, Now()};
      const auto rows = SP_TRY(
          c.Query("SELECT fetched_at, expires_at, table_count, document_sealed, revision FROM "
                  "catalogs WHERE org_id = $1 AND connection_id = $2 AND expires_at > $3",
                  p));
      if (rows.empty()) return NotFound("no fetched catalog (none fetched, or it expired)");
      cat.connection_id = connection_id;
      cat.org_id = org_id;
      cat.fetched_at = FromMs(AsInt(rows[0][0]));
      cat.expires_at = FromMs(AsInt(rows[0][1]));
      cat.table_count = AsInt(rows[0][2]);
      cat.revision = AsText(rows[0][4]);
      cat.document = SP_TRY(deps_.crypto.Open(key, AsBytes(rows[0][3]),
                                              {org_id, "catalogs", connection_id, "document"}));
      return Status::Ok();
    });
    SP_TRY(status);
    return cat;
  }

  Result<std::string> CatalogRevision(const std::string& org_id,
                                      const std::string& connection_id) override {
    std::string revision;
    Status status = db_->Run([&](Conn& c) -> Status {
      const Value p[] = {org_id, connection_id, Now()};
      const auto rows =
          SP_TRY(c.Query("SELECT revision FROM catalogs WHERE org_id = $1 AND connection_id = $2 "
                         "AND expires_at > $3",
                         p));
      if (rows.empty()) return NotFound("no fetched catalog (none fetched, or it expired)");
      revision = AsText(rows[0][0]);
      return Status::Ok();
    });
    SP_TRY(status);
    return revision;
  }

  // ---------------------------------------------------------------------------------------
  // Saved tables

  Status ReplaceSavedTables(const std::string& org_id, const std::string& connection_id,
                            std::vector<SavedTable> tables) override {
    crypto::Key key;
    Status status = db_->Run([&](Conn& c) -> Status {
      key = SP_TRY(ConnectionKey(c, org_id, connection_id));
      return Status::Ok();
    });
    SP_TRY(status);
    // Seal outside the write transaction to keep it short.
    const std::int64_t now = Now();
    std::vector<std::array<Value, 6>> rows;
    rows.reserve(tables.size());
    std::set<std::string> ids;
    for (SavedTable& t : tables) {
      if (t.id.empty()) t.id = NewId(deps_.random);
      if (!ids.insert(t.id).second) return InvalidArgument("two saved tables share an id");
      const Bytes sealed = SP_TRY(
          deps_.crypto.Seal(key, EncodeTable(t), {org_id, "saved_tables", t.id, "metadata"}));
      rows.push_back(
          {t.id, connection_id, org_id, now, static_cast<std::int64_t>(t.columns.size()), sealed});
    }
    return db_->Transaction([&](Conn& c) -> Status {
      // The connection must still be there (and be this org's) inside the transaction.
      SP_TRY(ConnectionKey(c, org_id, connection_id));
      const Value del[] = {org_id, connection_id};
      SP_TRY(c.Exec("DELETE FROM saved_tables WHERE org_id = $1 AND connection_id = $2", del));
      constexpr std::size_t kBatch = 200;
      for (std::size_t start = 0; start < rows.size(); start += kBatch) {
        const std::size_t n = std::min(kBatch, rows.size() - start);
        std::string sql =
            "INSERT INTO saved_tables (id, connection_id, org_id, saved_at, column_count, "
            "metadata_sealed) VALUES ";
        std::vector<Value> params;
        params.reserve(n * 6);
        for (std::size_t i = 0; i < n; ++i) {
          if (i) sql += ", ";
          sql += "(";
          for (std::size_t k = 0; k < 6; ++k) {
            if (k) sql += ", ";
            sql += '$';
            sql += std::to_string(i * 6 + k + 1);
            params.push_back(std::move(rows[start + i][k]));
          }
          sql += ")";
        }
        SP_TRY(c.Exec(sql, params));
      }
      return Status::Ok();
    });
  }

  Result<std::vector<SavedTable>> ListSavedTables(const std::string& org_id,
                                                  const std::string& connection_id) override {
    return QueryTables(org_id, connection_id, "");
  }

  Result<SavedTable> GetSavedTable(const std::string& org_id, const std::string& connection_id,
                                   const std::string& table_id) override {
    std::vector<SavedTable> out = SP_TRY(QueryTables(org_id, connection_id, table_id));
    if (out.empty()) return NotFound("no such saved table");
    return std::move(out[0]);
  }

  // ---------------------------------------------------------------------------------------
  // Connection documents

  Status PutConnectionDocument(const std::string& org_id, const std::string& connection_id,
                               const std::string& kind, const std::string& document) override {
    return UpdateConnectionDocument(
        org_id, connection_id, kind,
        [&](const std::optional<std::string>&) -> Result<std::string> { return document; });
  }

  Status UpdateConnectionDocument(const std::string& org_id, const std::string& connection_id,
                                  const std::string& kind, const DocumentUpdate& update) override {
    if (kind.empty()) return InvalidArgument("a connection document needs a kind");
    // The kind is part of the row: a document sealed for one kind does not open as another.
    const std::string row = connection_id + "/" + kind;
    const crypto::Place aad{org_id, "connection_documents", row, "document"};
    return db_->Transaction([&](Conn& c) -> Status {
      if (db_->dialect() == Dialect::kPostgres) {
        // Writers of one document take turns (SQLite's writers always do: BEGIN IMMEDIATE). The
        // lock ends with the transaction.
        const Value lock[] = {row};
        SP_TRY(c.Query("SELECT pg_advisory_xact_lock(hashtextextended($1, 5120348803))", lock));
      }
      const crypto::Key key = SP_TRY(ConnectionKey(c, org_id, connection_id));
      const Value q[] = {org_id, connection_id, kind};
      const auto rows =
          SP_TRY(c.Query("SELECT document_sealed FROM connection_documents WHERE org_id = $1 AND "
                         "connection_id = $2 AND kind = $3",
                         q));
      std::optional<std::string> current;
      if (!rows.empty()) current = SP_TRY(deps_.crypto.Open(key, AsBytes(rows[0][0]), aad));
      const std::string document = SP_TRY(update(current));
      const Bytes sealed = SP_TRY(deps_.crypto.Seal(key, document, aad));
      const Value p[] = {connection_id, kind, org_id, Now(), sealed};
      SP_TRY(c.Exec(
          "INSERT INTO connection_documents (connection_id, kind, org_id, updated_at, "
          "document_sealed) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (connection_id, kind) DO "
          "UPDATE SET updated_at = excluded.updated_at, document_sealed = excluded.document_sealed",
          p));
      return Status::Ok();
    });
  }

  Result<std::optional<std::string>> GetConnectionDocument(const std::string& org_id,
                                                           const std::string& connection_id,
                                                           const std::string& kind) override {
    std::optional<std::string> out;
    const std::string row = connection_id + "/" + kind;
    Status status = db_->Run([&](Conn& c) -> Status {
      const crypto::Key key = SP_TRY(ConnectionKey(c, org_id, connection_id));
      const Value p[] = {org_id, connection_id, kind};
      const auto rows =
          SP_TRY(c.Query("SELECT document_sealed FROM connection_documents WHERE org_id = $1 AND "
                         "connection_id = $2 AND kind = $3",
                         p));
      if (rows.empty()) return Status::Ok();
      out = SP_TRY(deps_.crypto.Open(key, AsBytes(rows[0][0]),
                                     {org_id, "connection_documents", row, "document"}));
      return Status::Ok();
    });
    SP_TRY(status);
    return out;
  }

  // ---------------------------------------------------------------------------------------
  // Jobs

  Result<Job> CreateJob(const NewJob& in) override {
    if (in.kind.empty()) return InvalidArgument("a job needs a kind");
    Job job;
    job.id = NewId(deps_.random);
    job.org_id = in.org_id;
    job.connection_id = in.connection_id;
    job.kind = in.kind;
    job.input = in.input;
    job.created_at = job.updated_at = FromMs(Now());
    Status s = db_->Transaction([&](Conn& c) -> Status {
      const crypto::Key key = SP_TRY(OrgKey(c, in.org_id));
      if (!in.connection_id.empty()) SP_TRY(ConnectionExists(c, in.org_id, in.connection_id));
      const Bytes input =
          SP_TRY(deps_.crypto.Seal(key, in.input, {in.org_id, "jobs", job.id, "input"}));
      const Value p[] = {job.id,
                         job.org_id,
                         in.connection_id.empty() ? Value(nullptr) : Value(in.connection_id),
                         job.kind,
                         std::string(StateSql(JobState::kQueued)),
                         input,
                         Ms(job.created_at)};
      SP_TRY(
          c.Exec("INSERT INTO jobs (id, org_id, connection_id, kind, state, progress_done, "
                 "progress_total, input_sealed, attempts, created_at, updated_at) VALUES "
                 "($1, $2, $3, $4, $5, 0, 0, $6, 0, $7, $7)",
                 p));
      return Status::Ok();
    });
    SP_TRY(s);
    return job;
  }

  Result<Job> GetJob(const std::string& org_id, const std::string& job_id) override {
    Job job;
    Status status = db_->Run([&](Conn& c) -> Status {
      job = SP_TRY(LoadJob(c, org_id, job_id, /*require_input=*/false));
      return Status::Ok();
    });
    SP_TRY(status);
    return job;
  }

  Result<std::optional<Job>> ClaimJob(const std::string& owner, std::chrono::milliseconds lease,
                                      std::int32_t max_attempts) override {
    if (owner.empty()) return InvalidArgument("a job lease needs an owner");
    if (max_attempts < 1) return InvalidArgument("a job needs at least one attempt");
    SP_TRY(FailExhaustedJobs(max_attempts));
    const bool pg = db_->dialect() == Dialect::kPostgres;
    // Claimable: queued, or running with an expired lease (its owner died). The outer
    // condition is re-checked on the locked row (PostgreSQL), so two instances never both win.
    const std::string sql =
        std::string(
            "UPDATE jobs SET state = 'running', lease_owner = $1, lease_expires_at = $2, "
            "attempts = attempts + 1, updated_at = $3 WHERE id = (SELECT id FROM jobs WHERE "
            "state = 'queued' OR (state = 'running' AND lease_expires_at <= $3) "
            "ORDER BY created_at, id LIMIT 1") +
        (pg ? " FOR UPDATE SKIP LOCKED" : "") +
        ") AND (state = 'queued' OR (state = 'running' AND lease_expires_at <= $3)) "
        "RETURNING id, org_id";
    // A job whose row does not open is failed and the next one tried; the bound keeps a store
    // full of bad rows from holding one caller forever (the next call goes on).
    for (int tries = 0; tries < 32; ++tries) {
      std::optional<Job> out;
      std::string bad_id, bad_org;
      const std::int64_t now = Now();
      Status status = db_->Transaction([&](Conn& c) -> Status {
        const Value p[] = {owner, now + lease.count(), now};
        const auto rows = SP_TRY(c.Query(sql, p));
        if (rows.empty()) return Status::Ok();
        const std::string id = AsText(rows[0][0]), org = AsText(rows[0][1]);
        auto job = LoadJob(c, org, id, /*require_input=*/true);
        if (job.ok()) {
          out = std::move(job).value();
        } else if (job.status().code() == Code::kUnavailable) {
          return job.status();  // transient: roll the claim back
        } else {
          bad_id = id;
          bad_org = org;
        }
        return Status::Ok();
      });
      SP_TRY(status);
      if (bad_id.empty()) return out;
      SP_TRY(FailJob(bad_org, bad_id, std::string(kUnreadableJob), /*only_if_owner=*/owner));
    }
    return std::optional<Job>();
  }

  Result<bool> UpdateJobProgress(const std::string& job_id, const std::string& owner,
                                 std::int64_t done, std::int64_t total, const std::string& step,
                                 std::chrono::milliseconds lease) override {
    bool cancel = false;
    Status status = db_->Transaction([&](Conn& c) -> Status {
      const Value q[] = {job_id, owner};
      const auto rows = SP_TRY(c.Query(
          "SELECT org_id FROM jobs WHERE id = $1 AND lease_owner = $2 AND state = 'running'", q));
      if (rows.empty()) return FailedPrecondition("this instance no longer holds the job's lease");
      const std::string org_id = AsText(rows[0][0]);
      const crypto::Key key = SP_TRY(OrgKey(c, org_id));
      const Bytes sealed_step =
          SP_TRY(deps_.crypto.Seal(key, step, {org_id, "jobs", job_id, "step"}));
      const std::int64_t now = Now();
      const Value p[] = {done, total, now + lease.count(), now, sealed_step, job_id, owner};
      const auto updated = SP_TRY(
          c.Query("UPDATE jobs SET progress_done = $1, progress_total = $2, lease_expires_at = $3, "
                  "updated_at = $4, step_sealed = $5 WHERE id = $6 AND lease_owner = $7 AND "
                  "state = 'running' RETURNING cancel_requested",
                  p));
      if (updated.empty()) {
        return FailedPrecondition("this instance no longer holds the job's lease");
      }
      cancel = AsInt(updated[0][0]) != 0;
      return Status::Ok();
    });
    SP_TRY(status);
    return cancel;
  }

  Status FinishJob(const std::string& job_id, const std::string& owner, JobState state,
                   const std::string& error) override {
    if (state != JobState::kSucceeded && state != JobState::kFailed) {
      return InvalidArgument("a job finishes as succeeded or failed");
    }
    return db_->Transaction([&](Conn& c) -> Status {
      const Value q[] = {job_id, owner};
      const auto rows = SP_TRY(c.Query(
          "SELECT org_id FROM jobs WHERE id = $1 AND lease_owner = $2 AND state = 'running'", q));
      if (rows.empty()) return FailedPrecondition("this instance no longer holds the job's lease");
      const std::string org_id = AsText(rows[0][0]);
      Value sealed_error = nullptr;
      if (!error.empty()) {
        const crypto::Key key = SP_TRY(OrgKey(c, org_id));
        sealed_error = SP_TRY(deps_.crypto.Seal(key, error, {org_id, "jobs", job_id, "error"}));
      }
      const Value p[] = {std::string(StateSql(state)), sealed_error, Now(), job_id, owner};
      // The row is re-checked here: under READ COMMITTED another instance may have reclaimed
      // the job since the SELECT; then nothing changes and the lease is reported lost.
      const auto n =
          SP_TRY(c.Exec("UPDATE jobs SET state = $1, error_sealed = $2, lease_expires_at = NULL, "
                        "updated_at = $3 WHERE id = $4 AND lease_owner = $5 AND state = 'running'",
                        p));
      if (n == 0) return FailedPrecondition("this instance no longer holds the job's lease");
      return Status::Ok();
    });
  }

  Result<Job> RequestJobCancel(const std::string& org_id, const std::string& job_id) override {
    Job job;
    Status status = db_->Transaction([&](Conn& c) -> Status {
      const Value p[] = {org_id, job_id};
      const auto rows = SP_TRY(c.Query("SELECT state FROM jobs WHERE org_id = $1 AND id = $2", p));
      if (rows.empty()) return NotFound("no such job");
      const std::string state = AsText(rows[0][0]);
      if (state == "queued") {
        const crypto::Key key = SP_TRY(OrgKey(c, org_id));
        const Bytes error = SP_TRY(deps_.crypto.Seal(key, std::string(kCancelledBeforeStart),
                                                     {org_id, "jobs", job_id, "error"}));
        const Value u[] = {error, Now(), org_id, job_id};
        SP_TRY(
            c.Exec("UPDATE jobs SET state = 'failed', cancel_requested = 1, error_sealed = $1, "
                   "updated_at = $2 WHERE org_id = $3 AND id = $4 AND state = 'queued'",
                   u));
      } else if (state == "running") {
        const Value u[] = {Now(), org_id, job_id};
        SP_TRY(
            c.Exec("UPDATE jobs SET cancel_requested = 1, updated_at = $1 WHERE org_id = $2 "
                   "AND id = $3 AND state = 'running'",
                   u));
      }
      job = SP_TRY(LoadJob(c, org_id, job_id, /*require_input=*/false));
      return Status::Ok();
    });
    SP_TRY(status);
    return job;
  }

  Result<std::vector<JobCount>> CountJobs() override {
    std::vector<JobCount> out;
    Status status = db_->Run([&](Conn& c) -> Status {
      const auto rows = SP_TRY(c.Query(
          "SELECT kind, state, COUNT(*) FROM jobs GROUP BY kind, state ORDER BY kind, state", {}));
      for (const Row& r : rows) {
        out.push_back(JobCount{AsText(r[0]), SP_TRY(ParseState(AsText(r[1]))), AsInt(r[2])});
      }
      return Status::Ok();
    });
    SP_TRY(status);
    return out;
  }

  // ---------------------------------------------------------------------------------------
  // Audit

  Result<AuditEvent> AppendAudit(const AuditEvent& in) override {
    if (in.action.empty()) return InvalidArgument("an audit event needs an action");
    AuditEvent ev = in;
    ev.id = NewId(deps_.random);
    ev.at = FromMs(Now());
    Status status = db_->Transaction([&](Conn& c) -> Status {
      if (db_->dialect() == Dialect::kPostgres) {
        // MAX(seq) + 1 is only unique when writers of one org take turns (SQLite's writers
        // always do). The lock is per org and ends with the transaction.
        const Value lock[] = {ev.org_id};
        SP_TRY(c.Query("SELECT pg_advisory_xact_lock(hashtextextended($1, 8727261002))", lock));
      }
      const crypto::Key key = SP_TRY(OrgKey(c, ev.org_id));
      const Bytes detail =
          SP_TRY(deps_.crypto.Seal(key, ev.detail, {ev.org_id, "audit_events", ev.id, "detail"}));
      const Value p[] = {ev.id, ev.org_id, Ms(ev.at), ev.actor_id, ev.action, ev.target_id, detail};
      SP_TRY(c.Exec(
          "INSERT INTO audit_events (id, org_id, seq, at, actor_id, action, target_id, "
          "detail_sealed) VALUES ($1, $2, (SELECT COALESCE(MAX(seq), 0) + 1 FROM audit_events "
          "WHERE org_id = $2), $3, $4, $5, $6, $7)",
          p));
      return Status::Ok();
    });
    SP_TRY(status);
    return ev;
  }

  Result<std::vector<AuditEvent>> ListAudit(const std::string& org_id,
                                            std::int32_t limit) override {
    std::vector<AuditEvent> out;
    Status status = db_->Run([&](Conn& c) -> Status {
      const crypto::Key key = SP_TRY(OrgKey(c, org_id));
      const Value p[] = {org_id, static_cast<std::int64_t>(std::max(limit, 0))};
      const auto rows = SP_TRY(
          c.Query("SELECT id, at, actor_id, action, target_id, detail_sealed FROM audit_events "
                  "WHERE org_id = $1 ORDER BY seq DESC LIMIT $2",
                  p));
      for (const Row& r : rows) {
        AuditEvent ev;
        ev.id = AsText(r[0]);
        ev.org_id = org_id;
        ev.at = FromMs(AsInt(r[1]));
        ev.actor_id = AsText(r[2]);
        ev.action = AsText(r[3]);
        ev.target_id = AsText(r[4]);
        ev.detail = SP_TRY(
            deps_.crypto.Open(key, AsBytes(r[5]), {org_id, "audit_events", ev.id, "detail"}));
        out.push_back(std::move(ev));
      }
      return Status::Ok();
    });
    SP_TRY(status);
    return out;
  }

  // ---------------------------------------------------------------------------------------
  // Housekeeping and keys

  Status PurgeExpired() override {
    return db_->Transaction([&](Conn& c) -> Status {
      const Value p[] = {Now()};
      SP_TRY(c.Exec("DELETE FROM catalogs WHERE expires_at <= $1", p));
      SP_TRY(c.Exec("DELETE FROM sessions WHERE expires_at <= $1", p));
      return Status::Ok();
    });
  }

  Status RotateMasterKey() override {
    // 1. The provider makes the new version durable and current; every older version stays
    //    retrievable, so data keys still wrapped by them keep opening.
    SP_TRY(deps_.crypto.keys().Rotate());
    // 2. One transaction rewraps every data key. A crash before it commits leaves every key
    //    wrapped by an older, still-known version; rerunning finishes the job.
    return RewrapDataKeys();
  }

  Status RewrapDataKeys() override {
    const crypto::Key master = SP_TRY(deps_.crypto.keys().Current());
    return db_->Transaction([&](Conn& c) -> Status {
      const auto store_keys = SP_TRY(c.Query("SELECT id, wrapped_key FROM store_keys", {}));
      for (const Row& r : store_keys) {
        const std::string id = AsText(r[0]);
        SP_TRY(Rewrap(c, "store_keys", AsBytes(r[1]), StoreKeyPlace(id), master, id));
      }
      const auto orgs = SP_TRY(c.Query("SELECT id, wrapped_key FROM orgs", {}));
      for (const Row& r : orgs) {
        const std::string id = AsText(r[0]);
        SP_TRY(Rewrap(c, "orgs", AsBytes(r[1]), OrgKeyPlace(id), master, id));
      }
      const auto conns = SP_TRY(c.Query("SELECT id, org_id, wrapped_key FROM connections", {}));
      for (const Row& r : conns) {
        const std::string id = AsText(r[0]);
        SP_TRY(Rewrap(c, "connections", AsBytes(r[2]), ConnectionKeyPlace(AsText(r[1]), id), master,
                      id));
      }
      return Status::Ok();
    });
  }

  Result<std::vector<std::string>> MasterKeyIdsInUse() override {
    std::set<std::string> ids;
    Status status = db_->Run([&](Conn& c) -> Status {
      for (std::string_view sql :
           {"SELECT wrapped_key FROM store_keys", "SELECT wrapped_key FROM orgs",
            "SELECT wrapped_key FROM connections"}) {
        const auto rows = SP_TRY(c.Query(sql, {}));
        for (const Row& r : rows) ids.insert(SP_TRY(crypto::BlobKeyId(AsBytes(r[0]))));
      }
      return Status::Ok();
    });
    SP_TRY(status);
    return std::vector<std::string>(ids.begin(), ids.end());
  }

 private:
  struct SealedConnection {
    Bytes name, settings, credentials;
  };

  static constexpr std::string_view kConnectionSelect =
      "SELECT id, org_id, data_store_type, wrapped_key, name_sealed, settings_sealed, "
      "credentials_sealed, created_at, updated_at FROM connections";

  static constexpr std::string_view kEmailIndexKeyId = "email_index";
  static Place StoreKeyPlace(std::string_view id) { return {"", "store_keys", id, "data_key"}; }
  static Place OrgKeyPlace(const std::string& org_id) {
    return {org_id, "orgs", org_id, "data_key"};
  }
  static Place ConnectionKeyPlace(const std::string& org_id, const std::string& id) {
    return {org_id, "connections", id, "data_key"};
  }

  std::int64_t Now() const { return Ms(deps_.clock.Now()); }

  Result<SealedConnection> SealConnection(const crypto::Key& key, const Connection& conn) {
    SealedConnection s;
    s.name =
        SP_TRY(deps_.crypto.Seal(key, conn.name, {conn.org_id, "connections", conn.id, "name"}));
    s.settings = SP_TRY(deps_.crypto.Seal(key, EncodeMap(conn.settings),
                                          {conn.org_id, "connections", conn.id, "settings"}));
    s.credentials = SP_TRY(deps_.crypto.Seal(key, EncodeCredentials(conn.credentials).Reveal(),
                                             {conn.org_id, "connections", conn.id, "credentials"}));
    return s;
  }

  Result<crypto::Key> OrgKey(Conn& c, const std::string& org_id) {
    const Value p[] = {org_id};
    const auto rows = SP_TRY(c.Query("SELECT wrapped_key FROM orgs WHERE id = $1", p));
    if (rows.empty()) return NotFound("no such organization");
    return deps_.crypto.UnwrapDataKey(AsBytes(rows[0][0]), OrgKeyPlace(org_id));
  }

  Result<Bytes> WrappedConnectionKey(Conn& c, const std::string& org_id, const std::string& id) {
    const Value p[] = {org_id, id};
    const auto rows =
        SP_TRY(c.Query("SELECT wrapped_key FROM connections WHERE org_id = $1 AND id = $2", p));
    if (rows.empty()) return NotFound("no such connection");
    return AsBytes(rows[0][0]);
  }

  Result<crypto::Key> ConnectionKey(Conn& c, const std::string& org_id, const std::string& id) {
    const Bytes wrapped = SP_TRY(WrappedConnectionKey(c, org_id, id));
    return deps_.crypto.UnwrapDataKey(wrapped, ConnectionKeyPlace(org_id, id));
  }

  Status ConnectionExists(Conn& c, const std::string& org_id, const std::string& id) {
    const Value p[] = {org_id, id};
    const auto rows = SP_TRY(c.Query("SELECT 1 FROM connections WHERE org_id = $1 AND id = $2", p));
    if (rows.empty()) return NotFound("no such connection");
    return Status::Ok();
  }

  Result<std::string> UserOrg(Conn& c, const std::string& user_id) {
    const Value p[] = {user_id};
    const auto rows = SP_TRY(c.Query("SELECT org_id FROM users WHERE id = $1", p));
    if (rows.empty()) return NotFound("no such user");
    return AsText(rows[0][0]);
  }

  Status Rewrap(Conn& c, std::string_view table, const Bytes& wrapped, const Place& place,
                const crypto::Key& master, const std::string& id) {
    if (SP_TRY(crypto::BlobKeyId(wrapped)) == master.id) return Status::Ok();
    const Bytes rewrapped = SP_TRY(deps_.crypto.RewrapDataKey(wrapped, place, master));
    const Value p[] = {rewrapped, id, wrapped};
    // `table` is one of three constants above, never input.
    const std::string sql =
        "UPDATE " + std::string(table) + " SET wrapped_key = $1 WHERE id = $2 AND wrapped_key = $3";
    SP_TRY(c.Exec(sql, p));
    return Status::Ok();
  }

  Result<std::vector<User>> QueryUsers(const std::string& org_id, std::string_view sql,
                                       std::vector<Value> params) {
    std::vector<User> out;
    Status status = db_->Run([&](Conn& c) -> Status {
      const auto rows = SP_TRY(c.Query(sql, params));
      if (rows.empty()) return Status::Ok();
      const crypto::Key key = SP_TRY(OrgKey(c, org_id));
      for (const Row& r : rows) {
        User u;
        u.id = AsText(r[0]);
        u.org_id = AsText(r[1]);
        u.email = SP_TRY(deps_.crypto.Open(key, AsBytes(r[2]), {org_id, "users", u.id, "email"}));
        u.role = SP_TRY(ParseRole(AsText(r[3])));
        u.created_at = FromMs(AsInt(r[4]));
        out.push_back(std::move(u));
      }
      return Status::Ok();
    });
    SP_TRY(status);
    return out;
  }

  // The key of the e-mail blind index: one per store, wrapped by the master key like a data key
  // (so rotation rewraps it and never has to re-index). Unwrapped on first use, then cached.
  Result<crypto::Key> EmailIndexKey() {
    std::lock_guard lock(index_mu_);
    if (index_key_) return *index_key_;
    crypto::Bytes wrapped;
    Status status = db_->Run([&](Conn& c) -> Status {
      const Value p[] = {std::string(kEmailIndexKeyId)};
      const auto rows = SP_TRY(c.Query("SELECT wrapped_key FROM store_keys WHERE id = $1", p));
      if (rows.empty()) return Internal("the store's e-mail index key is missing");
      wrapped = AsBytes(rows[0][0]);
      return Status::Ok();
    });
    SP_TRY(status);
    index_key_ = SP_TRY(deps_.crypto.UnwrapDataKey(wrapped, StoreKeyPlace(kEmailIndexKeyId)));
    return *index_key_;
  }

  // Creates the store-wide keys on first open (several instances may race: first one wins).
  Status EnsureStoreKeys() {
    return db_->Transaction([&](Conn& c) -> Status {
      const Value q[] = {std::string(kEmailIndexKeyId)};
      const auto rows = SP_TRY(c.Query("SELECT 1 FROM store_keys WHERE id = $1", q));
      if (!rows.empty()) return Status::Ok();
      const auto wk = SP_TRY(deps_.crypto.NewDataKey(StoreKeyPlace(kEmailIndexKeyId)));
      const Value p[] = {std::string(kEmailIndexKeyId), wk.wrapped};
      SP_TRY(
          c.Exec("INSERT INTO store_keys (id, wrapped_key) VALUES ($1, $2) "
                 "ON CONFLICT (id) DO NOTHING",
                 p));
      return Status::Ok();
    });
  }

  Result<std::vector<ApiToken>> QueryApiTokens(std::string_view sql, std::vector<Value> params) {
    std::vector<ApiToken> out;
    Status status = db_->Run([&](Conn& c) -> Status {
      const auto rows = SP_TRY(c.Query(sql, params));
      std::map<std::string, crypto::Key> keys;
      for (const Row& r : rows) {
        ApiToken t;
        t.id = AsText(r[0]);
        t.user_id = AsText(r[1]);
        t.org_id = AsText(r[2]);
        auto it = keys.find(t.org_id);
        if (it == keys.end()) it = keys.emplace(t.org_id, SP_TRY(OrgKey(c, t.org_id))).first;
        t.name = SP_TRY(
            deps_.crypto.Open(it->second, AsBytes(r[3]), {t.org_id, "api_tokens", t.id, "name"}));
        t.created_at = FromMs(AsInt(r[4]));
        if (!IsNull(r[5])) t.expires_at = FromMs(AsInt(r[5]));
        out.push_back(std::move(t));
      }
      return Status::Ok();
    });
    SP_TRY(status);
    return out;
  }

  Result<std::vector<Connection>> QueryConnections(const std::string& sql,
                                                   std::vector<Value> params) {
    std::vector<Connection> out;
    Status status = db_->Run([&](Conn& c) -> Status {
      const auto rows = SP_TRY(c.Query(sql, params));
      for (const Row& r : rows) {
        Connection conn;
        conn.id = AsText(r[0]);
        conn.org_id = AsText(r[1]);
        conn.data_store_type = AsText(r[2]);
        const crypto::Key key = SP_TRY(
            deps_.crypto.UnwrapDataKey(AsBytes(r[3]), ConnectionKeyPlace(conn.org_id, conn.id)));
        conn.name = SP_TRY(
            deps_.crypto.Open(key, AsBytes(r[4]), {conn.org_id, "connections", conn.id, "name"}));
        const std::string settings = SP_TRY(deps_.crypto.Open(
            key, AsBytes(r[5]), {conn.org_id, "connections", conn.id, "settings"}));
        conn.settings = SP_TRY(DecodeMap(settings));
        std::string creds = SP_TRY(deps_.crypto.Open(
            key, AsBytes(r[6]), {conn.org_id, "connections", conn.id, "credentials"}));
        conn.credentials = SP_TRY(DecodeCredentials(std::move(creds)));
        conn.created_at = FromMs(AsInt(r[7]));
        conn.updated_at = FromMs(AsInt(r[8]));
        out.push_back(std::move(conn));
      }
      return Status::Ok();
    });
    SP_TRY(status);
    return out;
  }

  Result<std::vector<SavedTable>> QueryTables(const std::string& org_id,
                                              const std::string& connection_id,
                                              const std::string& table_id) {
    Bytes wrapped;
    std::vector<Row> rows;
    Status status = db_->Run([&](Conn& c) -> Status {
      wrapped = SP_TRY(WrappedConnectionKey(c, org_id, connection_id));
      if (table_id.empty()) {
        const Value p[] = {org_id, connection_id};
        rows =
            SP_TRY(c.Query("SELECT id, saved_at, metadata_sealed FROM saved_tables "
                           "WHERE org_id = $1 AND connection_id = $2 ORDER BY id",
                           p));
      } else {
        const Value p[] = {org_id, connection_id, table_id};
        rows =
            SP_TRY(c.Query("SELECT id, saved_at, metadata_sealed FROM saved_tables "
                           "WHERE org_id = $1 AND connection_id = $2 AND id = $3",
                           p));
      }
      return Status::Ok();
    });
    SP_TRY(status);
    // Unwrapped, opened and decoded after the reads: SQLite serializes every statement on its
    // one connection, so the lock is held for the reads only (the hot path reads one table).
    const crypto::Key key =
        SP_TRY(deps_.crypto.UnwrapDataKey(wrapped, ConnectionKeyPlace(org_id, connection_id)));
    std::vector<SavedTable> out;
    out.reserve(rows.size());
    for (const Row& r : rows) {
      SavedTable t;
      t.id = AsText(r[0]);
      t.connection_id = connection_id;
      t.org_id = org_id;
      t.saved_at = FromMs(AsInt(r[1]));
      const std::string plain =
          SP_TRY(deps_.crypto.Open(key, AsBytes(r[2]), {org_id, "saved_tables", t.id, "metadata"}));
      SP_TRY(DecodeTable(plain, t));
      out.push_back(std::move(t));
    }
    return out;
  }

  // With require_input false, an input that does not open is left empty (the job can still be
  // shown and failed); with true it is an error.
  Result<Job> LoadJob(Conn& c, const std::string& org_id, const std::string& job_id,
                      bool require_input) {
    const Value p[] = {org_id, job_id};
    const auto rows = SP_TRY(c.Query(
        "SELECT " + std::string(kJobColumns) + " FROM jobs WHERE org_id = $1 AND id = $2", p));
    if (rows.empty()) return NotFound("no such job");
    const Row& r = rows[0];
    auto org_key = OrgKey(c, org_id);
    if (!org_key.ok() && (require_input || org_key.status().code() == Code::kUnavailable)) {
      return org_key.status();
    }
    Job job;
    job.id = AsText(r[0]);
    job.org_id = AsText(r[1]);
    job.connection_id = AsText(r[2]);
    job.kind = AsText(r[3]);
    job.state = SP_TRY(ParseState(AsText(r[4])));
    job.progress_done = AsInt(r[5]);
    job.progress_total = AsInt(r[6]);
    // Sealed fields: a field that does not open is an error only for the input of a job about
    // to run; elsewhere it reads as empty (an unreadable error becomes a generic one).
    const auto open = [&](const Value& v, std::string_view field) -> Result<std::string> {
      if (IsNull(v)) return std::string();
      if (!org_key.ok()) return org_key.status();
      return deps_.crypto.Open(*org_key, AsBytes(v), {org_id, "jobs", job.id, field});
    };
    auto input = open(r[7], "input");
    if (input.ok()) {
      job.input = std::move(input).value();
    } else if (require_input) {
      return input.status();
    }
    job.error =
        open(r[8], "error")
            .value_or(IsNull(r[8]) ? std::string()
                                   : std::string("data_loss: the job's error could not be read"));
    job.step = open(r[14], "step").value_or(std::string());
    job.cancel_requested = AsInt(r[15]) != 0;
    job.lease_owner = AsText(r[9]);
    if (!IsNull(r[10])) job.lease_expires_at = FromMs(AsInt(r[10]));
    job.attempts = static_cast<std::int32_t>(AsInt(r[11]));
    job.created_at = FromMs(AsInt(r[12]));
    job.updated_at = FromMs(AsInt(r[13]));
    return job;
  }

  // Running jobs whose lease expired after max_attempts claims: failed, not claimed again.
  Status FailExhaustedJobs(std::int32_t max_attempts) {
    std::vector<std::pair<std::string, std::string>> jobs;  // org, id
    Status status = db_->Run([&](Conn& c) -> Status {
      const Value p[] = {Now(), static_cast<std::int64_t>(max_attempts)};
      const auto rows = SP_TRY(c.Query(
          "SELECT org_id, id FROM jobs WHERE state = 'running' AND lease_expires_at <= $1 AND "
          "attempts >= $2",
          p));
      for (const Row& r : rows) jobs.emplace_back(AsText(r[0]), AsText(r[1]));
      return Status::Ok();
    });
    SP_TRY(status);
    for (const auto& [org, id] : jobs) {
      SP_TRY(FailJob(org, id,
                     "unavailable: the job was interrupted " + std::to_string(max_attempts) +
                         " times (the instances running it stopped or lost the store); start "
                         "it again",
                     ""));
    }
    return Status::Ok();
  }

  // Fails a job that is running with an expired lease (or, with `only_if_owner`, held by that
  // owner). The error is sealed when the org key opens; otherwise it is left empty.
  Status FailJob(const std::string& org_id, const std::string& job_id, const std::string& error,
                 const std::string& only_if_owner) {
    return db_->Transaction([&](Conn& c) -> Status {
      Value sealed = nullptr;
      if (auto key = OrgKey(c, org_id); key.ok()) {
        sealed = SP_TRY(deps_.crypto.Seal(*key, error, {org_id, "jobs", job_id, "error"}));
      } else if (key.status().code() == Code::kUnavailable) {
        return key.status();
      }
      const std::int64_t now = Now();
      if (only_if_owner.empty()) {
        const Value p[] = {sealed, now, job_id};
        SP_TRY(
            c.Exec("UPDATE jobs SET state = 'failed', error_sealed = $1, lease_expires_at = "
                   "NULL, updated_at = $2 WHERE id = $3 AND state = 'running' AND "
                   "lease_expires_at <= $2",
                   p));
      } else {
        const Value p[] = {sealed, now, job_id, only_if_owner};
        SP_TRY(
            c.Exec("UPDATE jobs SET state = 'failed', error_sealed = $1, lease_expires_at = "
                   "NULL, updated_at = $2 WHERE id = $3 AND state = 'running' AND "
                   "lease_owner = $4",
                   p));
      }
      return Status::Ok();
    });
  }

  std::unique_ptr<Database> db_;
  StoreDeps deps_;
  std::string dummy_hash_;
  std::mutex index_mu_;
  std::optional<crypto::Key> index_key_;  // guarded by index_mu_
};

Result<std::unique_ptr<Store>> Finish(std::unique_ptr<Database> db, StoreDeps deps) {
  auto store = std::make_unique<SqlStore>(std::move(db), deps);
  SP_TRY(store->Init());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace

std::string_view RoleName(Role role) {
  return role == Role::kAdmin ? "admin" : "member";
}

Result<Role> ParseRole(std::string_view name) {
  if (name == "admin") return Role::kAdmin;
  if (name == "member") return Role::kMember;
  return InvalidArgument("role must be admin or member");
}

std::string_view JobStateName(JobState state) {
  switch (state) {
    case JobState::kQueued: return "queued";
    case JobState::kRunning: return "running";
    case JobState::kSucceeded: return "succeeded";
    case JobState::kFailed: return "failed";
  }
  return "failed";
}

Result<std::unique_ptr<Store>> OpenSqliteStore(const SqliteOptions& options, StoreDeps deps) {
  internal::SqliteConfig config;
  config.path = options.path.string();
  config.busy_timeout_ms = static_cast<int>(options.busy_timeout.count());
  auto db = SP_TRY(internal::OpenSqliteDatabase(config));
  return Finish(std::move(db), deps);
}

Result<std::unique_ptr<Store>> OpenPostgresStore(const PostgresOptions& options, StoreDeps deps) {
  internal::PostgresConfig config;
  config.conninfo = options.conninfo;
  config.sslmode = options.sslmode;
  config.insecure_allow_weak_sslmode = options.insecure_allow_weak_sslmode;
  config.pool_size = options.pool_size;
  config.acquire_timeout_ms = static_cast<int>(options.acquire_timeout.count());
  auto db = SP_TRY(internal::OpenPostgresDatabase(config));
  return Finish(std::move(db), deps);
}

}  // namespace schemaport::store
