#include "cli/cli.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <iostream>
#include <mutex>

#include <unistd.h>

#include "aws/aws.h"
#include "cli/api_client.h"
#include "cli/mcp_command.h"
#include "cli/remote.h"
#include "cli/serve.h"
#include "demo/demo.h"
#include "runtime/runtime.h"
#include "warehouse/redshift/redshift.h"
#include "warehouse/warehouse.h"

namespace schemaport::cli {

namespace {

using warehouse::ConnectionSettings;

// The settings file of `schemaport warehouse test|fetch`: what the portal's form holds, minus the
// access key, which comes from the standard AWS variables.
ConfigSchema WarehouseFileSchema() {
  ConfigSchema s;
  s.String("data_store", "redshift", "the data store type", {"redshift"})
      .String("region", "", "AWS Region, e.g. us-east-1")
      .String("workgroup", "", "Redshift Serverless workgroup")
      .String("cluster_identifier", "", "provisioned cluster identifier")
      .String("database_user", "", "cluster only: the database user")
      .String("database", "", "the database to connect to")
      .String("secret_arn", "", "Secrets Manager secret with database credentials")
      .String("role_arn", "", "IAM role the access key assumes (AssumeRole)")
      .String("external_id", "", "external ID the role's trust policy requires");
  return s;
}

Result<ConnectionSettings> LoadWarehouseFile(const std::string& path, const Environment& env) {
  // No SCHEMAPORT_* overrides here: the file is the whole description.
  Config file = SP_TRY(LoadConfig(path, WarehouseFileSchema(), Environment{}));
  ConnectionSettings settings;
  for (const char* key : {"region", "workgroup", "cluster_identifier", "database_user", "database",
                          "secret_arn", "role_arn", "external_id"}) {
    const std::string v = file.GetString(key);
    if (!v.empty()) settings.values[key] = v;
  }
  auto get = [&](const char* name) {
    auto it = env.find(name);
    return it == env.end() ? std::string() : it->second;
  };
  const std::string key_id = get("AWS_ACCESS_KEY_ID");
  Secret secret(get("AWS_SECRET_ACCESS_KEY"));  // never held in a plain string
  if (key_id.empty() || secret.empty()) {
    return InvalidArgument(
        "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary "
        "keys) "
        "to the IAM user's access key");
  }
  settings.values["access_key_id"] = key_id;
  settings.secrets["secret_access_key"] = std::move(secret);
  if (Secret token(get("AWS_SESSION_TOKEN")); !token.empty()) {
    settings.secrets["session_token"] = std::move(token);
  }
  return settings;
}

void PrintError(std::ostream& err, const Status& status) {
  err << "schemaport: " << status.message() << "\n";
}

nlohmann::json ReportJson(const warehouse::TestReport& report) {
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& s : report.steps) {
    steps.push_back({{"id", s.id},
                     {"title", s.title},
                     {"status", warehouse::StepStatusName(s.status)},
                     {"detail", s.detail},
                     {"fix", s.fix}});
  }
  return {{"ok", report.ok()}, {"steps", steps}};
}

int WarehouseTest(const std::string& file, bool json, const Environment& env, std::ostream& out,
                  std::ostream& err) {
  auto settings = LoadWarehouseFile(file, env);
  if (!settings.ok()) return PrintError(err, settings.status()), 2;
  auto wiring = runtime::WireWarehouse(env);
  if (!wiring.ok()) return PrintError(err, wiring.status()), 1;
  auto connector = (*wiring)->registry->Create("redshift", *settings);
  if (!connector.ok()) return PrintError(err, connector.status()), 2;
  auto report = (*connector)->Test();
  if (!report.ok()) return PrintError(err, report.status()), 1;
  if (json) {
    out << ReportJson(*report).dump(2) << "\n";
  } else {
    for (const auto& s : report->steps) {
      const char* mark = s.status == warehouse::StepStatus::kOk       ? "ok     "
                         : s.status == warehouse::StepStatus::kFailed ? "FAILED "
                                                                      : "skipped";
      out << "[" << mark << "] " << s.title;
      if (!s.detail.empty()) out << ": " << s.detail;
      out << "\n";
      if (!s.fix.empty()) out << "          fix: " << s.fix << "\n";
    }
    out << (report->ok() ? "Connection test passed.\n" : "Connection test failed.\n");
  }
  return report->ok() ? 0 : 1;
}

int WarehouseFetch(const std::string& file, const std::vector<std::string>& include,
                   const std::vector<std::string>& exclude,
                   const std::vector<std::string>& databases, const std::string& depth,
                   const Environment& env, std::ostream& out, std::ostream& err) {
  auto settings = LoadWarehouseFile(file, env);
  if (!settings.ok()) return PrintError(err, settings.status()), 2;
  auto filter = warehouse::TableFilter::Make(include, exclude);
  if (!filter.ok()) return PrintError(err, filter.status()), 2;
  auto wiring = runtime::WireWarehouse(env);
  if (!wiring.ok()) return PrintError(err, wiring.status()), 1;
  auto connector = (*wiring)->registry->Create("redshift", *settings);
  if (!connector.ok()) return PrintError(err, connector.status()), 2;
  warehouse::FetchRequest request;
  request.depth =
      depth == "tables" ? warehouse::FetchDepth::kTables : warehouse::FetchDepth::kColumns;
  request.include = include;
  request.exclude = exclude;
  request.databases = databases;
  std::mutex mu;
  request.on_progress = [&](const warehouse::FetchProgress& p) {
    std::lock_guard lock(mu);
    err << "fetch: " << p.phase << " (" << p.databases_done << "/" << p.databases_total
        << " databases, " << p.tables << " tables, " << p.columns << " columns)\n";
  };
  auto catalog = (*connector)->Fetch(request);
  if (!catalog.ok()) return PrintError(err, catalog.status()), 1;
  warehouse::WriteCatalogJson(*catalog, out, 2);
  out << "\n";
  return 0;
}

int KeysRotate(const std::string& config, const std::string& data_dir, bool json,
               const Environment& env, std::ostream& out, std::ostream& err) {
  runtime::Options options;
  options.config_path = config;
  options.data_dir_override = data_dir;
  auto wiring = runtime::Wire(options, env);
  if (!wiring.ok()) return PrintError(err, wiring.status()), 1;
  auto& w = **wiring;
  Status rotated = w.store->RotateMasterKey();
  if (!rotated.ok()) return PrintError(err, rotated.WithContext("rotating the master key")), 1;
  auto current = w.keys->Current();
  auto in_use = w.store->MasterKeyIdsInUse();
  if (!current.ok() || !in_use.ok()) {
    return PrintError(err, !current.ok() ? current.status() : in_use.status()), 1;
  }
  if (json) {
    out << nlohmann::json{{"rotated", true}, {"current_key", current->id}, {"keys_in_use", *in_use}}
               .dump(2)
        << "\n";
  } else {
    out << "Rotated the master key of the " << w.describe << ".\n"
        << "Current master key: " << current->id << "; every data key is now wrapped by it.\n";
  }
  return 0;
}

}  // namespace

