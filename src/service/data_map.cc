// The service's Data Map: built from the saved tables and the connection's decisions, both
// read from the store on each call (nothing cached, so every instance sees the same map).
//
// Two sealed connection documents (store::Store::PutConnectionDocument):
//   datamap::kDecisionsDocument  the user's decisions (datamap::DecisionsToJson)
//   kPreviousDocument            the relationships of the saved tables a Save Metadata replaced,
//                                without decisions, with their tables' ids: what the marks of
//                                GetDataMap compare against
#include <algorithm>

#include <nlohmann/json.hpp>

#include "service/internal.h"

namespace schemaport::service {

using datamap::Relationship;
using datamap::RelationshipStatus;
using warehouse::TableRef;
using Impl = Service::Impl;

namespace {

constexpr std::string_view kPreviousDocument = "datamap.previous";

std::string Dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

nlohmann::json EndJson(const TableRef& ref, const std::string& table_id,
                       const std::vector<std::string>& columns) {
  return {{"table_id", table_id},
          {"database", ref.database},
          {"schema", ref.schema},
          {"table", ref.table},
          {"columns", columns}};
}

// The relationship as it was found, before any decision.
RelationshipStatus Undecided(RelationshipStatus s) {
  return s == RelationshipStatus::kDeclared ? s : RelationshipStatus::kInferred;
}

std::optional<TableRef> ReadEnd(const nlohmann::json& j, std::string& table_id,
                                std::vector<std::string>& columns) {
  if (!j.is_object()) return std::nullopt;
  TableRef ref;
  for (const char* key : {"table_id", "database", "schema", "table"}) {
    const auto it = j.find(key);
    if (it == j.end() || !it->is_string()) return std::nullopt;
  }
  table_id = j["table_id"].get<std::string>();
  ref.database = j["database"].get<std::string>();
  ref.schema = j["schema"].get<std::string>();
  ref.table = j["table"].get<std::string>();
  const auto cols = j.find("columns");
  if (cols == j.end() || !cols->is_array()) return std::nullopt;
  for (const auto& c : *cols) {
    if (!c.is_string()) return std::nullopt;
    columns.push_back(c.get<std::string>());
  }
  return ref;
}

struct PreviousRelationships {
  std::vector<Relationship> relationships;
  std::map<TableRef, std::string> table_ids;
};

Result<PreviousRelationships> DecodePrevious(std::string_view text) {
  const auto bad = [] {
    return Status(Code::kDataLoss, "the relationships of the previous save do not read");
  };
  const nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return bad();
  const auto version = doc.find("version");
  if (version == doc.end() || !version->is_number_integer() || *version != 1) return bad();
  const auto rels = doc.find("relationships");
  if (rels == doc.end() || !rels->is_array()) return bad();
  PreviousRelationships out;
  for (const auto& j : *rels) {
    if (!j.is_object()) return bad();
    Relationship r;
    std::string from_id, to_id;
    const auto from = ReadEnd(j.value("from", nlohmann::json()), from_id, r.from_columns);
    const auto to = ReadEnd(j.value("to", nlohmann::json()), to_id, r.to_columns);
    if (!from || !to) return bad();
    r.from = *from;
    r.to = *to;
    const auto id = j.find("id");
    const auto declared = j.find("declared");
    const auto confidence = j.find("confidence");
    const auto constraint = j.find("constraint_name");
    const auto evidence = j.find("evidence");
    if (id == j.end() || !id->is_string() || declared == j.end() || !declared->is_boolean() ||
        confidence == j.end() || !confidence->is_number() || constraint == j.end() ||
        !constraint->is_string() || evidence == j.end() || !evidence->is_array()) {
      return bad();
    }
    r.id = id->get<std::string>();
    r.status =
        declared->get<bool>() ? RelationshipStatus::kDeclared : RelationshipStatus::kInferred;
    r.confidence = confidence->get<double>();
    r.constraint_name = constraint->get<std::string>();
    for (const auto& e : *evidence) {
      if (!e.is_string()) return bad();
      r.evidence.push_back(e.get<std::string>());
    }
    out.table_ids[r.from] = from_id;
    out.table_ids[r.to] = to_id;
    out.relationships.push_back(std::move(r));
  }
  return out;
}

std::string EncodePrevious(const datamap::DataMap& map,
                           const std::map<TableRef, std::string>& table_ids) {
  nlohmann::json rels = nlohmann::json::array();
  const auto id_of = [&](const TableRef& ref) {
    const auto it = table_ids.find(ref);
    return it == table_ids.end() ? std::string() : it->second;
  };
  for (const Relationship& r : map.relationships) {
    rels.push_back({{"id", r.id},
                    {"from", EndJson(r.from, id_of(r.from), r.from_columns)},
                    {"to", EndJson(r.to, id_of(r.to), r.to_columns)},
                    {"declared", r.declared()},
                    {"confidence", r.confidence},
                    {"constraint_name", r.constraint_name},
                    {"evidence", r.evidence}});
  }
  return Dump({{"version", 1}, {"relationships", std::move(rels)}});
}

std::map<TableRef, std::string> IdsOf(const std::vector<store::SavedTable>& saved) {
  std::map<TableRef, std::string> ids;
  for (const auto& t : saved) ids.emplace(internal::RefOf(t), t.id);
  return ids;
}

void Count(DataMapCounts& counts, RelationshipStatus status) {
  ++counts.relationships;
  switch (status) {
    case RelationshipStatus::kDeclared: ++counts.declared; break;
    case RelationshipStatus::kInferred: ++counts.inferred; break;
    case RelationshipStatus::kAccepted: ++counts.accepted; break;
    case RelationshipStatus::kRejected: ++counts.rejected; break;
  }
}

RelationshipStatus Apply(const Relationship& r, const datamap::Decisions& decisions) {
  if (r.declared()) return r.status;
  const auto it = decisions.relationships.find(r.id);
  if (it == decisions.relationships.end()) return RelationshipStatus::kInferred;
  return it->second == datamap::Decision::kAccept ? RelationshipStatus::kAccepted
                                                  : RelationshipStatus::kRejected;
}

}  // namespace

// Everything one Data Map call needs, read from the store once.
struct Impl::LoadedMap {
  std::vector<store::SavedTable> saved;
  datamap::Decisions decisions;
  std::map<TableRef, std::string> table_ids;
  datamap::DataMap map;
};

Result<datamap::Decisions> Impl::LoadDecisions(const std::string& org_id,
                                               const std::string& connection_id) {
  const auto doc = SP_TRY(deps.store.GetConnectionDocument(
      org_id, connection_id, std::string(datamap::kDecisionsDocument)));
  if (!doc) return datamap::Decisions{};
  return datamap::DecisionsFromJson(*doc);
}

Result<datamap::Decisions> Impl::UpdateDecisions(
    const std::string& org_id, const std::string& connection_id,
    const std::function<void(datamap::Decisions&)>& change) {
  datamap::Decisions stored;
  SP_TRY(deps.store.UpdateConnectionDocument(
      org_id, connection_id, std::string(datamap::kDecisionsDocument),
      [&](const std::optional<std::string>& doc) -> Result<std::string> {
        datamap::Decisions d;
        if (doc) d = SP_TRY(datamap::DecisionsFromJson(*doc));
        change(d);
        stored = d;
        return datamap::DecisionsToJson(d);
      }));
  return stored;
}

Result<Impl::LoadedMap> Impl::LoadMap(const std::string& org_id, const std::string& connection_id) {
  LoadedMap out;
  out.saved = SP_TRY(deps.store.ListSavedTables(org_id, connection_id));
  out.decisions = SP_TRY(LoadDecisions(org_id, connection_id));
  out.table_ids = IdsOf(out.saved);
  warehouse::Catalog catalog = SP_TRY(datamap::CatalogFromSavedTables(out.saved));
  out.map = datamap::BuildDataMap(std::move(catalog), out.decisions);
  return out;
}

Status Impl::RecordPreviousRelationships(const std::string& org_id,
                                         const std::string& connection_id,
                                         const std::vector<store::SavedTable>& previous) {
  std::string doc;  // empty: nothing was saved before, so nothing is marked
  if (!previous.empty()) {
    auto catalog = datamap::CatalogFromSavedTables(previous);
    // Saved tables that no longer read cannot be compared: the next map is then unmarked.
    if (catalog.ok()) {
      doc = EncodePrevious(datamap::BuildDataMap(std::move(catalog).value()), IdsOf(previous));
    }
  }
  return deps.store.PutConnectionDocument(org_id, connection_id, std::string(kPreviousDocument),
                                          doc);
}

Result<DataMapView> Impl::BuildDataMapView(const std::string& org_id,
                                           const std::string& connection_id,
                                           const LoadedMap& loaded) {
  DataMapView view;
  const auto id_of = [&](const TableRef& ref) {
    const auto it = loaded.table_ids.find(ref);
    return it == loaded.table_ids.end() ? std::string() : it->second;
  };
  for (const auto& t : loaded.saved) {
    if (!view.saved_at || *view.saved_at < t.saved_at) view.saved_at = t.saved_at;
  }
  for (const auto& d : loaded.map.catalog.databases) {
    for (const auto& s : d.schemas) {
      for (const auto& t : s.tables) {
        DataMapTable table;
        table.ref = TableRef{d.name, s.name, t.name};
        table.id = id_of(table.ref);
        table.kind = std::string(warehouse::TableKindName(t.kind));
        table.comment = t.comment;
        table.column_count = static_cast<std::int64_t>(t.columns.size());
        for (const auto& c : t.constraints) {
          if (c.kind == warehouse::ConstraintKind::kPrimaryKey && table.primary_key.empty()) {
            table.primary_key = c.columns;
          } else if (c.kind == warehouse::ConstraintKind::kUnique) {
            table.unique_keys.push_back(c.columns);
          }
        }
        if (const auto it = loaded.map.roles.find(table.ref); it != loaded.map.roles.end()) {
          table.role = it->second;
        }
        view.tables.push_back(std::move(table));
      }
    }
  }
  std::sort(view.tables.begin(), view.tables.end(),
            [](const DataMapTable& a, const DataMapTable& b) { return a.ref < b.ref; });
  view.counts.tables = static_cast<std::int64_t>(view.tables.size());

  // Marks: the relationships found now against those of the previous save, both undecided.
  std::map<std::string, Mark> marks;
  const auto previous_doc = SP_TRY(
      deps.store.GetConnectionDocument(org_id, connection_id, std::string(kPreviousDocument)));
  if (previous_doc && !previous_doc->empty() && !loaded.saved.empty()) {
    PreviousRelationships previous = SP_TRY(DecodePrevious(*previous_doc));
    std::vector<Relationship> now = loaded.map.relationships;
    for (auto& r : now) r.status = Undecided(r.status);
    for (auto& change : datamap::DiffRelationships(previous.relationships, now)) {
      switch (change.change) {
        case datamap::Change::kNew: marks[change.relationship.id] = Mark::kNew; break;
        case datamap::Change::kChanged: marks[change.relationship.id] = Mark::kChanged; break;
        case datamap::Change::kRemoved: {
          DataMapRelationship removed;
          removed.relationship = std::move(change.relationship);
          removed.relationship.status = Apply(removed.relationship, loaded.decisions);
          const auto from = id_of(removed.relationship.from);
          const auto to = id_of(removed.relationship.to);
          removed.from_table_id =
              from.empty() ? previous.table_ids[removed.relationship.from] : from;
          removed.to_table_id = to.empty() ? previous.table_ids[removed.relationship.to] : to;
          removed.mark = Mark::kRemoved;
          view.removed_relationships.push_back(std::move(removed));
          break;
        }
      }
    }
  }
  for (const Relationship& r : loaded.map.relationships) {
    DataMapRelationship out;
    out.relationship = r;
    out.from_table_id = id_of(r.from);
    out.to_table_id = id_of(r.to);
    if (const auto it = marks.find(r.id); it != marks.end()) out.mark = it->second;
    Count(view.counts, r.status);
    view.relationships.push_back(std::move(out));
  }
  return view;
}

Result<DataMapView> Service::GetDataMap(const Principal& who, const std::string& connection_id) {
  Impl& m = *impl_;
  const Impl::LoadedMap loaded = SP_TRY(m.LoadMap(who.org_id, connection_id));
  return m.BuildDataMapView(who.org_id, connection_id, loaded);
}

Result<DataMapRelationship> Service::SetRelationshipDecision(
    const Principal& who, const std::string& connection_id, const std::string& relationship_id,
    std::optional<datamap::Decision> decision) {
  Impl& m = *impl_;
  Impl::LoadedMap loaded = SP_TRY(m.LoadMap(who.org_id, connection_id));
  const auto it = std::find_if(loaded.map.relationships.begin(), loaded.map.relationships.end(),
                               [&](const Relationship& r) { return r.id == relationship_id; });
  if (it == loaded.map.relationships.end()) {
    return NotFound("no relationship with this id in the Data Map of this connection");
  }
  if (it->declared()) {
    return FailedPrecondition(
        "declared relationships are facts from the warehouse; only inferred ones can be "
        "accepted or rejected");
  }
  loaded.decisions =
      SP_TRY(m.UpdateDecisions(who.org_id, connection_id, [&](datamap::Decisions& d) {
        if (decision) {
          d.relationships[relationship_id] = *decision;
        } else {
          d.relationships.erase(relationship_id);
        }
      }));
  it->status = Apply(*it, loaded.decisions);
  m.Audit(who.org_id, who.user_id, "datamap.relationship", connection_id,
          {{"relationship_id", relationship_id},
           {"decision", decision ? nlohmann::json(datamap::DecisionName(*decision))
                                 : nlohmann::json(nullptr)}});
  DataMapView view = SP_TRY(m.BuildDataMapView(who.org_id, connection_id, loaded));
  for (auto& r : view.relationships) {
    if (r.relationship.id == relationship_id) return std::move(r);
  }
  return Internal("the relationship left the Data Map while it was decided");
}

Result<DataMapTable> Service::SetTableRole(const Principal& who, const std::string& connection_id,
                                           const std::string& table_id,
                                           std::optional<datamap::TableRole> role) {
  Impl& m = *impl_;
  Impl::LoadedMap loaded = SP_TRY(m.LoadMap(who.org_id, connection_id));
  const auto saved = std::find_if(loaded.saved.begin(), loaded.saved.end(),
                                  [&](const store::SavedTable& t) { return t.id == table_id; });
  if (saved == loaded.saved.end()) return NotFound("no such saved table");
  const TableRef ref = internal::RefOf(*saved);
  loaded.decisions =
      SP_TRY(m.UpdateDecisions(who.org_id, connection_id, [&](datamap::Decisions& d) {
        if (role) {
          d.roles[ref] = *role;
        } else {
          d.roles.erase(ref);
        }
      }));
  if (auto r = loaded.map.roles.find(ref); r != loaded.map.roles.end()) {
    r->second.overridden = role.has_value();
    r->second.role = role.value_or(r->second.suggested);
  }
  m.Audit(
      who.org_id, who.user_id, "datamap.role", connection_id,
      {{"table_id", table_id},
       {"role", role ? nlohmann::json(datamap::TableRoleName(*role)) : nlohmann::json(nullptr)}});
  DataMapView view = SP_TRY(m.BuildDataMapView(who.org_id, connection_id, loaded));
  for (auto& t : view.tables) {
    if (t.id == table_id) return std::move(t);
  }
  return Internal("the table left the Data Map while its role was set");
}

Result<DataMapExport> Service::ExportDataMap(const Principal& who, const std::string& connection_id,
                                             datamap::ExportFormat format) {
  Impl& m = *impl_;
  const Impl::LoadedMap loaded = SP_TRY(m.LoadMap(who.org_id, connection_id));
  DataMapExport out;
  out.bytes = datamap::Export(loaded.map, format);
  out.content_type = std::string(datamap::ExportContentType(format));
  out.file_name = std::string(datamap::ExportFileName(format));
  return out;
}

}  // namespace schemaport::service
