// The Data Map model: declared and inferred relationships, roles, decisions and the diff.
#include <algorithm>
#include <array>
#include <cmath>
#include <set>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "datamap/datamap.h"
#include "datamap/internal.h"

namespace schemaport::datamap {

using warehouse::Catalog;
using warehouse::Column;
using warehouse::ConstraintKind;
using warehouse::Table;

namespace {

template <typename E, std::size_t N>
std::optional<E> Lookup(const std::pair<E, std::string_view> (&table)[N], std::string_view s) {
  for (const auto& [e, name] : table) {
    if (name == s) return e;
  }
  return std::nullopt;
}
template <typename E, std::size_t N>
std::string_view NameOf(const std::pair<E, std::string_view> (&table)[N], E e) {
  for (const auto& [k, name] : table) {
    if (k == e) return name;
  }
  return "unknown";
}

constexpr std::pair<RelationshipStatus, std::string_view> kStatuses[] = {
    {RelationshipStatus::kDeclared, "declared"},
    {RelationshipStatus::kInferred, "inferred"},
    {RelationshipStatus::kAccepted, "accepted"},
    {RelationshipStatus::kRejected, "rejected"},
};
constexpr std::pair<Decision, std::string_view> kDecisions[] = {
    {Decision::kAccept, "accept"},
    {Decision::kReject, "reject"},
};
constexpr std::pair<TableRole, std::string_view> kRoles[] = {
    {TableRole::kFact, "fact"},
    {TableRole::kDimension, "dimension"},
    {TableRole::kLookup, "lookup"},
};
constexpr std::pair<Change, std::string_view> kChanges[] = {
    {Change::kNew, "new"},
    {Change::kRemoved, "removed"},
    {Change::kChanged, "changed"},
};

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}
bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

std::uint64_t Fnv1a(std::uint64_t h, std::string_view s) {
  // Length-prefixed, so ("ab","c") and ("a","bc") differ.
  const std::uint64_t n = s.size();
  for (int i = 0; i < 8; ++i) {
    h ^= (n >> (8 * i)) & 0xff;
    h *= 0x100000001b3ULL;
  }
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

}  // namespace

std::string_view RelationshipStatusName(RelationshipStatus s) {
  return NameOf(kStatuses, s);
}
std::string_view DecisionName(Decision d) {
  return NameOf(kDecisions, d);
}
std::optional<Decision> ParseDecision(std::string_view s) {
  return Lookup(kDecisions, s);
}
std::string_view TableRoleName(TableRole r) {
  return NameOf(kRoles, r);
}
std::optional<TableRole> ParseTableRole(std::string_view s) {
  return Lookup(kRoles, s);
}
std::string_view ChangeName(Change c) {
  return NameOf(kChanges, c);
}

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string RelationshipId(const TableRef& from, const std::vector<std::string>& from_columns,
                           const TableRef& to, const std::vector<std::string>& to_columns) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const auto* ref : {&from, &to}) {
    h = Fnv1a(h, ref->database);
    h = Fnv1a(h, ref->schema);
    h = Fnv1a(h, ref->table);
    const auto& cols = ref == &from ? from_columns : to_columns;
    h = Fnv1a(h, std::to_string(cols.size()));
    for (const auto& c : cols) h = Fnv1a(h, c);
  }
  return fmt::format("{:016x}", h);
}

