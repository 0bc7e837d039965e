// The service: accounts, connections, metadata views, audit and keys. Jobs run in jobs.cc.
#include "service/service.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "service/catalog_doc.h"
#include "service/internal.h"

namespace schemaport::service {

using internal::CatalogDoc;
using internal::SelectionMatcher;
using warehouse::TableRef;

std::string_view MarkName(Mark mark) {
  switch (mark) {
    case Mark::kNone: return "";
    case Mark::kNew: return "new";
    case Mark::kRemoved: return "removed";
    case Mark::kChanged: return "changed";
  }
  return "";
}

std::string_view JobKindName(JobKind kind) {
  switch (kind) {
    case JobKind::kFetch: return "fetch";
    case JobKind::kSave: return "save";
    case JobKind::kRefresh: return "refresh";
  }
  return "fetch";
}

namespace internal {

namespace {

std::size_t CodePoints(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

bool HasControl(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; });
}

}  // namespace

std::string Trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  const auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

Status CheckPassword(const Secret& password, const Options& options) {
  const std::size_t n = CodePoints(password.Reveal());
  if (n < options.min_password_length) {
    return InvalidArgument("Password: must be at least " +
                           std::to_string(options.min_password_length) + " characters");
  }
  if (n > options.max_password_length) {
    return InvalidArgument("Password: must be at most " +
                           std::to_string(options.max_password_length) + " characters");
  }
  return Status::Ok();
}

Result<std::string> CheckEmail(std::string_view email) {
  std::string e = Trim(email);
  std::transform(e.begin(), e.end(), e.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const auto at = e.find('@');
  if (e.empty()) return InvalidArgument("Email: is required");
  if (e.size() > 254 || at == std::string::npos || at == 0 || at + 1 >= e.size() ||
      e.find('@', at + 1) != std::string::npos || e.find(' ') != std::string::npos ||
      HasControl(e)) {
    return InvalidArgument("Email: is not a valid e-mail address");
  }
  return e;
}

Result<std::string> CheckName(std::string_view label, std::string_view name, std::size_t max) {
  std::string n = Trim(name);
  if (n.empty()) return InvalidArgument(std::string(label) + ": is required");
  if (CodePoints(n) > max) {
    return InvalidArgument(std::string(label) + ": must be at most " + std::to_string(max) +
                           " characters");
  }
  if (HasControl(n)) {
    return InvalidArgument(std::string(label) + ": must not contain control characters");
  }
  return n;
}

}  // namespace internal

using namespace internal;  // NOLINT: this file implements the internal helpers' users
using Impl = Service::Impl;

// ---------------------------------------------------------------------------------------------
// Construction

Service::Service(Deps deps, Options options)
    : impl_(std::make_unique<Impl>(deps, std::move(options))) {}

Service::~Service() {
  Stop();
}

Impl::Impl(Deps d, Options o) : deps(d), options(std::move(o)), docs(options.catalog_cache_tables) {
  instance_id =
      options.instance_id.empty() ? NewId(deps.random).substr(0, 12) : options.instance_id;
}

void Impl::Log(LogLevel level, std::string_view msg, std::initializer_list<LogField> fields) {
  if (deps.logger) deps.logger->Log(level, msg, fields);
}

void Impl::Audit(const std::string& org_id, const std::string& actor, std::string action,
                 const std::string& target, const nlohmann::json& detail) {
  store::AuditEvent ev;
  ev.org_id = org_id;
  ev.actor_id = actor;
  ev.action = std::move(action);
  ev.target_id = target;
  ev.detail = detail.is_null() ? std::string() : detail.dump();
  auto appended = deps.store.AppendAudit(ev);
  if (!appended.ok()) {
    // The action itself happened; the failure to record it is reported to the operator.
    Log(LogLevel::kError, "audit event not recorded",
        {{"action", ev.action}, {"error", appended.status()}});
  }
}

Status Impl::RequireAdmin(const Principal& who) {
  if (!who.is_admin()) return PermissionDenied("this needs the admin role");
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// Setup and accounts

Result<std::optional<Secret>> Service::PrepareSetup() {
  if (SP_TRY(impl_->deps.store.CountOrgs()) > 0) return std::optional<Secret>();
  Secret token = crypto::NewToken(impl_->deps.random, "spsetup_");
  std::lock_guard lock(impl_->setup_mu);
  impl_->setup_hash = crypto::HashToken(token);
  return std::optional<Secret>(std::move(token));
}

Result<bool> Service::SetupNeeded() {
  return SP_TRY(impl_->deps.store.CountOrgs()) == 0;
}

Result<SignedIn> Service::Setup(const Secret& token, const std::string& organization,
                                const std::string& email, const Secret& password) {
  Impl& m = *impl_;
  {
    std::lock_guard lock(m.setup_mu);
    const std::string hash = crypto::HashToken(token);
    if (!m.setup_hash || token.empty() || m.setup_hash->size() != hash.size() ||
        CRYPTO_memcmp(m.setup_hash->data(), hash.data(), hash.size()) != 0) {
      return Unauthenticated("Setup token: is wrong; use the token schemaport serve printed");
    }
  }
  const std::string org_name = SP_TRY(CheckName("Organization", organization, 200));
  const std::string mail = SP_TRY(CheckEmail(email));
  SP_TRY(CheckPassword(password, m.options));
  std::lock_guard lock(m.setup_mu);  // one setup at a time in this instance
  if (!m.setup_hash) return FailedPrecondition("setup is already done; log in instead");
  if (SP_TRY(m.deps.store.CountOrgs()) > 0) {
    m.setup_hash.reset();
    return FailedPrecondition("setup is already done; log in instead");
  }
  const store::Org org = SP_TRY(m.deps.store.CreateOrg(org_name));
  const store::User user =
      SP_TRY(m.deps.store.CreateUser(org.id, mail, store::Role::kAdmin, password));
  m.setup_hash.reset();
  m.Audit(org.id, user.id, "setup", user.id, {{"email", user.email}});
  return m.SignIn(user, org);
}

Result<UserView> Service::AddUserFromShell(const std::string& organization,
                                           const std::string& email, store::Role role,
                                           const Secret& password) {
  Impl& m = *impl_;
  const std::string mail = SP_TRY(CheckEmail(email));
  SP_TRY(CheckPassword(password, m.options));
  const std::vector<store::Org> orgs = SP_TRY(m.deps.store.ListOrgs());
  std::string org_id;
  if (orgs.empty()) {
    if (role != store::Role::kAdmin) {
      return InvalidArgument("the first user of a new store must be an admin (--role admin)");
    }
    const std::string name = SP_TRY(CheckName("Organization", organization, 200));
    org_id = SP_TRY(m.deps.store.CreateOrg(name)).id;
    std::lock_guard lock(m.setup_mu);
    m.setup_hash.reset();
  } else {
    for (const auto& o : orgs) {
      if (o.id == organization || o.name == organization) org_id = o.id;
    }
    if (org_id.empty()) return NotFound("Organization: no organization has that name or id");
  }
  const store::User user = SP_TRY(m.deps.store.CreateUser(org_id, mail, role, password));
  m.Audit(org_id, "cli", "user.create", user.id,
          {{"email", user.email}, {"role", store::RoleName(role)}, {"via", "shell"}});
  return ToView(user);
}

Result<SignedIn> Impl::SignIn(const store::User& user, const store::Org& org) {
  const store::IssuedSession issued =
      SP_TRY(deps.store.CreateSession(user.id, options.session_absolute));
  SignedIn out;
  out.user = ToView(user);
  out.org = OrgView{org.id, org.name};
  out.principal = Principal{user.id, org.id, user.role, issued.session.id, ""};
  out.csrf_token = Csrf(issued.token);
  out.expires_at = issued.session.expires_at;
  out.session_token = issued.token;
  return out;
}

std::string Impl::Csrf(const Secret& session_token) const {
  static constexpr std::string_view kLabel = "schemaport csrf v1";
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  const std::string& key = session_token.Reveal();
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(kLabel.data()), kLabel.size(), mac, &len);
  return Base64UrlEncode(std::span<const std::uint8_t>(mac, len));
}

Status Impl::CheckThrottle(const std::string& account, const std::string& address) {
  std::lock_guard lock(throttle_mu);
  const TimePoint now = deps.clock.Now();
  const auto check = [&](std::map<std::string, std::deque<TimePoint>>& failures,
                         const std::string& key, int max) -> Status {
    auto it = failures.find(key);
    if (it == failures.end()) return Status::Ok();
    auto& q = it->second;
    while (!q.empty() && q.front() + options.failure_window <= now) q.pop_front();
    if (q.empty()) {
      failures.erase(it);
      return Status::Ok();
    }
    if (static_cast<int>(q.size()) < max) return Status::Ok();
    const auto wait =
        std::chrono::duration_cast<std::chrono::seconds>(q.front() + options.failure_window - now);
    const auto minutes = std::max<std::int64_t>(1, (wait.count() + 59) / 60);
    return Status(Code::kResourceExhausted, "too many failed logins; try again in " +
                                                std::to_string(minutes) +
                                                (minutes == 1 ? " minute" : " minutes"));
  };
  SP_TRY(check(account_failures, account, options.max_failures_per_account));
  if (!address.empty()) SP_TRY(check(address_failures, address, options.max_failures_per_address));
  return Status::Ok();
}

void Impl::RecordFailure(const std::string& account, const std::string& address) {
  std::lock_guard lock(throttle_mu);
  const TimePoint now = deps.clock.Now();
  account_failures[account].push_back(now);
  if (!address.empty()) address_failures[address].push_back(now);
  // Bound memory under a spray of distinct e-mails: forget the oldest keys.
  for (auto* map : {&account_failures, &address_failures}) {
    while (map->size() > 100'000) map->erase(map->begin());
  }
}

Result<SignedIn> Service::Login(const std::string& email, const Secret& password,
                                const std::string& address) {
  Impl& m = *impl_;
  std::string account = Trim(email);
  std::transform(account.begin(), account.end(), account.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (account.empty()) return InvalidArgument("Email: is required");
  if (password.empty()) return InvalidArgument("Password: is required");
  SP_TRY(m.CheckThrottle(account, address));
  auto user = m.deps.store.VerifyPassword(account, password);
  if (!user.ok()) {
    if (user.status().code() != Code::kUnauthenticated) return user.status();
    m.RecordFailure(account, address);
    // Audited in the org of the account when there is one (an unknown e-mail has no org).
    if (auto known = m.deps.store.FindUserByEmail(account); known.ok()) {
      m.Audit(known->org_id, known->id, "login.failure", known->id, {{"address", address}});
    }
    m.Log(LogLevel::kInfo, "login failed", {{"address", address}});
    return Unauthenticated("wrong e-mail address or password");
  }
  {
    std::lock_guard lock(m.throttle_mu);
    m.account_failures.erase(account);
  }
  const store::Org org = SP_TRY(m.deps.store.GetOrg(user->org_id));
  m.Audit(org.id, user->id, "login.success", user->id, {{"address", address}});
  return m.SignIn(*user, org);
}

Status Service::Logout(const Secret& session_token) {
  Impl& m = *impl_;
  auto session = m.deps.store.LookupSession(session_token);
  SP_TRY(m.deps.store.DeleteSession(session_token));
  if (session.ok()) m.Audit(session->org_id, session->user_id, "logout", session->user_id, nullptr);
  return Status::Ok();
}

Result<Principal> Service::AuthenticateSession(const Secret& session_token) {
  Impl& m = *impl_;
  if (session_token.empty()) return Unauthenticated("log in first");
  const store::Session session = SP_TRY(m.deps.store.LookupSession(session_token));
  const TimePoint now = m.deps.clock.Now();
  if (now - session.last_seen_at >= m.options.session_idle) {
    (void)m.deps.store.DeleteSession(session_token);
    return Unauthenticated("the session ended after a time without use; log in again");
  }
  const store::Role role = SP_TRY(m.deps.store.GetUserRole(session.org_id, session.user_id));
  // The idle clock moves in steps of a minute: one write per minute per session at most.
  if (now - session.last_seen_at >= std::chrono::minutes(1)) {
    SP_TRY(m.deps.store.TouchSession(session.id, now));
  }
  return Principal{session.user_id, session.org_id, role, session.id, ""};
}

std::string Service::CsrfToken(const Secret& session_token) const {
  return impl_->Csrf(session_token);
}

bool Service::CheckCsrf(const Secret& session_token, std::string_view csrf_token) const {
  const std::string expected = impl_->Csrf(session_token);
  return !session_token.empty() && csrf_token.size() == expected.size() &&
         CRYPTO_memcmp(csrf_token.data(), expected.data(), expected.size()) == 0;
}

Result<Principal> Service::AuthenticateApiToken(const Secret& token) {
  Impl& m = *impl_;
  if (token.empty()) return Unauthenticated("the API token is missing");
  // One store query, nothing unsealed: this runs for every request made with an API token.
  const store::TokenHolder t = SP_TRY(m.deps.store.LookupApiTokenHolder(token));
  return Principal{t.user_id, t.org_id, t.role, "", t.token_id};
}

Result<Me> Service::GetMe(const Principal& who) {
  const store::User user = SP_TRY(impl_->deps.store.GetUser(who.org_id, who.user_id));
  const store::Org org = SP_TRY(impl_->deps.store.GetOrg(who.org_id));
  return Me{ToView(user), OrgView{org.id, org.name}};
}

Status Service::ChangePassword(const Principal& who, const Secret& current_password,
                               const Secret& new_password) {
  Impl& m = *impl_;
  const store::User user = SP_TRY(m.deps.store.GetUser(who.org_id, who.user_id));
  SP_TRY(m.CheckThrottle(user.email, ""));
  if (auto verified = m.deps.store.VerifyPassword(user.email, current_password); !verified.ok()) {
    if (verified.status().code() != Code::kUnauthenticated) return verified.status();
    m.RecordFailure(user.email, "");
    return Unauthenticated("Current password: is wrong");
  }
  SP_TRY(CheckPassword(new_password, m.options).WithContext("New password"));
  SP_TRY(m.deps.store.SetPassword(who.org_id, who.user_id, new_password));
  SP_TRY(m.deps.store.DeleteUserSessions(who.org_id, who.user_id, who.session_id));
  m.Audit(who.org_id, who.user_id, "user.password", who.user_id, nullptr);
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// Users and API tokens

Result<std::vector<UserView>> Service::ListUsers(const Principal& who) {
  SP_TRY(impl_->RequireAdmin(who));
  std::vector<UserView> out;
  for (const auto& u : SP_TRY(impl_->deps.store.ListUsers(who.org_id))) out.push_back(ToView(u));
  return out;
}

Result<UserView> Service::CreateUser(const Principal& who, const std::string& email,
                                     const Secret& password, store::Role role) {
  Impl& m = *impl_;
  SP_TRY(m.RequireAdmin(who));
  const std::string mail = SP_TRY(CheckEmail(email));
  SP_TRY(CheckPassword(password, m.options));
  const store::User user = SP_TRY(m.deps.store.CreateUser(who.org_id, mail, role, password));
  m.Audit(who.org_id, who.user_id, "user.create", user.id,
          {{"email", user.email}, {"role", store::RoleName(role)}});
  return ToView(user);
}

Status Service::DeleteUser(const Principal& who, const std::string& user_id) {
  Impl& m = *impl_;
  SP_TRY(m.RequireAdmin(who));
  if (user_id == who.user_id) return FailedPrecondition("you cannot delete your own user");
  const store::User user = SP_TRY(m.deps.store.GetUser(who.org_id, user_id));
  SP_TRY(m.deps.store.DeleteUser(who.org_id, user_id));
  m.Audit(who.org_id, who.user_id, "user.delete", user_id, {{"email", user.email}});
  return Status::Ok();
}

Result<std::vector<ApiTokenView>> Service::ListApiTokens(const Principal& who) {
  SP_TRY(impl_->RequireAdmin(who));
  std::vector<ApiTokenView> out;
  for (const auto& t : SP_TRY(impl_->deps.store.ListApiTokens(who.org_id))) {
    out.push_back(ApiTokenView{t.id, t.name, t.user_id, t.created_at, t.expires_at});
  }
  return out;
}

Result<IssuedToken> Service::CreateApiToken(const Principal& who, const std::string& name,
                                            std::optional<int> expires_in_days) {
  Impl& m = *impl_;
  SP_TRY(m.RequireAdmin(who));
  const std::string token_name = SP_TRY(CheckName("name", name, 100));
  std::optional<std::chrono::seconds> ttl;
  if (expires_in_days) {
    if (*expires_in_days < 1 || *expires_in_days > 3650) {
      return InvalidArgument("expires_in_days: must be between 1 and 3650");
    }
    ttl = std::chrono::hours(24) * *expires_in_days;
  }
  const store::IssuedApiToken issued =
      SP_TRY(m.deps.store.CreateApiToken(who.user_id, token_name, ttl));
  m.Audit(who.org_id, who.user_id, "token.create", issued.token.id, {{"name", token_name}});
  const auto& t = issued.token;
  return IssuedToken{ApiTokenView{t.id, t.name, t.user_id, t.created_at, t.expires_at},
                     issued.secret};
}

Status Service::RevokeApiToken(const Principal& who, const std::string& token_id) {
  Impl& m = *impl_;
  SP_TRY(m.RequireAdmin(who));
  SP_TRY(m.deps.store.RevokeApiToken(who.org_id, token_id));
  m.Audit(who.org_id, who.user_id, "token.revoke", token_id, nullptr);
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// Connections

std::vector<DataStore> Service::DataStores() const {
  std::vector<DataStore> out;
  for (const warehouse::ConnectorType* t : impl_->deps.registry.List()) {
    out.push_back(DataStore{t->name, t->label, t->fields});
  }
  return out;
}

Result<const warehouse::ConnectorType*> Impl::FindType(const std::string& data_store) const {
  if (data_store.empty()) return InvalidArgument("data_store: is required");
  const warehouse::ConnectorType* type = deps.registry.Find(data_store);
  if (type == nullptr) {
    return InvalidArgument("data_store: unknown data store \"" + data_store.substr(0, 64) + "\"");
  }
  return type;
}

Result<warehouse::ConnectionSettings> Impl::CheckSettings(
    const warehouse::ConnectorType& type, const std::map<std::string, std::string>& settings,
    const std::map<std::string, Secret>& secrets) const {
  std::map<std::string, const warehouse::FormField*> fields;
  for (const auto& f : type.fields) fields[f.id] = &f;
  // Names come from the caller: quoted only when they are plain field-like words.
  const auto name_of = [](const std::string& key) {
    const bool plain = !key.empty() && key.size() <= 64 &&
                       std::all_of(key.begin(), key.end(), [](unsigned char c) {
                         return std::isalnum(c) || c == '_' || c == '-';
                       });
    return plain ? key : std::string("(a field name)");
  };
  warehouse::ConnectionSettings out;
  for (const auto& [key, value] : settings) {
    auto it = fields.find(key);
    if (it == fields.end()) return InvalidArgument("settings." + name_of(key) + ": unknown field");
    if (it->second->kind == "secret") {
      return InvalidArgument("settings." + key + ": is a secret; send it in secrets");
    }
    if (value.size() > 2048) return InvalidArgument("settings." + key + ": is too long");
    if (!value.empty()) out.values[key] = value;
  }
  for (const auto& [key, value] : secrets) {
    auto it = fields.find(key);
    if (it == fields.end()) return InvalidArgument("secrets." + name_of(key) + ": unknown field");
    if (it->second->kind != "secret") {
      return InvalidArgument("secrets." + key + ": is not a secret; send it in settings");
    }
    if (value.Reveal().size() > 4096) return InvalidArgument("secrets." + key + ": is too long");
    if (!value.empty()) out.secrets[key] = value;
  }
  SP_TRY(type.validate(out));
  return out;
}

Result<ConnectionView> Impl::ToConnectionView(const store::Connection& c,
                                              const store::ConnectionSummary* summary) const {
  ConnectionView v;
  v.id = c.id;
  v.name = c.name;
  v.data_store = c.data_store_type;
  v.settings = c.settings;
  for (const auto& [key, secret] : c.credentials) {
    if (!secret.empty()) v.secrets_set.push_back(key);
  }
  v.created_at = c.created_at;
  v.updated_at = c.updated_at;
  if (summary != nullptr) {
    v.last_fetched_at = summary->fetched_at;
    v.saved_table_count = summary->saved_tables;
  }
  return v;
}

Result<ConnectionView> Impl::ViewOne(const store::Connection& c) {
  const auto summaries = SP_TRY(deps.store.SummarizeConnections(c.org_id));
  auto it = summaries.find(c.id);
  return ToConnectionView(c, it == summaries.end() ? nullptr : &it->second);
}

Result<warehouse::TestReport> Service::TestSettings(const Principal& who,
                                                    const ConnectionInput& input) {
  Impl& m = *impl_;
  SP_TRY(m.RequireAdmin(who));
  const warehouse::ConnectorType* type = SP_TRY(m.FindType(input.data_store));
  const warehouse::ConnectionSettings settings =
      SP_TRY(m.CheckSettings(*type, input.settings, input.secrets));
  auto connector = SP_TRY(m.deps.registry.Create(type->name, settings));
  const warehouse::TestReport report = SP_TRY(connector->Test());
  m.Audit(who.org_id, who.user_id, "connection.test", "",
          {{"saved", false}, {"data_store", type->name}, {"ok", report.ok()}});
  return report;
}

Result<ConnectionView> Service::CreateConnection(const Principal& who,
                                                 const ConnectionInput& input) {
  Impl& m = *impl_;
  SP_TRY(m.RequireAdmin(who));
  const std::string name = SP_TRY(CheckName("name", input.name, 200));
  const warehouse::ConnectorType* type = SP_TRY(m.FindType(input.data_store));
  const warehouse::ConnectionSettings settings =
      SP_TRY(m.CheckSettings(*type, input.settings, input.secrets));
  store::Connection c;
  c.org_id = who.org_id;
  c.data_store_type = type->name;
  c.name = name;
  c.settings = settings.values;
  c.credentials = settings.secrets;
  const store::Connection created = SP_TRY(m.deps.store.CreateConnection(c));
  m.Audit(who.org_id, who.user_id, "connection.create", created.id,
          {{"name", name}, {"data_store", type->name}});
  return m.ToConnectionView(created, nullptr);
}

Result<std::vector<ConnectionView>> Service::ListConnections(const Principal& who) {
  Impl& m = *impl_;
  const auto connections = SP_TRY(m.deps.store.ListConnections(who.org_id));
  const auto summaries = SP_TRY(m.deps.store.SummarizeConnections(who.org_id));
  std::vector<ConnectionView> out;
  for (const auto& c : connections) {
    auto it = summaries.find(c.id);
    out.push_back(SP_TRY(m.ToConnectionView(c, it == summaries.end() ? nullptr : &it->second)));
  }
  return out;
}

Result<ConnectionView> Service::GetConnection(const Principal& who, const std::string& id) {
  const store::Connection c = SP_TRY(impl_->deps.store.GetConnection(who.org_id, id));
  return impl_->ViewOne(c);
}

Result<ConnectionView> Service::UpdateConnection(const Principal& who, const std::string& id,
                                                 const ConnectionPatch& patch) {
  Impl& m = *impl_;
  SP_TRY(m.RequireAdmin(who));
  store::Connection c = SP_TRY(m.deps.store.GetConnection(who.org_id, id));
  const warehouse::ConnectorType* type = SP_TRY(m.FindType(c.data_store_type));
  if (patch.name) c.name = SP_TRY(CheckName("name", *patch.name, 200));
  const std::map<std::string, std::string> values = patch.settings ? *patch.settings : c.settings;
  std::map<std::string, Secret> secrets = c.credentials;
  std::vector<std::string> changed_secrets;
  for (const auto& [key, value] : patch.secrets) {
    if (value.empty()) {
      // Left as it was; still checked to be a secret field of the form.
      const std::string& field = key;  // a lambda may not capture a structured binding (clang 14)
      if (std::none_of(type->fields.begin(), type->fields.end(),
                       [&](const auto& f) { return f.id == field && f.kind == "secret"; })) {
        return InvalidArgument("secrets: unknown secret field");
      }
      continue;
    }
    secrets[key] = value;
    changed_secrets.push_back(key);
  }
  const warehouse::ConnectionSettings settings = SP_TRY(m.CheckSettings(*type, values, secrets));
  c.settings = settings.values;
  c.credentials = settings.secrets;
  SP_TRY(m.deps.store.UpdateConnection(c));
  nlohmann::json detail = {{"name", c.name},
                           {"settings_changed", patch.settings.has_value()},
                           {"secrets_changed", changed_secrets}};
  m.Audit(who.org_id, who.user_id, "connection.update", id, detail);
  const store::Connection updated = SP_TRY(m.deps.store.GetConnection(who.org_id, id));
  return m.ViewOne(updated);
}

Status Service::DeleteConnection(const Principal& who, const std::string& id) {
  Impl& m = *impl_;
  SP_TRY(m.RequireAdmin(who));
  const store::Connection c = SP_TRY(m.deps.store.GetConnection(who.org_id, id));
  SP_TRY(m.deps.store.DeleteConnection(who.org_id, id));
  m.docs.Erase(id);  // its decoded catalog goes with its data key (other instances: at next read)
  m.Audit(who.org_id, who.user_id, "connection.delete", id, {{"name", c.name}});
  return Status::Ok();
}

Result<warehouse::TestReport> Service::TestConnection(const Principal& who, const std::string& id) {
  Impl& m = *impl_;
  SP_TRY(m.RequireAdmin(who));
  auto connector = SP_TRY(m.OpenConnector(who.org_id, id));
  const warehouse::TestReport report = SP_TRY(connector->Test());
  m.Audit(who.org_id, who.user_id, "connection.test", id, {{"saved", true}, {"ok", report.ok()}});
  return report;
}

Result<std::unique_ptr<warehouse::Connector>> Impl::OpenConnector(
    const std::string& org_id, const std::string& connection_id) {
  const store::Connection c = SP_TRY(deps.store.GetConnection(org_id, connection_id));
  warehouse::ConnectionSettings settings;
  settings.values = c.settings;
  settings.secrets = c.credentials;
  return deps.registry.Create(c.data_store_type, settings);
}

// ---------------------------------------------------------------------------------------------
// Metadata views

LoadedDoc::LoadedDoc(std::string rev, CatalogDoc d) : revision(std::move(rev)), doc(std::move(d)) {
  for (const auto& cm : doc.column_marks) marks_by_table.emplace(cm.table, &cm);
}

DocPtr DocCache::Find(const std::string& connection_id, const std::string& revision) {
  std::lock_guard lock(mu_);
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->first != connection_id) continue;
    if (it->second->revision != revision) return nullptr;
    entries_.splice(entries_.begin(), entries_, it);
    return entries_.front().second;
  }
  return nullptr;
}

void DocCache::Put(const std::string& connection_id, DocPtr doc) {
  const std::int64_t size = std::max<std::int64_t>(1, doc->doc.TableCount());
  std::lock_guard lock(mu_);
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->first != connection_id) continue;
    tables_ -= std::max<std::int64_t>(1, it->second->doc.TableCount());
    entries_.erase(it);
    break;
  }
  if (doc->revision.empty() || size > max_tables_) return;
  entries_.emplace_front(connection_id, std::move(doc));
  tables_ += size;
  while (tables_ > max_tables_) {
    tables_ -= std::max<std::int64_t>(1, entries_.back().second->doc.TableCount());
    entries_.pop_back();
  }
}

void DocCache::Erase(const std::string& connection_id) {
  std::lock_guard lock(mu_);
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->first != connection_id) continue;
    tables_ -= std::max<std::int64_t>(1, it->second->doc.TableCount());
    entries_.erase(it);
    return;
  }
}

