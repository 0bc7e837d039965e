#include "server/json_body.h"

namespace schemaport::server::internal {

namespace {

using nlohmann::json;

// A field name as shown in a message: at most 64 bytes, cut at a UTF-8 boundary.
std::string ShowName(std::string_view name) {
  if (name.size() <= 64) return std::string(name);
  std::size_t cut = 64;
  while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xC0) == 0x80) --cut;
  return std::string(name.substr(0, cut)) + "...";
}

std::string_view TypeName(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return "null";
    case json::value_t::object: return "an object";
    case json::value_t::array: return "an array";
    case json::value_t::string: return "a string";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float: return "a number";
    default: return "an invalid value";
  }
}

Status WrongType(const std::string& field, std::string_view expected, const json& got) {
  return InvalidArgument(field + ": expected " + std::string(expected) + ", got " +
                         std::string(TypeName(got)));
}

}  // namespace

Result<JsonBody> JsonBody::Parse(std::string_view text, bool empty_ok) {
  std::size_t start = 0;
  while (start < text.size() && (text[start] == ' ' || text[start] == '\n' || text[start] == '\r' ||
                                 text[start] == '\t')) {
    ++start;
  }
  if (start == text.size()) {
    if (empty_ok) return JsonBody(json::object(), "");
    return InvalidArgument("request body: expected a JSON object, got an empty body");
  }
  json value;
  try {
    value = json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    return InvalidArgument("request body: malformed JSON at byte " + std::to_string(e.byte));
  }
  if (!value.is_object()) {
    return InvalidArgument("request body: expected a JSON object, got " +
                           std::string(TypeName(value)));
  }
  return JsonBody(std::move(value), "");
}

std::string JsonBody::FieldName(std::string_view key) const {
  return path_.empty() ? ShowName(key) : path_ + "." + ShowName(key);
}

Status JsonBody::Only(std::initializer_list<std::string_view> allowed) const {
  for (const auto& [key, v] : value_.items()) {
    bool known = false;
    for (auto a : allowed) known = known || a == key;
    if (!known) return InvalidArgument(FieldName(key) + ": unknown field");
  }
  return Status::Ok();
}

bool JsonBody::Has(std::string_view key) const {
  return value_.contains(key);
}

Result<std::string> JsonBody::String(std::string_view key) const {
  auto it = value_.find(key);
  if (it == value_.end()) return InvalidArgument(FieldName(key) + ": is required");
  if (!it->is_string()) return WrongType(FieldName(key), "a string", *it);
  return it->get<std::string>();
}

Result<std::optional<std::string>> JsonBody::OptString(std::string_view key) const {
  auto it = value_.find(key);
  if (it == value_.end()) return std::optional<std::string>();
  if (!it->is_string()) return WrongType(FieldName(key), "a string", *it);
  return std::optional<std::string>(it->get<std::string>());
}

Result<std::optional<std::string>> JsonBody::NullableString(std::string_view key) const {
  auto it = value_.find(key);
  if (it == value_.end()) return InvalidArgument(FieldName(key) + ": is required");
  if (it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) return WrongType(FieldName(key), "a string or null", *it);
  return std::optional<std::string>(it->get<std::string>());
}

Result<Secret> JsonBody::SecretField(std::string_view key) const {
  auto it = value_.find(key);
  if (it == value_.end()) return InvalidArgument(FieldName(key) + ": is required");
  if (!it->is_string()) return WrongType(FieldName(key), "a string", *it);
  return Secret(it->get<std::string>());
}

Result<std::optional<std::int64_t>> JsonBody::OptInt(std::string_view key, std::int64_t min,
                                                     std::int64_t max) const {
  auto it = value_.find(key);
  if (it == value_.end()) return std::optional<std::int64_t>();
  if (!it->is_number_integer()) return WrongType(FieldName(key), "an integer", *it);
  if (it->is_number_unsigned() && it->get<std::uint64_t>() > static_cast<std::uint64_t>(max)) {
    return InvalidArgument(fmt::format("{}: must be between {} and {}", FieldName(key), min, max));
  }
  const auto v = it->get<std::int64_t>();
  if (v < min || v > max) {
    return InvalidArgument(fmt::format("{}: must be between {} and {}", FieldName(key), min, max));
  }
  return std::optional<std::int64_t>(v);
}

