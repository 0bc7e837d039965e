#include "cli/remote.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <thread>

#include "cli/api_client.h"
#include "warehouse/warehouse.h"

namespace schemaport::cli {

namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// Reads a secret from a file, or from stdin for "-" (one line; the trailing newline dropped).
Result<Secret> ReadSecret(const std::string& source, std::istream& in, std::string_view what) {
  std::string text;
  if (source == "-") {
    std::getline(in, text);
  } else {
    std::ifstream f(source, std::ios::binary);
    if (!f) return InvalidArgument(std::string(what) + ": cannot read " + source);
    std::getline(f, text);
  }
  while (!text.empty() && (text.back() == '\r' || text.back() == '\n')) text.pop_back();
  if (text.empty()) return InvalidArgument(std::string(what) + ": is empty");
  return Secret(text);
}

std::string Str(const json& j, const char* key, const std::string& fallback = "") {
  if (!j.is_object() || !j.contains(key) || !j[key].is_string()) return fallback;
  return j[key].get<std::string>();
}

std::string Num(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number()) return "-";
  return std::to_string(j[key].get<long long>());
}

// Columns padded to their widest cell.
void PrintTable(std::ostream& out, const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width;
  for (const auto& r : rows) {
    for (std::size_t i = 0; i < r.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], r[i].size());
    }
  }
  for (const auto& r : rows) {
    std::string line;
    for (std::size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 2, ' ');
    }
    out << line << "\n";
  }
}

const char* kKindBadge(const std::string& kind) {
  if (kind == "view") return " [view]";
  if (kind == "late_binding_view") return " [late-binding view]";
  if (kind == "materialized_view") return " [materialized view]";
  if (kind == "external_table") return " [external]";
  return "";
}

// "db.schema.table" split on the first two dots (names with dots: use the table id instead).
Result<warehouse::TableRef> ParseTableRef(const std::string& text) {
  const auto a = text.find('.');
  const auto b = a == std::string::npos ? a : text.find('.', a + 1);
  if (b == std::string::npos) return InvalidArgument("'" + text + "' is not database.schema.table");
  return warehouse::TableRef{text.substr(0, a), text.substr(a + 1, b - a - 1), text.substr(b + 1)};
}

}  // namespace

struct RemoteCommands::Impl {
  // Shared options.
  std::string server, ca_file;
  bool json_out = false;
  bool no_wait = false;

  // Connection input.
  std::string name, region, workgroup, cluster, db_user, database, secret_arn, role_arn,
      external_id, access_key_id, secret_key_file;
  std::string id, table;
  std::vector<std::string> databases, tables, include, exclude;
  std::string filter;
  std::string email, password_file = "-", token_name;
  int expires_in_days = 0;
  std::string shell;

  CLI::App* login = nullptr;
  CLI::App* logout = nullptr;
  CLI::App *c_test, *c_create, *c_list, *c_show, *c_update, *c_delete;
  CLI::App *m_fetch, *m_tree, *m_select, *m_save, *m_refresh, *m_tables, *m_show;
  CLI::App *t_create, *t_list, *t_revoke;
  CLI::App *d_show, *d_relationships, *d_accept, *d_reject, *d_clear, *d_role, *d_export;
  CLI::App *version, *completion;

  // Data Map input.
  std::string relationship_id, role, format, output;

  // Run-time.
  const Environment* env = nullptr;
  std::istream* in = nullptr;
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
  bool terminal = false;
  std::unique_ptr<ApiClient> api;

  void Common(CLI::App* c) {
    c->add_option("--server", server,
                  "schemaport server URL (or SCHEMAPORT_SERVER, or the CLI config file)");
    c->add_option("--ca-file", ca_file,
                  "PEM file to verify the server's certificate (self-signed servers)");
    c->add_flag("--json", json_out, "print JSON (the API's shapes) instead of text");
  }
  void ConnectionFlags(CLI::App* c) {
    c->add_option("--name", name, "Connection name");
    c->add_option("--region", region, "AWS Region, e.g. us-east-1");
    c->add_option("--workgroup", workgroup, "Redshift Serverless workgroup");
    c->add_option("--cluster-identifier", cluster, "provisioned cluster identifier");
    c->add_option("--database-user", db_user, "provisioned only: the database user (optional)");
    c->add_option("--database", database, "the database to connect to");
    c->add_option("--secret-arn", secret_arn,
                  "Secrets Manager secret with database credentials (optional)");
    c->add_option("--role-arn", role_arn, "IAM role to assume (optional)");
    c->add_option("--external-id", external_id, "AssumeRole external id (optional)");
    c->add_option("--access-key-id", access_key_id, "the IAM user's Access Key ID");
    c->add_option("--secret-key-file", secret_key_file,
                  "read the Secret Key from this file, or from stdin with '-' (never an argument)");
  }
  void SelectionFlags(CLI::App* c) {
    c->add_option("--table", tables, "a table to select, database.schema.table (repeatable)");
    c->add_option("--include", include,
                  "select tables matching database.schema.table globs (repeatable)");
    c->add_option("--exclude", exclude, "but not those matching these globs (repeatable)");
  }