Result<DocPtr> Impl::LoadDoc(const std::string& org_id, const std::string& connection_id) {
  // The revision read is org-scoped: another org's connection id is kNotFound, never a hit.
  auto revision = deps.store.CatalogRevision(org_id, connection_id);
  if (!revision.ok()) {
    if (revision.status().code() == Code::kNotFound) docs.Erase(connection_id);
    return revision.status();
  }
  if (DocPtr hit = docs.Find(connection_id, *revision)) return hit;
  store::FetchedCatalog cat = SP_TRY(deps.store.GetCatalog(org_id, connection_id));
  auto loaded =
      std::make_shared<const LoadedDoc>(std::move(cat.revision), SP_TRY(DecodeDoc(cat.document)));
  docs.Put(connection_id, loaded);
  return DocPtr(std::move(loaded));
}

Status Impl::StoreDoc(const std::string& org_id, const std::string& connection_id,
                      const CatalogDoc& doc) {
  store::FetchedCatalog cat;
  cat.org_id = org_id;
  cat.connection_id = connection_id;
  cat.fetched_at = doc.fetched_at;
  cat.expires_at = deps.clock.Now() + options.catalog_ttl;
  cat.table_count = doc.TableCount();
  cat.document = EncodeDoc(doc);
  return deps.store.PutCatalog(cat);
}

