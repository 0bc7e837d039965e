// The MCP server: JSON-RPC 2.0 messages, tool definitions, paging and the six tools.
#include "mcp/mcp.h"

#include <algorithm>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

namespace schemaport::mcp {

namespace {

using json = nlohmann::ordered_json;
using datamap::Relationship;
using datamap::RelationshipStatus;
using warehouse::TableRef;

constexpr int kParseError = -32700;
constexpr int kInvalidRequest = -32600;
constexpr int kMethodNotFound = -32601;
constexpr int kInvalidParams = -32602;

std::string Lower(std::string_view s) {
  return datamap::AsciiLower(s);
}
std::string Utf8(std::string_view s) {
  return datamap::ValidUtf8(s);
}

// Long comments are cut in lists (describe_table shows them whole).
std::string Short(std::string_view s, std::size_t max = 200) {
  if (s.size() <= max) return Utf8(s);
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return Utf8(s.substr(0, cut)) + "…";
}

json Nullable(const std::optional<std::string>& s, bool shorten = false) {
  if (!s) return json();
  return shorten ? json(Short(*s)) : json(Utf8(*s));
}

// A tool error: the message goes back to the assistant as the tool's result.
struct ToolError {
  std::string message;
};

// Validated tool arguments.
class Args {
 public:
  Args(const json& args, std::set<std::string> allowed, std::string tool)
      : args_(args), allowed_(std::move(allowed)), tool_(std::move(tool)) {}

  std::optional<ToolError> Check() const {
    if (!args_.is_object()) return ToolError{"arguments must be an object"};
    for (const auto& [k, _] : args_.items()) {
      if (!allowed_.contains(k)) {
        std::string list;
        for (const auto& a : allowed_) list += (list.empty() ? "" : ", ") + a;
        return ToolError{"unknown argument '" + Short(k, 40) + "' (" + tool_ + " takes: " + list +
                         ")"};
      }
    }
    return std::nullopt;
  }
  // A string argument; nullopt when absent. Empty strings count as absent only when optional.
  std::variant<std::optional<std::string>, ToolError> Str(const std::string& name,
                                                          bool required) const {
    const auto it = args_.find(name);
    if (it == args_.end() || it->is_null()) {
      if (required) return ToolError{name + ": required (a string)"};
      return std::optional<std::string>();
    }
    if (!it->is_string()) return ToolError{name + ": must be a string"};
    std::string v = it->get<std::string>();
    if (required && v.empty()) return ToolError{name + ": must not be empty"};
    if (v.size() > 1024) return ToolError{name + ": longer than 1024 bytes"};
    return std::optional<std::string>(std::move(v));
  }
  std::variant<int, ToolError> Int(const std::string& name, int fallback, int min, int max) const {
    const auto it = args_.find(name);
    if (it == args_.end() || it->is_null()) return fallback;
    if (!it->is_number_integer() &&
        !(it->is_number_float() && it->get<double>() == static_cast<int>(it->get<double>()))) {
      return ToolError{name + ": must be an integer from " + std::to_string(min) + " to " +
                       std::to_string(max)};
    }
    const double v = it->get<double>();
    if (v < min || v > max) {
      return ToolError{name + ": must be an integer from " + std::to_string(min) + " to " +
                       std::to_string(max)};
    }
    return static_cast<int>(v);
  }

