// datamap: the Data Map handed to an analytics assistant, built from saved metadata only.
//
//   keys           the warehouse's declared constraints (warehouse::Constraint on each table)
//   relationships  declared (a foreign key between two saved tables) or inferred from names and
//                  types only (never from data), each inferred one with its evidence and a
//                  confidence; a user accepts or rejects an inferred one (Decisions, keyed by
//                  the relationship's id, which depends only on its two ends and so survives a
//                  refresh). Declared relationships always win: no inferred relationship is
//                  made from columns a declared foreign key already covers.
//   roles          a suggested role per table (fact, dimension, lookup) from its keys, columns
//                  and relationships, which a user may override
//   diff           relationships new, removed or changed between two Data Maps (refresh)
//   exports        catalog JSON (schemaport.catalog/v2 with keys, roles and relationships),
//                  dbt `sources` YAML, annotated DDL and Markdown for an LLM's context
//
// Every function is deterministic: the same saved tables and decisions give the same
// relationships, in the same order, and every export the same bytes. A DataMap holds only the
// tables it was built from (the saved ones): a declared foreign key to a table that is not saved
// is kept on its table as a key but is not a relationship and never names that table in an
// export other than the key itself. Only declared and accepted relationships are exported as
// facts (REFERENCES, dbt relationships tests); inferred ones are exported only in catalog JSON,
// marked as such.
//
// Thread safety: functions are pure; a DataMap is a value and may be read from many threads.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "core/core.h"
#include "store/store.h"
#include "warehouse/warehouse.h"

namespace schemaport::datamap {

using warehouse::TableRef;

// ---------------------------------------------------------------------------------------------
// Relationships
// ---------------------------------------------------------------------------------------------

enum class RelationshipStatus { kDeclared, kInferred, kAccepted, kRejected };
std::string_view RelationshipStatusName(RelationshipStatus s);  // "declared", "inferred", ...

enum class Decision { kAccept, kReject };
std::string_view DecisionName(Decision d);  // "accept", "reject"
std::optional<Decision> ParseDecision(std::string_view s);

struct Relationship {
  std::string id;  // RelationshipId(from, from_columns, to, to_columns)
  TableRef from;   // the referencing table (many side)
  std::vector<std::string> from_columns;
  TableRef to;  // the referenced table (one side)
  std::vector<std::string> to_columns;
  RelationshipStatus status = RelationshipStatus::kInferred;
  std::string constraint_name;        // declared only
  double confidence = 1.0;            // 1 for declared; (0, 1) for inferred
  std::vector<std::string> evidence;  // why it was inferred, one reason per entry

  bool declared() const { return status == RelationshipStatus::kDeclared; }
  // Declared or accepted: exported as a fact.
  bool is_fact() const {
    return status == RelationshipStatus::kDeclared || status == RelationshipStatus::kAccepted;
  }
  friend bool operator==(const Relationship&, const Relationship&) = default;
};

// A stable id: 16 hex digits of a hash over both ends (length-prefixed, so no name can forge
// another's id by containing separators).
std::string RelationshipId(const TableRef& from, const std::vector<std::string>& from_columns,
                           const TableRef& to, const std::vector<std::string>& to_columns);

// Declared relationships: foreign keys whose both tables are in `saved`.
std::vector<Relationship> DeclaredRelationships(const warehouse::Catalog& saved);

// Inferred relationships, from names and types only. For a column such as `customer_id`,
// `customerid`, `customer_key` or `customer_fk` (the stem `customer`), candidate targets are
// the saved tables of the same database named after the stem, compared ignoring ASCII case:
// the stem itself, its English plurals (-s, -es, -y -> -ies), the singular of a plural stem,
// and each of these with a `dim_` or `d_` prefix; the same schema scores higher. The target column
// is the target's declared single-column primary key, else a column with the same name, else `id`,
// else the stem with a key suffix. Types must be of the same family. The column must not be covered
// by a declared foreign key, and a column that is its own table's key does not point at itself.
// Only the best-scoring targets of a column are kept (ties all kept, with lower confidence).
// Output sorted by (from, from_columns, to, to_columns). O(columns) hash lookups.
std::vector<Relationship> InferRelationships(const warehouse::Catalog& saved);

// ---------------------------------------------------------------------------------------------
// Roles
// ---------------------------------------------------------------------------------------------

enum class TableRole { kFact, kDimension, kLookup };
std::string_view TableRoleName(TableRole r);  // "fact", "dimension", "lookup"
std::optional<TableRole> ParseTableRole(std::string_view s);

struct RoleInfo {
  TableRole role = TableRole::kDimension;
  TableRole suggested = TableRole::kDimension;
  bool overridden = false;  // `role` is the user's choice
  std::string reason;       // why `suggested`, in a sentence
};

// ---------------------------------------------------------------------------------------------
// The Data Map
// ---------------------------------------------------------------------------------------------

// A user's choices, kept by the caller across refreshes.
struct Decisions {
  std::map<std::string, Decision> relationships;  // by Relationship::id
  std::map<TableRef, TableRole> roles;            // overrides
};

struct DataMap {
  warehouse::Catalog catalog;               // the saved tables, normalised
  std::vector<Relationship> relationships;  // declared first, then inferred; each sorted
  std::map<TableRef, RoleInfo> roles;       // one per table
  // Positions in `relationships` per table at either end, ascending (set by BuildDataMap, or
  // by IndexRelationships after `relationships` is replaced; a status change needs nothing).
  std::map<TableRef, std::vector<std::size_t>> relationships_by_table;

