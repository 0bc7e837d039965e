// The REST API's routes: request bodies in, service calls, JSON views out.
#include "server/api.h"

#include <nlohmann/json.hpp>

#include <charconv>

#include "server/json_body.h"
#include "server/server.h"

namespace schemaport::server::internal {

namespace {

using nlohmann::json;
using service::Principal;
using service::Service;

constexpr std::size_t kSelectionMaxBody = std::size_t{16} << 20;  // 100,000 explicit tables
constexpr std::size_t kMaxTablesInSelection = 200000;
constexpr std::size_t kMaxPatterns = 1000;

// ------------------------------------------------------------------------------------------
// Views
// ------------------------------------------------------------------------------------------

json Time(Clock::TimePoint t) {
  return FormatIso8601(t);
}
json OptTime(const std::optional<Clock::TimePoint>& t) {
  return t ? json(FormatIso8601(*t)) : json(nullptr);
}
json OptString(const std::optional<std::string>& s) {
  return s ? json(*s) : json(nullptr);
}
json MarkJson(service::Mark mark) {
  return mark == service::Mark::kNone ? json(nullptr) : json(service::MarkName(mark));
}
json ShortError(const Status& s) {
  return {{"code", CodeName(s.code())}, {"message", s.message()}};
}

json UserJson(const service::UserView& u) {
  return {{"id", u.id},
          {"email", u.email},
          {"role", store::RoleName(u.role)},
          {"created_at", Time(u.created_at)}};
}
json OrgJson(const service::OrgView& o) {
  return {{"id", o.id}, {"name", o.name}};
}
json SessionJson(const service::UserView& u, const service::OrgView& o, const std::string& csrf) {
  return {{"user", UserJson(u)}, {"org", OrgJson(o)}, {"csrf_token", csrf}};
}

json ReportJson(const warehouse::TestReport& report) {
  json steps = json::array();
  for (const auto& s : report.steps) {
    steps.push_back({{"id", s.id},
                     {"title", s.title},
                     {"status", warehouse::StepStatusName(s.status)},
                     {"detail", s.detail},
                     {"fix", s.fix}});
  }
  return {{"ok", report.ok()}, {"steps", std::move(steps)}};
}

json ConnectionJson(const service::ConnectionView& c) {
  json settings = json::object();
  for (const auto& [k, v] : c.settings) settings[k] = v;
  return {{"id", c.id},
          {"name", c.name},
          {"data_store", c.data_store},
          {"settings", std::move(settings)},
          {"secrets_set", c.secrets_set},
          {"created_at", Time(c.created_at)},
          {"updated_at", Time(c.updated_at)},
          {"last_fetched_at", OptTime(c.last_fetched_at)},
          {"saved_table_count", c.saved_table_count}};
}

json JobJson(const service::JobView& j) {
  return {{"id", j.id},
          {"kind", j.kind},
          {"state", store::JobStateName(j.state)},
          {"connection_id", j.connection_id},
          {"progress", {{"done", j.done}, {"total", j.total}, {"step", j.step}}},
          {"error", j.error ? ShortError(*j.error) : json(nullptr)},
          {"created_at", Time(j.created_at)},
          {"updated_at", Time(j.updated_at)}};
}

json CatalogJson(const service::CatalogView& c) {
  json databases = json::array();
  for (const auto& db : c.databases) {
    json schemas = json::array();
    for (const auto& sc : db.schemas) {
      json tables = json::array();
      for (const auto& t : sc.tables) {
        tables.push_back(
            {{"name", t.name},
             {"kind", warehouse::TableKindName(t.kind)},
             {"comment", OptString(t.comment)},
             {"can_select", t.can_select},
             {"selected", t.selected},
             {"saved", t.saved},
             {"mark", MarkJson(t.mark)},
             {"column_count", t.column_count ? json(*t.column_count) : json(nullptr)}});
      }
      schemas.push_back({{"name", sc.name},
                         {"kind", warehouse::SchemaKindName(sc.kind)},
                         {"source", OptString(sc.source)},
                         {"tables", std::move(tables)}});
    }
    databases.push_back({{"name", db.name},
                         {"error", db.error ? ShortError(*db.error) : json(nullptr)},
                         {"schemas", std::move(schemas)}});
  }
  json removed = json::array();
  for (const auto& r : c.removed) {
    removed.push_back({{"database", r.database}, {"schema", r.schema}, {"table", r.table}});
  }
  return {{"fetched_at", Time(c.fetched_at)},
          {"table_count", c.table_count},
          {"saved_at", OptTime(c.saved_at)},
          {"case_sensitive", c.case_sensitive},
          {"selection", {{"include", c.selection.include}, {"exclude", c.selection.exclude}}},
          {"databases", std::move(databases)},
          {"removed", std::move(removed)}};
}

json SavedTableJson(const service::SavedTableView& t) {
  const json mark = t.mark == service::Mark::kNew || t.mark == service::Mark::kChanged
                        ? json(service::MarkName(t.mark))
                        : json(nullptr);
  return {{"id", t.id},
          {"database", t.database},
          {"schema", t.schema},
          {"name", t.name},
          {"kind", t.kind},
          {"comment", OptString(t.comment)},
          {"column_count", t.column_count},
          {"saved_at", Time(t.saved_at)},
          {"mark", mark}};
}

}  // namespace

json SavedTableDetailJson(const service::SavedTableDetail& d) {
  json out = SavedTableJson(d.table);
  json columns = json::array();
  for (const auto& c : d.columns) {
    const json mark = c.mark == service::Mark::kNew || c.mark == service::Mark::kChanged
                          ? json(service::MarkName(c.mark))
                          : json(nullptr);
    columns.push_back({{"name", c.name},
                       {"type", c.type},
                       {"family", warehouse::TypeFamilyName(c.family)},
                       {"position", c.position},
                       {"nullable", c.nullable},
                       {"comment", OptString(c.comment)},
                       {"mark", mark}});
  }
  out["columns"] = std::move(columns);
  out["removed_columns"] = d.removed_columns;
  return out;
}

std::string SavedTableDetailBody(const service::SavedTableDetail& d) {
  const auto mark = [](JsonText& out, service::Mark m) -> JsonText& {
    return m == service::Mark::kNew || m == service::Mark::kChanged
               ? out.String(service::MarkName(m))
               : out.Null();
  };
  const service::SavedTableView& t = d.table;
  JsonText out;
  // Keys in sorted order, as Dump() writes them.
  out.BeginObject().Key("column_count").Int(t.column_count).Key("columns").BeginArray();
  for (const auto& c : d.columns) {
    out.BeginObject().Key("comment").OptString(c.comment);
    out.Key("family").String(warehouse::TypeFamilyName(c.family)).Key("mark");
    mark(out, c.mark).Key("name").String(c.name).Key("nullable").Bool(c.nullable);
    out.Key("position").Int(c.position).Key("type").String(c.type).EndObject();
  }
  out.EndArray().Key("comment").OptString(t.comment).Key("database").String(t.database);
  out.Key("id").String(t.id).Key("kind").String(t.kind).Key("mark");
  mark(out, t.mark).Key("name").String(t.name).Key("removed_columns").BeginArray();
  for (const auto& name : d.removed_columns) out.String(name);
  out.EndArray().Key("saved_at").String(FormatIso8601(t.saved_at));
  out.Key("schema").String(t.schema).EndObject();
  if (!out.ok()) return Dump(SavedTableDetailJson(d));
  return out.Take();
}

namespace {

json RefJson(const std::string& table_id, const warehouse::TableRef& ref) {
  return {{"table_id", table_id},
          {"database", ref.database},
          {"schema", ref.schema},
          {"name", ref.table}};
}

json DataMapTableJson(const service::DataMapTable& t) {
  return {{"id", t.id},
          {"database", t.ref.database},
          {"schema", t.ref.schema},
          {"name", t.ref.table},
          {"kind", t.kind},
          {"comment", OptString(t.comment)},
          {"column_count", t.column_count},
          {"primary_key", t.primary_key},
          {"unique_keys", t.unique_keys.empty() ? json::array() : json(t.unique_keys)},
          {"role", datamap::TableRoleName(t.role.role)},
          {"suggested_role", datamap::TableRoleName(t.role.suggested)},
          {"role_overridden", t.role.overridden},
          {"role_reason", t.role.reason}};
}

json RelationshipJson(const service::DataMapRelationship& v) {
  const datamap::Relationship& r = v.relationship;
  return {{"id", r.id},
          {"from", RefJson(v.from_table_id, r.from)},
          {"from_columns", r.from_columns},
          {"to", RefJson(v.to_table_id, r.to)},
          {"to_columns", r.to_columns},
          {"status", datamap::RelationshipStatusName(r.status)},
          {"constraint_name", r.declared() ? json(r.constraint_name) : json(nullptr)},
          {"confidence", r.confidence},
          {"evidence", r.evidence.empty() ? json::array() : json(r.evidence)},
          {"mark", MarkJson(v.mark)}};
}

json DataMapJson(const service::DataMapView& m) {
  json tables = json::array();
  for (const auto& t : m.tables) tables.push_back(DataMapTableJson(t));
  json relationships = json::array();
  for (const auto& r : m.relationships) relationships.push_back(RelationshipJson(r));
  json removed = json::array();
  for (const auto& r : m.removed_relationships) removed.push_back(RelationshipJson(r));
  const auto& c = m.counts;
  return {{"saved_at", OptTime(m.saved_at)},
          {"tables", std::move(tables)},
          {"relationships", std::move(relationships)},
          {"removed_relationships", std::move(removed)},
          {"counts",
           {{"tables", c.tables},
            {"relationships", c.relationships},
            {"declared", c.declared},
            {"inferred", c.inferred},
            {"accepted", c.accepted},
            {"rejected", c.rejected}}}};
}

json TokenJson(const service::ApiTokenView& t) {
  return {{"id", t.id},
          {"name", t.name},
          {"created_at", Time(t.created_at)},
          {"expires_at", OptTime(t.expires_at)}};
}

json AuditJson(const service::AuditView& e) {
  return {{"id", e.id},         {"at", Time(e.at)},         {"actor_id", e.actor_id},
          {"action", e.action}, {"target_id", e.target_id}, {"detail", e.detail}};
}

json DataStoresJson(const std::vector<service::DataStore>& stores) {
  json out = json::array();
  for (const auto& s : stores) {
    json fields = json::array();
    for (const auto& f : s.fields) {
      fields.push_back({{"id", f.id},
                        {"label", f.label},
                        {"kind", f.kind},
                        {"required", f.required},
                        {"help", f.help},
                        {"placeholder", f.placeholder},
                        {"group", f.group},
                        {"options", f.options}});
    }
    out.push_back({{"id", s.id}, {"label", s.label}, {"fields", std::move(fields)}});
  }
  return {{"data_stores", std::move(out)}};
}

// ------------------------------------------------------------------------------------------
// Replies and request bodies
// ------------------------------------------------------------------------------------------

Reply JsonReply(int status, const json& body) {
  Reply r;
  r.status = status;
  r.body = Dump(body);
  return r;
}
Reply NoContent() {
  Reply r;
  r.status = 204;
  r.content_type.clear();
  return r;
}

Result<store::Role> ParseRole(const std::string& role) {
  if (role == "admin") return store::Role::kAdmin;
  if (role == "member") return store::Role::kMember;
  return InvalidArgument("role: must be \"admin\" or \"member\"");
}

// An empty body or {} (routes that take no input).
Status NoInput(const Call& call) {
  const JsonBody body = SP_TRY(JsonBody::Parse(call.body, /*empty_ok=*/true));
  return body.Only({});
}

Result<std::map<std::string, Secret>> ReadSecrets(const JsonBody& body) {
  std::map<std::string, Secret> out;
  auto secrets = SP_TRY(body.OptStringMap("secrets"));
  if (secrets) {
    for (auto& [k, v] : *secrets) {
      out.emplace(k, Secret(std::move(v)));
      std::fill(v.begin(), v.end(), '\0');
    }
  }
  return out;
}

Result<service::ConnectionInput> ReadConnectionInput(const Call& call, bool name_required) {
  const JsonBody body = SP_TRY(JsonBody::Parse(call.body, false));
  SP_TRY(body.Only({"name", "data_store", "settings", "secrets"}));
  service::ConnectionInput input;
  if (name_required) {
    input.name = SP_TRY(body.String("name"));
  } else {
    input.name = SP_TRY(body.OptString("name")).value_or("");
  }
  input.data_store = SP_TRY(body.String("data_store"));
  auto settings = SP_TRY(body.OptStringMap("settings"));
  if (!settings) return InvalidArgument("settings: is required");
  input.settings = std::move(*settings);
  input.secrets = SP_TRY(ReadSecrets(body));
  return input;
}

Result<service::Selection> ReadSelection(const Call& call) {
  const JsonBody body = SP_TRY(JsonBody::Parse(call.body, false));
  SP_TRY(body.Only({"tables", "include", "exclude"}));
  service::Selection selection;
  const auto tables = SP_TRY(body.ObjectArray("tables", kMaxTablesInSelection));
  selection.tables.reserve(tables.size());
  for (const auto& t : tables) {
    SP_TRY(t.Only({"database", "schema", "table"}));
    warehouse::TableRef ref;
    ref.database = SP_TRY(t.String("database"));
    ref.schema = SP_TRY(t.String("schema"));
    ref.table = SP_TRY(t.String("table"));
    selection.tables.push_back(std::move(ref));
  }
  selection.include = SP_TRY(body.StringArray("include", kMaxPatterns));
  selection.exclude = SP_TRY(body.StringArray("exclude", kMaxPatterns));
  return selection;
}

Result<int> QueryInt(const Call& call, std::string_view name, int fallback, int min, int max) {
  if (call.query == nullptr) return fallback;
  auto it = call.query->find(std::string(name));
  if (it == call.query->end()) return fallback;
  int v = 0;
  const std::string& text = it->second;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < min || v > max) {
    return InvalidArgument(fmt::format("{}: must be an integer between {} and {}", name, min, max));
  }
  return v;
}

class Api {
 public:
  Api(Service& service, const Clock& clock) : s_(service), clock_(clock) {}