  explicit Impl(CLI::App& app) {
    login = app.add_subcommand("login",
                               "Log in to a server and keep an API token in the CLI config file");
    Common(login);
    login->add_option("--email", email, "your e-mail")->required();
    login->add_option("--password-file", password_file,
                      "read the password from this file ('-': stdin, the default)");
    login->add_option("--token-name", token_name,
                      "name of the API token to create (default: cli@<host>)");
    logout = app.add_subcommand("logout", "Revoke the token `login` created and forget it");
    Common(logout);

    auto* conns =
        app.add_subcommand("connections", "Create, test, list, change and delete connections");
    conns->require_subcommand(1);
    c_test =
        conns->add_subcommand("test", "Test a saved connection (ID) or unsaved settings (flags)");
    c_test->add_option("ID", id, "a saved connection's id");
    ConnectionFlags(c_test);
    c_create = conns->add_subcommand("create",
                                     "Save a connection (test it first with `connections test`)");
    ConnectionFlags(c_create);
    c_list = conns->add_subcommand("list", "List the organization's connections");
    c_show = conns->add_subcommand("show", "Show one connection (never its secrets)");
    c_show->add_option("ID", id, "connection id")->required();
    c_update = conns->add_subcommand("update",
                                     "Change a connection: settings given replace the saved ones");
    c_update->add_option("ID", id, "connection id")->required();
    ConnectionFlags(c_update);
    c_delete =
        conns->add_subcommand("delete", "Delete a connection and its metadata (crypto-shredded)");
    c_delete->add_option("ID", id, "connection id")->required();
    for (auto* c : {c_test, c_create, c_list, c_show, c_update, c_delete}) Common(c);

    auto* meta =
        app.add_subcommand("metadata", "Fetch, select, save and refresh a connection's metadata");
    meta->require_subcommand(1);
    m_fetch =
        meta->add_subcommand("fetch", "Fetch databases, schemas and tables (a job; waits for it)");
    m_fetch->add_option("--database", databases, "fetch only these databases (repeatable)");
    m_tree = meta->add_subcommand("tree",
                                  "Show the fetched tree with selection, badges and change marks");
    m_tree->add_option("--filter", filter,
                       "show only tables matching this database.schema.table glob");
    m_select = meta->add_subcommand(
        "select",
        "Select tables (by name and patterns): shows what they match and keeps the selection "
        "for the next `metadata save` of the connection");
    SelectionFlags(m_select);
    m_save = meta->add_subcommand(
        "save",
        "Save Metadata of the selection (a job; waits for it). Without --table/--include: what "
        "`metadata select` chose, else the saved selection again (after a refresh)");
    SelectionFlags(m_save);
    m_refresh =
        meta->add_subcommand("refresh", "Fetch again and mark what changed (a job; waits for it)");
    m_tables = meta->add_subcommand("tables", "List the saved tables");
    m_show = meta->add_subcommand("show", "Show a saved table with its columns");
    // Positionals fill in the order they are added: CONNECTION first, as docs/cli.md writes
    // `metadata show ID TABLE`.
    for (auto* c : {m_fetch, m_tree, m_select, m_save, m_refresh, m_tables, m_show}) {
      c->add_option("CONNECTION", id, "connection id")->required();
      Common(c);
    }
    m_show->add_option("TABLE", table, "table id, or database.schema.table")->required();
    for (auto* c : {m_fetch, m_save, m_refresh}) {
      c->add_flag("--no-wait", no_wait, "print the job and return without waiting");
    }

    auto* dm = app.add_subcommand(
        "datamap", "The Data Map: relationships, decisions, table roles and exports");
    dm->require_subcommand(1);
    d_show = dm->add_subcommand("show", "Show the saved tables with their roles and counts");
    d_relationships = dm->add_subcommand(
        "relationships", "List the relationships (declared, inferred, accepted, rejected)");
    d_relationships->add_option("--table", table,
                                "only those with this table (its id) at either end");
    d_accept = dm->add_subcommand("accept", "Accept an inferred relationship (REL_ID)");
    d_reject = dm->add_subcommand("reject", "Reject an inferred relationship (REL_ID)");
    d_clear = dm->add_subcommand("clear", "Clear the decision on a relationship (REL_ID)");
    for (auto* c : {d_accept, d_reject, d_clear}) {
      c->add_option("REL_ID", relationship_id, "relationship id (16 hex digits)")->required();
    }
    d_role = dm->add_subcommand("role", "Set a table's role, or `auto` for the suggestion");
    d_role->add_option("TABLE_ID", table, "saved table id")->required();
    d_role->add_option("ROLE", role, "fact, dimension, lookup or auto")
        ->required()
        ->check(CLI::IsMember({"fact", "dimension", "lookup", "auto"}));
    d_export = dm->add_subcommand(
        "export", "Download the Data Map as catalog JSON, dbt sources, DDL or Markdown");
    d_export->add_option("--format", format, "catalog-json, dbt, ddl or markdown")
        ->required()
        ->check(CLI::IsMember({"catalog-json", "dbt", "ddl", "markdown"}));
    d_export->add_option("--output", output, "write to this file (default: stdout)");
    for (auto* c : {d_show, d_relationships, d_accept, d_reject, d_clear, d_role, d_export}) {
      c->add_option("--connection", id, "connection id")->required();
      Common(c);
    }

    auto* tokens = app.add_subcommand("tokens", "Create, list and revoke API tokens");
    tokens->require_subcommand(1);
    t_create = tokens->add_subcommand("create", "Create an API token (its secret is shown once)");
    t_create->add_option("--name", token_name, "what the token is for")->required();
    t_create
        ->add_option("--expires-in-days", expires_in_days,
                     "days until it expires (default: the server's)")
        ->check(CLI::Range(1, 3650));
    t_list = tokens->add_subcommand("list", "List your API tokens (never their secrets)");
    t_revoke = tokens->add_subcommand("revoke", "Revoke an API token");
    t_revoke->add_option("ID", id, "token id")->required();
    for (auto* c : {t_create, t_list, t_revoke}) Common(c);

    version = app.add_subcommand("version", "Print the version");
    version->add_flag("--json", json_out, "print JSON");
    completion =
        app.add_subcommand("completion", "Print the shell completion script (bash or zsh)");
    completion->add_option("SHELL", shell, "bash or zsh")
        ->required()
        ->check(CLI::IsMember({"bash", "zsh"}));
  }

  int Fail(const Status& st, int code) {
    *err << "schemaport: " << st.message() << "\n";
    return code;
  }
  int Fail(const Status& st) { return Fail(st, ExitCodeFor(st)); }