namespace {

bool RelationshipLess(const Relationship& a, const Relationship& b) {
  return std::tie(a.from, a.from_columns, a.to, a.to_columns) <
         std::tie(b.from, b.from_columns, b.to, b.to_columns);
}

// Visits every table with its reference.
template <typename F>
void ForEachTable(const Catalog& catalog, F&& f) {
  for (const auto& d : catalog.databases) {
    for (const auto& s : d.schemas) {
      for (const auto& t : s.tables) f(TableRef{d.name, s.name, t.name}, t);
    }
  }
}

const Column* FindColumn(const Table& t, std::string_view name) {
  for (const auto& c : t.columns) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

// The single-column primary key of a table, if declared.
const Column* PrimaryKeyColumn(const Table& t) {
  for (const auto& k : t.constraints) {
    if (k.kind == ConstraintKind::kPrimaryKey && k.columns.size() == 1)
      return FindColumn(t, k.columns[0]);
  }
  return nullptr;
}

bool IsDeclaredUnique(const Table& t, std::string_view column) {
  return std::any_of(
      t.constraints.begin(), t.constraints.end(), [&](const warehouse::Constraint& k) {
        return (k.kind == ConstraintKind::kPrimaryKey || k.kind == ConstraintKind::kUnique) &&
               k.columns.size() == 1 && k.columns[0] == column;
      });
}

constexpr std::array<std::string_view, 6> kKeySuffixes = {"_id", "_key", "_fk", "_sk", "id", "key"};

}  // namespace

std::optional<std::string> KeyStem(std::string_view lower_name) {
  for (std::string_view suffix : kKeySuffixes) {
    if (lower_name.size() > suffix.size() && EndsWith(lower_name, suffix)) {
      std::string stem(lower_name.substr(0, lower_name.size() - suffix.size()));
      while (!stem.empty() && stem.back() == '_') stem.pop_back();
      if (stem.size() >= 2) return stem;
      return std::nullopt;
    }
  }
  return std::nullopt;
}

std::vector<std::string> TableNamesForStem(std::string_view stem) {
  std::vector<std::string> names;
  auto add = [&](std::string n) {
    if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(std::move(n));
  };
  const std::string s(stem);
  add(s);
  add(s + "s");
  add(s + "es");
  if (EndsWith(s, "y") && s.size() > 1) add(s.substr(0, s.size() - 1) + "ies");
  if (EndsWith(s, "ies") && s.size() > 3) add(s.substr(0, s.size() - 3) + "y");
  if (EndsWith(s, "s") && s.size() > 2) add(s.substr(0, s.size() - 1));
  const std::size_t base = names.size();
  for (std::size_t i = 0; i < base; ++i) {
    add("dim_" + names[i]);
    add("d_" + names[i]);
  }
  return names;
}

std::vector<Relationship> DeclaredRelationships(const Catalog& saved) {
  std::set<TableRef> present;
  ForEachTable(saved, [&](const TableRef& ref, const Table&) { present.insert(ref); });
  std::vector<Relationship> out;
  ForEachTable(saved, [&](const TableRef& ref, const Table& t) {
    for (const auto& k : t.constraints) {
      if (k.kind != ConstraintKind::kForeignKey) continue;
      TableRef to{ref.database, k.referenced_schema, k.referenced_table};
      if (!present.contains(to)) continue;  // not saved: a key of its table, not a relationship
      Relationship r;
      r.from = ref;
      r.from_columns = k.columns;
      r.to = std::move(to);
      r.to_columns = k.referenced_columns;
      r.status = RelationshipStatus::kDeclared;
      r.constraint_name = k.name;
      r.confidence = 1.0;
      r.evidence = {"declared foreign key " + k.name};
      r.id = RelationshipId(r.from, r.from_columns, r.to, r.to_columns);
      out.push_back(std::move(r));
    }
  });
  std::sort(out.begin(), out.end(), RelationshipLess);
  out.erase(std::unique(out.begin(), out.end(),
                        [](const Relationship& a, const Relationship& b) { return a.id == b.id; }),
            out.end());
  return out;
}

std::vector<Relationship> InferRelationships(const Catalog& saved) {
  struct Entry {
    TableRef ref;
    const Table* table;
  };
  std::vector<Entry> entries;
  // (database, lower-case table name) -> entries
  std::unordered_map<std::string, std::vector<std::size_t>> by_name;
  ForEachTable(saved, [&](const TableRef& ref, const Table& t) {
    by_name[ref.database + '\0' + AsciiLower(ref.table)].push_back(entries.size());
    entries.push_back(Entry{ref, &t});
  });
  // Columns covered by a declared foreign key (declared keys win).
  std::set<std::pair<std::size_t, std::string>> covered;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    for (const auto& k : entries[i].table->constraints) {
      if (k.kind != ConstraintKind::kForeignKey) continue;
      for (const auto& c : k.columns) covered.emplace(i, c);
    }
  }