 private:
  const json& args_;
  std::set<std::string> allowed_;
  std::string tool_;
};

// Cursors are opaque to clients: "o" + the offset, in base64url.
std::string MakeCursor(std::size_t offset) {
  const std::string text = "o" + std::to_string(offset);
  return Base64UrlEncode(
      std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}
std::variant<std::size_t, ToolError> ReadCursor(const std::optional<std::string>& cursor) {
  if (!cursor || cursor->empty()) return std::size_t{0};
  auto bytes = Base64Decode(*cursor);
  const ToolError bad{
      "cursor: not a cursor this server gave (pass next_cursor from the previous page unchanged)"};
  if (!bytes.ok() || bytes->size() < 2 || bytes->size() > 20 || (*bytes)[0] != 'o') return bad;
  std::size_t offset = 0;
  for (std::size_t i = 1; i < bytes->size(); ++i) {
    const auto c = (*bytes)[i];
    if (c < '0' || c > '9') return bad;
    offset = offset * 10 + (c - '0');
  }
  return offset;
}

json RefJson(const TableRef& ref) {
  return json{
      {"database", Utf8(ref.database)}, {"schema", Utf8(ref.schema)}, {"table", Utf8(ref.table)}};
}

json RelationshipJson(const Relationship& r) {
  json cols_from = json::array(), cols_to = json::array();
  for (const auto& c : r.from_columns) cols_from.push_back(Utf8(c));
  for (const auto& c : r.to_columns) cols_to.push_back(Utf8(c));
  json from = RefJson(r.from);
  from["columns"] = std::move(cols_from);
  json to = RefJson(r.to);
  to["columns"] = std::move(cols_to);
  json j{{"id", r.id},
         {"status", std::string(datamap::RelationshipStatusName(r.status))},
         {"from", std::move(from)},
         {"to", std::move(to)}};
  if (r.declared()) {
    j["constraint"] = Utf8(r.constraint_name);
  } else {
    j["confidence"] = r.confidence;
    json evidence = json::array();
    for (const auto& e : r.evidence) evidence.push_back(Utf8(e));
    j["evidence"] = std::move(evidence);
  }
  return j;
}

struct ToolDef {
  const char* name;
  const char* title;
  const char* description;
  json properties;
  std::vector<std::string> required;
};

json PagingProperties() {
  return json{
      {"cursor",
       {{"type", "string"}, {"description", "next_cursor from the previous page, to continue"}}},
      {"limit",
       {{"type", "integer"}, {"minimum", 1}, {"maximum", 200}, {"description", "items per page"}}}};
}

json ConnectionProperty() {
  return json{
      {"type", "string"},
      {"description",
       "connection id or name; needed only when two connections hold a database of that name"}};
}

std::vector<ToolDef> ToolDefs() {
  std::vector<ToolDef> defs;
  json p = PagingProperties();
  defs.push_back({"list_databases",
                  "List databases",
                  "Lists the databases whose tables were saved for the assistant, per connection, "
                  "with their schema "
                  "and table counts. Start here.",
                  json{{"cursor", p["cursor"]}, {"limit", p["limit"]}},
                  {}});
  json schemas =
      json{{"database",
            {{"type", "string"}, {"description", "database name, as list_databases gives it"}}},
           {"connection", ConnectionProperty()}};
  schemas.update(p);
  defs.push_back({"list_schemas",
                  "List schemas",
                  "Lists the schemas of a database that hold saved tables, with table counts.",
                  schemas,
                  {"database"}});
  json tables = json{{"database", {{"type", "string"}, {"description", "database name"}}},
                     {"schema", {{"type", "string"}, {"description", "only this schema"}}},
                     {"connection", ConnectionProperty()}};
  tables.update(p);
  defs.push_back({"list_tables",
                  "List tables",
                  "Lists the saved tables of a database (or of one schema): kind, role (fact, "
                  "dimension, lookup), "
                  "column count and comment.",
                  tables,
                  {"database"}});
  json describe = json{{"database", {{"type", "string"}, {"description", "database name"}}},
                       {"schema", {{"type", "string"}, {"description", "schema name"}}},
                       {"table", {{"type", "string"}, {"description", "table name"}}},
                       {"connection", ConnectionProperty()}};
  describe.update(p);
  defs.push_back({"describe_table",
                  "Describe a table",
                  "Describes one saved table: its comment, role, columns (type, nullable, key, "
                  "comment; paged), keys "
                  "and its relationships to other tables (declared, or inferred with evidence and "
                  "confidence).",
                  describe,
                  {"database", "schema", "table"}});
  json search = json{
      {"query",
       {{"type", "string"}, {"description", "words to find (all must match), case-insensitive"}}},
      {"database", {{"type", "string"}, {"description", "only this database"}}},
      {"connection", ConnectionProperty()}};
  search.update(p);
  defs.push_back({"search_tables",
                  "Search tables",
                  "Finds saved tables whose name, comment, column names or column comments contain "
                  "every word of "
                  "the query; best matches first, each with where it matched.",
                  search,
                  {"query"}});
  json rels = json{
      {"database", {{"type", "string"}, {"description", "only this database"}}},
      {"schema",
       {{"type", "string"}, {"description", "only tables of this schema (needs database)"}}},
      {"table",
       {{"type", "string"}, {"description", "only relationships of this table (needs schema)"}}},
      {"status",
       {{"type", "string"},
        {"enum", {"facts", "declared", "inferred", "accepted", "rejected", "all"}},
        {"description",
         "facts: declared and accepted; all: every status; default: all but rejected"}}},
      {"connection", ConnectionProperty()}};
  rels.update(p);
  defs.push_back(
      {"list_relationships",
       "List relationships",
       "Lists how saved tables join: declared foreign keys, and relationships inferred from names "
       "and "
       "types (not confirmed: check them) with evidence and confidence, and those a user accepted.",
       rels,
       {}});
  return defs;
}

json ToolListJson() {
  json tools = json::array();
  for (const auto& d : ToolDefs()) {
    json schema{{"type", "object"},
                {"properties", d.properties.empty() ? json::object() : d.properties}};
    if (!d.required.empty()) schema["required"] = d.required;
    schema["additionalProperties"] = false;
    tools.push_back(json{{"name", d.name},
                         {"title", d.title},
                         {"description", d.description},
                         {"inputSchema", std::move(schema)},
                         {"annotations",
                          {{"title", d.title},
                           {"readOnlyHint", true},
                           {"destructiveHint", false},
                           {"idempotentHint", true},
                           {"openWorldHint", false}}}});
  }
  return tools;
}

std::set<std::string> ArgNames(const std::string& tool) {
  for (const auto& d : ToolDefs()) {
    if (d.name == tool) {
      std::set<std::string> names;
      for (const auto& [k, _] : d.properties.items()) names.insert(k);
      return names;
    }
  }
  return {};
}

}  // namespace

std::vector<std::string_view> SupportedProtocolVersions() {
  return {kLatestProtocolVersion, "2025-06-18", "2025-03-26", "2024-11-05"};
}

struct Server::Impl {
  MetadataSource& source;
  Options options;
  std::optional<std::vector<Source>> sources;
  Status load_error;
  // Search index: one entry per table, lower-cased text.
  struct Indexed {
    const Source* source;
    TableRef ref;
    const warehouse::Table* table;
    std::string name, comment, columns, column_comments;  // lower case; columns '\n'-separated
  };
  std::vector<Indexed> index;

