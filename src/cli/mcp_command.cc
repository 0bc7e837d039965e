#include "cli/mcp_command.h"

#include <iostream>

#include "datamap/datamap.h"
#include "runtime/runtime.h"

namespace schemaport::cli {

Result<std::vector<mcp::Source>> StoreMetadataSource::Load() {
  std::vector<mcp::Source> out;
  for (const store::Connection& c : SP_TRY(store_.ListConnections(org_id_))) {
    std::vector<store::SavedTable> tables = SP_TRY(store_.ListSavedTables(org_id_, c.id));
    if (tables.empty()) continue;
    warehouse::Catalog catalog = SP_TRY(datamap::CatalogFromSavedTables(tables));
    // The users' decisions: a rejected relationship is not a fact, an accepted one is.
    datamap::Decisions decisions;
    const auto doc = SP_TRY(
        store_.GetConnectionDocument(org_id_, c.id, std::string(datamap::kDecisionsDocument)));
    if (doc) decisions = SP_TRY(datamap::DecisionsFromJson(*doc));
    out.push_back(mcp::Source{c.id, c.name, datamap::BuildDataMap(std::move(catalog), decisions)});
  }
  return out;
}

int RunMcp(const std::string& config, const std::string& data_dir, const Environment& env,
           std::istream& in, std::ostream& out, std::ostream& err) {
  const auto token = env.find("SCHEMAPORT_TOKEN");
  if (token == env.end() || token->second.empty()) {
    err << "schemaport mcp: set SCHEMAPORT_TOKEN to an API token of the org whose saved metadata "
           "to serve\n";
    return 2;
  }
  // The token is this command's own variable, not a server setting.
  Environment config_env = env;
  config_env.erase("SCHEMAPORT_TOKEN");
  runtime::Options options;
  options.config_path = config;
  options.data_dir_override = data_dir;
  auto wiring = runtime::Wire(options, config_env);
  if (!wiring.ok()) {
    err << "schemaport mcp: " << wiring.status().message() << "\n";
    return 1;
  }
  store::Store& store = *(*wiring)->store;
  auto api_token = store.LookupApiToken(Secret(token->second));
  if (!api_token.ok()) {
    if (api_token.status().code() == Code::kUnauthenticated) {
      err << "schemaport mcp: SCHEMAPORT_TOKEN is not a valid API token (unknown, revoked or "
             "expired)\n";
      return 2;
    }
    err << "schemaport mcp: " << api_token.status().message() << "\n";
    return 1;
  }
  StoreMetadataSource source(store, api_token->org_id);
  mcp::Server server(source);
  server.Serve(in, out);
  return 0;
}

}  // namespace schemaport::cli