  std::vector<Route> Routes() {
    std::vector<Route> r;
    auto add = [&](std::string method, std::string pattern, Access access,
                   Result<Reply> (Api::*fn)(Call&), std::size_t max_body = 0) {
      Route route;
      route.method = std::move(method);
      route.pattern = std::move(pattern);
      route.access = access;
      route.max_body_bytes = max_body;
      route.handler = [this, fn](Call& c) { return (this->*fn)(c); };
      r.push_back(std::move(route));
    };
    const auto kPub = Access::kPublic;
    const auto kAuth = Access::kAuthenticated;
    add("GET", "/healthz", kPub, &Api::Health);
    add("GET", "/api/v1/openapi.yaml", kPub, &Api::OpenApi);
    add("GET", "/api/v1/setup", kPub, &Api::SetupNeeded);
    add("POST", "/api/v1/setup", kPub, &Api::Setup);
    add("POST", "/api/v1/auth/login", kPub, &Api::Login);
    add("POST", "/api/v1/auth/logout", kAuth, &Api::Logout);
    add("POST", "/api/v1/auth/password", kAuth, &Api::ChangePassword);
    add("GET", "/api/v1/me", kAuth, &Api::Me);
    add("GET", "/api/v1/data-stores", kAuth, &Api::DataStores);
    add("POST", "/api/v1/connections/test", kAuth, &Api::TestSettings);
    add("GET", "/api/v1/connections", kAuth, &Api::ListConnections);
    add("POST", "/api/v1/connections", kAuth, &Api::CreateConnection);
    add("GET", "/api/v1/connections/{id}", kAuth, &Api::GetConnection);
    add("PATCH", "/api/v1/connections/{id}", kAuth, &Api::UpdateConnection);
    add("DELETE", "/api/v1/connections/{id}", kAuth, &Api::DeleteConnection);
    add("POST", "/api/v1/connections/{id}/test", kAuth, &Api::TestConnection);
    add("POST", "/api/v1/connections/{id}/metadata/fetch", kAuth, &Api::Fetch);
    add("POST", "/api/v1/connections/{id}/metadata/refresh", kAuth, &Api::Refresh);
    add("GET", "/api/v1/connections/{id}/metadata/catalog", kAuth, &Api::Catalog);
    add("POST", "/api/v1/connections/{id}/metadata/selection/preview", kAuth, &Api::Preview,
        kSelectionMaxBody);
    add("PUT", "/api/v1/connections/{id}/metadata/selection", kAuth, &Api::SaveSelection,
        kSelectionMaxBody);
    add("GET", "/api/v1/connections/{id}/metadata/tables", kAuth, &Api::SavedTables);
    add("GET", "/api/v1/connections/{id}/metadata/tables/{table_id}", kAuth, &Api::SavedTable);
    add("GET", "/api/v1/connections/{id}/datamap", kAuth, &Api::DataMap);
    add("PUT", "/api/v1/connections/{id}/datamap/relationships/{relationship_id}", kAuth,
        &Api::DecideRelationship);
    add("PUT", "/api/v1/connections/{id}/datamap/roles/{table_id}", kAuth, &Api::SetRole);
    add("GET", "/api/v1/connections/{id}/datamap/export", kAuth, &Api::ExportDataMap);
    add("GET", "/api/v1/jobs/{id}", kAuth, &Api::GetJob);
    add("DELETE", "/api/v1/jobs/{id}", kAuth, &Api::CancelJob);
    add("GET", "/api/v1/users", kAuth, &Api::ListUsers);
    add("POST", "/api/v1/users", kAuth, &Api::CreateUser);
    add("DELETE", "/api/v1/users/{id}", kAuth, &Api::DeleteUser);
    add("GET", "/api/v1/tokens", kAuth, &Api::ListTokens);
    add("POST", "/api/v1/tokens", kAuth, &Api::CreateToken);
    add("DELETE", "/api/v1/tokens/{id}", kAuth, &Api::RevokeToken);
    add("POST", "/api/v1/keys/rotate", kAuth, &Api::RotateKeys);
    add("GET", "/api/v1/audit", kAuth, &Api::Audit);
    return r;
  }

