// mcp: the Model Context Protocol server behind `schemaport mcp` (DESIGN §4).
//
// Speaks JSON-RPC 2.0 over stdio as the MCP specification describes (one message per line,
// UTF-8, nothing else on stdout): `initialize` (version negotiation: the client's version when
// this server supports it, else the latest, kLatestProtocolVersion), `notifications/initialized`,
// `ping`, `tools/list` and `tools/call`. It serves one org's saved metadata, read-only, through
// six tools:
//   list_databases      the databases with saved tables, per connection
//   list_schemas        the schemas of a database
//   list_tables         the saved tables of a database (optionally one schema), with role
//   describe_table      one table: columns (type, nullable, key, comment), keys, relationships
//   search_tables       tables whose name, comment, column names or column comments match
//   list_relationships  relationships (declared, inferred with evidence, accepted, rejected)
// Every list is paged: `limit` (default Options::page_size, at most Options::max_page_size) and
// an opaque `cursor`; an answer is also cut before it exceeds Options::max_result_bytes, and says
// how to get the next page (`next_cursor` and a sentence). Results are JSON text in the tool
// result's content (and the same object as structuredContent).
//
// Errors: a malformed message is a JSON-RPC error (-32700 parse error, -32600 invalid request,
// -32601 unknown method, -32602 invalid params such as an unknown tool); bad tool arguments are
// a tool result with isError and a message naming the argument and what is wrong.
//
// The server never reaches a warehouse: it sees only what a MetadataSource supplies (saved
// tables and their relationships), loaded once, at the first tool call.
//
// Thread safety: a Server is used from one thread.
#pragma once

#include <istream>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "core/core.h"
#include "datamap/datamap.h"

namespace schemaport::mcp {

inline constexpr std::string_view kLatestProtocolVersion = "2025-11-25";
// Every version this server speaks, newest first.
std::vector<std::string_view> SupportedProtocolVersions();

// One connection's saved metadata.
struct Source {
  std::string connection_id;
  std::string connection_name;
  datamap::DataMap map;  // saved tables only
};

// Supplies the saved metadata of one org. Implementations read the store (the CLI) or hold
// values (tests). Errors are shown to the assistant as tool errors (message only).
class MetadataSource {
 public:
  virtual ~MetadataSource() = default;
  virtual Result<std::vector<Source>> Load() = 0;
};

struct Options {
  std::string server_version = "0.1.0";
  int page_size = 50;
  int max_page_size = 200;
  std::size_t max_result_bytes = 32 * 1024;  // about 8,000 tokens
};

class Server {
 public:
  // REQUIRES: `source` outlives the server.
  Server(MetadataSource& source, Options options = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Handles one message (a JSON-RPC request or notification); returns the response to write,
  // or nullopt for a notification.
  std::optional<std::string> Handle(std::string_view message);
  // Reads messages, one per line, until end of input, and writes each response on its own line
  // (flushed). Blank lines are skipped.
  void Serve(std::istream& in, std::ostream& out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace schemaport::mcp
