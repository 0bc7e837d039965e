#include "service/catalog_doc.h"

#include "datamap/datamap.h"

#include <algorithm>
#include <map>
#include <unordered_map>

namespace schemaport::service::internal {

namespace {

using warehouse::TableRef;

// 2 added case_sensitive; version 1 documents read as case-insensitive (Redshift's default).
constexpr std::uint64_t kDocVersion = 2;

std::int64_t Ms(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
TimePoint FromMs(std::int64_t ms) {
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::milliseconds(ms)));
}

class Writer {
 public:
  void U64(std::uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  void I64(std::int64_t v) { U64(static_cast<std::uint64_t>(v)); }
  void Str(std::string_view s) {
    U64(s.size());
    out_.append(s);
  }
  void OptStr(const std::optional<std::string>& s) {
    U64(s ? 1 : 0);
    if (s) Str(*s);
  }
  void Ref(const TableRef& r) {
    Str(r.database);
    Str(r.schema);
    Str(r.table);
  }
  void Strs(const std::vector<std::string>& v) {
    U64(v.size());
    for (const auto& s : v) Str(s);
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  std::uint64_t U64() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) return Bad();
      const auto b = static_cast<std::uint8_t>(data_[pos_++]);
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
    return Bad();
  }
  std::int64_t I64() { return static_cast<std::int64_t>(U64()); }
  // A count of items each at least one byte long: bounded by what is left.
  std::size_t Count() {
    const std::uint64_t n = U64();
    if (n > data_.size() - pos_) return static_cast<std::size_t>(Bad());
    return static_cast<std::size_t>(n);
  }
  std::string Str() {
    const std::size_t n = Count();
    if (!ok_) return {};
    std::string s(data_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  std::optional<std::string> OptStr() {
    if (U64() == 0) return std::nullopt;
    return Str();
  }
  TableRef Ref() {
    TableRef r;
    r.database = Str();
    r.schema = Str();
    r.table = Str();
    return r;
  }
  std::vector<std::string> Strs() {
    std::vector<std::string> v(Count());
    for (auto& s : v) s = Str();
    return v;
  }
  bool ok() const { return ok_; }
  bool done() const { return ok_ && pos_ == data_.size(); }

 private:
  std::uint64_t Bad() {
    ok_ = false;
    pos_ = data_.size();
    return 0;
  }
  std::string_view data_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

Mark ToMark(std::uint64_t v) {
  switch (v) {
    case 1: return Mark::kNew;
    case 2: return Mark::kRemoved;
    case 3: return Mark::kChanged;
    default: return Mark::kNone;
  }
}

std::uint64_t FromMark(Mark m) {
  switch (m) {
    case Mark::kNone: return 0;
    case Mark::kNew: return 1;
    case Mark::kRemoved: return 2;
    case Mark::kChanged: return 3;
  }
  return 0;
}

struct RefHash {
  std::size_t operator()(const TableRef& r) const {
    std::hash<std::string> h;
    return h(r.database) ^ (h(r.schema) * 31) ^ (h(r.table) * 1000003);
  }
};

template <typename V>
using RefMap = std::unordered_map<TableRef, V, RefHash>;

}  // namespace

std::int64_t CatalogDoc::TableCount() const {
  std::int64_t n = 0;
  for (const auto& d : databases) {
    for (const auto& s : d.schemas) n += static_cast<std::int64_t>(s.tables.size());
  }
  return n;
}

std::string EncodeDoc(const CatalogDoc& doc) {
  Writer w;
  w.U64(kDocVersion);
  w.U64(doc.case_sensitive ? 1 : 0);
  w.I64(Ms(doc.fetched_at));
  w.U64(doc.saved_at ? 1 : 0);
  if (doc.saved_at) w.I64(Ms(*doc.saved_at));
  w.U64(doc.selection.tables.size());
  for (const auto& r : doc.selection.tables) w.Ref(r);
  w.Strs(doc.selection.include);
  w.Strs(doc.selection.exclude);
  w.U64(doc.databases.size());
  for (const auto& d : doc.databases) {
    w.Str(d.name);
    w.U64(d.error ? 1 : 0);
    if (d.error) {
      w.U64(static_cast<std::uint64_t>(d.error->code()));
      w.Str(d.error->message());
    }
    w.U64(d.schemas.size());
    for (const auto& s : d.schemas) {
      w.Str(s.name);
      w.U64(static_cast<std::uint64_t>(s.kind));
      w.OptStr(s.source);
      w.U64(s.tables.size());
      for (const auto& t : s.tables) {
        w.Str(t.name);
        w.U64(static_cast<std::uint64_t>(t.kind));
        w.OptStr(t.comment);
        w.U64((t.can_select ? 1u : 0u) | (t.known ? 2u : 0u) | (t.saved ? 4u : 0u));
        w.I64(t.column_count);
        w.U64(FromMark(t.mark));
      }
    }
  }
  w.U64(doc.removed.size());
  for (const auto& r : doc.removed) w.Ref(r);
  w.U64(doc.column_marks.size());
  for (const auto& cm : doc.column_marks) {
    w.Ref(cm.table);
    w.U64(cm.columns.size());
    for (const auto& [name, mark] : cm.columns) {
      w.Str(name);
      w.U64(FromMark(mark));
    }
    w.Strs(cm.removed);
  }
  return w.Take();
}

Result<CatalogDoc> DecodeDoc(std::string_view data) {
  Reader r(data);
  const auto corrupt = [] {
    return DataLoss("the stored catalog has an unexpected format; fetch the metadata again");
  };
  const std::uint64_t version = r.U64();
  if (version != 1 && version != kDocVersion) return corrupt();
  CatalogDoc doc;
  if (version >= 2) {
    const std::uint64_t flag = r.U64();
    if (flag > 1) return corrupt();
    doc.case_sensitive = flag == 1;
  }
  doc.fetched_at = FromMs(r.I64());
  if (r.U64() != 0) doc.saved_at = FromMs(r.I64());
  doc.selection.tables.resize(r.Count());
  for (auto& ref : doc.selection.tables) ref = r.Ref();
  doc.selection.include = r.Strs();
  doc.selection.exclude = r.Strs();
  doc.databases.resize(r.Count());
  for (auto& d : doc.databases) {
    d.name = r.Str();
    if (r.U64() != 0) {
      const auto code = r.U64();
      std::string message = r.Str();
      if (code == 0 || code > static_cast<std::uint64_t>(Code::kInternal)) return corrupt();
      d.error = Status(static_cast<Code>(code), std::move(message));
    }
    d.schemas.resize(r.Count());
    for (auto& s : d.schemas) {
      s.name = r.Str();
      const auto kind = r.U64();
      if (kind > static_cast<std::uint64_t>(warehouse::SchemaKind::kDatashare)) return corrupt();
      s.kind = static_cast<warehouse::SchemaKind>(kind);
      s.source = r.OptStr();
      s.tables.resize(r.Count());
      for (auto& t : s.tables) {
        t.name = r.Str();
        const auto tkind = r.U64();
        if (tkind > static_cast<std::uint64_t>(warehouse::TableKind::kExternalTable)) {
          return corrupt();
        }
        t.kind = static_cast<warehouse::TableKind>(tkind);
        t.comment = r.OptStr();
        const auto flags = r.U64();
        t.can_select = (flags & 1) != 0;
        t.known = (flags & 2) != 0;
        t.saved = (flags & 4) != 0;
        t.column_count = r.I64();
        t.mark = ToMark(r.U64());
      }
      if (!r.ok()) return corrupt();
    }
  }
  doc.removed.resize(r.Count());
  for (auto& ref : doc.removed) ref = r.Ref();
  doc.column_marks.resize(r.Count());
  for (auto& cm : doc.column_marks) {
    cm.table = r.Ref();
    cm.columns.resize(r.Count());
    for (auto& [name, mark] : cm.columns) {
      name = r.Str();
      mark = ToMark(r.U64());
    }
    cm.removed = r.Strs();
  }
  if (!r.done()) return corrupt();
  return doc;
}

Result<SelectionMatcher> SelectionMatcher::Make(const Selection& selection, MatchCase match_case) {
  SelectionMatcher m;
  for (const auto& ref : selection.tables) {
    if (ref.database.empty() || ref.schema.empty() || ref.table.empty()) {
      return InvalidArgument("tables: every table needs a database, a schema and a table name");
    }
    m.explicit_.insert(ref);
  }
  // Each pattern on its own first, so an error names the one at fault.
  for (std::size_t i = 0; i < selection.include.size(); ++i) {
    auto one = warehouse::TableFilter::Make({selection.include[i]}, {});
    if (!one.ok()) return one.status().WithContext("include[" + std::to_string(i) + "]");
  }
  for (std::size_t i = 0; i < selection.exclude.size(); ++i) {
    auto one = warehouse::TableFilter::Make({}, {selection.exclude[i]});
    if (!one.ok()) return one.status().WithContext("exclude[" + std::to_string(i) + "]");
  }
  if (!selection.include.empty()) {
    m.filter_ =
        SP_TRY(warehouse::TableFilter::Make(selection.include, selection.exclude, match_case));
  }
  return m;
}

bool SelectionMatcher::MatchedByPatterns(const TableRef& ref) const {
  return filter_ && filter_->Keeps(ref);
}

bool SelectionMatcher::Selected(const TableRef& ref) const {
  return explicit_.count(ref) != 0 || MatchedByPatterns(ref);
}

CatalogView BuildCatalogView(const CatalogDoc& doc, const SelectionMatcher& matcher) {
  CatalogView view;
  view.fetched_at = doc.fetched_at;
  view.saved_at = doc.saved_at;
  view.case_sensitive = doc.case_sensitive;
  view.selection.include = doc.selection.include;
  view.selection.exclude = doc.selection.exclude;
  view.removed = doc.removed;
  view.databases.reserve(doc.databases.size());
  TableRef ref;
  for (const auto& d : doc.databases) {
    DatabaseNode& dn = view.databases.emplace_back();
    dn.name = d.name;
    dn.error = d.error;
    ref.database = d.name;
    dn.schemas.reserve(d.schemas.size());
    for (const auto& s : d.schemas) {
      SchemaNode& sn = dn.schemas.emplace_back();
      sn.name = s.name;
      sn.kind = s.kind;
      sn.source = s.source;
      ref.schema = s.name;
      sn.tables.reserve(s.tables.size());
      for (const auto& t : s.tables) {
        ref.table = t.name;
        TableNode& tn = sn.tables.emplace_back();
        tn.name = t.name;
        tn.kind = t.kind;
        tn.comment = t.comment;
        tn.can_select = t.can_select;
        tn.selected = matcher.Selected(ref);
        tn.saved = t.saved;
        tn.mark = t.mark;
        if (t.saved) tn.column_count = t.column_count;
        ++view.table_count;
      }
    }
  }
  return view;
}

TableRef RefOf(const store::SavedTable& t) {
  return TableRef{t.database, t.schema, t.name};
}

CatalogDoc BuildDoc(std::vector<FetchedDatabase> fetched, const CatalogDoc* previous,
                    const std::vector<store::SavedTable>& saved, TimePoint fetched_at,
                    bool listed_all) {
  CatalogDoc doc;
  doc.fetched_at = fetched_at;
  if (previous != nullptr) {
    doc.selection = previous->selection;
    doc.saved_at = previous->saved_at;
  }
  RefMap<const store::SavedTable*> saved_by_ref;
  saved_by_ref.reserve(saved.size());
  for (const auto& t : saved) saved_by_ref.emplace(RefOf(t), &t);
  RefMap<bool> previous_known;  // ref -> known
  std::map<std::string, const DocDatabase*> previous_dbs;
  if (previous != nullptr) {
    for (const auto& d : previous->databases) {
      previous_dbs[d.name] = &d;
      for (const auto& s : d.schemas) {
        for (const auto& t : s.tables)
          previous_known.emplace(TableRef{d.name, s.name, t.name}, t.known);
      }
    }
  }

  std::sort(fetched.begin(), fetched.end(),
            [](const FetchedDatabase& a, const FetchedDatabase& b) { return a.name < b.name; });
  std::set<std::string> readable;  // databases whose tables this fetch saw
  RefMap<bool> present;
  for (auto& f : fetched) {
    DocDatabase& d = doc.databases.emplace_back();
    d.name = f.name;
    d.error = f.error;
    if (f.error) {
      // Keep what the previous fetch knew of it, so its saved tables stay visible and selected.
      if (auto it = previous_dbs.find(f.name); it != previous_dbs.end()) {
        d.schemas = it->second->schemas;
        for (const auto& s : d.schemas) {
          for (const auto& t : s.tables) present.emplace(TableRef{d.name, s.name, t.name}, true);
        }
      }
      continue;
    }
    readable.insert(f.name);
    std::sort(f.schemas.begin(), f.schemas.end(),
              [](const auto& a, const auto& b) { return a.name < b.name; });
    for (auto& s : f.schemas) {
      DocSchema& ds = d.schemas.emplace_back();
      ds.name = s.name;
      ds.kind = s.kind;
      ds.source = s.source;
      std::sort(s.tables.begin(), s.tables.end(),
                [](const auto& a, const auto& b) { return a.name < b.name; });
      ds.tables.reserve(s.tables.size());
      for (auto& t : s.tables) {
        DocTable& dt = ds.tables.emplace_back();
        TableRef ref{f.name, s.name, t.name};
        dt.name = std::move(t.name);
        dt.kind = t.kind;
        dt.comment = std::move(t.comment);
        dt.can_select = t.can_select;
        const auto saved_it = saved_by_ref.find(ref);
        if (saved_it != saved_by_ref.end()) {
          const store::SavedTable& st = *saved_it->second;
          dt.saved = true;
          dt.known = true;
          dt.column_count = static_cast<std::int64_t>(st.columns.size());
          const bool kind_changed = st.kind != warehouse::TableKindName(dt.kind);
          const bool comment_changed = st.comment != dt.comment.value_or("");
          if (kind_changed || comment_changed) dt.mark = Mark::kChanged;
        } else if (previous != nullptr) {
          const auto known_it = previous_known.find(ref);
          dt.known = known_it != previous_known.end() && known_it->second;
          if (!dt.known) dt.mark = Mark::kNew;
        }
        present.emplace(std::move(ref), true);
      }
    }
  }
  std::set<std::string> listed;
  for (const auto& f : fetched) listed.insert(f.name);
  if (!listed_all && previous != nullptr) {
    for (const auto& d : previous->databases) {
      if (listed.count(d.name) != 0) continue;
      doc.databases.push_back(d);
      for (const auto& s : d.schemas) {
        for (const auto& t : s.tables) present.emplace(TableRef{d.name, s.name, t.name}, true);
      }
    }
    std::sort(doc.databases.begin(), doc.databases.end(),
              [](const DocDatabase& a, const DocDatabase& b) { return a.name < b.name; });
  }
  // Saved tables gone: their database was read and they were not in it, or their database is
  // no longer listed at all (when every database was listed).
  for (const auto& t : saved) {
    const TableRef ref = RefOf(t);
    if (present.count(ref) != 0) continue;
    if (readable.count(t.database) != 0 || (listed_all && listed.count(t.database) == 0)) {
      doc.removed.push_back(ref);
    }
  }
  std::sort(doc.removed.begin(), doc.removed.end());
  return doc;
}

void MarkColumnChanges(CatalogDoc& doc, const std::vector<store::SavedTable>& saved,
                       const warehouse::Catalog& reread) {
  RefMap<const store::SavedTable*> saved_by_ref;
  for (const auto& t : saved) saved_by_ref.emplace(RefOf(t), &t);
  RefMap<Mark> table_marks;
  for (const auto& d : reread.databases) {
    for (const auto& s : d.schemas) {
      for (const auto& t : s.tables) {
        if (!t.columns_loaded) continue;
        TableRef ref{d.name, s.name, t.name};
        auto it = saved_by_ref.find(ref);
        if (it == saved_by_ref.end()) continue;
        std::map<std::string, const store::SavedColumn*> old_columns;
        for (const auto& c : it->second->columns) old_columns[c.name] = &c;
        ColumnMarks marks;
        marks.table = ref;
        for (const auto& c : t.columns) {
          auto old = old_columns.find(c.name);
          if (old == old_columns.end()) {
            marks.columns.emplace_back(c.name, Mark::kNew);
            continue;
          }
          const store::SavedColumn& o = *old->second;
          if (o.type != c.type || o.nullable != c.nullable || o.comment != c.comment.value_or("")) {
            marks.columns.emplace_back(c.name, Mark::kChanged);
          }
          old_columns.erase(old);
        }
        for (const auto& [name, column] : old_columns) marks.removed.push_back(name);
        if (!marks.columns.empty() || !marks.removed.empty()) {
          table_marks[ref] = Mark::kChanged;
          doc.column_marks.push_back(std::move(marks));
        }
      }
    }
  }
  if (table_marks.empty()) return;
  TableRef ref;
  for (auto& d : doc.databases) {
    ref.database = d.name;
    for (auto& s : d.schemas) {
      ref.schema = s.name;
      for (auto& t : s.tables) {
        ref.table = t.name;
        if (table_marks.count(ref) != 0) t.mark = Mark::kChanged;
      }
    }
  }
}

std::vector<store::SavedTable> ToSavedTables(const warehouse::Catalog& catalog,
                                             const std::vector<store::SavedTable>& previous) {
  RefMap<std::string> ids;
  for (const auto& t : previous) ids.emplace(RefOf(t), t.id);
  std::vector<store::SavedTable> out;
  for (const auto& d : catalog.databases) {
    for (const auto& s : d.schemas) {
      for (const auto& t : s.tables) {
        if (!t.columns_loaded) continue;
        store::SavedTable st;
        TableRef ref{d.name, s.name, t.name};
        if (auto it = ids.find(ref); it != ids.end()) st.id = it->second;
        st.database = d.name;
        st.schema = s.name;
        st.name = t.name;
        st.kind = std::string(warehouse::TableKindName(t.kind));
        st.comment = t.comment.value_or("");
        st.attributes["schema_kind"] = std::string(warehouse::SchemaKindName(s.kind));
        if (s.source) st.attributes["source"] = *s.source;
        if (!t.owner.empty()) st.attributes["owner"] = t.owner;
        st.attributes["can_select"] = t.can_select ? "true" : "false";
        if (t.comment) st.attributes["has_comment"] = "true";
        // The declared keys, read back by datamap::CatalogFromSavedTables.
        if (!t.constraints.empty()) {
          st.attributes[std::string(datamap::kConstraintsAttribute)] =
              warehouse::ConstraintsToJson(t.constraints);
        }
        st.columns.reserve(t.columns.size());
        for (const auto& c : t.columns) {
          store::SavedColumn sc;
          sc.name = c.name;
          sc.type = c.type;
          sc.ordinal = c.position;
          sc.nullable = c.nullable;
          sc.comment = c.comment.value_or("");
          sc.attributes["family"] = std::string(warehouse::TypeFamilyName(c.family));
          if (c.comment) sc.attributes["has_comment"] = "true";
          if (c.default_value) sc.attributes["default"] = *c.default_value;
          if (c.dist_key) sc.attributes["dist_key"] = "true";
          if (c.sort_key_position)
            sc.attributes["sort_key_position"] = std::to_string(*c.sort_key_position);
          st.columns.push_back(std::move(sc));
        }
        out.push_back(std::move(st));
      }
    }
  }
  return out;
}

std::string EncodeJobError(const Status& status) {
  return std::string(CodeName(status.code())) + ": " + status.message();
}

Status DecodeJobError(std::string_view text) {
  const auto colon = text.find(": ");
  if (colon != std::string_view::npos) {
    const std::string_view name = text.substr(0, colon);
    for (int c = static_cast<int>(Code::kInvalidArgument); c <= static_cast<int>(Code::kInternal);
         ++c) {
      if (CodeName(static_cast<Code>(c)) == name) {
        return Status(static_cast<Code>(c), std::string(text.substr(colon + 2)));
      }
    }
  }
  return Status(Code::kInternal, text.empty() ? "the job failed" : std::string(text));
}

}  // namespace schemaport::service::internal