 private:
  const Principal& Who(const Call& c) { return *c.who; }

  Result<Reply> Health(Call&) { return JsonReply(200, {{"status", "ok"}}); }

  Result<Reply> OpenApi(Call&) {
    Reply r;
    r.body = std::string(OpenApiYaml());
    r.content_type = "application/yaml";
    return r;
  }

  Result<Reply> SetupNeeded(Call&) {
    const bool needed = SP_TRY(s_.SetupNeeded());
    return JsonReply(200, {{"needed", needed}});
  }

  Reply SignedInReply(int status, const service::SignedIn& in) {
    Reply r = JsonReply(status, SessionJson(in.user, in.org, in.csrf_token));
    const auto max_age =
        std::chrono::duration_cast<std::chrono::seconds>(in.expires_at - clock_.Now());
    r.headers.emplace_back(
        "Set-Cookie", SessionCookie(in.session_token, std::max(max_age, std::chrono::seconds(1))));
    return r;
  }

  Result<Reply> Setup(Call& c) {
    const JsonBody body = SP_TRY(JsonBody::Parse(c.body, false));
    SP_TRY(body.Only({"token", "organization", "email", "password"}));
    const Secret token = SP_TRY(body.SecretField("token"));
    const std::string organization = SP_TRY(body.String("organization"));
    const std::string email = SP_TRY(body.String("email"));
    const Secret password = SP_TRY(body.SecretField("password"));
    const service::SignedIn in = SP_TRY(s_.Setup(token, organization, email, password));
    return SignedInReply(201, in);
  }