  std::vector<Relationship> out;
  struct Candidate {
    std::size_t target;
    const Column* column;
    double score;
    std::vector<std::string> evidence;
  };
  std::vector<Candidate> candidates;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const Entry& from = entries[i];
    for (const Column& col : from.table->columns) {
      const std::string lower = AsciiLower(col.name);
      const auto stem = KeyStem(lower);
      if (!stem) continue;
      if (covered.contains({i, col.name})) continue;
      candidates.clear();
      for (const std::string& name : TableNamesForStem(*stem)) {
        const auto it = by_name.find(from.ref.database + '\0' + name);
        if (it == by_name.end()) continue;
        for (std::size_t target : it->second) {
          const Entry& to = entries[target];
          std::vector<std::string> evidence;
          double score = 0.5;
          evidence.push_back("column " + col.name + " names table " + to.ref.table +
                             (name == *stem ? "" : " (" + *stem + " as " + name + ")"));
          if (name == *stem || name == *stem + "s") score += 0.1;
          const Column* key = PrimaryKeyColumn(*to.table);
          if (key != nullptr) {
            score += 0.25;
            evidence.push_back(key->name + " is the declared primary key of " + to.ref.table);
          } else if ((key = FindColumn(*to.table, col.name)) != nullptr) {
            score += 0.15;
            evidence.push_back(to.ref.table + " has a column of the same name");
          } else if ((key = FindColumn(*to.table, "id")) != nullptr) {
            score += 0.1;
            evidence.push_back(to.ref.table + " has an id column");
          } else {
            for (std::string_view suffix : {"_id", "id", "_key", "key"}) {
              for (const Column& c : to.table->columns) {
                if (AsciiLower(c.name) == *stem + std::string(suffix)) {
                  key = &c;
                  break;
                }
              }
              if (key != nullptr) break;
            }
            if (key == nullptr) continue;
            score += 0.05;
            evidence.push_back(to.ref.table + "." + key->name + " is named after " + *stem);
          }
          if (target == i && key == &col) continue;  // a table's own key
          if (key->family != col.family) continue;
          evidence.push_back("types match (" + std::string(warehouse::TypeFamilyName(col.family)) +
                             ")");
          if (key != PrimaryKeyColumn(*to.table) && IsDeclaredUnique(*to.table, key->name)) {
            score += 0.1;
            evidence.push_back(key->name + " is declared unique");
          }
          if (to.ref.schema == from.ref.schema) {
            score += 0.1;
            evidence.push_back("same schema");
          }
          candidates.push_back(Candidate{target, key, std::min(score, 0.95), std::move(evidence)});
        }
      }
      if (candidates.empty()) continue;
      double best = 0;
      for (const auto& c : candidates) best = std::max(best, c.score);
      std::size_t ties = 0;
      for (const auto& c : candidates) ties += c.score >= best - 1e-9 ? 1 : 0;
      for (auto& c : candidates) {
        if (c.score < best - 1e-9) continue;
        Relationship r;
        r.from = from.ref;
        r.from_columns = {col.name};
        r.to = entries[c.target].ref;
        r.to_columns = {c.column->name};
        r.status = RelationshipStatus::kInferred;
        r.confidence = std::round((ties > 1 ? c.score * 0.8 : c.score) * 100) / 100;
        r.evidence = std::move(c.evidence);
        if (ties > 1)
          r.evidence.push_back("one of " + std::to_string(ties) + " equally likely targets");
        r.id = RelationshipId(r.from, r.from_columns, r.to, r.to_columns);
        out.push_back(std::move(r));
      }
    }
  }
  std::sort(out.begin(), out.end(), RelationshipLess);
  return out;
}

