// Quoting of SQL identifiers for the text schemaport shows users (GRANT hints). Internal.
#pragma once

#include <string>
#include <string_view>

namespace schemaport::warehouse::redshift {

// "name" with embedded quotes doubled: the one way identifiers are written into SQL text.
inline std::string QuoteIdentifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace schemaport::warehouse::redshift
