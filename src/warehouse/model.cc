// Catalog model: names, canonical order, JSON.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <tuple>

#include "warehouse/warehouse.h"

namespace schemaport::warehouse {

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

constexpr std::pair<SchemaKind, std::string_view> kSchemaKinds[] = {
    {SchemaKind::kLocal, "local"},
    {SchemaKind::kExternal, "external"},
    {SchemaKind::kDatashare, "datashare"},
};
constexpr std::pair<TableKind, std::string_view> kTableKinds[] = {
    {TableKind::kTable, "table"},
    {TableKind::kView, "view"},
    {TableKind::kLateBindingView, "late_binding_view"},
    {TableKind::kMaterializedView, "materialized_view"},
    {TableKind::kExternalTable, "external_table"},
};
constexpr std::pair<ConstraintKind, std::string_view> kConstraintKinds[] = {
    {ConstraintKind::kPrimaryKey, "primary_key"},
    {ConstraintKind::kUnique, "unique"},
    {ConstraintKind::kForeignKey, "foreign_key"},
};
constexpr std::pair<TypeFamily, std::string_view> kFamilies[] = {
    {TypeFamily::kInteger, "integer"},
    {TypeFamily::kDecimal, "decimal"},
    {TypeFamily::kFloat, "float"},
    {TypeFamily::kBoolean, "boolean"},
    {TypeFamily::kString, "string"},
    {TypeFamily::kDate, "date"},
    {TypeFamily::kTime, "time"},
    {TypeFamily::kTimestamp, "timestamp"},
    {TypeFamily::kInterval, "interval"},
    {TypeFamily::kBinary, "binary"},
    {TypeFamily::kSemiStructured, "semi_structured"},
    {TypeFamily::kSpatial, "spatial"},
    {TypeFamily::kSketch, "sketch"},
    {TypeFamily::kOther, "other"},
};
}  // namespace

std::string_view SchemaKindName(SchemaKind k) {
  return NameOf(kSchemaKinds, k);
}
std::string_view TableKindName(TableKind k) {
  return NameOf(kTableKinds, k);
}
std::string_view TypeFamilyName(TypeFamily f) {
  return NameOf(kFamilies, f);
}
std::string_view ConstraintKindName(ConstraintKind k) {
  return NameOf(kConstraintKinds, k);
}
std::optional<ConstraintKind> ParseConstraintKind(std::string_view s) {
  return Lookup(kConstraintKinds, s);
}
std::optional<SchemaKind> ParseSchemaKind(std::string_view s) {
  return Lookup(kSchemaKinds, s);
}
std::optional<TableKind> ParseTableKind(std::string_view s) {
  return Lookup(kTableKinds, s);
}
std::optional<TypeFamily> ParseTypeFamily(std::string_view s) {
  return Lookup(kFamilies, s);
}

std::size_t Catalog::TableCount() const {
  std::size_t n = 0;
  for (const auto& d : databases) {
    for (const auto& s : d.schemas) n += s.tables.size();
  }
  return n;
}

std::size_t Catalog::ColumnCount() const {
  std::size_t n = 0;
  for (const auto& d : databases) {
    for (const auto& s : d.schemas) {
      for (const auto& t : s.tables) n += t.columns.size();
    }
  }
  return n;
}

void Catalog::Normalize() {
  auto by_name = [](const auto& a, const auto& b) { return a.name < b.name; };
  std::sort(databases.begin(), databases.end(), by_name);
  for (auto& d : databases) {
    std::sort(d.schemas.begin(), d.schemas.end(), by_name);
    for (auto& s : d.schemas) {
      std::sort(s.tables.begin(), s.tables.end(), by_name);
      for (auto& t : s.tables) {
        std::sort(t.columns.begin(), t.columns.end(),
                  [](const Column& a, const Column& b) { return a.position < b.position; });
        std::sort(t.constraints.begin(), t.constraints.end(),
                  [](const Constraint& a, const Constraint& b) {
                    return std::tie(a.kind, a.name, a.columns) <
                           std::tie(b.kind, b.name, b.columns);
                  });
      }
    }
  }
}

namespace {
using nlohmann::json;

// Reads members with path-aware errors.
class Reader {
 public:
  Reader(const json& j, std::string path) : j_(j), path_(std::move(path)) {}