  Result<Reply> Login(Call& c) {
    const JsonBody body = SP_TRY(JsonBody::Parse(c.body, false));
    SP_TRY(body.Only({"email", "password"}));
    const std::string email = SP_TRY(body.String("email"));
    const Secret password = SP_TRY(body.SecretField("password"));
    const service::SignedIn in = SP_TRY(s_.Login(email, password, c.address));
    return SignedInReply(200, in);
  }

  Result<Reply> Logout(Call& c) {
    SP_TRY(NoInput(c));
    if (c.session_token != nullptr) SP_TRY(s_.Logout(*c.session_token));
    Reply r = NoContent();
    r.headers.emplace_back("Set-Cookie", ClearSessionCookie());
    return r;
  }

  Result<Reply> ChangePassword(Call& c) {
    const JsonBody body = SP_TRY(JsonBody::Parse(c.body, false));
    SP_TRY(body.Only({"current_password", "new_password"}));
    const Secret current = SP_TRY(body.SecretField("current_password"));
    const Secret next = SP_TRY(body.SecretField("new_password"));
    SP_TRY(s_.ChangePassword(Who(c), current, next));
    return NoContent();
  }

  Result<Reply> Me(Call& c) {
    const service::Me me = SP_TRY(s_.GetMe(Who(c)));
    const std::string csrf = c.session_token != nullptr ? s_.CsrfToken(*c.session_token) : "";
    return JsonReply(200, SessionJson(me.user, me.org, csrf));
  }