  Status Connect(bool need_token = true) {
    ClientSettings settings = SP_TRY(ResolveClientSettings(server, ca_file, *env));
    if (need_token && settings.token.empty()) {
      return Unauthenticated(
          "no API token: set SCHEMAPORT_TOKEN, or run `schemaport login --server " +
          settings.server + " --email EMAIL`");
    }
    api = SP_TRY(ApiClient::Create(std::move(settings)));
    return Status::Ok();
  }

  void PrintJson(const json& j) { *out << j.dump(2) << "\n"; }

  // The connection body from the flags: settings given, secrets read from a file or stdin.
  Result<json> ConnectionInput(bool for_update) {
    json settings = json::object();
    auto put = [&](const char* key, const std::string& v) {
      if (!v.empty()) settings[key] = v;
    };
    put("access_key_id", access_key_id);
    put("region", region);
    put("workgroup", workgroup);
    put("cluster_identifier", cluster);
    put("database_user", db_user);
    put("database", database);
    put("secret_arn", secret_arn);
    put("role_arn", role_arn);
    put("external_id", external_id);
    json body = json::object();
    if (!for_update) body["data_store"] = "redshift";
    if (!name.empty()) body["name"] = name;
    if (!for_update || !settings.empty()) body["settings"] = settings;
    if (!secret_key_file.empty()) {
      Secret s = SP_TRY(ReadSecret(secret_key_file, *in, "--secret-key-file"));
      body["secrets"] = {{"secret_access_key", s.Reveal()}};
    } else if (!for_update) {
      return InvalidArgument(
          "--secret-key-file: required (a file holding the Secret Key, or '-' to read it from "
          "stdin)");
    }
    return body;
  }

  // Waits for a job, showing progress on stderr; the job's final state.
  Result<json> WaitJob(json job) {
    const std::string job_id = Str(job, "id");
    std::string last_line;
    auto last_print = std::chrono::steady_clock::now() - 1h;
    while (true) {
      const std::string state = Str(job, "state");
      const json progress = job.value("progress", json::object());
      const long long done = progress.value("done", 0LL), total = progress.value("total", 0LL);
      const std::string step = Str(progress, "step", state);
      const std::string kind = Str(job, "kind", "job");
      if (terminal) {
        const int width = 30;
        const int filled = total > 0 ? static_cast<int>(width * std::min(done, total) / total) : 0;
        *err << "\r" << kind << " [" << std::string(filled, '#') << std::string(width - filled, '-')
             << "] " << done << "/" << total << " " << step << "\033[K" << std::flush;
      } else {
        std::string line = kind + ": " + state + " " + std::to_string(done) + "/" +
                           std::to_string(total) + " " + step;
        const auto now = std::chrono::steady_clock::now();
        if (line != last_line &&
            (now - last_print >= 1s || state == "succeeded" || state == "failed")) {
          *err << line << "\n";
          last_line = line;
          last_print = now;
        }
      }
      if (state == "succeeded" || state == "failed") {
        if (terminal) *err << "\n";
        if (state == "failed") {
          const json e = job.value("error", json::object());
          return Status(Code::kInternal,
                        kind + " job " + job_id + " failed: " + Str(e, "message", "unknown error"));
        }
        return job;
      }
      std::this_thread::sleep_for(200ms);
      job = SP_TRY(api->Get("/api/v1/jobs/" + PathSegment(job_id)));
    }
  }

  // Starts a job (the reply holds {"job": ...}) and waits for it unless --no-wait.
  Result<json> RunJob(std::string_view method, const std::string& path, const json& body) {
    json reply = SP_TRY(api->Call(method, path, body));
    if (no_wait) return reply;
    json job = SP_TRY(WaitJob(reply.value("job", json::object())));
    reply["job"] = job;
    return reply;
  }

  std::string ConnPath() const { return "/api/v1/connections/" + PathSegment(id); }

  // The selection `metadata select` made, kept until the next `metadata save` of the connection
  // (the CLI's counterpart of the portal's tree before Save Metadata): a JSON object keyed by
  // "SERVER CONNECTION" in pending-selections.json beside the CLI config file (mode 0600).
  std::filesystem::path PendingPath() const {
    return std::filesystem::path(api->settings().config_path).parent_path() /
           "pending-selections.json";
  }
  std::string PendingKey() const { return api->settings().server + " " + id; }
  json LoadPending() const {
    std::ifstream f(PendingPath());
    if (!f) return json::object();
    json all = json::parse(f, nullptr, /*allow_exceptions=*/false);
    return all.is_object() ? all : json::object();
  }
  // Keeps `selection` for the connection, or forgets it when null.
  Status StorePending(const json& selection) {
    json all = LoadPending();
    if (selection.is_null()) {
      if (!all.contains(PendingKey())) return Status::Ok();
      all.erase(PendingKey());
    } else {
      all[PendingKey()] = selection;
    }
    return WritePrivateFile(PendingPath(), all.dump(2) + "\n");
  }

  Result<json> Catalog() { return api->Get(ConnPath() + "/metadata/catalog"); }

  // Every table of a catalog as (ref, table json).
  template <typename F>
  static void ForEachTable(const json& catalog, F&& f) {
    for (const auto& d : catalog.value("databases", json::array())) {
      for (const auto& s : d.value("schemas", json::array())) {
        for (const auto& t : s.value("tables", json::array())) {
          f(warehouse::TableRef{Str(d, "name"), Str(s, "name"), Str(t, "name")}, t);
        }
      }
    }
  }