Result<CatalogView> Service::GetCatalog(const Principal& who, const std::string& connection_id) {
  Impl& m = *impl_;
  SP_TRY(m.deps.store.GetConnection(who.org_id, connection_id));  // 404 for another org's id
  auto doc = m.LoadDoc(who.org_id, connection_id);
  if (!doc.ok() && doc.status().code() == Code::kNotFound) {
    return NotFound("no metadata fetched yet for this connection; run Fetch Metadata first");
  }
  if (!doc.ok()) return doc.status();
  const CatalogDoc& d = (*doc)->doc;
  const SelectionMatcher matcher =
      SP_TRY(SelectionMatcher::Make(d.selection, internal::MatchCaseOf(d)));
  return BuildCatalogView(d, matcher);
}

Result<SelectionPreview> Service::PreviewSelection(const Principal& who,
                                                   const std::string& connection_id,
                                                   const Selection& selection) {
  Impl& m = *impl_;
  SP_TRY(SelectionMatcher::Make(selection, MatchCase::kExact));  // bad patterns first
  auto doc = m.LoadDoc(who.org_id, connection_id);
  if (!doc.ok() && doc.status().code() == Code::kNotFound) {
    SP_TRY(m.deps.store.GetConnection(who.org_id, connection_id));
    return NotFound("no metadata fetched yet for this connection; run Fetch Metadata first");
  }
  if (!doc.ok()) return doc.status();
  const SelectionMatcher matcher =
      SP_TRY(SelectionMatcher::Make(selection, internal::MatchCaseOf((*doc)->doc)));
  SelectionPreview preview;
  TableRef ref;
  for (const auto& d : (*doc)->doc.databases) {
    ref.database = d.name;
    for (const auto& s : d.schemas) {
      ref.schema = s.name;
      for (const auto& t : s.tables) {
        ref.table = t.name;
        if (matcher.Selected(ref)) ++preview.selected;
        if (matcher.MatchedByPatterns(ref)) ++preview.matched_by_patterns;
      }
    }
  }
  return preview;
}