  Result<Reply> DataStores(Call&) { return JsonReply(200, DataStoresJson(s_.DataStores())); }

  Result<Reply> TestSettings(Call& c) {
    const auto input = SP_TRY(ReadConnectionInput(c, /*name_required=*/false));
    const auto report = SP_TRY(s_.TestSettings(Who(c), input));
    return JsonReply(200, ReportJson(report));
  }

  Result<Reply> ListConnections(Call& c) {
    const auto list = SP_TRY(s_.ListConnections(Who(c)));
    json out = json::array();
    for (const auto& conn : list) out.push_back(ConnectionJson(conn));
    return JsonReply(200, {{"connections", std::move(out)}});
  }

  Result<Reply> CreateConnection(Call& c) {
    const auto input = SP_TRY(ReadConnectionInput(c, /*name_required=*/true));
    const auto conn = SP_TRY(s_.CreateConnection(Who(c), input));
    return JsonReply(201, ConnectionJson(conn));
  }

  Result<Reply> GetConnection(Call& c) {
    const auto conn = SP_TRY(s_.GetConnection(Who(c), c.params[0]));
    return JsonReply(200, ConnectionJson(conn));
  }

  Result<Reply> UpdateConnection(Call& c) {
    const JsonBody body = SP_TRY(JsonBody::Parse(c.body, false));
    SP_TRY(body.Only({"name", "settings", "secrets"}));
    service::ConnectionPatch patch;
    patch.name = SP_TRY(body.OptString("name"));
    patch.settings = SP_TRY(body.OptStringMap("settings"));
    patch.secrets = SP_TRY(ReadSecrets(body));
    const auto conn = SP_TRY(s_.UpdateConnection(Who(c), c.params[0], patch));
    return JsonReply(200, ConnectionJson(conn));
  }