  Result<json> SelectionBody() {
    if (!exclude.empty() && include.empty()) {
      return InvalidArgument("--exclude: only narrows what --include matches; add --include");
    }
    json refs = json::array();
    for (const auto& t : tables) {
      auto ref = SP_TRY(ParseTableRef(t));
      refs.push_back({{"database", ref.database}, {"schema", ref.schema}, {"table", ref.table}});
    }
    SP_TRY(warehouse::TableFilter::Make(include, exclude).status());
    return json{{"tables", refs}, {"include", include}, {"exclude", exclude}};
  }

  void PrintTestReport(const json& report) {
    for (const auto& s : report.value("steps", json::array())) {
      const std::string status = Str(s, "status");
      const char* mark = status == "ok" ? "ok     " : status == "failed" ? "FAILED " : "skipped";
      *out << "[" << mark << "] " << Str(s, "title");
      if (!Str(s, "detail").empty()) *out << ": " << Str(s, "detail");
      *out << "\n";
      if (!Str(s, "fix").empty()) *out << "          fix: " << Str(s, "fix") << "\n";
    }
    *out << (report.value("ok", false) ? "Connection test passed.\n" : "Connection test failed.\n");
  }

  void PrintConnection(const json& c) {
    *out << "Connection " << Str(c, "name") << " (id " << Str(c, "id") << ")\n";
    const json settings = c.value("settings", json::object());
    for (auto it = settings.begin(); it != settings.end(); ++it) {
      if (it.value().is_string())
        *out << "  " << it.key() << ": " << it.value().get<std::string>() << "\n";
    }
    std::string secrets;
    for (const auto& s : c.value("secrets_set", json::array()))
      secrets += (secrets.empty() ? "" : ", ") + s.get<std::string>();
    *out << "  secrets set: " << (secrets.empty() ? "none" : secrets) << "\n"
         << "  last fetched: " << Str(c, "last_fetched_at", "never") << "\n"
         << "  saved tables: " << Num(c, "saved_table_count") << "\n";
  }

  int Connections() {
    if (c_list->parsed()) {
      auto reply = api->Get("/api/v1/connections");
      if (!reply.ok()) return Fail(reply.status());
      if (json_out) return PrintJson(*reply), 0;
      std::vector<std::vector<std::string>> rows = {
          {"ID", "NAME", "REGION", "TARGET", "DATABASE", "SAVED TABLES"}};
      for (const auto& c : reply->value("connections", json::array())) {
        const json s = c.value("settings", json::object());
        const std::string target = !Str(s, "workgroup").empty()
                                       ? "workgroup " + Str(s, "workgroup")
                                       : "cluster " + Str(s, "cluster_identifier");
        rows.push_back({Str(c, "id"), Str(c, "name"), Str(s, "region"), target, Str(s, "database"),
                        Num(c, "saved_table_count")});
      }
      if (rows.size() == 1)
        return *out << "No connections yet: create one with `schemaport connections create`.\n", 0;
      PrintTable(*out, rows);
      return 0;
    }
    if (c_show->parsed()) {
      auto reply = api->Get(ConnPath());
      if (!reply.ok()) return Fail(reply.status());
      if (json_out) return PrintJson(*reply), 0;
      PrintConnection(*reply);
      return 0;
    }
    if (c_delete->parsed()) {
      auto reply = api->Call("DELETE", ConnPath());
      if (!reply.ok()) return Fail(reply.status());
      if (json_out) return PrintJson({{"deleted", id}}), 0;
      *out << "Deleted connection " << id << " and its metadata.\n";
      return 0;
    }
    if (c_test->parsed()) {
      Result<json> reply = Status::Ok();
      if (!id.empty()) {
        reply = api->Call("POST", ConnPath() + "/test", json::object());
      } else {
        auto body = ConnectionInput(false);
        if (!body.ok()) return Fail(body.status(), kExitUsage);
        reply = api->Call("POST", "/api/v1/connections/test", *body);
      }
      if (!reply.ok()) return Fail(reply.status());
      if (json_out) {
        PrintJson(*reply);
      } else {
        PrintTestReport(*reply);
      }
      return reply->value("ok", false) ? kExitOk : kExitFailure;
    }
    const bool create = c_create->parsed();
    auto body = ConnectionInput(!create);
    if (!body.ok()) return Fail(body.status(), kExitUsage);
    if (create && name.empty())
      return Fail(InvalidArgument("--name: required (the Connection name)"), kExitUsage);
    if (!create && body->contains("settings")) {
      // The API replaces the settings as a whole: keep the saved ones the flags do not change.
      auto current = api->Get(ConnPath());
      if (!current.ok()) return Fail(current.status());
      json merged = current->value("settings", json::object());
      merged.update((*body)["settings"]);
      (*body)["settings"] = merged;
    }
    auto reply = create ? api->Call("POST", "/api/v1/connections", *body)
                        : api->Call("PATCH", ConnPath(), *body);
    if (!reply.ok()) return Fail(reply.status());
    if (json_out) return PrintJson(*reply), 0;
    *out << (create ? "Created connection " : "Updated connection ") << Str(*reply, "name")
         << " (id " << Str(*reply, "id") << ").\n";
    return 0;
  }