Result<std::optional<std::map<std::string, std::string>>> JsonBody::OptStringMap(
    std::string_view key) const {
  auto it = value_.find(key);
  if (it == value_.end()) return std::optional<std::map<std::string, std::string>>();
  if (!it->is_object()) return WrongType(FieldName(key), "an object", *it);
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : it->items()) {
    const std::string name = FieldName(key) + "." + ShowName(k);
    if (!v.is_string()) return WrongType(name, "a string", v);
    out.emplace(k, v.get<std::string>());
  }
  return std::optional<std::map<std::string, std::string>>(std::move(out));
}

Result<std::vector<std::string>> JsonBody::StringArray(std::string_view key,
                                                       std::size_t max_items) const {
  std::vector<std::string> out;
  auto it = value_.find(key);
  if (it == value_.end()) return out;
  if (!it->is_array()) return WrongType(FieldName(key), "an array of strings", *it);
  if (it->size() > max_items) {
    return InvalidArgument(fmt::format("{}: at most {} items", FieldName(key), max_items));
  }
  out.reserve(it->size());
  for (std::size_t i = 0; i < it->size(); ++i) {
    const json& v = (*it)[i];
    if (!v.is_string()) return WrongType(fmt::format("{}[{}]", FieldName(key), i), "a string", v);
    out.push_back(v.get<std::string>());
  }
  return out;
}

Result<std::vector<JsonBody>> JsonBody::ObjectArray(std::string_view key,
                                                    std::size_t max_items) const {
  std::vector<JsonBody> out;
  auto it = value_.find(key);
  if (it == value_.end()) return out;
  if (!it->is_array()) return WrongType(FieldName(key), "an array of objects", *it);
  if (it->size() > max_items) {
    return InvalidArgument(fmt::format("{}: at most {} items", FieldName(key), max_items));
  }
  out.reserve(it->size());
  for (std::size_t i = 0; i < it->size(); ++i) {
    const std::string name = fmt::format("{}[{}]", FieldName(key), i);
    const json& v = (*it)[i];
    if (!v.is_object()) return WrongType(name, "an object", v);
    out.push_back(JsonBody(v, name));
  }
  return out;
}

std::string Dump(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void JsonText::Separate() {
  if (!out_.empty() && out_.back() != '{' && out_.back() != '[' && out_.back() != ':') out_ += ',';
}

void JsonText::Quoted(std::string_view s) {
  out_ += '"';
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x80) {
      ok_ = false;  // not ASCII: Dump() decides (valid UTF-8 as is, invalid replaced)
      continue;
    }
    switch (c) {
      case '"': out_ += "\\\""; break;
      case '\\': out_ += "\\\\"; break;
      case '\b': out_ += "\\b"; break;
      case '\f': out_ += "\\f"; break;
      case '\n': out_ += "\\n"; break;
      case '\r': out_ += "\\r"; break;
      case '\t': out_ += "\\t"; break;
      default:
        if (c < 0x20) {
          out_ += fmt::format("\\u{:04x}", c);
        } else {
          out_ += ch;
        }
    }
  }
  out_ += '"';
}

JsonText& JsonText::BeginObject() {
  Separate();
  out_ += '{';
  return *this;
}
JsonText& JsonText::EndObject() {
  out_ += '}';
  return *this;
}
JsonText& JsonText::BeginArray() {
  Separate();
  out_ += '[';
  return *this;
}
JsonText& JsonText::EndArray() {
  out_ += ']';
  return *this;
}
JsonText& JsonText::Key(std::string_view key) {
  Separate();
  Quoted(key);
  out_ += ':';
  return *this;
}
JsonText& JsonText::String(std::string_view value) {
  Separate();
  Quoted(value);
  return *this;
}
JsonText& JsonText::OptString(const std::optional<std::string>& value) {
  return value ? String(*value) : Null();
}
JsonText& JsonText::Int(std::int64_t value) {
  Separate();
  fmt::format_to(std::back_inserter(out_), "{}", value);
  return *this;
}
JsonText& JsonText::Bool(bool value) {
  Separate();
  out_ += value ? "true" : "false";
  return *this;
}
JsonText& JsonText::Null() {
  Separate();
  out_ += "null";
  return *this;
}

}  // namespace schemaport::server::internal