  const warehouse::Table* FindTable(const TableRef& ref) const;
  // Relationships with `ref` at either end, in this map's order. O(log tables + result).
  std::vector<const Relationship*> RelationshipsOf(const TableRef& ref) const;
  void IndexRelationships();
  std::size_t TableCount() const { return catalog.TableCount(); }
};

// Builds the map of `saved` (every table in it is taken as saved): declared and inferred
// relationships with `decisions` applied (a decision on an id that no longer exists is
// ignored; one on a declared relationship too), and roles.
DataMap BuildDataMap(warehouse::Catalog saved, const Decisions& decisions = {});

// Decisions as kept at rest (sealed by the caller): a small JSON document,
// {"version":1,"relationships":{"<id>":"accept"|"reject"},"roles":[{"database","schema",
// "table","role"}]}. Decoding is strict: kDataLoss for anything that is not such a document.
std::string DecisionsToJson(const Decisions& decisions);
Result<Decisions> DecisionsFromJson(std::string_view json);
// The store::Store connection document under which a connection's decisions are kept.
inline constexpr std::string_view kDecisionsDocument = "datamap.decisions";

// ---------------------------------------------------------------------------------------------
// Refresh
// ---------------------------------------------------------------------------------------------

enum class Change { kNew, kRemoved, kChanged };
std::string_view ChangeName(Change c);  // "new", "removed", "changed"

struct RelationshipChange {
  Change change = Change::kNew;
  Relationship relationship;         // the new one; for kRemoved, the old one
  std::vector<std::string> changes;  // kChanged: "status: inferred -> declared", ...
};

// Matches by id. Changed: status, constraint name or confidence differ. Sorted by id.
std::vector<RelationshipChange> DiffRelationships(const std::vector<Relationship>& before,
                                                  const std::vector<Relationship>& after);

// ---------------------------------------------------------------------------------------------
// Exports
// ---------------------------------------------------------------------------------------------

enum class ExportFormat { kCatalogJson, kDbtSources, kDdl, kMarkdown };
std::string_view ExportFormatName(ExportFormat f);  // "catalog-json", "dbt", "ddl", "markdown"
std::optional<ExportFormat> ParseExportFormat(std::string_view s);
std::string_view ExportContentType(ExportFormat f);  // "application/json", "application/yaml", ...
std::string_view ExportFileName(ExportFormat f);     // "catalog.json", "sources.yml", ...

// Catalog JSON (docs/catalog-json.md): the v2 document with each table's `role` and the
// top-level `relationships` (every status, inferred ones with evidence and confidence).
void WriteCatalogJson(const DataMap& map, std::ostream& out, int indent = -1);
// dbt sources YAML: one source per database and schema (`name: <database>_<schema>`, with
// `database` and `schema`), tables with descriptions, columns with `data_type` and
// `description`, `unique`/`not_null` tests on primary keys and `relationships` tests for
// declared and accepted relationships within the file. Names are quoted as YAML requires.
void WriteDbtSources(const DataMap& map, std::ostream& out);
// Annotated DDL: CREATE TABLE per saved table, grouped by database and schema, identifiers
// quoted with QuoteSqlIdentifier, comments as SQL comments, PRIMARY KEY / UNIQUE and
// REFERENCES for declared and accepted relationships; inferred (undecided) ones as comments.
// Views are written as tables of their columns, with a comment saying what they are.
void WriteDdl(const DataMap& map, std::ostream& out);
// Markdown: per schema, per table its role, comment, a column table (name, type, nullable,
// key, description) and its relationships.
void WriteMarkdown(const DataMap& map, std::ostream& out);
std::string Export(const DataMap& map, ExportFormat format);

// Text helpers the exports and the MCP server share: invalid UTF-8 replaced by U+FFFD (so JSON,
// YAML and Markdown writers never fail on a name), and ASCII letters lower-cased.
std::string ValidUtf8(std::string_view s);
std::string AsciiLower(std::string_view s);

// ---------------------------------------------------------------------------------------------
// From the store
// ---------------------------------------------------------------------------------------------

// The attribute under which a saved table keeps its constraints
// (warehouse::ConstraintsToJson), and the column attribute with its type family.
inline constexpr std::string_view kConstraintsAttribute = "constraints";
inline constexpr std::string_view kFamilyAttribute = "family";

// Saved tables -> a catalog of exactly those tables. A column without a family attribute gets
// TypeFamily::kOther (the family is the connector's, saved with the column). kDataLoss when a
// constraints attribute does not read (the store returned something it did not write).
Result<warehouse::Catalog> CatalogFromSavedTables(const std::vector<store::SavedTable>& tables);
// The other way: a fetched table as a row to save (ids, connection and org left for the caller),
// with its constraints and column families in the attributes above.
store::SavedTable ToSavedTable(const TableRef& ref, const warehouse::Table& table);

}  // namespace schemaport::datamap