  Result<std::string> Str(const char* key) const {
    const json* v = Member(key);
    if (v == nullptr || !v->is_string()) return Bad(key, "must be a string");
    return v->get<std::string>();
  }
  Result<std::optional<std::string>> OptStr(const char* key) const {
    const json* v = Member(key);
    if (v == nullptr || v->is_null()) return std::optional<std::string>();
    if (!v->is_string()) return Bad(key, "must be a string or null");
    return std::optional<std::string>(v->get<std::string>());
  }
  Result<bool> Bool(const char* key) const {
    const json* v = Member(key);
    if (v == nullptr || !v->is_boolean()) return Bad(key, "must be true or false");
    return v->get<bool>();
  }
  // Absent means `absent` (members added after v1).
  Result<bool> OptBool(const char* key, bool absent) const {
    const json* v = Member(key);
    if (v == nullptr) return absent;
    if (!v->is_boolean()) return Bad(key, "must be true or false");
    return v->get<bool>();
  }
  Result<int> Int(const char* key, bool optional = false) const {
    const json* v = Member(key);
    if (optional && (v == nullptr || v->is_null())) return -1;
    if (v == nullptr || !v->is_number_integer()) return Bad(key, "must be an integer");
    const auto n = v->get<std::int64_t>();
    if (n < 0 || n > 1'000'000) return Bad(key, "is out of range");
    return static_cast<int>(n);
  }
  Result<const json*> Array(const char* key) const {
    const json* v = Member(key);
    if (v == nullptr || !v->is_array()) return Bad(key, "must be an array");
    return v;
  }
  std::string Path(const char* key, std::size_t i) const {
    return (path_.empty() ? "" : path_ + ".") + key + "[" + std::to_string(i) + "]";
  }

 private:
  const json* Member(const char* key) const {
    if (!j_.is_object()) return nullptr;
    auto it = j_.find(key);
    return it == j_.end() ? nullptr : &*it;
  }
  Status Bad(const char* key, const char* what) const {
    return InvalidArgument((path_.empty() ? "" : path_ + ".") + key + ": " + what);
  }
  const json& j_;
  std::string path_;
};

template <typename E>
Result<E> Enum(const Reader& r, const char* key, std::optional<E> (*parse)(std::string_view),
               const std::string& path) {
  std::string s = SP_TRY(r.Str(key));
  auto e = parse(s);
  if (!e) return InvalidArgument(path + "." + key + ": unknown value '" + s.substr(0, 40) + "'");
  return *e;
}
}  // namespace

namespace {

// A small streaming JSON writer for the catalog document.
class JsonWriter {
 public:
  JsonWriter(std::ostream& out, int indent) : out_(out), indent_(indent) {}

  void BeginObject() { Open('{'); }
  void EndObject() { Close('}'); }
  void BeginArray() { Open('['); }
  void EndArray() { Close(']'); }
  void Key(std::string_view key) {
    Separate();
    String(key);
    out_ << (indent_ >= 0 ? ": " : ":");
    after_key_ = true;
  }
  void Value(std::string_view s) {
    Separate();
    String(s);
  }
  void Value(const std::optional<std::string>& s) {
    if (s) {
      Value(std::string_view(*s));
    } else {
      Separate();
      out_ << "null";
    }
  }
  void Value(std::int64_t n) {
    Separate();
    out_ << n;
  }
  void Value(bool b) {
    Separate();
    out_ << (b ? "true" : "false");
  }
  void Null() {
    Separate();
    out_ << "null";
  }
  // Writes a parsed JSON value with this writer's layout.
  void Json(const json& v) {
    switch (v.type()) {
      case json::value_t::object:
        BeginObject();
        for (const auto& [k, item] : v.items()) {
          Key(k);
          Json(item);
        }
        EndObject();
        break;
      case json::value_t::array:
        BeginArray();
        for (const auto& item : v) Json(item);
        EndArray();
        break;
      case json::value_t::string: Value(std::string_view(v.get_ref<const std::string&>())); break;
      case json::value_t::boolean: Value(v.get<bool>()); break;
      case json::value_t::null:
      case json::value_t::discarded: Null(); break;
      default: Separate(); out_ << v.dump();
    }
  }
  void JsonText(std::string_view text) {
    json v = json::parse(text, nullptr, /*allow_exceptions=*/false);
    Json(v.is_discarded() ? json() : v);
  }
  void Strings(const std::vector<std::string>& items) {
    BeginArray();
    for (const auto& s : items) Value(std::string_view(s));
    EndArray();
  }