  Impl(MetadataSource& s, Options o) : source(s), options(std::move(o)) {}

  Status EnsureLoaded() {
    if (sources) return Status::Ok();
    if (!load_error.ok()) return load_error;
    auto loaded = source.Load();
    if (!loaded.ok()) {
      load_error = loaded.status();
      return load_error;
    }
    sources = std::move(loaded).value();
    for (const Source& s : *sources) {
      for (const auto& d : s.map.catalog.databases) {
        for (const auto& sc : d.schemas) {
          for (const auto& t : sc.tables) {
            Indexed e{&s,
                      TableRef{d.name, sc.name, t.name},
                      &t,
                      Lower(t.name),
                      Lower(t.comment.value_or("")),
                      {},
                      {}};
            for (const auto& c : t.columns) {
              e.columns += Lower(c.name) + '\n';
              if (c.comment) e.column_comments += Lower(*c.comment) + '\n';
            }
            index.push_back(std::move(e));
          }
        }
      }
    }
    return Status::Ok();
  }

  // The sources a connection argument selects (all when absent).
  std::variant<std::vector<const Source*>, ToolError> Sources(
      const std::optional<std::string>& connection) const {
    std::vector<const Source*> out;
    for (const auto& s : *sources) {
      if (!connection || s.connection_id == *connection || s.connection_name == *connection)
        out.push_back(&s);
    }
    if (connection && out.empty())
      return ToolError{"connection: no connection with saved tables is named '" +
                       Short(*connection, 80) + "' (list_databases shows them)"};
    return out;
  }

  // The one database of that name among `sources`.
  std::variant<std::pair<const Source*, const warehouse::Database*>, ToolError> Database(
      const std::vector<const Source*>& candidates, const std::string& name) const {
    std::vector<std::pair<const Source*, const warehouse::Database*>> found;
    for (const Source* s : candidates) {
      for (const auto& d : s->map.catalog.databases) {
        if (d.name == name) found.emplace_back(s, &d);
      }
    }
    if (found.empty())
      return ToolError{"database: no saved tables in a database named '" + Short(name, 80) +
                       "' (list_databases shows them)"};
    if (found.size() > 1) {
      return ToolError{"database: '" + Short(name, 80) + "' is in " + std::to_string(found.size()) +
                       " connections; pass connection (id or name, see list_databases)"};
    }
    return found.front();
  }

  // Pages `items` (already JSON) from `offset`, within the limit and the byte cap.
  json Page(const std::string& tool, std::vector<json> items, std::size_t offset, int limit,
            json extra = json::object()) const {
    json out = std::move(extra);
    const std::size_t total = items.size();
    json page = json::array();
    std::size_t bytes = out.dump().size() + 200;
    std::size_t i = std::min(offset, total);
    for (; i < total && page.size() < static_cast<std::size_t>(limit); ++i) {
      const std::size_t size = items[i].dump().size() + 1;
      if (!page.empty() && bytes + size > options.max_result_bytes) break;
      bytes += size;
      page.push_back(std::move(items[i]));
    }
    out["total"] = total;
    out["offset"] = std::min(offset, total);
    out["items"] = std::move(page);
    if (i < total) {
      const std::string cursor = MakeCursor(i);
      out["next_cursor"] = cursor;
      out["note"] = std::to_string(total - i) + " more: call " + tool +
                    " again with the same arguments and cursor \"" + cursor + "\".";
    } else {
      out["next_cursor"] = nullptr;
    }
    return out;
  }