  Result<Reply> DeleteConnection(Call& c) {
    SP_TRY(NoInput(c));
    SP_TRY(s_.DeleteConnection(Who(c), c.params[0]));
    return NoContent();
  }

  Result<Reply> TestConnection(Call& c) {
    SP_TRY(NoInput(c));
    const auto report = SP_TRY(s_.TestConnection(Who(c), c.params[0]));
    return JsonReply(200, ReportJson(report));
  }

  Result<Reply> Fetch(Call& c) {
    const JsonBody body = SP_TRY(JsonBody::Parse(c.body, true));
    SP_TRY(body.Only({"databases"}));
    const auto databases = SP_TRY(body.StringArray("databases", 1000));
    const auto job = SP_TRY(s_.StartFetch(Who(c), c.params[0], databases));
    return JsonReply(202, {{"job", JobJson(job)}});
  }

  Result<Reply> Refresh(Call& c) {
    SP_TRY(NoInput(c));
    const auto job = SP_TRY(s_.StartRefresh(Who(c), c.params[0]));
    return JsonReply(202, {{"job", JobJson(job)}});
  }

  Result<Reply> Catalog(Call& c) {
    const auto catalog = SP_TRY(s_.GetCatalog(Who(c), c.params[0]));
    return JsonReply(200, CatalogJson(catalog));
  }