int Run(const std::vector<std::string>& args, const Environment& env, std::istream& in,
        std::ostream& out, std::ostream& err) {
  CLI::App app{"schemaport: a sealed view of an Amazon Redshift warehouse's metadata"};
  app.name("schemaport");
  app.require_subcommand(1);
  app.set_version_flag("--version", "schemaport 0.1.0");

  auto* wh = app.add_subcommand("warehouse",
                                "Run a connection test or a catalog fetch from a settings file");
  wh->require_subcommand(1);

  std::string test_file;
  bool test_json = false;
  auto* test =
      wh->add_subcommand("test", "Run the connection test; exit 0 only if every step passes");
  test->add_option("FILE", test_file, "settings file (TOML)")->required();
  test->add_flag("--json", test_json, "print the steps as JSON");

  std::string fetch_file, depth = "columns";
  std::vector<std::string> include, exclude, databases;
  auto* fetch = wh->add_subcommand("fetch", "Fetch the catalog and print it as JSON on stdout");
  fetch->add_option("FILE", fetch_file, "settings file (TOML)")->required();
  fetch->add_option("--include", include, "keep only tables matching database.schema.table globs");
  fetch->add_option("--exclude", exclude, "drop tables matching database.schema.table globs");
  fetch->add_option("--database", databases, "fetch only these databases (default: all)");
  fetch->add_option("--depth", depth, "tables or columns (default)")
      ->check(CLI::IsMember({"tables", "columns"}));

  auto* keys = app.add_subcommand("keys", "Manage the master key that wraps every data key");
  keys->require_subcommand(1);
  std::string config_file, data_dir;
  bool rotate_json = false;
  auto* rotate = keys->add_subcommand(
      "rotate",
      "Create a new master key version and rewrap every data key with it (one transaction)");
  rotate->add_option("--config", config_file, "server configuration file (TOML)");
  rotate->add_option("--data-dir", data_dir, "data directory (overrides data_dir)");
  rotate->add_flag("--json", rotate_json, "print the result as JSON");

  const auto server_commands = AddServerCommands(app);

  demo::Options demo_options;
  std::string demo_dir;
  auto* demo_cmd = app.add_subcommand(
      "demo",
      "Start a private PostgreSQL, the aws-emulator with a sample warehouse, and the portal");
  demo_cmd->add_option("--data-dir", demo_dir, "demo state (default /var/tmp/schemaport-demo)");
  demo_cmd->add_option("--host", demo_options.host,
                       "the portal's listen address (default 127.0.0.1)");
  demo_cmd
      ->add_option("--port", demo_options.port,
                   "the portal's port (default 8443; 0: any free port)")
      ->check(CLI::Range(0, 65535));
  demo_cmd->add_flag("--fresh", demo_options.fresh, "discard the saved demo state and start over");

  RemoteCommands remote(app);

  std::string mcp_config, mcp_data_dir;
  auto* mcp = app.add_subcommand(
      "mcp",
      "Serve the saved metadata of one org to an assistant over the Model Context Protocol (stdio, "
      "read-only; authenticated by the API token in SCHEMAPORT_TOKEN; never calls the warehouse)");
  mcp->add_option("--config", mcp_config, "server configuration file (TOML)");
  mcp->add_option("--data-dir", mcp_data_dir, "data directory (overrides data_dir)");

  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e, out, err);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  const bool terminal = &err == &std::cerr && ::isatty(STDERR_FILENO) == 1;
  if (int rc = remote.Run(env, in, out, err, terminal); rc >= 0) return rc;
  if (demo_cmd->parsed()) {
    if (!demo_dir.empty()) demo_options.data_dir = demo_dir;
    return demo::Run(demo_options, out, err);
  }
  if (int rc = RunServerCommands(*server_commands, env, in, out, err); rc >= 0) return rc;
  if (test->parsed()) return WarehouseTest(test_file, test_json, env, out, err);
  if (mcp->parsed()) return RunMcp(mcp_config, mcp_data_dir, env, in, out, err);
  if (rotate->parsed()) return KeysRotate(config_file, data_dir, rotate_json, env, out, err);
  if (fetch->parsed()) {
    return WarehouseFetch(fetch_file, include, exclude, databases, depth, env, out, err);
  }
  return 2;
}

}  // namespace schemaport::cli