 private:
  void Open(char c) {
    Separate();
    out_ << c;
    first_.push_back(true);
  }
  void Close(char c) {
    const bool empty = first_.back();
    first_.pop_back();
    if (!empty) Newline();
    out_ << c;
  }
  void Separate() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (first_.empty()) return;
    if (!first_.back()) out_ << ',';
    first_.back() = false;
    Newline();
  }
  void Newline() {
    if (indent_ < 0) return;
    out_ << '\n';
    for (std::size_t i = 0; i < first_.size() * static_cast<std::size_t>(indent_); ++i) out_ << ' ';
  }
  // Escapes as JSON requires and replaces invalid UTF-8 with U+FFFD.
  void String(std::string_view s) {
    out_ << '"';
    std::size_t i = 0;
    while (i < s.size()) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (c < 0x80) {
        switch (c) {
          case '"': out_ << "\\\""; break;
          case '\\': out_ << "\\\\"; break;
          case '\n': out_ << "\\n"; break;
          case '\r': out_ << "\\r"; break;
          case '\t': out_ << "\\t"; break;
          default:
            if (c < 0x20) {
              char buf[8];
              std::snprintf(buf, sizeof buf, "\\u%04x", c);
              out_ << buf;
            } else {
              out_ << static_cast<char>(c);
            }
        }
        ++i;
        continue;
      }
      const std::size_t len = c >= 0xF0 && c <= 0xF4   ? 4
                              : c >= 0xE0              ? 3
                              : c >= 0xC2 && c <= 0xDF ? 2
                                                       : 0;
      bool valid = len > 0 && i + len <= s.size();
      for (std::size_t k = 1; valid && k < len; ++k) {
        valid = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
      }
      if (valid && len == 3) {
        const auto c1 = static_cast<unsigned char>(s[i + 1]);
        valid = !(c == 0xE0 && c1 < 0xA0) && !(c == 0xED && c1 >= 0xA0);  // overlong, surrogates
      } else if (valid && len == 4) {
        const auto c1 = static_cast<unsigned char>(s[i + 1]);
        valid = !(c == 0xF0 && c1 < 0x90) && !(c == 0xF4 && c1 >= 0x90);
      }
      if (valid) {
        out_.write(s.data() + i, static_cast<std::streamsize>(len));
        i += len;
      } else {
        out_ << "\xEF\xBF\xBD";
        ++i;
      }
    }
    out_ << '"';
  }

  std::ostream& out_;
  const int indent_;
  std::vector<bool> first_;
  bool after_key_ = false;
};

}  // namespace

namespace {
void WriteConstraints(JsonWriter& w, const std::vector<Constraint>& constraints) {
  w.BeginArray();
  for (const auto& k : constraints) {
    w.BeginObject();
    w.Key("kind");
    w.Value(ConstraintKindName(k.kind));
    w.Key("name");
    w.Value(std::string_view(k.name));
    w.Key("columns");
    w.Strings(k.columns);
    w.Key("references");
    if (k.kind == ConstraintKind::kForeignKey) {
      w.BeginObject();
      w.Key("schema");
      w.Value(std::string_view(k.referenced_schema));
      w.Key("table");
      w.Value(std::string_view(k.referenced_table));
      w.Key("columns");
      w.Strings(k.referenced_columns);
      w.EndObject();
    } else {
      w.Null();
    }
    w.EndObject();
  }
  w.EndArray();
}
}  // namespace

std::string ConstraintsToJson(const std::vector<Constraint>& constraints) {
  std::ostringstream out;
  JsonWriter w(out, -1);
  WriteConstraints(w, constraints);
  return out.str();
}