  Result<Reply> Preview(Call& c) {
    const auto selection = SP_TRY(ReadSelection(c));
    const auto preview = SP_TRY(s_.PreviewSelection(Who(c), c.params[0], selection));
    return JsonReply(200, {{"selected", preview.selected},
                           {"matched_by_patterns", preview.matched_by_patterns}});
  }

  Result<Reply> SaveSelection(Call& c) {
    const auto selection = SP_TRY(ReadSelection(c));
    const auto started = SP_TRY(s_.SaveSelection(Who(c), c.params[0], selection));
    return JsonReply(202, {{"job", JobJson(started.job)}, {"selected", started.selected}});
  }

  Result<Reply> SavedTables(Call& c) {
    const auto tables = SP_TRY(s_.ListSavedTables(Who(c), c.params[0]));
    json out = json::array();
    for (const auto& t : tables) out.push_back(SavedTableJson(t));
    return JsonReply(200, {{"tables", std::move(out)}});
  }

  Result<Reply> SavedTable(Call& c) {
    const auto detail = SP_TRY(s_.GetSavedTable(Who(c), c.params[0], c.params[1]));
    Reply r;
    r.body = SavedTableDetailBody(detail);
    return r;
  }

  Result<Reply> DataMap(Call& c) {
    const auto map = SP_TRY(s_.GetDataMap(Who(c), c.params[0]));
    return JsonReply(200, DataMapJson(map));
  }

  Result<Reply> DecideRelationship(Call& c) {
    const JsonBody body = SP_TRY(JsonBody::Parse(c.body, false));
    SP_TRY(body.Only({"decision"}));
    const auto text = SP_TRY(body.NullableString("decision"));
    std::optional<datamap::Decision> decision;
    if (text) {
      decision = datamap::ParseDecision(*text);
      if (!decision) return InvalidArgument("decision: must be \"accept\", \"reject\" or null");
    }
    const auto r = SP_TRY(s_.SetRelationshipDecision(Who(c), c.params[0], c.params[1], decision));
    return JsonReply(200, RelationshipJson(r));
  }

  Result<Reply> SetRole(Call& c) {
    const JsonBody body = SP_TRY(JsonBody::Parse(c.body, false));
    SP_TRY(body.Only({"role"}));
    const auto text = SP_TRY(body.NullableString("role"));
    std::optional<datamap::TableRole> role;
    if (text) {
      role = datamap::ParseTableRole(*text);
      if (!role) {
        return InvalidArgument("role: must be \"fact\", \"dimension\", \"lookup\" or null");
      }
    }
    const auto table = SP_TRY(s_.SetTableRole(Who(c), c.params[0], c.params[1], role));
    return JsonReply(200, DataMapTableJson(table));
  }

  Result<Reply> ExportDataMap(Call& c) {
    constexpr std::string_view kFormats = "format: must be one of catalog-json, dbt, ddl, markdown";
    if (c.query == nullptr || c.query->count("format") != 1) {
      return InvalidArgument(std::string(kFormats));
    }
    const auto format = datamap::ParseExportFormat(c.query->find("format")->second);
    if (!format) return InvalidArgument(std::string(kFormats));
    const auto out = SP_TRY(s_.ExportDataMap(Who(c), c.params[0], *format));
    Reply r;
    r.body = out.bytes;
    r.content_type = out.content_type;
    r.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + out.file_name + "\"");
    return r;
  }

  Result<Reply> GetJob(Call& c) {
    const auto job = SP_TRY(s_.GetJob(Who(c), c.params[0]));
    return JsonReply(200, JobJson(job));
  }

  Result<Reply> CancelJob(Call& c) {
    SP_TRY(NoInput(c));
    const auto job = SP_TRY(s_.CancelJob(Who(c), c.params[0]));
    return JsonReply(202, JobJson(job));
  }

  Result<Reply> ListUsers(Call& c) {
    const auto users = SP_TRY(s_.ListUsers(Who(c)));
    json out = json::array();
    for (const auto& u : users) out.push_back(UserJson(u));
    return JsonReply(200, {{"users", std::move(out)}});
  }