namespace {

std::pair<TableRole, std::string> SuggestRole(const TableRef& ref, const Table& t,
                                              const std::vector<const Relationship*>& rels) {
  const std::string name = AsciiLower(ref.table);
  for (std::string_view p : {"fact_", "fct_", "f_"}) {
    if (StartsWith(name, p))
      return {TableRole::kFact, "named as a fact table (" + std::string(p) + ")"};
  }
  for (std::string_view p : {"dim_", "d_"}) {
    if (StartsWith(name, p))
      return {TableRole::kDimension, "named as a dimension table (" + std::string(p) + ")"};
  }
  for (std::string_view p : {"lkp_", "lookup_", "ref_"}) {
    if (StartsWith(name, p))
      return {TableRole::kLookup, "named as a lookup table (" + std::string(p) + ")"};
  }
  for (std::string_view s :
       {"_lookup", "_type", "_types", "_status", "_statuses", "_code", "_codes"}) {
    if (EndsWith(name, s))
      return {TableRole::kLookup, "named as a lookup table (" + std::string(s) + ")"};
  }
  std::set<TableRef> outgoing, incoming;
  for (const Relationship* r : rels) {
    if (r->status == RelationshipStatus::kRejected) continue;
    if (r->from == ref && !(r->to == ref)) outgoing.insert(r->to);
    if (r->to == ref && !(r->from == ref)) incoming.insert(r->from);
  }
  int measures = 0;
  for (const Column& c : t.columns) {
    const bool numeric = c.family == warehouse::TypeFamily::kDecimal ||
                         c.family == warehouse::TypeFamily::kFloat ||
                         c.family == warehouse::TypeFamily::kInteger;
    if (numeric && !KeyStem(AsciiLower(c.name)) && AsciiLower(c.name) != "id") ++measures;
  }
  const bool keyed =
      PrimaryKeyColumn(t) != nullptr || FindColumn(t, "id") != nullptr ||
      std::any_of(t.constraints.begin(), t.constraints.end(), [](const warehouse::Constraint& k) {
        return k.kind == ConstraintKind::kPrimaryKey;
      });
  if (outgoing.size() >= 2 && outgoing.size() >= incoming.size()) {
    return {TableRole::kFact, "references " + std::to_string(outgoing.size()) + " tables and has " +
                                  std::to_string(measures) + " numeric measure columns"};
  }
  if ((keyed || !incoming.empty()) && outgoing.empty() && t.columns.size() <= 4) {
    return {TableRole::kLookup,
            "a small keyed table (" + std::to_string(t.columns.size()) + " columns)"};
  }
  if (!incoming.empty()) {
    return {TableRole::kDimension, "referenced by " + std::to_string(incoming.size()) + " tables"};
  }
  if (outgoing.size() == 1 && measures >= 2) {
    return {TableRole::kFact,
            "references a table and has " + std::to_string(measures) + " numeric measure columns"};
  }
  return {TableRole::kDimension,
          keyed ? "a keyed table that holds attributes" : "no keys or relationships found"};
}

}  // namespace

const Table* DataMap::FindTable(const TableRef& ref) const {
  for (const auto& d : catalog.databases) {
    if (d.name != ref.database) continue;
    for (const auto& s : d.schemas) {
      if (s.name != ref.schema) continue;
      const auto it =
          std::lower_bound(s.tables.begin(), s.tables.end(), ref.table,
                           [](const Table& t, const std::string& n) { return t.name < n; });
      if (it != s.tables.end() && it->name == ref.table) return &*it;
    }
  }
  return nullptr;
}

std::vector<const Relationship*> DataMap::RelationshipsOf(const TableRef& ref) const {
  std::vector<const Relationship*> out;
  const auto it = relationships_by_table.find(ref);
  if (it == relationships_by_table.end()) return out;
  out.reserve(it->second.size());
  for (const std::size_t i : it->second) out.push_back(&relationships[i]);
  return out;
}

void DataMap::IndexRelationships() {
  relationships_by_table.clear();
  for (std::size_t i = 0; i < relationships.size(); ++i) {
    const Relationship& r = relationships[i];
    relationships_by_table[r.from].push_back(i);
    if (!(r.to == r.from)) relationships_by_table[r.to].push_back(i);
  }
}

