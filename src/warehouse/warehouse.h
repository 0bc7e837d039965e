// warehouse: the Connector interface every data store implements, and the catalog model.
//
// A Connector is made from a connection's settings (form fields, secrets included) and can:
//   - run the connection test: named steps, each ok / failed / skipped, with a detail and a fix;
//   - list the databases the connection can see;
//   - fetch the catalog at two depths: tables only, or tables with columns (optionally only for
//     a selection of tables, so that unselected tables are never read past their names).
// Connectors register by name ("redshift") in a ConnectorRegistry; the service, API and CLI see
// only this header. Dependencies of a connector (HTTP, clocks, credentials) are bound when its
// factory is registered, at start-up.
//
// Catalog JSON (docs/catalog-json.md) is produced and read by CatalogToJson/CatalogFromJson.
#pragma once

#include <atomic>
#include <compare>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/core.h"

namespace schemaport::warehouse {

// ---------------------------------------------------------------------------------------------
// Catalog model
// ---------------------------------------------------------------------------------------------

enum class SchemaKind { kLocal, kExternal, kDatashare };
enum class TableKind { kTable, kView, kLateBindingView, kMaterializedView, kExternalTable };

// A normalised family for a warehouse type, for consumers that do not speak Redshift's types.
enum class TypeFamily {
  kInteger,
  kDecimal,
  kFloat,
  kBoolean,
  kString,
  kDate,
  kTime,
  kTimestamp,
  kInterval,
  kBinary,
  kSemiStructured,
  kSpatial,
  kSketch,
  kOther,
};

std::string_view SchemaKindName(SchemaKind k);  // "local", "external", "datashare"
std::string_view TableKindName(TableKind k);    // "table", "view", "late_binding_view", ...
std::string_view TypeFamilyName(TypeFamily f);  // "integer", "decimal", ...
std::optional<SchemaKind> ParseSchemaKind(std::string_view s);
std::optional<TableKind> ParseTableKind(std::string_view s);
std::optional<TypeFamily> ParseTypeFamily(std::string_view s);

struct Column {
  int position = 0;  // 1-based, as the warehouse numbers it
  std::string name;  // exactly as stored (case, quotes, unicode)
  std::string type;  // exactly as the warehouse formats it
  TypeFamily family = TypeFamily::kOther;
  bool nullable = true;
  std::optional<std::string> default_value;
  std::optional<std::string> comment;
  bool dist_key = false;                 // distribution key member, where readable
  std::optional<int> sort_key_position;  // 1-based position in the sort key, where readable

  friend bool operator==(const Column&, const Column&) = default;
};

// A key as the warehouse declares it. Redshift keeps primary key, unique and foreign key
// constraints in its catalog as informational only (it does not enforce them); they are read
// with the columns (FetchDepth::kColumns) of the tables that are read.
enum class ConstraintKind { kPrimaryKey, kUnique, kForeignKey };
std::string_view ConstraintKindName(ConstraintKind k);  // "primary_key", "unique", "foreign_key"
std::optional<ConstraintKind> ParseConstraintKind(std::string_view s);

struct Constraint {
  ConstraintKind kind = ConstraintKind::kPrimaryKey;
  std::string name;                  // the constraint's name as stored
  std::vector<std::string> columns;  // the constrained columns, in key order
  // kForeignKey only: the referenced table (always in the same database) and its columns, in
  // the order that pairs them with `columns`.
  std::string referenced_schema;
  std::string referenced_table;
  std::vector<std::string> referenced_columns;

  friend bool operator==(const Constraint&, const Constraint&) = default;
};

struct Table {
  std::string name;
  TableKind kind = TableKind::kTable;
  std::optional<std::string> comment;
  std::string owner;
  bool can_select = false;      // the connecting user may SELECT it
  bool columns_loaded = false;  // false at tables-only depth or when not selected
  std::vector<Column> columns;
  std::vector<Constraint> constraints;  // read with the columns; sorted by kind, then name

  friend bool operator==(const Table&, const Table&) = default;
};

struct Schema {
  std::string name;
  SchemaKind kind = SchemaKind::kLocal;
  std::optional<std::string> source;  // external: the external database; datashare: producer
  std::vector<Table> tables;