  void PrintTree(const json& catalog) {
    std::optional<warehouse::TableFilter> keep;
    // As the server matches patterns: ignoring ASCII case unless the warehouse is case-sensitive.
    const auto sensitive = catalog.find("case_sensitive");
    const MatchCase match_case =
        sensitive != catalog.end() && sensitive->is_boolean() && sensitive->get<bool>()
            ? MatchCase::kExact
            : MatchCase::kIgnoreAscii;
    if (!filter.empty()) keep = warehouse::TableFilter::Make({filter}, {}, match_case).value();
    *out << "Fetched " << Str(catalog, "fetched_at") << ": " << Num(catalog, "table_count")
         << " tables"
         << (Str(catalog, "saved_at").empty() ? "" : ", saved " + Str(catalog, "saved_at")) << "\n";
    for (const auto& d : catalog.value("databases", json::array())) {
      *out << Str(d, "name");
      if (d.contains("error") && d["error"].is_object())
        *out << "  (error: " << Str(d["error"], "message") << ")";
      *out << "\n";
      for (const auto& s : d.value("schemas", json::array())) {
        const std::string kind = Str(s, "kind", "local");
        *out << "  " << Str(s, "name") << (kind == "local" ? "" : " [" + kind + "]") << "\n";
        for (const auto& t : s.value("tables", json::array())) {
          if (keep && !keep->Keeps({Str(d, "name"), Str(s, "name"), Str(t, "name")})) continue;
          const bool selected = t.value("selected", false);
          *out << "    [" << (selected ? "x" : " ") << "] " << Str(t, "name")
               << kKindBadge(Str(t, "kind"));
          if (kind == "datashare") *out << " [datashare]";
          if (!t.value("can_select", true)) *out << " [no SELECT]";
          if (t.value("saved", false)) *out << " [saved]";
          if (!Str(t, "mark").empty()) *out << " (" << Str(t, "mark") << ")";
          *out << "\n";
        }
      }
    }
    for (const auto& r : catalog.value("removed", json::array())) {
      *out << "removed: " << Str(r, "database") << "." << Str(r, "schema") << "." << Str(r, "table")
           << "\n";
    }
  }

  int Metadata() {
    if (m_fetch->parsed() || m_refresh->parsed()) {
      const bool fetch = m_fetch->parsed();
      json body = json::object();
      if (fetch && !databases.empty()) body["databases"] = databases;
      auto reply =
          RunJob("POST", ConnPath() + (fetch ? "/metadata/fetch" : "/metadata/refresh"), body);
      if (!reply.ok()) return Fail(reply.status());
      if (no_wait)
        return json_out ? (PrintJson(*reply), 0)
                        : (*out << "Started job " << Str((*reply)["job"], "id") << ".\n", 0);
      auto catalog = Catalog();
      if (!catalog.ok()) return Fail(catalog.status());
      int added = 0, changed = 0;
      ForEachTable(*catalog, [&](const warehouse::TableRef&, const json& t) {
        added += Str(t, "mark") == "new";
        changed += Str(t, "mark") == "changed";
      });
      const std::size_t removed = catalog->value("removed", json::array()).size();
      if (json_out) {
        return PrintJson({{"job", (*reply)["job"]},
                          {"table_count", (*catalog)["table_count"]},
                          {"new", added},
                          {"changed", changed},
                          {"removed", removed}}),
               0;
      }
      *out << (fetch ? "Fetched " : "Refreshed: ") << Num(*catalog, "table_count") << " tables in "
           << catalog->value("databases", json::array()).size() << " databases";
      if (!fetch)
        *out << "; " << added << " new, " << changed << " changed, " << removed << " removed";
      *out << ".\n";
      return 0;
    }
    if (m_tree->parsed()) {
      if (!filter.empty() && !warehouse::TableFilter::Make({filter}, {}).ok()) {
        return Fail(warehouse::TableFilter::Make({filter}, {}).status(), kExitUsage);
      }
      auto catalog = Catalog();
      if (!catalog.ok()) return Fail(catalog.status());
      if (json_out) return PrintJson(*catalog), 0;
      PrintTree(*catalog);
      return 0;
    }
    if (m_select->parsed() || m_save->parsed()) {
      auto body = SelectionBody();
      if (!body.ok()) return Fail(body.status(), kExitUsage);
      const bool given = !tables.empty() || !include.empty();
      if (m_save->parsed() && !given) {
        if (json pending = LoadPending().value(PendingKey(), json()); pending.is_object()) {
          // What `metadata select` chose.
          *body = std::move(pending);
        } else {
          // Save the current selection again (after a refresh, for example).
          auto catalog = Catalog();
          if (!catalog.ok()) return Fail(catalog.status());
          json refs = json::array();
          ForEachTable(*catalog, [&](const warehouse::TableRef& r, const json& t) {
            if (t.value("selected", false))
              refs.push_back({{"database", r.database}, {"schema", r.schema}, {"table", r.table}});
          });
          const json sel = catalog->value("selection", json::object());
          *body = {{"tables", refs},
                   {"include", sel.value("include", json::array())},
                   {"exclude", sel.value("exclude", json::array())}};
          if (refs.empty() && (*body)["include"].empty()) {
            return Fail(InvalidArgument("nothing is selected in connection " + id +
                                        ": choose tables with `schemaport metadata select " + id +
                                        " --include 'db.schema.*'` (or --table db.schema.table), "
                                        "or give them to save"),
                        kExitUsage);
          }
        }
      }
      if (m_select->parsed()) {
        auto preview = api->Call("POST", ConnPath() + "/metadata/selection/preview", *body);
        if (!preview.ok()) return Fail(preview.status());
        if (Status st = StorePending(*body); !st.ok()) return Fail(st);
        auto catalog = Catalog();
        if (!catalog.ok()) return Fail(catalog.status());
        auto keep = warehouse::TableFilter::Make(include, exclude).value();
        std::vector<std::string> matched;
        ForEachTable(*catalog, [&](const warehouse::TableRef& r, const json&) {
          const std::string full = r.database + "." + r.schema + "." + r.table;
          const bool explicit_ = std::find(tables.begin(), tables.end(), full) != tables.end();
          if (explicit_ || (!include.empty() && keep.Keeps(r))) matched.push_back(full);
        });
        if (json_out) {
          json j = *preview;
          j["tables"] = matched;
          return PrintJson(j), 0;
        }
        for (const auto& m : matched) *out << m << "\n";
        *out << Num(*preview, "selected") << " tables selected ("
             << Num(*preview, "matched_by_patterns")
             << " by patterns). Save their metadata with `schemaport metadata save " << id
             << "`.\n";
        return 0;
      }
      auto reply = RunJob("PUT", ConnPath() + "/metadata/selection", *body);
      if (!reply.ok()) return Fail(reply.status());
      // Saved: the selection is the server's now.
      if (Status st = StorePending(nullptr); !st.ok())
        *err << "schemaport: warning: " << st.message() << "\n";
      if (json_out) return PrintJson(*reply), 0;
      if (no_wait) return *out << "Started job " << Str((*reply)["job"], "id") << ".\n", 0;
      *out << "Saved the metadata of " << Num(*reply, "selected") << " tables.\n";
      return 0;
    }
    if (m_tables->parsed()) {
      auto reply = api->Get(ConnPath() + "/metadata/tables");
      if (!reply.ok()) return Fail(reply.status());
      if (json_out) return PrintJson(*reply), 0;
      std::vector<std::vector<std::string>> rows = {
          {"ID", "TABLE", "KIND", "COLUMNS", "MARK", "COMMENT"}};
      for (const auto& t : reply->value("tables", json::array())) {
        rows.push_back({Str(t, "id"),
                        Str(t, "database") + "." + Str(t, "schema") + "." + Str(t, "name"),
                        Str(t, "kind"), Num(t, "column_count"), Str(t, "mark"), Str(t, "comment")});
      }
      if (rows.size() == 1)
        return *out << "No saved tables: select some and run `schemaport metadata save`.\n", 0;
      PrintTable(*out, rows);
      return 0;
    }
    // show
    std::string table_id = table;
    if (table.find('.') != std::string::npos) {
      auto ref = ParseTableRef(table);
      if (!ref.ok()) return Fail(ref.status(), kExitUsage);
      auto list = api->Get(ConnPath() + "/metadata/tables");
      if (!list.ok()) return Fail(list.status());
      table_id.clear();
      for (const auto& t : list->value("tables", json::array())) {
        if (Str(t, "database") == ref->database && Str(t, "schema") == ref->schema &&
            Str(t, "name") == ref->table) {
          table_id = Str(t, "id");
        }
      }
      if (table_id.empty())
        return Fail(NotFound("no saved table " + table + " in connection " + id));
    }
    auto reply = api->Get(ConnPath() + "/metadata/tables/" + PathSegment(table_id));
    if (!reply.ok()) return Fail(reply.status());
    if (json_out) return PrintJson(*reply), 0;
    const json& t = *reply;
    *out << Str(t, "database") << "." << Str(t, "schema") << "." << Str(t, "name")
         << kKindBadge(Str(t, "kind")) << "\n";
    if (!Str(t, "comment").empty()) *out << "  " << Str(t, "comment") << "\n";
    std::vector<std::vector<std::string>> rows = {
        {"#", "COLUMN", "TYPE", "NULL", "MARK", "COMMENT"}};
    for (const auto& c : t.value("columns", json::array())) {
      rows.push_back({Num(c, "position"), Str(c, "name"), Str(c, "type"),
                      c.value("nullable", true) ? "yes" : "no", Str(c, "mark"), Str(c, "comment")});
    }
    PrintTable(*out, rows);
    for (const auto& r : t.value("removed_columns", json::array())) {
      if (r.is_string()) *out << "removed column: " << r.get<std::string>() << "\n";
    }
    return 0;
  }