  // --- tools ---

  std::variant<json, ToolError> ListDatabases(const Args& a) const {
    auto cursor = a.Str("cursor", false);
    if (auto* e = std::get_if<ToolError>(&cursor)) return *e;
    auto limit = a.Int("limit", options.page_size, 1, options.max_page_size);
    if (auto* e = std::get_if<ToolError>(&limit)) return *e;
    auto offset = ReadCursor(std::get<0>(cursor));
    if (auto* e = std::get_if<ToolError>(&offset)) return *e;
    std::vector<json> items;
    for (const auto& s : *sources) {
      for (const auto& d : s.map.catalog.databases) {
        std::size_t tables = 0, schemas = 0;
        for (const auto& sc : d.schemas) {
          tables += sc.tables.size();
          schemas += sc.tables.empty() ? 0 : 1;
        }
        items.push_back(json{{"database", Utf8(d.name)},
                             {"connection", Utf8(s.connection_name)},
                             {"connection_id", s.connection_id},
                             {"schemas", schemas},
                             {"tables", tables}});
      }
    }
    return Page("list_databases", std::move(items), std::get<0>(offset), std::get<0>(limit));
  }

  std::variant<json, ToolError> ListSchemas(const Args& a) const {
    auto db = a.Str("database", true);
    if (auto* e = std::get_if<ToolError>(&db)) return *e;
    auto conn = a.Str("connection", false);
    if (auto* e = std::get_if<ToolError>(&conn)) return *e;
    auto cursor = a.Str("cursor", false);
    if (auto* e = std::get_if<ToolError>(&cursor)) return *e;
    auto limit = a.Int("limit", options.page_size, 1, options.max_page_size);
    if (auto* e = std::get_if<ToolError>(&limit)) return *e;
    auto offset = ReadCursor(std::get<0>(cursor));
    if (auto* e = std::get_if<ToolError>(&offset)) return *e;
    auto srcs = Sources(std::get<0>(conn));
    if (auto* e = std::get_if<ToolError>(&srcs)) return *e;
    auto found = Database(std::get<0>(srcs), *std::get<0>(db));
    if (auto* e = std::get_if<ToolError>(&found)) return *e;
    const auto [src, database] = std::get<0>(found);
    std::vector<json> items;
    for (const auto& sc : database->schemas) {
      if (sc.tables.empty()) continue;
      items.push_back(json{{"schema", Utf8(sc.name)},
                           {"kind", std::string(warehouse::SchemaKindName(sc.kind))},
                           {"tables", sc.tables.size()}});
    }
    return Page(
        "list_schemas", std::move(items), std::get<0>(offset), std::get<0>(limit),
        json{{"database", Utf8(database->name)}, {"connection", Utf8(src->connection_name)}});
  }

  std::variant<json, ToolError> ListTables(const Args& a) const {
    auto db = a.Str("database", true);
    if (auto* e = std::get_if<ToolError>(&db)) return *e;
    auto schema = a.Str("schema", false);
    if (auto* e = std::get_if<ToolError>(&schema)) return *e;
    auto conn = a.Str("connection", false);
    if (auto* e = std::get_if<ToolError>(&conn)) return *e;
    auto cursor = a.Str("cursor", false);
    if (auto* e = std::get_if<ToolError>(&cursor)) return *e;
    auto limit = a.Int("limit", options.page_size, 1, options.max_page_size);
    if (auto* e = std::get_if<ToolError>(&limit)) return *e;
    auto offset = ReadCursor(std::get<0>(cursor));
    if (auto* e = std::get_if<ToolError>(&offset)) return *e;
    auto srcs = Sources(std::get<0>(conn));
    if (auto* e = std::get_if<ToolError>(&srcs)) return *e;
    auto found = Database(std::get<0>(srcs), *std::get<0>(db));
    if (auto* e = std::get_if<ToolError>(&found)) return *e;
    const auto [src, database] = std::get<0>(found);
    const auto& want_schema = std::get<0>(schema);
    bool schema_found = !want_schema;
    std::vector<json> items;
    for (const auto& sc : database->schemas) {
      if (want_schema && sc.name != *want_schema) continue;
      schema_found = schema_found || !sc.tables.empty();
      for (const auto& t : sc.tables) {
        const TableRef ref{database->name, sc.name, t.name};
        json item{{"schema", Utf8(sc.name)},
                  {"table", Utf8(t.name)},
                  {"kind", std::string(warehouse::TableKindName(t.kind))}};
        if (const auto it = src->map.roles.find(ref); it != src->map.roles.end()) {
          item["role"] = std::string(datamap::TableRoleName(it->second.role));
        }
        item["columns"] = t.columns.size();
        item["comment"] = Nullable(t.comment, /*shorten=*/true);
        items.push_back(std::move(item));
      }
    }
    if (!schema_found) {
      return ToolError{"schema: no saved tables in schema '" + Short(*want_schema, 80) +
                       "' of database '" + Short(database->name, 80) +
                       "' (list_schemas shows them)"};
    }
    return Page(
        "list_tables", std::move(items), std::get<0>(offset), std::get<0>(limit),
        json{{"database", Utf8(database->name)}, {"connection", Utf8(src->connection_name)}});
  }

