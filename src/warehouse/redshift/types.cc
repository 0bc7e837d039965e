// Redshift (and Spectrum) type names -> TypeFamily.
#include "warehouse/redshift/types.h"

#include <algorithm>
#include <cctype>

namespace schemaport::warehouse::redshift {

namespace {
std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

// The type name without modifiers: "numeric(38,2)" -> "numeric", "character varying(256)" ->
// "character varying", "timestamp(6) without time zone" -> "timestamp without time zone".
std::string BaseName(std::string_view type) {
  std::string out;
  int depth = 0;
  for (char c : type) {
    if (c == '(') {
      ++depth;
    } else if (c == ')') {
      depth = std::max(0, depth - 1);
    } else if (depth == 0) {
      out += c;
    }
  }
  // Collapse runs of spaces left where a modifier was removed.
  std::string collapsed;
  for (char c : out) {
    if (c == ' ' && (collapsed.empty() || collapsed.back() == ' ')) continue;
    collapsed += c;
  }
  while (!collapsed.empty() && collapsed.back() == ' ') collapsed.pop_back();
  return collapsed;
}
}  // namespace

TypeFamily TypeFamilyOf(std::string_view type) {
  const std::string lower = Lower(type);
  std::string base = BaseName(lower);
  if (StartsWith(base, "\"") && base.size() > 1 && base.back() == '"')
    base = base.substr(1, base.size() - 2);
  if (!base.empty() && base.back() == ']') return TypeFamily::kSemiStructured;  // PostgreSQL arrays

  static const std::pair<std::string_view, TypeFamily> kExact[] = {
      // Redshift names as format_type prints them, their aliases, and Spectrum (Hive) names.
      {"smallint", TypeFamily::kInteger},
      {"integer", TypeFamily::kInteger},
      {"bigint", TypeFamily::kInteger},
      {"int", TypeFamily::kInteger},
      {"int2", TypeFamily::kInteger},
      {"int4", TypeFamily::kInteger},
      {"int8", TypeFamily::kInteger},
      {"tinyint", TypeFamily::kInteger},
      {"numeric", TypeFamily::kDecimal},
      {"decimal", TypeFamily::kDecimal},
      {"real", TypeFamily::kFloat},
      {"double precision", TypeFamily::kFloat},
      {"float", TypeFamily::kFloat},
      {"float4", TypeFamily::kFloat},
      {"float8", TypeFamily::kFloat},
      {"double", TypeFamily::kFloat},
      {"boolean", TypeFamily::kBoolean},
      {"bool", TypeFamily::kBoolean},
      {"character varying", TypeFamily::kString},
      {"varchar", TypeFamily::kString},
      {"character", TypeFamily::kString},
      {"char", TypeFamily::kString},
      {"bpchar", TypeFamily::kString},
      {"text", TypeFamily::kString},
      {"name", TypeFamily::kString},
      {"string", TypeFamily::kString},
      {"nvarchar", TypeFamily::kString},
      {"nchar", TypeFamily::kString},
      {"date", TypeFamily::kDate},
      {"time without time zone", TypeFamily::kTime},
      {"time with time zone", TypeFamily::kTime},
      {"time", TypeFamily::kTime},
      {"timetz", TypeFamily::kTime},
      {"timestamp without time zone", TypeFamily::kTimestamp},
      {"timestamp with time zone", TypeFamily::kTimestamp},
      {"timestamp", TypeFamily::kTimestamp},
      {"timestamptz", TypeFamily::kTimestamp},
      {"interval", TypeFamily::kInterval},
      {"interval year to month", TypeFamily::kInterval},
      {"interval day to second", TypeFamily::kInterval},
      {"varbyte", TypeFamily::kBinary},
      {"binary varying", TypeFamily::kBinary},
      {"varbinary", TypeFamily::kBinary},
      {"bytea", TypeFamily::kBinary},
      {"binary", TypeFamily::kBinary},
      {"super", TypeFamily::kSemiStructured},
      {"json", TypeFamily::kSemiStructured},
      {"jsonb", TypeFamily::kSemiStructured},
      {"geometry", TypeFamily::kSpatial},
      {"geography", TypeFamily::kSpatial},
      {"hllsketch", TypeFamily::kSketch},
  };
  for (const auto& [name, family] : kExact) {
    if (base == name) return family;
  }
  // Spectrum nested types: array<...>, struct<...>, map<...>.
  if (StartsWith(base, "array<") || StartsWith(base, "struct<") || StartsWith(base, "map<")) {
    return TypeFamily::kSemiStructured;
  }
  if (StartsWith(base, "interval")) return TypeFamily::kInterval;
  return TypeFamily::kOther;
}

}  // namespace schemaport::warehouse::redshift