  friend bool operator==(const Schema&, const Schema&) = default;
};

struct Database {
  std::string name;
  std::vector<Schema> schemas;

  friend bool operator==(const Database&, const Database&) = default;
};

struct Catalog {
  std::vector<Database> databases;
  // Whether the warehouse compares names with their case (Redshift's
  // enable_case_sensitive_identifier, off by default: names are folded to lower case and
  // include/exclude patterns match ignoring ASCII case, see MatchCase).
  bool case_sensitive = false;

  std::size_t TableCount() const;
  std::size_t ColumnCount() const;
  // Sorts databases, schemas and tables by name, columns by position and constraints by kind
  // then name: a canonical order so two fetches of the same warehouse compare equal.
  void Normalize();

  friend bool operator==(const Catalog&, const Catalog&) = default;
};

// A fully qualified table name; the unit of selection.
struct TableRef {
  std::string database, schema, table;
  auto operator<=>(const TableRef&) const = default;
  bool operator==(const TableRef&) const = default;
};

// Catalog <-> JSON (docs/catalog-json.md, format schemaport.catalog/v2; FromJson also reads v1,
// which has no constraints). FromJson validates shape and types and reports the path of the
// first bad member ("databases[0].schemas[2].tables[5].kind: ...").
// WriteCatalogJson streams the document (memory stays flat however large the catalog);
// indent < 0 writes one line. Invalid UTF-8 in names is replaced by U+FFFD.
//
// `extras` lets a consumer (the Data Map) add members to the same document: each value is JSON
// text (it is parsed and re-written with the document's indentation; text that does not parse
// is written as null). Table members follow "constraints"; top-level members follow
// "databases". Members are written in the order given.
struct CatalogJsonExtras {
  std::function<std::vector<std::pair<std::string, std::string>>(const TableRef&)> table_members;
  std::vector<std::pair<std::string, std::string>> members;
};
void WriteCatalogJson(const Catalog& catalog, std::ostream& out, int indent = -1,
                      const CatalogJsonExtras* extras = nullptr);
std::string CatalogToJson(const Catalog& catalog, int indent = -1);
Result<Catalog> CatalogFromJson(std::string_view json);

// A table's constraints as a JSON array (the `constraints` member of catalog JSON), and back:
// how a store keeps them beside a saved table.
std::string ConstraintsToJson(const std::vector<Constraint>& constraints);
Result<std::vector<Constraint>> ConstraintsFromJson(std::string_view json);

// ---------------------------------------------------------------------------------------------
// Filters
// ---------------------------------------------------------------------------------------------

// Include/exclude patterns over "database.schema.table", with `*` (any run of characters,
// including dots) and `?` (one character); matching is exact-case (see Make). A pattern with fewer
// parts matches a prefix: "dev" is "dev.*", "dev.sales" is "dev.sales.*". A table is kept when it
// matches some include (or there are none) and matches no exclude. A part may be quoted with
// double quotes to hold a literal dot: "dev.\"a.b\".*".
class TableFilter {
 public:
  // kIgnoreAscii matches as Redshift compares names while enable_case_sensitive_identifier is
  // off (its default): ASCII letters fold to lower case, everything else compares exactly.
  static Result<TableFilter> Make(const std::vector<std::string>& include,
                                  const std::vector<std::string>& exclude,
                                  MatchCase match_case = MatchCase::kExact);
  bool Keeps(const TableRef& ref) const;
  // True when no table of this database or schema can be kept (lets a fetch skip it).
  bool ExcludesDatabase(std::string_view database) const;
  bool ExcludesSchema(std::string_view database, std::string_view schema) const;
  bool empty() const { return include_.empty() && exclude_.empty(); }