  std::variant<json, ToolError> DescribeTable(const Args& a) const {
    auto db = a.Str("database", true);
    if (auto* e = std::get_if<ToolError>(&db)) return *e;
    auto schema = a.Str("schema", true);
    if (auto* e = std::get_if<ToolError>(&schema)) return *e;
    auto table = a.Str("table", true);
    if (auto* e = std::get_if<ToolError>(&table)) return *e;
    auto conn = a.Str("connection", false);
    if (auto* e = std::get_if<ToolError>(&conn)) return *e;
    auto cursor = a.Str("cursor", false);
    if (auto* e = std::get_if<ToolError>(&cursor)) return *e;
    auto limit = a.Int("limit", options.max_page_size, 1, options.max_page_size);
    if (auto* e = std::get_if<ToolError>(&limit)) return *e;
    auto offset = ReadCursor(std::get<0>(cursor));
    if (auto* e = std::get_if<ToolError>(&offset)) return *e;
    auto srcs = Sources(std::get<0>(conn));
    if (auto* e = std::get_if<ToolError>(&srcs)) return *e;
    auto found = Database(std::get<0>(srcs), *std::get<0>(db));
    if (auto* e = std::get_if<ToolError>(&found)) return *e;
    const auto [src, database] = std::get<0>(found);
    const TableRef ref{database->name, *std::get<0>(schema), *std::get<0>(table)};
    const warehouse::Table* t = src->map.FindTable(ref);
    if (t == nullptr) {
      return ToolError{"table: no saved table " + Short(ref.schema, 80) + "." +
                       Short(ref.table, 80) + " in database '" + Short(ref.database, 80) +
                       "' (names are exact; list_tables or search_tables shows them)"};
    }
    std::set<std::string> pk;
    json keys = json::array();
    for (const auto& k : t->constraints) {
      if (k.kind == warehouse::ConstraintKind::kPrimaryKey)
        pk.insert(k.columns.begin(), k.columns.end());
      json cols = json::array();
      for (const auto& c : k.columns) cols.push_back(Utf8(c));
      json key{{"kind", std::string(warehouse::ConstraintKindName(k.kind))},
               {"name", Utf8(k.name)},
               {"columns", std::move(cols)}};
      if (k.kind == warehouse::ConstraintKind::kForeignKey) {
        json rcols = json::array();
        for (const auto& c : k.referenced_columns) rcols.push_back(Utf8(c));
        key["references"] = json{{"schema", Utf8(k.referenced_schema)},
                                 {"table", Utf8(k.referenced_table)},
                                 {"columns", std::move(rcols)}};
        key["references_saved_table"] =
            src->map.FindTable(TableRef{ref.database, k.referenced_schema, k.referenced_table}) !=
            nullptr;
      }
      keys.push_back(std::move(key));
    }
    json rels = json::array();
    for (const Relationship* r : src->map.RelationshipsOf(ref)) {
      if (r->status != RelationshipStatus::kRejected) rels.push_back(RelationshipJson(*r));
    }
    json head{{"database", Utf8(ref.database)},
              {"schema", Utf8(ref.schema)},
              {"table", Utf8(ref.table)},
              {"connection", Utf8(src->connection_name)},
              {"kind", std::string(warehouse::TableKindName(t->kind))},
              {"comment", Nullable(t->comment)}};
    if (const auto it = src->map.roles.find(ref); it != src->map.roles.end()) {
      head["role"] = json{{"name", std::string(datamap::TableRoleName(it->second.role))},
                          {"overridden", it->second.overridden},
                          {"reason", Utf8(it->second.reason)}};
    }
    head["keys"] = std::move(keys);
    head["relationships"] = std::move(rels);
    std::vector<json> columns;
    for (const auto& c : t->columns) {
      json col{{"position", c.position},
               {"name", Utf8(c.name)},
               {"type", Utf8(c.type)},
               {"nullable", c.nullable}};
      if (pk.contains(c.name)) col["primary_key"] = true;
      col["comment"] = Nullable(c.comment);
      columns.push_back(std::move(col));
    }
    // The columns are the paged items (a table may have 1,600).
    return Page("describe_table", std::move(columns), std::get<0>(offset), std::get<0>(limit),
                std::move(head));
  }

