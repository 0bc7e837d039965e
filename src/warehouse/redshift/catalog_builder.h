// CatalogBuilder: joins the rows of the catalog statements (queries.h) in memory into one
// Database. Internal to src/warehouse/redshift.
//
// Rows are validated as they arrive: a row of the wrong width or with a non-numeric id is a
// kInternal error naming the statement ("unexpected result from the columns query: ..."),
// never a crash. Tables the filter or the selection leaves out are dropped as their row arrives:
// their columns are never turned into Column values.
// Thread safety: one builder per database, used from one thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "warehouse/warehouse.h"

namespace schemaport::warehouse::redshift {

// One field of a result row: text as the Data API returned it, or NULL.
struct Cell {
  std::string_view text;
  bool is_null = false;
};
using RowView = std::span<const Cell>;

class CatalogBuilder {
 public:
  // `selection`, when set, keeps only those tables (and implies the filter is ignored).
  CatalogBuilder(std::string database, FetchDepth depth, const TableFilter* filter,
                 const std::set<TableRef>* selection);

  // A local database (connected to) is built from these:
  Status AddTable(RowView row);              // kTablesSql
  Status AddColumn(RowView row);             // kColumnsSql*
  Status AddConstraint(RowView row);         // kConstraintsSql*
  Status AddLateBindingColumn(RowView row);  // kLateBindingColumnsSql
  Status AddMaterializedView(RowView row);   // kMaterializedViewsSql
  Status AddColumnGrant(RowView row);        // kColumnGrantsSql
  Status AddExternalSchema(RowView row);     // kExternalSchemasSql
  Status AddExternalTable(RowView row);      // kExternalTablesSql
  Status AddExternalColumn(RowView row);     // kExternalColumnsSql
  Status AddTableKey(RowView row);           // kTableKeysSql
  // A datashare (consumer) database, read from the connected one, from these; `producer` (may
  // be empty) becomes every schema's source.
  void SetDatashareProducer(std::string producer) { producer_ = std::move(producer); }
  Status AddRedshiftTable(RowView row);   // kRedshiftTablesSql
  Status AddRedshiftColumn(RowView row);  // kRedshiftColumnsSql

  // Ids of the kept local tables, for restricting the columns statement.
  std::vector<std::int64_t> KeptTableIds() const;
  // The same ids cut into runs whose column counts add up to at most `max_columns` (a table
  // with more is a run of its own) and that hold at most `max_ids` ids each.
  std::vector<std::vector<std::int64_t>> KeptTableIdChunks(std::int64_t max_columns,
                                                           std::size_t max_ids) const;
  std::int64_t tables() const { return static_cast<std::int64_t>(tables_.size()); }
  std::int64_t columns() const { return columns_; }

  // The database, in canonical order. The builder is spent afterwards.
  Database Finish();

 private:
  struct TableEntry {
    std::string schema;
    SchemaKind schema_kind = SchemaKind::kLocal;
    Table table;
    std::int64_t column_count = 0;  // pg_class.relnatts
    bool schema_usage = false;      // the caller has USAGE on the schema
    // Key columns from svv_redshift_columns: column name -> (distkey, sort key position).
    std::unordered_map<std::string, std::pair<bool, int>> keys;
  };
  bool Keep(std::string_view schema, std::string_view table) const;
  TableEntry* FindByName(std::string_view schema, std::string_view table);
  TableEntry* AddEntry(std::string schema, SchemaKind kind, Table table);
  Status AddExternal(std::string_view statement, RowView row, bool with_column);

  std::string database_;
  FetchDepth depth_;
  const TableFilter* filter_;
  const std::set<TableRef>* selection_;
  std::vector<TableEntry> tables_;
  std::unordered_map<std::int64_t, std::size_t> by_id_;
  std::unordered_map<std::string, std::size_t> by_name_;           // schema + '\0' + table
  std::unordered_map<std::string, std::string> external_schemas_;  // schema -> external db
  std::set<std::string> views_;               // every view seen (schema + '\0' + name), kept or not
  std::set<std::string> materialized_views_;  // from svv_mv_info
  // Tables named mv_tbl__<name>__0, by schema + '\0' + <name>: a materialized view's backing
  // table when <name> is a view of the same schema (then never listed); index into tables_ or
  // npos when the table was not kept.
  std::unordered_map<std::string, std::size_t> mv_backing_;
  std::string producer_;
  // Keys as their rows arrive (by constraint id), turned into Constraints by Finish().
  struct PendingConstraint {
    std::int64_t table_id = 0;
    Constraint constraint;
    std::vector<std::int64_t> key, referenced_key;  // column numbers in key order
    std::unordered_map<std::int64_t, std::string> names, referenced_names;  // by column number
  };
  std::map<std::int64_t, PendingConstraint> constraints_;
  std::int64_t columns_ = 0;
};

// "mv_tbl__sales__0" -> "sales"; nullopt for any other name.
std::optional<std::string> MaterializedViewOfBackingTable(std::string_view table);

}  // namespace schemaport::warehouse::redshift