 private:
  struct Pattern {
    std::string text;
    std::vector<std::string> parts;  // 1 to 3 glob parts
  };
  static Result<Pattern> Parse(const std::string& text);
  bool Glob(std::string_view pattern, std::string_view text) const;
  bool Matches(const Pattern& p, const TableRef& ref) const;
  bool CouldMatch(const Pattern& p, std::string_view database,
                  std::optional<std::string_view> schema) const;
  std::vector<Pattern> include_, exclude_;
  MatchCase match_case_ = MatchCase::kExact;
};

// ---------------------------------------------------------------------------------------------
// The connector interface
// ---------------------------------------------------------------------------------------------

// One field of a data store's connection form. Fields of the same `group` are alternatives
// (e.g. workgroup vs cluster): the portal shows them together.
struct FormField {
  std::string id;     // settings key, e.g. "access_key_id"
  std::string label;  // e.g. "Access Key ID"
  std::string kind;   // "text", "secret" or "select"
  bool required = false;
  std::string help;
  std::string placeholder;
  std::string group;                 // "" or a group id such as "target"
  std::vector<std::string> options;  // for "select"
};

// A connection's settings as entered: plain values and secrets, keyed by FormField::id.
struct ConnectionSettings {
  std::map<std::string, std::string> values;
  std::map<std::string, Secret> secrets;

  std::string Get(const std::string& id) const;
  const Secret* GetSecret(const std::string& id) const;
};

enum class StepStatus { kOk, kFailed, kSkipped };
std::string_view StepStatusName(StepStatus s);  // "ok", "failed", "skipped"

struct TestStep {
  std::string id;     // stable: "credentials", "data_api", "temporary_credentials", ...
  std::string title;  // "Credentials valid"
  StepStatus status = StepStatus::kSkipped;
  std::string detail;  // what was found: identity, database user, error text
  std::string fix;     // how to fix a failure: the IAM action to allow, the GRANT to run
};

struct TestReport {
  std::vector<TestStep> steps;
  bool ok() const;  // every step ok
};

// Cancellation shared between a job and the fetch it runs. Thread-safe.
class CancelToken {
 public:
  void Cancel() { cancelled_.store(true); }
  bool cancelled() const { return cancelled_.load(); }

 private:
  std::atomic<bool> cancelled_{false};
};

struct FetchProgress {
  std::string phase;  // "listing databases", "reading catalog of <db>", ...
  int databases_done = 0;
  int databases_total = 0;
  std::int64_t tables = 0;   // tables read so far
  std::int64_t columns = 0;  // columns read so far
};

enum class FetchDepth { kTables, kColumns };

struct FetchRequest {
  FetchDepth depth = FetchDepth::kColumns;
  // Databases to read; empty means every database the connection can list.
  std::vector<std::string> databases;
  std::vector<std::string> include, exclude;  // TableFilter patterns
  // With kColumns: when set, only these tables are read (with their columns); every other table
  // is left out of the result entirely.
  std::optional<std::set<TableRef>> selection;
  std::function<void(const FetchProgress&)> on_progress;  // called from any thread
  const CancelToken* cancel = nullptr;
};

// Thread safety: a Connector may be used from several threads; each call is independent.
class Connector {
 public:
  virtual ~Connector() = default;
  // Runs every step it can; a failed step skips the steps that need it. Returns an error only
  // when the settings themselves are invalid (missing or malformed fields).
  virtual Result<TestReport> Test() = 0;
  virtual Result<std::vector<std::string>> ListDatabases(const CancelToken* cancel) = 0;
  // Errors name the step that failed and the warehouse's or AWS's error.
  virtual Result<Catalog> Fetch(const FetchRequest& request) = 0;
};

// Validates settings against a connector's form (required fields, formats) without contacting
// anything. Used by the API before saving a connection.
struct ConnectorType {
  std::string name;   // "redshift"
  std::string label;  // "Amazon Redshift"
  std::vector<FormField> fields;
  std::function<Status(const ConnectionSettings&)> validate;
  std::function<Result<std::unique_ptr<Connector>>(const ConnectionSettings&)> create;
};

// Connector types by name. Filled once at start-up; read-only afterwards (thread-safe reads).
class ConnectorRegistry {
 public:
  Status Register(ConnectorType type);
  const ConnectorType* Find(std::string_view name) const;
  std::vector<const ConnectorType*> List() const;
  Result<std::unique_ptr<Connector>> Create(std::string_view name,
                                            const ConnectionSettings& settings) const;

 private:
  std::map<std::string, ConnectorType, std::less<>> types_;
};

}  // namespace schemaport::warehouse