  std::variant<json, ToolError> SearchTables(const Args& a) const {
    auto query = a.Str("query", true);
    if (auto* e = std::get_if<ToolError>(&query)) return *e;
    auto db = a.Str("database", false);
    if (auto* e = std::get_if<ToolError>(&db)) return *e;
    auto conn = a.Str("connection", false);
    if (auto* e = std::get_if<ToolError>(&conn)) return *e;
    auto cursor = a.Str("cursor", false);
    if (auto* e = std::get_if<ToolError>(&cursor)) return *e;
    auto limit = a.Int("limit", options.page_size, 1, options.max_page_size);
    if (auto* e = std::get_if<ToolError>(&limit)) return *e;
    auto offset = ReadCursor(std::get<0>(cursor));
    if (auto* e = std::get_if<ToolError>(&offset)) return *e;
    auto srcs = Sources(std::get<0>(conn));
    if (auto* e = std::get_if<ToolError>(&srcs)) return *e;
    std::vector<std::string> terms;
    {
      const std::string q = Lower(*std::get<0>(query));
      std::size_t i = 0;
      while (i < q.size()) {
        while (i < q.size() && (q[i] == ' ' || q[i] == '\t' || q[i] == '\n')) ++i;
        std::size_t j = i;
        while (j < q.size() && q[j] != ' ' && q[j] != '\t' && q[j] != '\n') ++j;
        if (j > i) terms.push_back(q.substr(i, j - i));
        i = j;
      }
    }
    if (terms.empty()) return ToolError{"query: must hold at least one word"};
    const std::set<const Source*> allowed(std::get<0>(srcs).begin(), std::get<0>(srcs).end());
    struct Hit {
      int score;
      const Indexed* e;
      std::vector<std::string> matched;
    };
    std::vector<Hit> hits;
    for (const auto& e : index) {
      if (!allowed.contains(e.source)) continue;
      if (std::get<0>(db) && e.ref.database != *std::get<0>(db)) continue;
      int score = 0;
      std::set<std::string> where;
      bool all = true;
      for (const auto& term : terms) {
        int s = 0;
        if (e.name == term) {
          s = 100;
          where.insert("name");
        } else if (e.name.find(term) != std::string::npos) {
          s = 50;
          where.insert("name");
        }
        if (e.columns.find(term) != std::string::npos) {
          s = std::max(s, e.columns.find('\n' + term + '\n') != std::string::npos ||
                                  e.columns.compare(0, term.size() + 1, term + '\n') == 0
                              ? 30
                              : 20);
          where.insert("column name");
        }
        if (e.comment.find(term) != std::string::npos) {
          s = std::max(s, 10);
          where.insert("comment");
        }
        if (e.column_comments.find(term) != std::string::npos) {
          s = std::max(s, 5);
          where.insert("column comment");
        }
        if (s == 0) {
          all = false;
          break;
        }
        score += s;
      }
      if (all) hits.push_back(Hit{score, &e, std::vector<std::string>(where.begin(), where.end())});
    }
    std::stable_sort(hits.begin(), hits.end(), [](const Hit& x, const Hit& y) {
      if (x.score != y.score) return x.score > y.score;
      return std::tie(x.e->source->connection_name, x.e->ref) <
             std::tie(y.e->source->connection_name, y.e->ref);
    });
    std::vector<json> items;
    items.reserve(hits.size());
    for (const auto& h : hits) {
      json item = RefJson(h.e->ref);
      item["connection"] = Utf8(h.e->source->connection_name);
      item["kind"] = std::string(warehouse::TableKindName(h.e->table->kind));
      item["matched"] = h.matched;
      item["comment"] = Nullable(h.e->table->comment, /*shorten=*/true);
      // The matching columns, so the assistant sees why without describing the table.
      json cols = json::array();
      for (const auto& c : h.e->table->columns) {
        const std::string name = Lower(c.name);
        if (std::any_of(terms.begin(), terms.end(),
                        [&](const std::string& t) { return name.find(t) != std::string::npos; })) {
          cols.push_back(Utf8(c.name));
          if (cols.size() >= 10) break;
        }
      }
      if (!cols.empty()) item["matching_columns"] = std::move(cols);
      items.push_back(std::move(item));
    }
    return Page("search_tables", std::move(items), std::get<0>(offset), std::get<0>(limit),
                json{{"query", Utf8(*std::get<0>(query))}});
  }

