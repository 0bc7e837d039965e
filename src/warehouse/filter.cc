// TableFilter: include/exclude globs over database.schema.table.
#include "warehouse/warehouse.h"

namespace schemaport::warehouse {

Result<TableFilter::Pattern> TableFilter::Parse(const std::string& text) {
  if (text.empty()) return InvalidArgument("empty table pattern");
  if (text.size() > 1024) return InvalidArgument("table pattern longer than 1024 bytes");
  Pattern p;
  p.text = text;
  std::string part;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') {
      if (quoted && i + 1 < text.size() && text[i + 1] == '"') {  // "" inside quotes
        part += '"';
        ++i;
      } else {
        quoted = !quoted;
      }
    } else if (c == '.' && !quoted) {
      p.parts.push_back(std::move(part));
      part.clear();
    } else {
      part += c;
    }
  }
  if (quoted) return InvalidArgument("table pattern '" + text + "' has an unclosed quote");
  p.parts.push_back(std::move(part));
  if (p.parts.size() > 3) {
    return InvalidArgument("table pattern '" + text +
                           "' has more than three parts (database.schema.table); quote names "
                           "that contain dots");
  }
  for (const auto& s : p.parts) {
    if (s.empty()) return InvalidArgument("table pattern '" + text + "' has an empty part");
  }
  return p;
}

Result<TableFilter> TableFilter::Make(const std::vector<std::string>& include,
                                      const std::vector<std::string>& exclude,
                                      MatchCase match_case) {
  TableFilter f;
  f.match_case_ = match_case;
  for (const auto& s : include) f.include_.push_back(SP_TRY(Parse(s)));
  for (const auto& s : exclude) f.exclude_.push_back(SP_TRY(Parse(s)));
  return f;
}

bool TableFilter::Glob(std::string_view pattern, std::string_view text) const {
  return GlobMatch(pattern, text, match_case_);
}

bool TableFilter::Matches(const Pattern& p, const TableRef& ref) const {
  const std::string_view names[3] = {ref.database, ref.schema, ref.table};
  for (std::size_t i = 0; i < p.parts.size(); ++i) {
    if (!Glob(p.parts[i], names[i])) return false;
  }
  return true;
}

bool TableFilter::CouldMatch(const Pattern& p, std::string_view database,
                             std::optional<std::string_view> schema) const {
  if (!Glob(p.parts[0], database)) return false;
  if (schema && p.parts.size() > 1 && !Glob(p.parts[1], *schema)) return false;
  return true;
}

bool TableFilter::Keeps(const TableRef& ref) const {
  bool included = include_.empty();
  for (const auto& p : include_) {
    if (Matches(p, ref)) {
      included = true;
      break;
    }
  }
  if (!included) return false;
  for (const auto& p : exclude_) {
    if (Matches(p, ref)) return false;
  }
  return true;
}

bool TableFilter::ExcludesDatabase(std::string_view database) const {
  if (!include_.empty()) {
    bool any = false;
    for (const auto& p : include_) any = any || CouldMatch(p, database, std::nullopt);
    if (!any) return true;
  }
  // An exclude drops a whole database only when it names nothing below it ("dev", "dev.*.*").
  for (const auto& p : exclude_) {
    if (!Glob(p.parts[0], database)) continue;
    bool rest_all = true;
    for (std::size_t i = 1; i < p.parts.size(); ++i) rest_all = rest_all && p.parts[i] == "*";
    if (rest_all) return true;
  }
  return false;
}

bool TableFilter::ExcludesSchema(std::string_view database, std::string_view schema) const {
  if (ExcludesDatabase(database)) return true;
  if (!include_.empty()) {
    bool any = false;
    for (const auto& p : include_) any = any || CouldMatch(p, database, schema);
    if (!any) return true;
  }
  for (const auto& p : exclude_) {
    if (!Glob(p.parts[0], database)) continue;
    if (p.parts.size() >= 2 && !Glob(p.parts[1], schema)) continue;
    if (p.parts.size() < 3 || p.parts[2] == "*") return true;
  }
  return false;
}

}  // namespace schemaport::warehouse
