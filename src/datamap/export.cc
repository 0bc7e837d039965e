// Data Map exports: catalog JSON v2, dbt sources YAML, annotated DDL and Markdown.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "datamap/datamap.h"
#include "datamap/internal.h"

namespace schemaport::datamap {

using warehouse::Catalog;
using warehouse::Column;
using warehouse::ConstraintKind;
using warehouse::Table;

namespace {

using ojson = nlohmann::ordered_json;

// One line of text: control characters (newlines included) become spaces.
std::string OneLine(std::string_view s) {
  std::string out = ValidUtf8(s);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return out;
}

std::string Qualified(const TableRef& ref) {
  return QuoteSqlIdentifier(ref.schema) + "." + QuoteSqlIdentifier(ref.table);
}

std::string ColumnList(const std::vector<std::string>& columns) {
  std::string out;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (i) out += ", ";
    out += QuoteSqlIdentifier(columns[i]);
  }
  return out;
}

// A SQL string literal: single quotes doubled. Only ever written into an export file.
std::string SqlLiteral(std::string_view s) {
  std::string out = "'";
  for (char c : ValidUtf8(s)) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

std::string DottedName(const TableRef& ref) {
  return ref.database + "." + ref.schema + "." + ref.table;
}

ojson RefJson(const TableRef& ref, const std::vector<std::string>& columns) {
  ojson j = ojson::object();
  j["database"] = ValidUtf8(ref.database);
  j["schema"] = ValidUtf8(ref.schema);
  j["table"] = ValidUtf8(ref.table);
  ojson cols = ojson::array();
  for (const auto& c : columns) cols.push_back(ValidUtf8(c));
  j["columns"] = std::move(cols);
  return j;
}

template <typename F>
void ForEachSchema(const Catalog& catalog, F&& f) {
  for (const auto& d : catalog.databases) {
    for (const auto& s : d.schemas) {
      if (!s.tables.empty()) f(d, s);
    }
  }
}

std::set<std::string> PrimaryKeyColumns(const Table& t) {
  std::set<std::string> out;
  for (const auto& k : t.constraints) {
    if (k.kind == ConstraintKind::kPrimaryKey) out.insert(k.columns.begin(), k.columns.end());
  }
  return out;
}

}  // namespace

std::string ValidUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    const std::size_t len = c >= 0xF0 && c <= 0xF4   ? 4
                            : c >= 0xE0              ? 3
                            : c >= 0xC2 && c <= 0xDF ? 2
                                                     : 0;
    bool valid = len > 0 && i + len <= s.size();
    for (std::size_t k = 1; valid && k < len; ++k)
      valid = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    if (valid && len == 3) {
      const auto c1 = static_cast<unsigned char>(s[i + 1]);
      valid = !(c == 0xE0 && c1 < 0xA0) && !(c == 0xED && c1 >= 0xA0);
    } else if (valid && len == 4) {
      const auto c1 = static_cast<unsigned char>(s[i + 1]);
      valid = !(c == 0xF0 && c1 < 0x90) && !(c == 0xF4 && c1 >= 0x90);
    }
    if (valid) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

std::string_view ExportFormatName(ExportFormat f) {
  switch (f) {
    case ExportFormat::kCatalogJson: return "catalog-json";
    case ExportFormat::kDbtSources: return "dbt";
    case ExportFormat::kDdl: return "ddl";
    case ExportFormat::kMarkdown: return "markdown";
  }
  return "catalog-json";
}

std::optional<ExportFormat> ParseExportFormat(std::string_view s) {
  for (auto f : {ExportFormat::kCatalogJson, ExportFormat::kDbtSources, ExportFormat::kDdl,
                 ExportFormat::kMarkdown}) {
    if (ExportFormatName(f) == s) return f;
  }
  return std::nullopt;
}

std::string_view ExportContentType(ExportFormat f) {
  switch (f) {
    case ExportFormat::kCatalogJson: return "application/json";
    case ExportFormat::kDbtSources: return "application/yaml";
    case ExportFormat::kDdl: return "application/sql";
    case ExportFormat::kMarkdown: return "text/markdown; charset=utf-8";
  }
  return "application/octet-stream";
}

std::string_view ExportFileName(ExportFormat f) {
  switch (f) {
    case ExportFormat::kCatalogJson: return "catalog.json";
    case ExportFormat::kDbtSources: return "sources.yml";
    case ExportFormat::kDdl: return "schema.sql";
    case ExportFormat::kMarkdown: return "data-map.md";
  }
  return "export";
}

// ---------------------------------------------------------------------------------------------
// Catalog JSON
// ---------------------------------------------------------------------------------------------

std::string RelationshipJson(const Relationship& r) {
  ojson j = ojson::object();
  j["id"] = r.id;
  j["status"] = std::string(RelationshipStatusName(r.status));
  j["from"] = RefJson(r.from, r.from_columns);
  j["to"] = RefJson(r.to, r.to_columns);
  j["constraint"] = r.constraint_name.empty() ? ojson() : ojson(ValidUtf8(r.constraint_name));
  j["confidence"] = r.confidence;
  ojson evidence = ojson::array();
  for (const auto& e : r.evidence) evidence.push_back(ValidUtf8(e));
  j["evidence"] = std::move(evidence);
  return j.dump();
}

std::string RoleJson(const RoleInfo& role) {
  ojson j = ojson::object();
  j["name"] = std::string(TableRoleName(role.role));
  j["suggested"] = std::string(TableRoleName(role.suggested));
  j["overridden"] = role.overridden;
  j["reason"] = ValidUtf8(role.reason);
  return j.dump();
}

void WriteCatalogJson(const DataMap& map, std::ostream& out, int indent) {
  warehouse::CatalogJsonExtras extras;
  extras.table_members = [&map](const TableRef& ref) {
    std::vector<std::pair<std::string, std::string>> members;
    if (const auto it = map.roles.find(ref); it != map.roles.end())
      members.emplace_back("role", RoleJson(it->second));
    return members;
  };
  std::string relationships = "[";
  for (std::size_t i = 0; i < map.relationships.size(); ++i) {
    if (i) relationships += ',';
    relationships += RelationshipJson(map.relationships[i]);
  }
  relationships += ']';
  extras.members.emplace_back("relationships", std::move(relationships));
  warehouse::WriteCatalogJson(map.catalog, out, indent, &extras);
}

// ---------------------------------------------------------------------------------------------
// dbt sources
// ---------------------------------------------------------------------------------------------

namespace {

// dbt needs `quote: true` for names that are not plain lower-case identifiers.
bool NeedsQuoting(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return true;
  return !std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// yaml-cpp picks plain, single- or double-quoted style as each string requires; control
// characters force double quotes with escapes.
void YamlString(YAML::Emitter& y, std::string_view s) {
  const std::string text = ValidUtf8(s);
  const bool control = std::any_of(text.begin(), text.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  });
  if (control) y << YAML::DoubleQuoted;
  y << text;
}

}  // namespace

void WriteDbtSources(const DataMap& map, std::ostream& out) {
  // Source names: <database>_<schema>, made unique in catalog order.
  std::map<std::pair<std::string, std::string>, std::string> source_names;
  std::set<std::string> taken;
  ForEachSchema(map.catalog, [&](const warehouse::Database& d, const warehouse::Schema& s) {
    std::string base = ValidUtf8(d.name + "_" + s.name);
    std::string name = base;
    for (int n = 2; taken.contains(name); ++n) name = base + "_" + std::to_string(n);
    taken.insert(name);
    source_names[{d.name, s.name}] = name;
  });
  // Relationship tests per (table, column): single-column facts whose target is in the file.
  std::map<std::pair<TableRef, std::string>, std::vector<const Relationship*>> tests;
  for (const auto& r : map.relationships) {
    if (!r.is_fact() || r.from_columns.size() != 1) continue;
    tests[{r.from, r.from_columns[0]}].push_back(&r);
  }

  YAML::Emitter y;
  y.SetIndent(2);
  y << YAML::BeginMap << YAML::Key << "version" << YAML::Value << 2;
  y << YAML::Key << "sources" << YAML::Value << YAML::BeginSeq;
  ForEachSchema(map.catalog, [&](const warehouse::Database& d, const warehouse::Schema& s) {
    const std::string& source = source_names[{d.name, s.name}];
    y << YAML::BeginMap;
    y << YAML::Key << "name" << YAML::Value;
    YamlString(y, source);
    y << YAML::Key << "database" << YAML::Value;
    YamlString(y, d.name);
    y << YAML::Key << "schema" << YAML::Value;
    YamlString(y, s.name);
    if (NeedsQuoting(d.name) || NeedsQuoting(s.name)) {
      y << YAML::Key << "quoting" << YAML::Value << YAML::BeginMap;
      y << YAML::Key << "database" << YAML::Value << NeedsQuoting(d.name);
      y << YAML::Key << "schema" << YAML::Value << NeedsQuoting(s.name);
      y << YAML::EndMap;
    }
    y << YAML::Key << "tables" << YAML::Value << YAML::BeginSeq;
    for (const Table& t : s.tables) {
      const TableRef ref{d.name, s.name, t.name};
      y << YAML::BeginMap;
      y << YAML::Key << "name" << YAML::Value;
      YamlString(y, t.name);
      if (NeedsQuoting(t.name)) {
        y << YAML::Key << "quoting" << YAML::Value << YAML::BeginMap << YAML::Key << "identifier"
          << YAML::Value << true << YAML::EndMap;
      }
      y << YAML::Key << "description" << YAML::Value;
      YamlString(y, t.comment.value_or(""));
      y << YAML::Key << "meta" << YAML::Value << YAML::BeginMap;
      y << YAML::Key << "schemaport_kind" << YAML::Value
        << std::string(warehouse::TableKindName(t.kind));
      if (const auto it = map.roles.find(ref); it != map.roles.end()) {
        y << YAML::Key << "schemaport_role" << YAML::Value
          << std::string(TableRoleName(it->second.role));
      }
      y << YAML::EndMap;
      const std::set<std::string> pk = PrimaryKeyColumns(t);
      const bool single_pk = pk.size() == 1;
      y << YAML::Key << "columns" << YAML::Value << YAML::BeginSeq;
      for (const Column& c : t.columns) {
        y << YAML::BeginMap;
        y << YAML::Key << "name" << YAML::Value;
        YamlString(y, c.name);
        if (NeedsQuoting(c.name)) y << YAML::Key << "quote" << YAML::Value << true;
        y << YAML::Key << "data_type" << YAML::Value;
        YamlString(y, c.type);
        y << YAML::Key << "description" << YAML::Value;
        YamlString(y, c.comment.value_or(""));
        std::vector<std::pair<std::string, std::string>> rels;  // (to source+table, field)
        if (const auto it = tests.find({ref, c.name}); it != tests.end()) {
          for (const Relationship* r : it->second) {
            const auto src = source_names.find({r->to.database, r->to.schema});
            if (src == source_names.end()) continue;
            rels.emplace_back(src->second + '\0' + r->to.table, r->to_columns[0]);
          }
        }
        const bool key = single_pk && pk.contains(c.name);
        if (key || !c.nullable || !rels.empty()) {
          y << YAML::Key << "data_tests" << YAML::Value << YAML::BeginSeq;
          if (key) y << "unique";
          if (key || !c.nullable) y << "not_null";
          for (const auto& [target, field] : rels) {
            const auto sep = target.find('\0');
            const std::string to = "source(" + nlohmann::json(target.substr(0, sep)).dump() + ", " +
                                   nlohmann::json(target.substr(sep + 1)).dump() + ")";
            y << YAML::BeginMap << YAML::Key << "relationships" << YAML::Value << YAML::BeginMap;
            y << YAML::Key << "to" << YAML::Value;
            YamlString(y, to);
            y << YAML::Key << "field" << YAML::Value;
            YamlString(y, field);
            y << YAML::EndMap << YAML::EndMap;
          }
          y << YAML::EndSeq;
        }
        y << YAML::EndMap;
      }
      y << YAML::EndSeq;
      y << YAML::EndMap;
    }
    y << YAML::EndSeq;
    y << YAML::EndMap;
  });
  y << YAML::EndSeq << YAML::EndMap;
  out << y.c_str() << '\n';
}

// ---------------------------------------------------------------------------------------------
// Annotated DDL
// ---------------------------------------------------------------------------------------------

namespace {

std::string Confidence(double c) {
  return fmt::format("{:.2f}", c);
}

std::string RelationshipLine(const Relationship& r) {
  return fmt::format("{} ({}) -> {} ({})", DottedName(r.from),
                     OneLine(fmt::format("{}", fmt::join(r.from_columns, ", "))), DottedName(r.to),
                     OneLine(fmt::format("{}", fmt::join(r.to_columns, ", "))));
}

// True when `columns` are exactly a declared primary key or unique key of `t` (PostgreSQL and
// Redshift accept REFERENCES only to such columns).
bool IsKey(const Table& t, const std::vector<std::string>& columns) {
  const std::set<std::string> want(columns.begin(), columns.end());
  return std::any_of(
      t.constraints.begin(), t.constraints.end(), [&](const warehouse::Constraint& k) {
        return (k.kind == ConstraintKind::kPrimaryKey || k.kind == ConstraintKind::kUnique) &&
               std::set<std::string>(k.columns.begin(), k.columns.end()) == want;
      });
}

}  // namespace

void WriteDdl(const DataMap& map, std::ostream& out) {
  out << "-- schemaport Data Map: annotated DDL of " << map.catalog.TableCount()
      << " saved tables, grouped by database and schema.\n"
         "-- Keys are informational in Amazon Redshift: it keeps them in its catalog and does not "
         "enforce them.\n"
         "-- Foreign keys (declared, or inferred and accepted by a user) follow the tables of each "
         "database.\n";
  for (const auto& d : map.catalog.databases) {
    out << "\n-- ============================================================\n-- Database: "
        << OneLine(d.name) << "\n-- ============================================================\n";
    std::vector<std::string> foreign_keys;
    for (const auto& s : d.schemas) {
      if (s.tables.empty()) continue;
      out << "\n-- Schema " << OneLine(d.name) << "." << OneLine(s.name) << " ("
          << warehouse::SchemaKindName(s.kind) << ", " << s.tables.size() << " tables)\n";
      out << "CREATE SCHEMA IF NOT EXISTS " << QuoteSqlIdentifier(ValidUtf8(s.name)) << ";\n";
      for (const Table& t : s.tables) {
        const TableRef ref{d.name, s.name, t.name};
        out << '\n';
        out << "-- " << OneLine(DottedName(ref)) << ": " << warehouse::TableKindName(t.kind);
        if (const auto it = map.roles.find(ref); it != map.roles.end()) {
          out << ", role " << TableRoleName(it->second.role)
              << (it->second.overridden ? " (set by a user)"
                                        : " (suggested: " + OneLine(it->second.reason) + ")");
        }
        out << '\n';
        if (t.comment) out << "-- " << OneLine(*t.comment) << '\n';
        // Relationships of this table as comments: what an assistant joins on.
        for (const Relationship* r : map.RelationshipsOf(ref)) {
          if (r->status == RelationshipStatus::kRejected) continue;
          out << "-- " << (r->from == ref ? "references " : "referenced by ")
              << OneLine(RelationshipLine(*r)) << " [" << RelationshipStatusName(r->status);
          if (r->status == RelationshipStatus::kInferred)
            out << ", confidence " << Confidence(r->confidence);
          out << "]\n";
        }
        out << "CREATE TABLE " << ValidUtf8(Qualified(ref)) << " (";
        std::vector<std::string> lines;
        for (const Column& c : t.columns) {
          std::string line = "  " + ValidUtf8(QuoteSqlIdentifier(c.name)) + " " + ValidUtf8(c.type);
          if (!c.nullable) line += " NOT NULL";
          lines.push_back(std::move(line));
        }
        for (const auto& k : t.constraints) {
          if (k.kind == ConstraintKind::kForeignKey) continue;
          lines.push_back("  CONSTRAINT " + ValidUtf8(QuoteSqlIdentifier(k.name)) +
                          (k.kind == ConstraintKind::kPrimaryKey ? " PRIMARY KEY (" : " UNIQUE (") +
                          ValidUtf8(ColumnList(k.columns)) + ")");
        }
        for (std::size_t i = 0; i < lines.size(); ++i) {
          out << '\n' << lines[i] << (i + 1 < lines.size() ? "," : "");
          if (i < t.columns.size() && t.columns[i].comment)
            out << "  -- " << OneLine(*t.columns[i].comment);
        }
        out << "\n);\n";
        if (t.comment) {
          out << "COMMENT ON TABLE " << ValidUtf8(Qualified(ref)) << " IS "
              << SqlLiteral(*t.comment) << ";\n";
        }
        for (const Column& c : t.columns) {
          if (!c.comment) continue;
          out << "COMMENT ON COLUMN " << ValidUtf8(Qualified(ref)) << "."
              << ValidUtf8(QuoteSqlIdentifier(c.name)) << " IS " << SqlLiteral(*c.comment) << ";\n";
        }
      }
    }
    for (const auto& r : map.relationships) {
      if (r.from.database != d.name || !r.is_fact()) continue;
      const Table* target = map.FindTable(r.to);
      std::string fk = "ALTER TABLE " + ValidUtf8(Qualified(r.from)) + " ADD ";
      if (r.declared())
        fk += "CONSTRAINT " + ValidUtf8(QuoteSqlIdentifier(r.constraint_name)) + " ";
      fk += "FOREIGN KEY (" + ValidUtf8(ColumnList(r.from_columns)) + ") REFERENCES " +
            ValidUtf8(Qualified(r.to)) + " (" + ValidUtf8(ColumnList(r.to_columns)) + ");";
      if (target == nullptr || !IsKey(*target, r.to_columns)) {
        // Not a key of the target: a DDL engine would refuse the constraint; keep it as a note.
        foreign_keys.push_back("-- " + std::string(RelationshipStatusName(r.status)) +
                               " (target columns are not a declared key): " + OneLine(fk));
      } else {
        foreign_keys.push_back("-- " + std::string(RelationshipStatusName(r.status)) + "\n" + fk);
      }
    }
    if (!foreign_keys.empty()) {
      out << "\n-- Foreign keys of " << OneLine(d.name) << '\n';
      for (const auto& fk : foreign_keys) out << fk << '\n';
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Markdown
// ---------------------------------------------------------------------------------------------

namespace {

// A code span that holds any text: a fence longer than the longest run of backticks inside.
std::string Code(std::string_view s) {
  const std::string text = OneLine(s);
  std::size_t longest = 0, run = 0;
  for (char c : text) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  const std::string fence(longest + 1, '`');
  const bool pad = !text.empty() && (text.front() == '`' || text.back() == '`');
  std::string out = fence + (pad ? " " : "") + text + (pad ? " " : "") + fence;
  // Inside a table cell a pipe ends the cell even in a code span.
  std::string escaped;
  for (char c : out) {
    if (c == '|') escaped += '\\';
    escaped += c;
  }
  return escaped;
}

// Plain text in a table cell or a paragraph: Markdown's specials escaped.
std::string Text(std::string_view s) {
  std::string out;
  for (char c : OneLine(s)) {
    if (std::string_view("\\`*_{}[]<>#|!~").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

void WriteMarkdown(const DataMap& map, std::ostream& out) {
  std::size_t declared = 0, accepted = 0, inferred = 0;
  for (const auto& r : map.relationships) {
    declared += r.status == RelationshipStatus::kDeclared;
    accepted += r.status == RelationshipStatus::kAccepted;
    inferred += r.status == RelationshipStatus::kInferred;
  }
  out << "# Data Map\n\n"
      << map.catalog.TableCount() << " saved tables, " << map.catalog.ColumnCount()
      << " columns. Relationships: " << declared << " declared, " << accepted << " accepted, "
      << inferred
      << " inferred (not confirmed: check before relying on them). Keys are informational in "
         "Amazon Redshift "
         "(not enforced).\n";
  ForEachSchema(map.catalog, [&](const warehouse::Database& d, const warehouse::Schema& s) {
    out << "\n## " << Code(d.name + "." + s.name) << "\n";
    for (const Table& t : s.tables) {
      const TableRef ref{d.name, s.name, t.name};
      out << "\n### " << Code(t.name) << "\n\n";
      out << "- kind: " << warehouse::TableKindName(t.kind);
      if (const auto it = map.roles.find(ref); it != map.roles.end()) {
        out << "\n- role: " << TableRoleName(it->second.role)
            << (it->second.overridden ? " (set by a user)"
                                      : " (suggested: " + Text(it->second.reason) + ")");
      }
      out << '\n';
      if (t.comment) out << "- description: " << Text(*t.comment) << '\n';
      for (const auto& k : t.constraints) {
        out << "- " << warehouse::ConstraintKindName(k.kind) << " " << Code(k.name) << ": ";
        for (std::size_t i = 0; i < k.columns.size(); ++i)
          out << (i ? ", " : "") << Code(k.columns[i]);
        if (k.kind == ConstraintKind::kForeignKey) {
          out << " references " << Code(k.referenced_schema + "." + k.referenced_table) << " (";
          for (std::size_t i = 0; i < k.referenced_columns.size(); ++i) {
            out << (i ? ", " : "") << Code(k.referenced_columns[i]);
          }
          out << ")";
        }
        out << '\n';
      }
      const std::set<std::string> pk = PrimaryKeyColumns(t);
      out << "\n| column | type | nullable | key | description |\n| --- | --- | --- | --- | --- "
             "|\n";
      for (const Column& c : t.columns) {
        std::string key = pk.contains(c.name) ? "PK" : "";
        for (const Relationship* r : map.RelationshipsOf(ref)) {
          if (r->from == ref && r->is_fact() &&
              std::find(r->from_columns.begin(), r->from_columns.end(), c.name) !=
                  r->from_columns.end()) {
            key += std::string(key.empty() ? "" : ", ") + "FK";
            break;
          }
        }
        out << "| " << Code(c.name) << " | " << Code(c.type) << " | " << (c.nullable ? "yes" : "no")
            << " | " << key << " | " << Text(c.comment.value_or("")) << " |\n";
      }
      bool header = false;
      for (const Relationship* r : map.RelationshipsOf(ref)) {
        if (r->status == RelationshipStatus::kRejected) continue;
        if (!header) {
          out << "\nRelationships:\n\n";
          header = true;
        }
        const bool outgoing = r->from == ref;
        out << "- " << (outgoing ? "references " : "referenced by ");
        out << Code(DottedName(outgoing ? r->to : r->from)) << " on ";
        for (std::size_t i = 0; i < r->from_columns.size(); ++i) {
          out << (i ? ", " : "") << Code(r->from.table + "." + r->from_columns[i]) << " = "
              << Code(r->to.table + "." + r->to_columns[i]);
        }
        out << " (" << RelationshipStatusName(r->status);
        if (r->declared()) out << ", " << Code(r->constraint_name);
        if (!r->declared())
          out << ", confidence " << Confidence(r->confidence) << ": "
              << Text(fmt::format("{}", fmt::join(r->evidence, "; ")));
        out << ")\n";
      }
    }
  });
}

std::string Export(const DataMap& map, ExportFormat format) {
  std::ostringstream out;
  switch (format) {
    case ExportFormat::kCatalogJson: WriteCatalogJson(map, out, 2); break;
    case ExportFormat::kDbtSources: WriteDbtSources(map, out); break;
    case ExportFormat::kDdl: WriteDdl(map, out); break;
    case ExportFormat::kMarkdown: WriteMarkdown(map, out); break;
  }
  return out.str();
}

}  // namespace schemaport::datamap