DataMap BuildDataMap(Catalog saved, const Decisions& decisions) {
  DataMap map;
  saved.Normalize();
  map.catalog = std::move(saved);
  map.relationships = DeclaredRelationships(map.catalog);
  std::unordered_set<std::string> declared_ids;
  for (const auto& r : map.relationships) declared_ids.insert(r.id);
  for (auto& r : InferRelationships(map.catalog)) {
    if (declared_ids.contains(r.id)) continue;
    if (const auto it = decisions.relationships.find(r.id); it != decisions.relationships.end()) {
      r.status = it->second == Decision::kAccept ? RelationshipStatus::kAccepted
                                                 : RelationshipStatus::kRejected;
    }
    map.relationships.push_back(std::move(r));
  }
  map.IndexRelationships();
  ForEachTable(map.catalog, [&](const TableRef& ref, const Table& t) {
    auto [role, reason] = SuggestRole(ref, t, map.RelationshipsOf(ref));
    RoleInfo info;
    info.suggested = role;
    info.role = role;
    info.reason = std::move(reason);
    if (const auto o = decisions.roles.find(ref); o != decisions.roles.end()) {
      info.role = o->second;
      info.overridden = true;
    }
    map.roles.emplace(ref, std::move(info));
  });
  return map;
}

std::vector<RelationshipChange> DiffRelationships(const std::vector<Relationship>& before,
                                                  const std::vector<Relationship>& after) {
  std::map<std::string, const Relationship*> old_by_id, new_by_id;
  for (const auto& r : before) old_by_id.emplace(r.id, &r);
  for (const auto& r : after) new_by_id.emplace(r.id, &r);
  std::vector<RelationshipChange> out;
  for (const auto& [id, r] : new_by_id) {
    const auto it = old_by_id.find(id);
    if (it == old_by_id.end()) {
      out.push_back(RelationshipChange{Change::kNew, *r, {}});
      continue;
    }
    const Relationship& o = *it->second;
    std::vector<std::string> changes;
    if (o.status != r->status) {
      changes.push_back(fmt::format("status: {} -> {}", RelationshipStatusName(o.status),
                                    RelationshipStatusName(r->status)));
    }
    if (o.constraint_name != r->constraint_name) {
      changes.push_back(fmt::format("constraint: {} -> {}",
                                    o.constraint_name.empty() ? "none" : o.constraint_name,
                                    r->constraint_name.empty() ? "none" : r->constraint_name));
    }
    if (std::fabs(o.confidence - r->confidence) > 1e-9) {
      changes.push_back(fmt::format("confidence: {:.2f} -> {:.2f}", o.confidence, r->confidence));
    }
    if (!changes.empty())
      out.push_back(RelationshipChange{Change::kChanged, *r, std::move(changes)});
  }
  for (const auto& [id, r] : old_by_id) {
    if (!new_by_id.contains(id)) out.push_back(RelationshipChange{Change::kRemoved, *r, {}});
  }
  std::sort(out.begin(), out.end(), [](const RelationshipChange& a, const RelationshipChange& b) {
    return a.relationship.id < b.relationship.id;
  });
  return out;
}

Result<Catalog> CatalogFromSavedTables(const std::vector<store::SavedTable>& tables) {
  std::map<std::string, std::map<std::string, std::vector<Table>>> grouped;
  for (const auto& st : tables) {
    Table t;
    t.name = st.name;
    t.kind = warehouse::ParseTableKind(st.kind).value_or(warehouse::TableKind::kTable);
    if (!st.comment.empty()) t.comment = st.comment;
    t.can_select = true;
    t.columns_loaded = true;
    for (const auto& sc : st.columns) {
      Column c;
      c.position = sc.ordinal;
      c.name = sc.name;
      c.type = sc.type;
      const auto fam = sc.attributes.find(std::string(kFamilyAttribute));
      std::optional<warehouse::TypeFamily> family;
      if (fam != sc.attributes.end()) family = warehouse::ParseTypeFamily(fam->second);
      c.family = family.value_or(warehouse::TypeFamily::kOther);
      c.nullable = sc.nullable;
      if (!sc.comment.empty()) c.comment = sc.comment;
      t.columns.push_back(std::move(c));
    }
    if (const auto it = st.attributes.find(std::string(kConstraintsAttribute));
        it != st.attributes.end()) {
      auto constraints = warehouse::ConstraintsFromJson(it->second);
      if (!constraints.ok()) {
        return Status(Code::kDataLoss, "the saved keys of a table do not read",
                      constraints.status().message());
      }
      t.constraints = std::move(constraints).value();
    }
    grouped[st.database][st.schema].push_back(std::move(t));
  }
  Catalog catalog;
  for (auto& [db, schemas] : grouped) {
    warehouse::Database d;
    d.name = db;
    for (auto& [schema, ts] : schemas) {
      warehouse::Schema s;
      s.name = schema;
      s.tables = std::move(ts);
      d.schemas.push_back(std::move(s));
    }
    catalog.databases.push_back(std::move(d));
  }
  catalog.Normalize();
  return catalog;
}