void WriteCatalogJson(const Catalog& catalog, std::ostream& out, int indent,
                      const CatalogJsonExtras* extras) {
  JsonWriter w(out, indent);
  w.BeginObject();
  w.Key("format");
  w.Value(std::string_view("schemaport.catalog/v2"));
  w.Key("table_count");
  w.Value(static_cast<std::int64_t>(catalog.TableCount()));
  w.Key("column_count");
  w.Value(static_cast<std::int64_t>(catalog.ColumnCount()));
  w.Key("case_sensitive");
  w.Value(catalog.case_sensitive);
  w.Key("databases");
  w.BeginArray();
  for (const auto& d : catalog.databases) {
    w.BeginObject();
    w.Key("name");
    w.Value(std::string_view(d.name));
    w.Key("schemas");
    w.BeginArray();
    for (const auto& s : d.schemas) {
      w.BeginObject();
      w.Key("name");
      w.Value(std::string_view(s.name));
      w.Key("kind");
      w.Value(SchemaKindName(s.kind));
      w.Key("source");
      w.Value(s.source);
      w.Key("tables");
      w.BeginArray();
      for (const auto& t : s.tables) {
        w.BeginObject();
        w.Key("name");
        w.Value(std::string_view(t.name));
        w.Key("kind");
        w.Value(TableKindName(t.kind));
        w.Key("comment");
        w.Value(t.comment);
        w.Key("owner");
        w.Value(std::string_view(t.owner));
        w.Key("can_select");
        w.Value(t.can_select);
        w.Key("columns_loaded");
        w.Value(t.columns_loaded);
        w.Key("columns");
        w.BeginArray();
        for (const auto& c : t.columns) {
          w.BeginObject();
          w.Key("position");
          w.Value(static_cast<std::int64_t>(c.position));
          w.Key("name");
          w.Value(std::string_view(c.name));
          w.Key("type");
          w.Value(std::string_view(c.type));
          w.Key("family");
          w.Value(TypeFamilyName(c.family));
          w.Key("nullable");
          w.Value(c.nullable);
          w.Key("default");
          w.Value(c.default_value);
          w.Key("comment");
          w.Value(c.comment);
          w.Key("dist_key");
          w.Value(c.dist_key);
          w.Key("sort_key_position");
          if (c.sort_key_position) {
            w.Value(static_cast<std::int64_t>(*c.sort_key_position));
          } else {
            w.Null();
          }
          w.EndObject();
        }
        w.EndArray();
        w.Key("constraints");
        WriteConstraints(w, t.constraints);
        if (extras != nullptr && extras->table_members) {
          for (const auto& [key, value] : extras->table_members(TableRef{d.name, s.name, t.name})) {
            w.Key(key);
            w.JsonText(value);
          }
        }
        w.EndObject();
      }
      w.EndArray();
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  if (extras != nullptr) {
    for (const auto& [key, value] : extras->members) {
      w.Key(key);
      w.JsonText(value);
    }
  }
  w.EndObject();
}

std::string CatalogToJson(const Catalog& catalog, int indent) {
  std::ostringstream out;
  WriteCatalogJson(catalog, out, indent);
  return out.str();
}

namespace {
Result<std::vector<std::string>> ReadStrings(const json& v, const std::string& path) {
  if (!v.is_array()) return InvalidArgument(path + ": must be an array of strings");
  std::vector<std::string> out;
  for (const auto& item : v) {
    if (!item.is_string()) return InvalidArgument(path + ": must be an array of strings");
    out.push_back(item.get<std::string>());
  }
  return out;
}

Result<std::vector<Constraint>> ReadConstraints(const json& v, const std::string& path) {
  if (!v.is_array()) return InvalidArgument(path + ": must be an array");
  std::vector<Constraint> out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const std::string kpath = path + "[" + std::to_string(i) + "]";
    Reader r(v[i], kpath);
    Constraint k;
    k.kind = SP_TRY(Enum<ConstraintKind>(r, "kind", &ParseConstraintKind, kpath));
    k.name = SP_TRY(r.Str("name"));
    k.columns = SP_TRY(ReadStrings(*SP_TRY(r.Array("columns")), kpath + ".columns"));
    if (k.columns.empty())
      return InvalidArgument(kpath + ".columns: must name at least one column");
    if (k.kind == ConstraintKind::kForeignKey) {
      const auto ref = v[i].find("references");
      if (ref == v[i].end() || !ref->is_object()) {
        return InvalidArgument(kpath + ".references: must be an object for a foreign key");
      }
      Reader rr(*ref, kpath + ".references");
      k.referenced_schema = SP_TRY(rr.Str("schema"));
      k.referenced_table = SP_TRY(rr.Str("table"));
      k.referenced_columns =
          SP_TRY(ReadStrings(*SP_TRY(rr.Array("columns")), kpath + ".references.columns"));
      if (k.referenced_columns.size() != k.columns.size()) {
        return InvalidArgument(kpath + ".references.columns: must pair with columns");
      }
    }
    out.push_back(std::move(k));
  }
  return out;
}
}  // namespace

Result<std::vector<Constraint>> ConstraintsFromJson(std::string_view text) {
  json root = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return InvalidArgument("constraints JSON does not parse");
  return ReadConstraints(root, "constraints");
}

Result<Catalog> CatalogFromJson(std::string_view text) {
  json root = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return InvalidArgument("catalog JSON does not parse");
  Reader top(root, "");
  if (!root.is_object()) return InvalidArgument("catalog JSON must be an object");
  Catalog catalog;
  catalog.case_sensitive = SP_TRY(top.OptBool("case_sensitive", false));
  const json* dbs = SP_TRY(top.Array("databases"));
  for (std::size_t i = 0; i < dbs->size(); ++i) {
    const std::string dpath = top.Path("databases", i);
    Reader dr((*dbs)[i], dpath);
    Database db;
    db.name = SP_TRY(dr.Str("name"));
    const json* schemas = SP_TRY(dr.Array("schemas"));
    for (std::size_t j = 0; j < schemas->size(); ++j) {
      const std::string spath = dr.Path("schemas", j);
      Reader sr((*schemas)[j], spath);
      Schema s;
      s.name = SP_TRY(sr.Str("name"));
      s.kind = SP_TRY(Enum<SchemaKind>(sr, "kind", &ParseSchemaKind, spath));
      s.source = SP_TRY(sr.OptStr("source"));
      const json* tables = SP_TRY(sr.Array("tables"));
      for (std::size_t k = 0; k < tables->size(); ++k) {
        const std::string tpath = sr.Path("tables", k);
        Reader tr((*tables)[k], tpath);
        Table t;
        t.name = SP_TRY(tr.Str("name"));
        t.kind = SP_TRY(Enum<TableKind>(tr, "kind", &ParseTableKind, tpath));
        t.comment = SP_TRY(tr.OptStr("comment"));
        t.owner = SP_TRY(tr.Str("owner"));
        t.can_select = SP_TRY(tr.Bool("can_select"));
        t.columns_loaded = SP_TRY(tr.Bool("columns_loaded"));
        const json* cols = SP_TRY(tr.Array("columns"));
        for (std::size_t m = 0; m < cols->size(); ++m) {
          const std::string cpath = tr.Path("columns", m);
          Reader cr((*cols)[m], cpath);
          Column c;
          c.position = SP_TRY(cr.Int("position"));
          c.name = SP_TRY(cr.Str("name"));
          c.type = SP_TRY(cr.Str("type"));
          c.family = SP_TRY(Enum<TypeFamily>(cr, "family", &ParseTypeFamily, cpath));
          c.nullable = SP_TRY(cr.Bool("nullable"));
          c.default_value = SP_TRY(cr.OptStr("default"));
          c.comment = SP_TRY(cr.OptStr("comment"));
          c.dist_key = SP_TRY(cr.Bool("dist_key"));
          const int sk = SP_TRY(cr.Int("sort_key_position", /*optional=*/true));
          if (sk >= 0) c.sort_key_position = sk;
          t.columns.push_back(std::move(c));
        }
        if (const auto it = (*tables)[k].find("constraints"); it != (*tables)[k].end()) {
          t.constraints = SP_TRY(ReadConstraints(*it, tpath + ".constraints"));
        }
        s.tables.push_back(std::move(t));
      }
      db.schemas.push_back(std::move(s));
    }
    catalog.databases.push_back(std::move(db));
  }
  return catalog;
}

std::string ConnectionSettings::Get(const std::string& id) const {
  auto it = values.find(id);
  return it == values.end() ? std::string() : it->second;
}

const Secret* ConnectionSettings::GetSecret(const std::string& id) const {
  auto it = secrets.find(id);
  return it == secrets.end() ? nullptr : &it->second;
}

std::string_view StepStatusName(StepStatus s) {
  switch (s) {
    case StepStatus::kOk: return "ok";
    case StepStatus::kFailed: return "failed";
    case StepStatus::kSkipped: return "skipped";
  }
  return "skipped";
}

bool TestReport::ok() const {
  return !steps.empty() && std::all_of(steps.begin(), steps.end(), [](const TestStep& s) {
    return s.status == StepStatus::kOk;
  });
}

Status ConnectorRegistry::Register(ConnectorType type) {
  if (type.name.empty() || !type.create)
    return InvalidArgument("connector type needs a name and a factory");
  const std::string name = type.name;
  if (!types_.emplace(name, std::move(type)).second) {
    return Status(Code::kAlreadyExists, "connector '" + name + "' is already registered");
  }
  return Status::Ok();
}

const ConnectorType* ConnectorRegistry::Find(std::string_view name) const {
  auto it = types_.find(name);
  return it == types_.end() ? nullptr : &it->second;
}

std::vector<const ConnectorType*> ConnectorRegistry::List() const {
  std::vector<const ConnectorType*> out;
  for (const auto& [_, t] : types_) out.push_back(&t);
  return out;
}

Result<std::unique_ptr<Connector>> ConnectorRegistry::Create(
    std::string_view name, const ConnectionSettings& settings) const {
  const ConnectorType* type = Find(name);
  if (type == nullptr)
    return NotFound("unknown data store '" + std::string(name.substr(0, 40)) + "'");
  if (type->validate) SP_TRY(type->validate(settings));
  return type->create(settings);
}

}  // namespace schemaport::warehouse
