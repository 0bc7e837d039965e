// `schemaport mcp`: the MCP server over one org's saved metadata. Internal to src/cli.
#pragma once

#include <iosfwd>
#include <string>

#include "core/core.h"
#include "mcp/mcp.h"
#include "store/store.h"

namespace schemaport::cli {

// The saved tables of every connection of one org, read from the store (never the warehouse),
// as Data Maps with the connection's decisions applied (the same sealed document the service
// keeps). Connections without saved tables are left out.
class StoreMetadataSource final : public mcp::MetadataSource {
 public:
  StoreMetadataSource(store::Store& store, std::string org_id)
      : store_(store), org_id_(std::move(org_id)) {}
  Result<std::vector<mcp::Source>> Load() override;

 private:
  store::Store& store_;
  std::string org_id_;
};

// Authenticates SCHEMAPORT_TOKEN (an API token) against the configured store, then serves MCP on
// `in`/`out` until end of input. Diagnostics go to `err` only (stdout carries the protocol).
// Returns the exit status: 0 after a clean end of input, 1 when the store cannot be opened, 2
// when the token is missing or not valid.
int RunMcp(const std::string& config, const std::string& data_dir, const Environment& env,
           std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace schemaport::cli