std::string DecisionsToJson(const Decisions& decisions) {
  nlohmann::json rels = nlohmann::json::object();
  for (const auto& [id, d] : decisions.relationships) rels[id] = DecisionName(d);
  nlohmann::json roles = nlohmann::json::array();
  for (const auto& [ref, role] : decisions.roles) {
    roles.push_back({{"database", ref.database},
                     {"schema", ref.schema},
                     {"table", ref.table},
                     {"role", TableRoleName(role)}});
  }
  return nlohmann::json{{"version", 1}, {"relationships", rels}, {"roles", roles}}.dump();
}

Result<Decisions> DecisionsFromJson(std::string_view json) {
  const auto bad = [](std::string detail) {
    return Status(Code::kDataLoss, "the saved Data Map decisions do not read", std::move(detail));
  };
  const nlohmann::json doc = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return bad("not a JSON object");
  const auto version = doc.find("version");
  if (version == doc.end() || !version->is_number_integer() || *version != 1) {
    return bad("unknown version");
  }
  Decisions out;
  const auto rels = doc.find("relationships");
  if (rels == doc.end() || !rels->is_object()) return bad("relationships");
  for (const auto& [id, d] : rels->items()) {
    const auto decision = d.is_string() ? ParseDecision(d.get<std::string>()) : std::nullopt;
    if (!decision) return bad("relationship decision");
    out.relationships.emplace(id, *decision);
  }
  const auto roles = doc.find("roles");
  if (roles == doc.end() || !roles->is_array()) return bad("roles");
  for (const auto& r : *roles) {
    if (!r.is_object()) return bad("role");
    TableRef ref;
    std::optional<TableRole> role;
    for (const char* key : {"database", "schema", "table", "role"}) {
      const auto it = r.find(key);
      if (it == r.end() || !it->is_string()) return bad(std::string("role ") + key);
    }
    ref.database = r["database"].get<std::string>();
    ref.schema = r["schema"].get<std::string>();
    ref.table = r["table"].get<std::string>();
    role = ParseTableRole(r["role"].get<std::string>());
    if (!role) return bad("role value");
    out.roles[ref] = *role;
  }
  return out;
}

store::SavedTable ToSavedTable(const TableRef& ref, const Table& table) {
  store::SavedTable st;
  st.database = ref.database;
  st.schema = ref.schema;
  st.name = ref.table;
  st.kind = std::string(warehouse::TableKindName(table.kind));
  st.comment = table.comment.value_or("");
  if (!table.constraints.empty()) {
    st.attributes[std::string(kConstraintsAttribute)] =
        warehouse::ConstraintsToJson(table.constraints);
  }
  for (const Column& c : table.columns) {
    store::SavedColumn sc;
    sc.name = c.name;
    sc.type = c.type;
    sc.ordinal = c.position;
    sc.nullable = c.nullable;
    sc.comment = c.comment.value_or("");
    sc.attributes[std::string(kFamilyAttribute)] = std::string(warehouse::TypeFamilyName(c.family));
    st.columns.push_back(std::move(sc));
  }
  return st;
}

}  // namespace schemaport::datamap