  std::variant<json, ToolError> ListRelationships(const Args& a) const {
    auto db = a.Str("database", false);
    if (auto* e = std::get_if<ToolError>(&db)) return *e;
    auto schema = a.Str("schema", false);
    if (auto* e = std::get_if<ToolError>(&schema)) return *e;
    auto table = a.Str("table", false);
    if (auto* e = std::get_if<ToolError>(&table)) return *e;
    auto status = a.Str("status", false);
    if (auto* e = std::get_if<ToolError>(&status)) return *e;
    auto conn = a.Str("connection", false);
    if (auto* e = std::get_if<ToolError>(&conn)) return *e;
    auto cursor = a.Str("cursor", false);
    if (auto* e = std::get_if<ToolError>(&cursor)) return *e;
    auto limit = a.Int("limit", options.page_size, 1, options.max_page_size);
    if (auto* e = std::get_if<ToolError>(&limit)) return *e;
    auto offset = ReadCursor(std::get<0>(cursor));
    if (auto* e = std::get_if<ToolError>(&offset)) return *e;
    auto srcs = Sources(std::get<0>(conn));
    if (auto* e = std::get_if<ToolError>(&srcs)) return *e;
    if (std::get<0>(schema) && !std::get<0>(db)) return ToolError{"schema: needs database"};
    if (std::get<0>(table) && !std::get<0>(schema)) return ToolError{"table: needs schema"};
    const std::string want = std::get<0>(status).value_or("");
    static const std::set<std::string> kStatuses = {"",         "facts",    "declared", "inferred",
                                                    "accepted", "rejected", "all"};
    if (!kStatuses.contains(want)) {
      return ToolError{"status: must be one of facts, declared, inferred, accepted, rejected, all"};
    }
    std::vector<const Source*> candidates = std::get<0>(srcs);
    if (std::get<0>(db)) {
      auto found = Database(candidates, *std::get<0>(db));
      if (auto* e = std::get_if<ToolError>(&found)) return *e;
      candidates = {std::get<0>(found).first};
    }
    if (std::get<0>(table)) {
      const TableRef ref{*std::get<0>(db), *std::get<0>(schema), *std::get<0>(table)};
      if (candidates.front()->map.FindTable(ref) == nullptr) {
        return ToolError{"table: no saved table " + Short(ref.schema, 80) + "." +
                         Short(ref.table, 80) + " in database '" + Short(ref.database, 80) + "'"};
      }
    }
    auto touches = [&](const TableRef& r) {
      if (std::get<0>(db) && r.database != *std::get<0>(db)) return false;
      if (std::get<0>(schema) && r.schema != *std::get<0>(schema)) return false;
      if (std::get<0>(table) && r.table != *std::get<0>(table)) return false;
      return true;
    };
    std::vector<json> items;
    for (const Source* s : candidates) {
      for (const auto& r : s->map.relationships) {
        if (!touches(r.from) && !touches(r.to)) continue;
        const std::string st(datamap::RelationshipStatusName(r.status));
        const bool keep = want == "all" ||
                          (want.empty() && r.status != RelationshipStatus::kRejected) ||
                          (want == "facts" && r.is_fact()) || want == st;
        if (!keep) continue;
        json item = RelationshipJson(r);
        if (candidates.size() > 1) item["connection"] = Utf8(s->connection_name);
        items.push_back(std::move(item));
      }
    }
    return Page("list_relationships", std::move(items), std::get<0>(offset), std::get<0>(limit));
  }

  json CallTool(const json& params) {
    const auto name_it = params.find("name");
    const std::string name =
        name_it != params.end() && name_it->is_string() ? name_it->get<std::string>() : "";
    static const json kEmpty = json::object();
    const auto args_it = params.find("arguments");
    const json& args = args_it == params.end() || args_it->is_null() ? kEmpty : *args_it;
    Args a(args, ArgNames(name), name);
    std::variant<json, ToolError> result = ToolError{""};
    if (auto bad = a.Check()) {
      result = *bad;
    } else if (Status loaded = EnsureLoaded(); !loaded.ok()) {
      result = ToolError{"the saved metadata could not be read: " + loaded.message()};
    } else if (name == "list_databases") {
      result = ListDatabases(a);
    } else if (name == "list_schemas") {
      result = ListSchemas(a);
    } else if (name == "list_tables") {
      result = ListTables(a);
    } else if (name == "describe_table") {
      result = DescribeTable(a);
    } else if (name == "search_tables") {
      result = SearchTables(a);
    } else {
      result = ListRelationships(a);
    }
    if (auto* e = std::get_if<ToolError>(&result)) {
      return json{{"content", json::array({json{{"type", "text"}, {"text", Utf8(e->message)}}})},
                  {"isError", true}};
    }
    json& value = std::get<json>(result);
    return json{{"content", json::array({json{{"type", "text"}, {"text", value.dump()}}})},
                {"structuredContent", value},
                {"isError", false}};
  }
};

Server::Server(MetadataSource& source, Options options)
    : impl_(std::make_unique<Impl>(source, std::move(options))) {}
Server::~Server() = default;

namespace {
std::string ErrorResponse(const json& id, int code, std::string message) {
  return json{
      {"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", code}, {"message", std::move(message)}}}}
      .dump();
}
std::string ResultResponse(const json& id, json result) {
  return json{{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}}.dump();
}
}  // namespace