  static std::string End(const json& end) {
    return Str(end, "database") + "." + Str(end, "schema") + "." + Str(end, "name");
  }
  static std::string Columns(const json& columns) {
    std::string out;
    for (const auto& c : columns) {
      if (!out.empty()) out += ", ";
      if (c.is_string()) out += c.get<std::string>();
    }
    return out;
  }
  static void RelationshipRow(std::vector<std::vector<std::string>>& rows, const json& r) {
    std::string confidence = "-";
    if (r.contains("confidence") && r["confidence"].is_number()) {
      std::ostringstream s;
      s << std::fixed << std::setprecision(2) << r["confidence"].get<double>();
      confidence = s.str();
    }
    rows.push_back({Str(r, "id"), Str(r, "status"),
                    End(r.value("from", json::object())) + " (" +
                        Columns(r.value("from_columns", json::array())) + ")",
                    End(r.value("to", json::object())) + " (" +
                        Columns(r.value("to_columns", json::array())) + ")",
                    confidence, Str(r, "mark")});
  }

  int DataMap() {
    const std::string base = ConnPath() + "/datamap";
    if (d_export->parsed()) {
      auto bytes = api->Download(base + "/export?format=" + format);
      if (!bytes.ok()) return Fail(bytes.status());
      if (output.empty()) return *out << *bytes << std::flush, 0;
      std::ofstream f(output, std::ios::binary | std::ios::trunc);
      if (!(f << *bytes) || !f.flush()) {
        return Fail(InvalidArgument("--output: cannot write " + output), kExitFailure);
      }
      if (json_out)
        return PrintJson({{"format", format}, {"output", output}, {"bytes", bytes->size()}}), 0;
      *out << "Wrote the " << format << " export (" << bytes->size() << " bytes) to " << output
           << ".\n";
      return 0;
    }
    for (auto* c : {d_accept, d_reject, d_clear}) {
      if (!c->parsed()) continue;
      const json decision = c == d_accept   ? json("accept")
                            : c == d_reject ? json("reject")
                                            : json(nullptr);
      auto reply = api->Call("PUT", base + "/relationships/" + PathSegment(relationship_id),
                             {{"decision", decision}});
      if (!reply.ok()) return Fail(reply.status());
      if (json_out) return PrintJson(*reply), 0;
      *out << "Relationship " << relationship_id << " " << End(reply->value("from", json::object()))
           << " -> " << End(reply->value("to", json::object())) << " is now "
           << Str(*reply, "status") << ".\n";
      return 0;
    }
    if (d_role->parsed()) {
      const json value = role == "auto" ? json(nullptr) : json(role);
      auto reply = api->Call("PUT", base + "/roles/" + PathSegment(table), {{"role", value}});
      if (!reply.ok()) return Fail(reply.status());
      if (json_out) return PrintJson(*reply), 0;
      *out << End(*reply) << " is a " << Str(*reply, "role")
           << ((*reply).value("role_overridden", false) ? " (your choice)" : " (suggested)")
           << ".\n";
      return 0;
    }
    auto reply = api->Get(base);
    if (!reply.ok()) return Fail(reply.status());
    if (d_relationships->parsed()) {
      json rels = json::array(), removed = json::array();
      const auto keep = [&](const json& r) {
        return table.empty() || Str(r.value("from", json::object()), "table_id") == table ||
               Str(r.value("to", json::object()), "table_id") == table;
      };
      for (const auto& r : reply->value("relationships", json::array()))
        if (keep(r)) rels.push_back(r);
      for (const auto& r : reply->value("removed_relationships", json::array()))
        if (keep(r)) removed.push_back(r);
      if (json_out)
        return PrintJson({{"relationships", rels}, {"removed_relationships", removed}}), 0;
      if (rels.empty() && removed.empty()) return *out << "No relationships.\n", 0;
      std::vector<std::vector<std::string>> rows = {
          {"ID", "STATUS", "FROM", "TO", "CONFIDENCE", "MARK"}};
      for (const auto& r : rels) RelationshipRow(rows, r);
      for (const auto& r : removed) RelationshipRow(rows, r);
      PrintTable(*out, rows);
      return 0;
    }
    // show
    if (json_out) return PrintJson(*reply), 0;
    const json counts = reply->value("counts", json::object());
    if (reply->value("tables", json::array()).empty()) {
      return *out << "No saved tables: select some and run `schemaport metadata save`.\n", 0;
    }
    std::vector<std::vector<std::string>> rows = {{"ID", "TABLE", "ROLE", "COLUMNS", "KEY"}};
    for (const auto& t : reply->value("tables", json::array())) {
      rows.push_back({Str(t, "id"), End(t) + kKindBadge(Str(t, "kind")),
                      Str(t, "role") + (t.value("role_overridden", false) ? " *" : ""),
                      Num(t, "column_count"), Columns(t.value("primary_key", json::array()))});
    }
    PrintTable(*out, rows);
    *out << Num(counts, "relationships") << " relationships: " << Num(counts, "declared")
         << " declared, " << Num(counts, "inferred") << " inferred, " << Num(counts, "accepted")
         << " accepted, " << Num(counts, "rejected") << " rejected (`schemaport datamap "
         << "relationships --connection " << id << "`). * marks a role you chose.\n";
    return 0;
  }