  Result<Reply> CreateUser(Call& c) {
    const JsonBody body = SP_TRY(JsonBody::Parse(c.body, false));
    SP_TRY(body.Only({"email", "password", "role"}));
    const std::string email = SP_TRY(body.String("email"));
    const Secret password = SP_TRY(body.SecretField("password"));
    const auto role = SP_TRY(ParseRole(SP_TRY(body.String("role"))));
    const auto user = SP_TRY(s_.CreateUser(Who(c), email, password, role));
    return JsonReply(201, UserJson(user));
  }

  Result<Reply> DeleteUser(Call& c) {
    SP_TRY(NoInput(c));
    SP_TRY(s_.DeleteUser(Who(c), c.params[0]));
    return NoContent();
  }

  Result<Reply> ListTokens(Call& c) {
    const auto tokens = SP_TRY(s_.ListApiTokens(Who(c)));
    json out = json::array();
    for (const auto& t : tokens) out.push_back(TokenJson(t));
    return JsonReply(200, {{"tokens", std::move(out)}});
  }

  Result<Reply> CreateToken(Call& c) {
    const JsonBody body = SP_TRY(JsonBody::Parse(c.body, false));
    SP_TRY(body.Only({"name", "expires_in_days"}));
    const std::string name = SP_TRY(body.String("name"));
    const auto days = SP_TRY(body.OptInt("expires_in_days", 1, 3650));
    const auto issued = SP_TRY(s_.CreateApiToken(
        Who(c), name, days ? std::optional<int>(static_cast<int>(*days)) : std::nullopt));
    return JsonReply(201, {{"token", TokenJson(issued.token)}, {"secret", issued.secret.Reveal()}});
  }

  Result<Reply> RevokeToken(Call& c) {
    SP_TRY(NoInput(c));
    SP_TRY(s_.RevokeApiToken(Who(c), c.params[0]));
    return NoContent();
  }

  Result<Reply> RotateKeys(Call& c) {
    SP_TRY(NoInput(c));
    const std::string key_id = SP_TRY(s_.RotateMasterKey(Who(c)));
    return JsonReply(200, {{"rotated", true}, {"key_id", key_id}});
  }

  Result<Reply> Audit(Call& c) {
    const int limit = SP_TRY(QueryInt(c, "limit", 100, 1, 1000));
    const auto events = SP_TRY(s_.ListAudit(Who(c), limit));
    json out = json::array();
    for (const auto& e : events) out.push_back(AuditJson(e));
    return JsonReply(200, {{"events", std::move(out)}});
  }

  Service& s_;
  const Clock& clock_;
};

}  // namespace

std::string SessionCookie(const Secret& token, std::chrono::seconds max_age) {
  return fmt::format("{}={}; Path=/; Max-Age={}; HttpOnly; Secure; SameSite=Strict", kSessionCookie,
                     token.Reveal(), max_age.count());
}

std::string ClearSessionCookie() {
  return fmt::format("{}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict", kSessionCookie);
}

std::vector<Route> ApiRoutes(Service& service, const Clock& clock) {
  // The Api object lives as long as the routes' handlers (shared by them).
  auto api = std::make_shared<Api>(service, clock);
  std::vector<Route> routes = api->Routes();
  for (auto& r : routes) {
    r.handler = [api, inner = std::move(r.handler)](Call& c) { return inner(c); };
  }
  return routes;
}

int HttpStatus(Code code) {
  switch (code) {
    case Code::kOk: return 200;
    case Code::kInvalidArgument: return 400;
    case Code::kUnauthenticated: return 401;
    case Code::kPermissionDenied: return 403;
    case Code::kNotFound: return 404;
    case Code::kAlreadyExists:
    case Code::kFailedPrecondition:
    case Code::kCancelled: return 409;
    case Code::kResourceExhausted: return 429;
    case Code::kUnavailable: return 503;
    case Code::kTimeout: return 504;
    case Code::kDataLoss:
    case Code::kInternal: return 500;
  }
  return 500;
}

std::string ErrorBody(std::string_view code, std::string_view message,
                      std::string_view request_id) {
  return Dump({{"error", {{"code", code}, {"message", message}, {"request_id", request_id}}}});
}

}  // namespace schemaport::server::internal