std::optional<std::string> Server::Handle(std::string_view message) {
  json msg = json::parse(message, nullptr, /*allow_exceptions=*/false);
  if (msg.is_discarded())
    return ErrorResponse(nullptr, kParseError, "Parse error: the message is not JSON");
  if (!msg.is_object())
    return ErrorResponse(nullptr, kInvalidRequest,
                         "Invalid Request: a message must be a JSON object");
  const auto id_it = msg.find("id");
  const bool has_id = id_it != msg.end();
  json id = has_id ? *id_it : json();
  if (has_id && !id.is_string() && !id.is_number_integer()) {
    return ErrorResponse(nullptr, kInvalidRequest,
                         "Invalid Request: id must be a string or an integer");
  }
  const auto method_it = msg.find("method");
  if (msg.value("jsonrpc", "") != "2.0" || method_it == msg.end() || !method_it->is_string()) {
    if (!has_id && method_it == msg.end())
      return std::nullopt;  // a response from the client: nothing to answer
    return ErrorResponse(id, kInvalidRequest,
                         "Invalid Request: needs \"jsonrpc\": \"2.0\" and a method");
  }
  const std::string method = method_it->get<std::string>();
  const auto params_it = msg.find("params");
  static const json kNoParams = json::object();
  if (params_it != msg.end() && !params_it->is_object()) {
    return has_id ? std::optional(ErrorResponse(id, kInvalidParams,
                                                "Invalid params: params must be an object"))
                  : std::nullopt;
  }
  const json& params = params_it == msg.end() ? kNoParams : *params_it;
  if (!has_id) return std::nullopt;  // notifications: initialized, cancelled, ... need no answer

  if (method == "initialize") {
    const auto v = params.find("protocolVersion");
    if (v == params.end() || !v->is_string()) {
      return ErrorResponse(id, kInvalidParams, "Invalid params: initialize needs protocolVersion");
    }
    std::string version(kLatestProtocolVersion);
    for (auto supported : SupportedProtocolVersions()) {
      if (supported == v->get<std::string>()) version = std::string(supported);
    }
    return ResultResponse(id, json{{"protocolVersion", version},
                                   {"capabilities", {{"tools", {{"listChanged", false}}}}},
                                   {"serverInfo",
                                    {{"name", "schemaport"},
                                     {"title", "schemaport Data Map"},
                                     {"version", impl_->options.server_version}}},
                                   {"instructions",
                                    "Read-only metadata of the warehouse tables a user saved in "
                                    "schemaport (never data). Start with "
                                    "list_databases or search_tables, then describe_table. "
                                    "Relationships marked inferred are guesses "
                                    "from names and types; declared and accepted ones are facts. "
                                    "Lists are paged: pass next_cursor to "
                                    "continue."}});
  }
  if (method == "ping") return ResultResponse(id, json::object());
  if (method == "tools/list") {
    const auto c = params.find("cursor");
    if (c != params.end() && !(c->is_null() || (c->is_string() && c->get<std::string>().empty()))) {
      return ErrorResponse(id, kInvalidParams,
                           "Invalid params: tools/list has one page; no cursor applies");
    }
    return ResultResponse(id, json{{"tools", ToolListJson()}});
  }
  if (method == "tools/call") {
    const auto name = params.find("name");
    if (name == params.end() || !name->is_string()) {
      return ErrorResponse(id, kInvalidParams, "Invalid params: tools/call needs a tool name");
    }
    if (ArgNames(name->get<std::string>()).empty()) {
      return ErrorResponse(id, kInvalidParams,
                           "Unknown tool: " + Short(name->get<std::string>(), 80));
    }
    return ResultResponse(id, impl_->CallTool(params));
  }
  return ErrorResponse(id, kMethodNotFound, "Method not found: " + Short(method, 80));
}

void Server::Serve(std::istream& in, std::ostream& out) {
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    if (auto response = Handle(line)) {
      out << *response << '\n';
      out.flush();
    }
  }
}

}  // namespace schemaport::mcp