  int Tokens() {
    if (t_create->parsed()) {
      json body = {{"name", token_name}};
      if (expires_in_days > 0) body["expires_in_days"] = expires_in_days;
      auto reply = api->Call("POST", "/api/v1/tokens", body);
      if (!reply.ok()) return Fail(reply.status());
      if (json_out) return PrintJson(*reply), 0;
      *out << "Created token " << Str((*reply)["token"], "id") << ". Its secret, shown only now:\n"
           << Str(*reply, "secret") << "\n";
      return 0;
    }
    if (t_revoke->parsed()) {
      auto reply = api->Call("DELETE", "/api/v1/tokens/" + PathSegment(id));
      if (!reply.ok()) return Fail(reply.status());
      if (json_out) return PrintJson({{"revoked", id}}), 0;
      *out << "Revoked token " << id << ".\n";
      return 0;
    }
    auto reply = api->Get("/api/v1/tokens");
    if (!reply.ok()) return Fail(reply.status());
    if (json_out) return PrintJson(*reply), 0;
    std::vector<std::vector<std::string>> rows = {{"ID", "NAME", "CREATED", "EXPIRES"}};
    for (const auto& t : reply->value("tokens", json::array())) {
      rows.push_back(
          {Str(t, "id"), Str(t, "name"), Str(t, "created_at"), Str(t, "expires_at", "never")});
    }
    PrintTable(*out, rows);
    return 0;
  }

  int Login() {
    auto password = ReadSecret(password_file, *in, "password");
    if (!password.ok()) return Fail(password.status(), kExitUsage);
    if (Status st = Connect(/*need_token=*/false); !st.ok()) return Fail(st, kExitUsage);
    if (Status st = api->Login(email, *password); !st.ok()) return Fail(st);
    if (token_name.empty()) {
      char host[256] = {};
      ::gethostname(host, sizeof host - 1);
      token_name = std::string("cli@") + host;
    }
    auto reply = api->Call("POST", "/api/v1/tokens", {{"name", token_name}});
    if (!reply.ok()) return Fail(reply.status());
    ClientSettings settings = api->settings();
    settings.token = Secret(Str(*reply, "secret"));
    settings.token_id = Str((*reply)["token"], "id");
    if (Status st = SaveClientSettings(settings); !st.ok()) return Fail(st);
    (void)api->Call("POST", "/api/v1/auth/logout", json::object());
    if (json_out)
      return PrintJson({{"server", settings.server},
                        {"token", (*reply)["token"]},
                        {"config", settings.config_path}}),
             0;
    *out << "Logged in to " << settings.server << " as " << email << "; API token "
         << settings.token_id << " saved in " << settings.config_path << ".\n";
    return 0;
  }

  int Logout() {
    const ClientSettings settings = api->settings();
    if (!settings.token_id.empty()) {
      auto reply = api->Call("DELETE", "/api/v1/tokens/" + PathSegment(settings.token_id));
      if (!reply.ok() && reply.status().code() != Code::kNotFound &&
          reply.status().code() != Code::kUnauthenticated) {
        return Fail(reply.status());
      }
    }
    ClientSettings cleared = settings;
    cleared.token = Secret();
    cleared.token_id.clear();
    if (Status st = SaveClientSettings(cleared); !st.ok()) return Fail(st);
    if (json_out) return PrintJson({{"revoked", settings.token_id}}), 0;
    *out << "Logged out: token " << settings.token_id << " revoked and removed from "
         << settings.config_path << ".\n";
    return 0;
  }

