#include "warehouse/redshift/catalog_builder.h"
#include "warehouse/redshift/types.h"

#include <algorithm>
#include <charconv>

namespace schemaport::warehouse::redshift {

namespace {

Status Shape(std::string_view statement, std::string_view what) {
  return Internal("unexpected result from the " + std::string(statement) + " query: " +
                  std::string(what));
}

Status Width(std::string_view statement, RowView row, std::size_t want) {
  if (row.size() == want) return Status::Ok();
  return Shape(statement, "expected " + std::to_string(want) + " fields, got " +
                              std::to_string(row.size()));
}

Result<std::int64_t> Int(std::string_view statement, const Cell& cell, std::string_view field) {
  std::int64_t v = 0;
  const auto* end = cell.text.data() + cell.text.size();
  auto [p, ec] = std::from_chars(cell.text.data(), end, v);
  if (cell.is_null || ec != std::errc() || p != end) {
    return Shape(statement, std::string(field) + " is not an integer");
  }
  return v;
}

Result<std::string> Text(std::string_view statement, const Cell& cell, std::string_view field) {
  if (cell.is_null) return Shape(statement, std::string(field) + " is null");
  return std::string(cell.text);
}

std::optional<std::string> OptText(const Cell& cell) {
  if (cell.is_null || cell.text.empty()) return std::nullopt;
  return std::string(cell.text);
}

Result<bool> Bool(std::string_view statement, const Cell& cell, std::string_view field) {
  const std::string_view t = cell.text;
  if (!cell.is_null) {
    if (t == "true" || t == "t" || t == "1") return true;
    if (t == "false" || t == "f" || t == "0") return false;
  }
  return Shape(statement, std::string(field) + " is not a boolean");
}

std::string Key(std::string_view schema, std::string_view table) {
  std::string k;
  k.reserve(schema.size() + table.size() + 1);
  k.append(schema);
  k.push_back('\0');
  k.append(table);
  return k;
}

}  // namespace

std::string DistKeyColumn(std::string_view diststyle) {
  auto inner = [](std::string_view s, std::string_view prefix) -> std::optional<std::string_view> {
    if (s.size() > prefix.size() + 1 && s.substr(0, prefix.size()) == prefix && s.back() == ')') {
      return s.substr(prefix.size(), s.size() - prefix.size() - 1);
    }
    return std::nullopt;
  };
  if (auto a = inner(diststyle, "AUTO(")) diststyle = *a;
  if (auto k = inner(diststyle, "KEY(")) return std::string(*k);
  return "";
}

CatalogBuilder::CatalogBuilder(std::string database, FetchDepth depth, const TableFilter* filter,
                               const std::set<TableRef>* selection)
    : database_(std::move(database)), depth_(depth), filter_(filter), selection_(selection) {}

bool CatalogBuilder::Keep(std::string_view schema, std::string_view table) const {
  TableRef ref{database_, std::string(schema), std::string(table)};
  if (selection_ != nullptr) return selection_->count(ref) > 0;
  return filter_ == nullptr || filter_->Keeps(ref);
}

CatalogBuilder::TableEntry* CatalogBuilder::FindByName(std::string_view schema,
                                                       std::string_view table) {
  auto it = by_name_.find(Key(schema, table));
  return it == by_name_.end() ? nullptr : &tables_[it->second];
}

CatalogBuilder::TableEntry* CatalogBuilder::AddEntry(std::string schema, SchemaKind kind,
                                                     Table table) {
  const std::string key = Key(schema, table.name);
  auto [it, inserted] = by_name_.emplace(key, tables_.size());
  if (!inserted) return &tables_[it->second];
  tables_.push_back(TableEntry{std::move(schema), kind, std::move(table), 0, "", ""});
  return &tables_.back();
}

Status CatalogBuilder::AddTable(RowView row) {
  constexpr std::string_view kStmt = "tables";
  SP_TRY(Width(kStmt, row, 8));
  const std::int64_t id = SP_TRY(Int(kStmt, row[0], "table_id"));
  std::string schema = SP_TRY(Text(kStmt, row[1], "schema_name"));
  Table t;
  t.name = SP_TRY(Text(kStmt, row[2], "table_name"));
  if (!Keep(schema, t.name)) return Status::Ok();
  const std::string relkind = SP_TRY(Text(kStmt, row[3], "relkind"));
  if (relkind == "r" || relkind == "p") {
    t.kind = TableKind::kTable;
  } else if (relkind == "v") {
    t.kind = TableKind::kView;
  } else if (relkind == "m") {
    t.kind = TableKind::kMaterializedView;
  } else {
    return Shape(kStmt, "unknown relkind '" + relkind.substr(0, 8) + "'");
  }
  t.owner = row[4].is_null ? "" : std::string(row[4].text);
  t.comment = OptText(row[5]);
  t.can_select = SP_TRY(Bool(kStmt, row[6], "can_select"));
  t.columns_loaded = depth_ == FetchDepth::kColumns;
  const std::int64_t column_count = SP_TRY(Int(kStmt, row[7], "column_count"));
  const std::size_t index = tables_.size();
  AddEntry(std::move(schema), SchemaKind::kLocal, std::move(t));
  if (tables_.size() > index) {  // a duplicate row adds nothing
    by_id_[id] = index;
    tables_[index].column_count = column_count;
  }
  return Status::Ok();
}

Status CatalogBuilder::AddColumn(RowView row) {
  constexpr std::string_view kStmt = "columns";
  SP_TRY(Width(kStmt, row, 7));
  const std::int64_t id = SP_TRY(Int(kStmt, row[0], "table_id"));
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return Status::Ok();  // not kept, or created after the tables query
  Table& t = tables_[it->second].table;
  Column c;
  c.position = static_cast<int>(SP_TRY(Int(kStmt, row[1], "position")));
  c.name = SP_TRY(Text(kStmt, row[2], "column_name"));
  c.type = SP_TRY(Text(kStmt, row[3], "type"));
  c.family = TypeFamilyOf(c.type);
  c.nullable = !SP_TRY(Bool(kStmt, row[4], "not_null"));
  c.default_value = OptText(row[5]);
  c.comment = OptText(row[6]);
  t.columns.push_back(std::move(c));
  ++columns_;
  return Status::Ok();
}

Status CatalogBuilder::AddLateBindingColumn(RowView row) {
  constexpr std::string_view kStmt = "late-binding view columns";
  SP_TRY(Width(kStmt, row, 5));
  const std::string_view schema = row[0].text;
  const std::string_view view = row[1].text;
  if (row[0].is_null || row[1].is_null) return Shape(kStmt, "schema or view name is null");
  TableEntry* e = FindByName(schema, view);
  if (e == nullptr) return Status::Ok();  // not kept
  if (e->table.kind != TableKind::kLateBindingView) {
    // The function is the only truth for a late-binding view's columns: drop any the
    // attribute catalog had for it.
    e->table.kind = TableKind::kLateBindingView;
    columns_ -= static_cast<std::int64_t>(e->table.columns.size());
    e->table.columns.clear();
  }
  if (depth_ != FetchDepth::kColumns) return Status::Ok();
  Column c;
  c.name = SP_TRY(Text(kStmt, row[2], "column_name"));
  c.type = SP_TRY(Text(kStmt, row[3], "column_type"));
  c.family = TypeFamilyOf(c.type);
  c.position = static_cast<int>(SP_TRY(Int(kStmt, row[4], "column_index")));
  e->table.columns.push_back(std::move(c));
  ++columns_;
  return Status::Ok();
}

Status CatalogBuilder::AddExternalSchema(RowView row) {
  constexpr std::string_view kStmt = "external schemas";
  SP_TRY(Width(kStmt, row, 2));
  std::string schema = SP_TRY(Text(kStmt, row[0], "schemaname"));
  external_schemas_[schema] = row[1].is_null ? "" : std::string(row[1].text);
  return Status::Ok();
}

Status CatalogBuilder::AddExternalTable(RowView row) {
  SP_TRY(Width("external tables", row, 2));
  return AddExternal("external tables", row, /*with_column=*/false);
}

Status CatalogBuilder::AddExternalColumn(RowView row) {
  SP_TRY(Width("external columns", row, 6));
  return AddExternal("external columns", row, /*with_column=*/true);
}

Status CatalogBuilder::AddExternal(std::string_view kStmt, RowView row, bool with_column) {
  std::string schema = SP_TRY(Text(kStmt, row[0], "schemaname"));
  std::string table = SP_TRY(Text(kStmt, row[1], "tablename"));
  if (!Keep(schema, table)) return Status::Ok();
  TableEntry* e = FindByName(schema, table);
  if (e == nullptr) {
    Table t;
    t.name = table;
    t.kind = TableKind::kExternalTable;
    // The catalog does not record SELECT on external tables separately: USAGE on the external
    // schema lets a user read them, and the svv_external_* views list only what the user can use.
    t.can_select = true;
    t.columns_loaded = depth_ == FetchDepth::kColumns;
    e = AddEntry(schema, SchemaKind::kExternal, std::move(t));
  }
  if (!with_column || depth_ != FetchDepth::kColumns) return Status::Ok();
  Column c;
  c.name = SP_TRY(Text(kStmt, row[2], "columnname"));
  c.type = SP_TRY(Text(kStmt, row[3], "external_type"));
  c.family = TypeFamilyOf(c.type);
  c.position = static_cast<int>(SP_TRY(Int(kStmt, row[4], "columnnum")));
  const std::string_view nullable = row[5].text;
  c.nullable = !(nullable == "false" || nullable == "NO" || nullable == "no" || nullable == "f");
  e->table.columns.push_back(std::move(c));
  ++columns_;
  return Status::Ok();
}

Status CatalogBuilder::AddRedshiftTable(RowView row) {
  constexpr std::string_view kStmt = "datashare tables";
  SP_TRY(Width(kStmt, row, 4));
  std::string schema = SP_TRY(Text(kStmt, row[0], "schema_name"));
  std::string table = SP_TRY(Text(kStmt, row[1], "table_name"));
  if (FindByName(schema, table) != nullptr) return Status::Ok();  // a local table
  if (external_schemas_.count(schema) > 0) return Status::Ok();   // an external table
  if (!Keep(schema, table)) return Status::Ok();
  Table t;
  t.name = std::move(table);
  const std::string_view type = row[2].text;
  t.kind = (type == "VIEW" || type == "view") ? TableKind::kView : TableKind::kTable;
  t.comment = OptText(row[3]);
  t.can_select = true;  // svv_redshift_tables lists only what the user has access to
  t.columns_loaded = depth_ == FetchDepth::kColumns;
  datashare_schemas_.insert(schema);
  AddEntry(std::move(schema), SchemaKind::kDatashare, std::move(t));
  return Status::Ok();
}

Status CatalogBuilder::AddRedshiftColumn(std::string_view schema, RowView row) {
  constexpr std::string_view kStmt = "datashare columns";
  SP_TRY(Width(kStmt, row, 9));
  const std::string table = SP_TRY(Text(kStmt, row[0], "table_name"));
  TableEntry* e = FindByName(schema, table);
  if (e == nullptr || e->schema_kind != SchemaKind::kDatashare) return Status::Ok();
  Column c;
  c.name = SP_TRY(Text(kStmt, row[1], "column_name"));
  c.position = static_cast<int>(SP_TRY(Int(kStmt, row[2], "ordinal_position")));
  c.type = SP_TRY(Text(kStmt, row[3], "data_type"));
  c.family = TypeFamilyOf(c.type);
  c.default_value = OptText(row[4]);
  const std::string_view nullable = row[5].text;
  c.nullable = !(nullable == "NO" || nullable == "no");
  c.dist_key = !row[6].is_null && SP_TRY(Bool(kStmt, row[6], "distkey"));
  if (!row[7].is_null) {
    const std::int64_t sk = SP_TRY(Int(kStmt, row[7], "sortkey"));
    if (sk != 0) c.sort_key_position = static_cast<int>(sk < 0 ? -sk : sk);
  }
  c.comment = OptText(row[8]);
  e->table.columns.push_back(std::move(c));
  ++columns_;
  return Status::Ok();
}

Status CatalogBuilder::AddTableInfo(RowView row) {
  constexpr std::string_view kStmt = "table info";
  SP_TRY(Width(kStmt, row, 4));
  const std::int64_t id = SP_TRY(Int(kStmt, row[0], "table_id"));
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return Status::Ok();
  TableEntry& e = tables_[it->second];
  e.dist_key = DistKeyColumn(row[1].text);
  e.first_sort_key = row[2].is_null ? "" : std::string(row[2].text);
  return Status::Ok();
}

std::vector<std::int64_t> CatalogBuilder::KeptTableIds() const {
  std::vector<std::int64_t> ids;
  ids.reserve(by_id_.size());
  for (const auto& [id, _] : by_id_) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::vector<std::vector<std::int64_t>> CatalogBuilder::KeptTableIdChunks(std::int64_t max_columns,
                                                                         std::size_t max_ids) const {
  std::vector<std::pair<std::int64_t, std::int64_t>> ids;  // id, column count
  ids.reserve(by_id_.size());
  for (const auto& [id, index] : by_id_) ids.emplace_back(id, tables_[index].column_count);
  std::sort(ids.begin(), ids.end());
  std::vector<std::vector<std::int64_t>> chunks;
  std::int64_t columns = 0;
  for (const auto& [id, count] : ids) {
    if (chunks.empty() || chunks.back().size() >= max_ids ||
        (columns + count > max_columns && !chunks.back().empty())) {
      chunks.emplace_back();
      columns = 0;
    }
    chunks.back().push_back(id);
    columns += count;
  }
  return chunks;
}

std::vector<std::string> CatalogBuilder::DatashareSchemas() const {
  return {datashare_schemas_.begin(), datashare_schemas_.end()};
}

Database CatalogBuilder::Finish() {
  Database db;
  db.name = database_;
  std::unordered_map<std::string, std::size_t> schema_index;
  // Schemas that exist but hold no kept table are not listed: the catalog is about tables.
  for (auto& e : tables_) {
    if (!e.dist_key.empty() || !e.first_sort_key.empty()) {
      for (auto& c : e.table.columns) {
        if (c.name == e.dist_key) c.dist_key = true;
        if (c.name == e.first_sort_key) c.sort_key_position = 1;
      }
    }
    auto [it, inserted] = schema_index.emplace(e.schema, db.schemas.size());
    if (inserted) {
      Schema s;
      s.name = e.schema;
      s.kind = e.schema_kind;
      if (auto ext = external_schemas_.find(e.schema); ext != external_schemas_.end()) {
        s.kind = SchemaKind::kExternal;
        if (!ext->second.empty()) s.source = ext->second;
      }
      db.schemas.push_back(std::move(s));
    }
    db.schemas[it->second].tables.push_back(std::move(e.table));
  }
  tables_.clear();
  by_id_.clear();
  by_name_.clear();
  Catalog wrapper;
  wrapper.databases.push_back(std::move(db));
  wrapper.Normalize();
  return std::move(wrapper.databases.front());
}

}  // namespace schemaport::warehouse::redshift