Result<std::vector<SavedTableView>> Service::ListSavedTables(const Principal& who,
                                                             const std::string& connection_id) {
  Impl& m = *impl_;
  const auto tables = SP_TRY(m.deps.store.ListSavedTables(who.org_id, connection_id));
  std::map<TableRef, Mark> marks;
  if (auto doc = m.LoadDoc(who.org_id, connection_id); doc.ok()) {
    for (const auto& cm : (*doc)->doc.column_marks) marks[cm.table] = Mark::kChanged;
  }
  std::vector<SavedTableView> out;
  out.reserve(tables.size());
  for (const auto& t : tables) {
    SavedTableView v = ToView(t);
    if (auto it = marks.find(RefOf(t)); it != marks.end()) v.mark = it->second;
    out.push_back(std::move(v));
  }
  std::sort(out.begin(), out.end(), [](const SavedTableView& a, const SavedTableView& b) {
    return std::tie(a.database, a.schema, a.name) < std::tie(b.database, b.schema, b.name);
  });
  return out;
}

Result<SavedTableDetail> Service::GetSavedTable(const Principal& who,
                                                const std::string& connection_id,
                                                const std::string& table_id) {
  Impl& m = *impl_;
  const store::SavedTable t =
      SP_TRY(m.deps.store.GetSavedTable(who.org_id, connection_id, table_id));
  SavedTableDetail detail;
  detail.table = ToView(t);
  std::map<std::string, Mark> column_marks;
  if (auto doc = m.LoadDoc(who.org_id, connection_id); doc.ok()) {
    const auto& by_table = (*doc)->marks_by_table;
    if (auto it = by_table.find(RefOf(t)); it != by_table.end()) {
      detail.table.mark = Mark::kChanged;
      for (const auto& [name, mark] : it->second->columns) column_marks[name] = mark;
      detail.removed_columns = it->second->removed;
    }
  }
  for (const auto& c : t.columns) {
    SavedColumnView v;
    v.name = c.name;
    v.type = c.type;
    auto family = c.attributes.find("family");
    // The family is the connector's, saved beside the type (the service knows no type system).
    v.family =
        family == c.attributes.end()
            ? warehouse::TypeFamily::kOther
            : warehouse::ParseTypeFamily(family->second).value_or(warehouse::TypeFamily::kOther);
    v.position = c.ordinal;
    v.nullable = c.nullable;
    if (!c.comment.empty() || c.attributes.count("has_comment") != 0) v.comment = c.comment;
    if (auto it = column_marks.find(c.name); it != column_marks.end()) v.mark = it->second;
    detail.columns.push_back(std::move(v));
  }
  return detail;
}