  int Dispatch(CLI::App& app) {
    if (version->parsed()) {
      if (json_out) return PrintJson({{"version", "0.1.0"}}), 0;
      *out << "schemaport 0.1.0\n";
      return 0;
    }
    if (completion->parsed()) {
      *out << CompletionScript(app, shell);
      return 0;
    }
    if (login->parsed()) return Login();
    if (Status st = Connect(); !st.ok())
      return Fail(st, st.code() == Code::kUnauthenticated ? kExitAuth : kExitUsage);
    if (logout->parsed()) return Logout();
    for (auto* c : {c_test, c_create, c_list, c_show, c_update, c_delete}) {
      if (c->parsed()) return Connections();
    }
    for (auto* c : {m_fetch, m_tree, m_select, m_save, m_refresh, m_tables, m_show}) {
      if (c->parsed()) return Metadata();
    }
    for (auto* c : {d_show, d_relationships, d_accept, d_reject, d_clear, d_role, d_export}) {
      if (c->parsed()) return DataMap();
    }
    return Tokens();
  }

  bool Parsed() const {
    for (auto* c : {login,    logout,   c_test, c_create, c_list,  c_show,          c_update,
                    c_delete, m_fetch,  m_tree, m_select, m_save,  m_refresh,       m_tables,
                    m_show,   t_create, t_list, t_revoke, d_show,  d_relationships, d_accept,
                    d_reject, d_clear,  d_role, d_export, version, completion}) {
      if (c->parsed()) return true;
    }
    return false;
  }

  CLI::App* app = nullptr;
};

RemoteCommands::RemoteCommands(CLI::App& app) : impl_(std::make_unique<Impl>(app)) {
  impl_->app = &app;
}
RemoteCommands::~RemoteCommands() = default;

int RemoteCommands::Run(const Environment& env, std::istream& in, std::ostream& out,
                        std::ostream& err, bool terminal) {
  if (!impl_->Parsed()) return -1;
  impl_->env = &env;
  impl_->in = &in;
  impl_->out = &out;
  impl_->err = &err;
  impl_->terminal = terminal;
  return impl_->Dispatch(*impl_->app);
}

// ------------------------------------------------------------------------------------------------
// Shell completion, generated from the command tree so it never goes stale.
// ------------------------------------------------------------------------------------------------

namespace {

struct Node {
  std::string path;                // "connections test"
  std::vector<std::string> words;  // subcommands and options
};

void Collect(const CLI::App& app, const std::string& path, std::vector<Node>& nodes) {
  Node n{path, {}};
  for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; }))
    n.words.push_back(sub->get_name());
  for (const auto* opt : app.get_options()) {
    for (const auto& l : opt->get_lnames()) n.words.push_back("--" + l);
  }
  nodes.push_back(n);
  for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    Collect(*sub, path.empty() ? sub->get_name() : path + " " + sub->get_name(), nodes);
  }
}

std::string Join(const std::vector<std::string>& words) {
  std::string s;
  for (const auto& w : words) s += (s.empty() ? "" : " ") + w;
  return s;
}

}  // namespace

std::string CompletionScript(const CLI::App& app, std::string_view shell) {
  std::vector<Node> nodes;
  Collect(app, "", nodes);
  std::ostringstream s;
  if (shell == "bash") {
    s << "# bash completion for schemaport: eval \"$(schemaport completion bash)\"\n"
      << "_schemaport() {\n"
      << "  local cur=${COMP_WORDS[COMP_CWORD]} sp_path= i w\n"
      << "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
      << "    w=${COMP_WORDS[i]}\n"
      << "    [[ $w == -* ]] && continue\n"
      << "    case \"${sp_path:+$sp_path }$w\" in\n";
    for (const auto& n : nodes) {
      if (!n.path.empty()) s << "      \"" << n.path << "\") sp_path=\"" << n.path << "\" ;;\n";
    }
    s << "    esac\n  done\n  local words=\n  case \"$sp_path\" in\n";
    for (const auto& n : nodes)
      s << "    \"" << n.path << "\") words=\"" << Join(n.words) << "\" ;;\n";
    s << "  esac\n"
      << "  COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n"
      << "  [[ ${#COMPREPLY[@]} -eq 0 ]] && COMPREPLY=($(compgen -f -- \"$cur\"))\n"
      << "}\n"
      << "complete -F _schemaport schemaport\n";
  } else {
    s << "#compdef schemaport\n"
      << "# zsh completion for schemaport: schemaport completion zsh > "
         "\"${fpath[1]}/_schemaport\"\n"
      << "_schemaport() {\n"
      << "  local sp_path= w i\n"
      << "  for ((i = 2; i < CURRENT; i++)); do\n"
      << "    w=${words[i]}\n"
      << "    [[ $w == -* ]] && continue\n"
      << "    case \"${sp_path:+$sp_path }$w\" in\n";
    for (const auto& n : nodes) {
      if (!n.path.empty()) s << "      \"" << n.path << "\") sp_path=\"" << n.path << "\" ;;\n";
    }
    s << "    esac\n  done\n  local -a candidates\n  case \"$sp_path\" in\n";
    for (const auto& n : nodes)
      s << "    \"" << n.path << "\") candidates=(" << Join(n.words) << ") ;;\n";
    s << "  esac\n"
      << "  compadd -a candidates\n"
      << "  _files\n"
      << "}\n"
      << "compdef _schemaport schemaport\n";
  }
  return s.str();
}

}  // namespace schemaport::cli
