#include "warehouse/redshift/catalog_builder.h"
#include "warehouse/redshift/types.h"

#include <algorithm>
#include <charconv>

namespace schemaport::warehouse::redshift {

namespace {

Status Shape(std::string_view statement, std::string_view what) {
  return Internal("unexpected result from the " + std::string(statement) +
                  " query: " + std::string(what));
}

Status Width(std::string_view statement, RowView row, std::size_t want) {
  if (row.size() == want) return Status::Ok();
  return Shape(statement,
               "expected " + std::to_string(want) + " fields, got " + std::to_string(row.size()));
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

std::optional<std::string> MaterializedViewOfBackingTable(std::string_view table) {
  constexpr std::string_view kPrefix = "mv_tbl__", kSuffix = "__0";
  if (table.size() <= kPrefix.size() + kSuffix.size() ||
      table.substr(0, kPrefix.size()) != kPrefix ||
      table.substr(table.size() - kSuffix.size()) != kSuffix) {
    return std::nullopt;
  }
  return std::string(table.substr(kPrefix.size(), table.size() - kPrefix.size() - kSuffix.size()));
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
  tables_.push_back(TableEntry{std::move(schema), kind, std::move(table), 0, false, {}});
  return &tables_.back();
}

Status CatalogBuilder::AddTable(RowView row) {
  constexpr std::string_view kStmt = "tables";
  SP_TRY(Width(kStmt, row, 9));
  const std::int64_t id = SP_TRY(Int(kStmt, row[0], "table_id"));
  std::string schema = SP_TRY(Text(kStmt, row[1], "schema_name"));
  Table t;
  t.name = SP_TRY(Text(kStmt, row[2], "table_name"));
  const std::string relkind = SP_TRY(Text(kStmt, row[3], "relkind"));
  if (relkind == "r") {
    t.kind = TableKind::kTable;
  } else if (relkind == "v") {
    t.kind = TableKind::kView;  // or a materialized view: Finish() decides
    views_.insert(Key(schema, t.name));
  } else {
    return Shape(kStmt, "unknown relkind '" + relkind.substr(0, 8) + "'");
  }
  std::optional<std::string> mv_of;
  if (t.kind == TableKind::kTable) mv_of = MaterializedViewOfBackingTable(t.name);
  if (!Keep(schema, t.name)) {
    if (mv_of) mv_backing_.emplace(Key(schema, *mv_of), std::string::npos);
    return Status::Ok();
  }
  t.owner = row[4].is_null ? "" : std::string(row[4].text);
  t.comment = OptText(row[5]);
  const bool schema_usage = SP_TRY(Bool(kStmt, row[6], "schema_usage"));
  t.can_select = schema_usage && SP_TRY(Bool(kStmt, row[7], "table_select"));
  t.columns_loaded = depth_ == FetchDepth::kColumns;
  const std::int64_t column_count = SP_TRY(Int(kStmt, row[8], "column_count"));
  const std::size_t index = tables_.size();
  AddEntry(std::move(schema), SchemaKind::kLocal, std::move(t));
  if (tables_.size() > index) {  // a duplicate row adds nothing
    by_id_[id] = index;
    tables_[index].column_count = column_count;
    tables_[index].schema_usage = schema_usage;
    if (mv_of) mv_backing_.emplace(Key(tables_[index].schema, *mv_of), index);
  }
  return Status::Ok();
}

Status CatalogBuilder::AddMaterializedView(RowView row) {
  constexpr std::string_view kStmt = "materialized views";
  SP_TRY(Width(kStmt, row, 2));
  const std::string schema = SP_TRY(Text(kStmt, row[0], "schema_name"));
  const std::string name = SP_TRY(Text(kStmt, row[1], "name"));
  materialized_views_.insert(Key(schema, name));
  return Status::Ok();
}

Status CatalogBuilder::AddColumnGrant(RowView row) {
  constexpr std::string_view kStmt = "column grants";
  SP_TRY(Width(kStmt, row, 2));
  const std::string schema = SP_TRY(Text(kStmt, row[0], "namespace_name"));
  const std::string table = SP_TRY(Text(kStmt, row[1], "relation_name"));
  TableEntry* e = FindByName(schema, table);
  // SELECT on some columns makes the table readable (those columns), given USAGE on the schema.
  if (e != nullptr && e->schema_kind == SchemaKind::kLocal && e->schema_usage)
    e->table.can_select = true;
  return Status::Ok();
}

Status CatalogBuilder::AddTableKey(RowView row) {
  constexpr std::string_view kStmt = "table keys";
  SP_TRY(Width(kStmt, row, 5));
  const std::string schema = SP_TRY(Text(kStmt, row[0], "schema_name"));
  const std::string table = SP_TRY(Text(kStmt, row[1], "table_name"));
  std::string column = SP_TRY(Text(kStmt, row[2], "column_name"));
  TableEntry* e = FindByName(schema, table);
  if (e == nullptr || e->schema_kind != SchemaKind::kLocal) return Status::Ok();
  const bool dist = !row[3].is_null && SP_TRY(Bool(kStmt, row[3], "distkey"));
  const std::int64_t sort = row[4].is_null ? 0 : SP_TRY(Int(kStmt, row[4], "sortkey"));
  e->keys[std::move(column)] = {dist, static_cast<int>(sort < 0 ? -sort : sort)};
  return Status::Ok();
}

Status CatalogBuilder::AddColumn(RowView row) {
  constexpr std::string_view kStmt = "columns";
  constexpr std::size_t kSlot = 6;  // position, name, type, not_null, default, comment
  if (row.size() < 1 + kSlot || (row.size() - 1) % kSlot != 0) {
    return Shape(kStmt, "expected 1 + 6 per column fields, got " + std::to_string(row.size()));
  }
  const std::int64_t id = SP_TRY(Int(kStmt, row[0], "table_id"));
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return Status::Ok();  // not kept, or created after the tables query
  Table& t = tables_[it->second].table;
  for (std::size_t at = 1; at < row.size(); at += kSlot) {
    const RowView slot = row.subspan(at, kSlot);
    if (slot[0].is_null) continue;  // past the last column, or a dropped one
    Column c;
    c.position = static_cast<int>(SP_TRY(Int(kStmt, slot[0], "position")));
    c.name = SP_TRY(Text(kStmt, slot[1], "column_name"));
    c.type = SP_TRY(Text(kStmt, slot[2], "type"));
    c.family = TypeFamilyOf(c.type);
    c.nullable = !SP_TRY(Bool(kStmt, slot[3], "not_null"));
    c.default_value = OptText(slot[4]);
    c.comment = OptText(slot[5]);
    t.columns.push_back(std::move(c));
    ++columns_;
  }
  return Status::Ok();
}

Status CatalogBuilder::AddConstraint(RowView row) {
  constexpr std::string_view kStmt = "keys";
  SP_TRY(Width(kStmt, row, 10));
  const std::int64_t table_id = SP_TRY(Int(kStmt, row[0], "table_id"));
  if (!by_id_.contains(table_id)) return Status::Ok();  // not kept
  const std::int64_t id = SP_TRY(Int(kStmt, row[1], "constraint_id"));
  const std::string kind = SP_TRY(Text(kStmt, row[3], "kind"));
  const std::string side = SP_TRY(Text(kStmt, row[4], "side"));
  const std::int64_t attnum = SP_TRY(Int(kStmt, row[5], "attnum"));
  std::string column = SP_TRY(Text(kStmt, row[6], "column_name"));
  const std::string key_text = SP_TRY(Text(kStmt, row[7], "key_attnums"));
  std::vector<std::int64_t> key;
  for (std::size_t start = 0; start <= key_text.size();) {
    const std::size_t end = std::min(key_text.find(',', start), key_text.size());
    std::int64_t n = 0;
    auto [p, ec] = std::from_chars(key_text.data() + start, key_text.data() + end, n);
    if (ec != std::errc() || p != key_text.data() + end)
      return Shape(kStmt, "key_attnums is not a list of integers");
    key.push_back(n);
    start = end + 1;
  }
  PendingConstraint& k = constraints_[id];
  k.table_id = table_id;
  k.constraint.name = SP_TRY(Text(kStmt, row[2], "constraint_name"));
  k.constraint.kind = kind == "p"   ? ConstraintKind::kPrimaryKey
                      : kind == "u" ? ConstraintKind::kUnique
                                    : ConstraintKind::kForeignKey;
  if (side == "r") {
    k.constraint.referenced_schema = SP_TRY(Text(kStmt, row[8], "ref_schema"));
    k.constraint.referenced_table = SP_TRY(Text(kStmt, row[9], "ref_table"));
    k.referenced_key = std::move(key);
    k.referenced_names[attnum] = std::move(column);
  } else {
    k.key = std::move(key);
    k.names[attnum] = std::move(column);
  }
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
  // A local relation of the same name is another object: never merge its columns.
  if (e != nullptr && e->schema_kind != SchemaKind::kExternal) return Status::Ok();
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
  if (!Keep(schema, table)) return Status::Ok();
  Table t;
  t.name = std::move(table);
  const std::string_view type = row[2].text;
  if (type == "VIEW" || type == "view") {
    t.kind = TableKind::kView;
  } else if (type == "MATERIALIZED VIEW" || type == "materialized view") {
    t.kind = TableKind::kMaterializedView;
  } else {
    t.kind = TableKind::kTable;
  }
  t.comment = OptText(row[3]);
  t.can_select = true;  // svv_redshift_tables lists only what the user has access to
  t.columns_loaded = depth_ == FetchDepth::kColumns;
  AddEntry(std::move(schema), SchemaKind::kDatashare, std::move(t));
  return Status::Ok();
}

Status CatalogBuilder::AddRedshiftColumn(RowView row) {
  constexpr std::string_view kStmt = "datashare columns";
  SP_TRY(Width(kStmt, row, 10));
  const std::string schema = SP_TRY(Text(kStmt, row[0], "schema_name"));
  const std::string table = SP_TRY(Text(kStmt, row[1], "table_name"));
  TableEntry* e = FindByName(schema, table);
  if (e == nullptr || e->schema_kind != SchemaKind::kDatashare) return Status::Ok();
  Column c;
  c.name = SP_TRY(Text(kStmt, row[2], "column_name"));
  c.position = static_cast<int>(SP_TRY(Int(kStmt, row[3], "ordinal_position")));
  c.type = SP_TRY(Text(kStmt, row[4], "data_type"));
  c.family = TypeFamilyOf(c.type);
  c.default_value = OptText(row[5]);
  const std::string_view nullable = row[6].text;
  c.nullable = !(nullable == "NO" || nullable == "no");
  c.dist_key = !row[7].is_null && SP_TRY(Bool(kStmt, row[7], "distkey"));
  if (!row[8].is_null) {
    const std::int64_t sk = SP_TRY(Int(kStmt, row[8], "sortkey"));
    if (sk != 0) c.sort_key_position = static_cast<int>(sk < 0 ? -sk : sk);
  }
  c.comment = OptText(row[9]);
  e->table.columns.push_back(std::move(c));
  ++columns_;
  return Status::Ok();
}

std::vector<std::int64_t> CatalogBuilder::KeptTableIds() const {
  std::vector<std::int64_t> ids;
  ids.reserve(by_id_.size());
  for (const auto& [id, _] : by_id_) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::vector<std::vector<std::int64_t>> CatalogBuilder::KeptTableIdChunks(
    std::int64_t max_columns, std::size_t max_ids) const {
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

Database CatalogBuilder::Finish() {
  Database db;
  db.name = database_;
  std::unordered_map<std::string, std::size_t> schema_index;
  // A materialized view is a view with a backing table mv_tbl__<name>__0 (listed by
  // svv_mv_info when the user may see it there); the backing table is never a user table.
  std::vector<bool> dropped(tables_.size(), false);
  for (const auto& [key, index] : mv_backing_) {
    if (views_.count(key) == 0) continue;  // a table that only looks like one
    materialized_views_.insert(key);
    if (index != std::string::npos) dropped[index] = true;
  }
  // Keys whose every column was named; a foreign key also needs every referenced column.
  for (auto& [_, k] : constraints_) {
    const auto it = by_id_.find(k.table_id);
    if (it == by_id_.end()) continue;
    bool complete = !k.key.empty();
    for (const std::int64_t n : k.key) {
      const auto name = k.names.find(n);
      if (name == k.names.end())
        complete = false;
      else
        k.constraint.columns.push_back(name->second);
    }
    if (k.constraint.kind == ConstraintKind::kForeignKey) {
      complete = complete && k.referenced_key.size() == k.key.size();
      for (const std::int64_t n : k.referenced_key) {
        const auto name = k.referenced_names.find(n);
        if (name == k.referenced_names.end())
          complete = false;
        else
          k.constraint.referenced_columns.push_back(name->second);
      }
    }
    if (complete) tables_[it->second].table.constraints.push_back(std::move(k.constraint));
  }
  constraints_.clear();
  // Schemas that exist but hold no kept table are not listed: the catalog is about tables.
  for (std::size_t i = 0; i < tables_.size(); ++i) {
    TableEntry& e = tables_[i];
    if (dropped[i]) {
      columns_ -= static_cast<std::int64_t>(e.table.columns.size());
      continue;
    }
    if (e.table.kind == TableKind::kView &&
        materialized_views_.count(Key(e.schema, e.table.name)) > 0) {
      e.table.kind = TableKind::kMaterializedView;
    }
    for (auto& c : e.table.columns) {
      if (auto k = e.keys.find(c.name); k != e.keys.end()) {
        c.dist_key = k->second.first;
        if (k->second.second != 0) c.sort_key_position = k->second.second;
      }
    }
    auto [it, inserted] = schema_index.emplace(e.schema, db.schemas.size());
    if (inserted) {
      Schema s;
      s.name = e.schema;
      s.kind = e.schema_kind;
      if (s.kind == SchemaKind::kDatashare && !producer_.empty()) s.source = producer_;
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
  mv_backing_.clear();
  Catalog wrapper;
  wrapper.databases.push_back(std::move(db));
  wrapper.Normalize();
  return std::move(wrapper.databases.front());
}

}  // namespace schemaport::warehouse::redshift