// ---------------------------------------------------------------------------------------------
// Audit and keys

Result<std::vector<AuditView>> Service::ListAudit(const Principal& who, int limit) {
  SP_TRY(impl_->RequireAdmin(who));
  if (limit < 1 || limit > 1000) return InvalidArgument("limit: must be between 1 and 1000");
  std::vector<AuditView> out;
  for (auto& ev : SP_TRY(impl_->deps.store.ListAudit(who.org_id, limit))) {
    out.push_back(AuditView{ev.id, ev.at, ev.actor_id, ev.action, ev.target_id, ev.detail});
  }
  return out;
}

Result<std::string> Service::RotateMasterKey(const Principal& who) {
  Impl& m = *impl_;
  SP_TRY(m.RequireAdmin(who));
  SP_TRY(m.deps.store.RotateMasterKey());
  const crypto::Key current = SP_TRY(m.deps.keys.Current());
  m.Audit(who.org_id, who.user_id, "keys.rotate", "", {{"key_id", current.id}});
  return current.id;
}

Result<std::vector<JobCount>> Service::JobCounts() {
  std::vector<JobCount> out;
  for (const auto& c : SP_TRY(impl_->deps.store.CountJobs()))
    out.push_back(JobCount{c.kind, c.state, c.count});
  return out;
}

// ---------------------------------------------------------------------------------------------
// Conversions

UserView ToView(const store::User& u) {
  return UserView{u.id, u.email, u.role, u.created_at};
}

SavedTableView ToView(const store::SavedTable& t) {
  SavedTableView v;
  v.id = t.id;
  v.database = t.database;
  v.schema = t.schema;
  v.name = t.name;
  v.kind = t.kind;
  if (!t.comment.empty() || t.attributes.count("has_comment") != 0) v.comment = t.comment;
  v.column_count = static_cast<std::int64_t>(t.columns.size());
  v.saved_at = t.saved_at;
  return v;
}

}  // namespace schemaport::service
