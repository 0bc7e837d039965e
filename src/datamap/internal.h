// Helpers shared by the files of src/datamap. Internal.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace schemaport::datamap {

// "customer_id", "customerid", "customer_key", "customer_fk" -> "customer"; nullopt when the
// name has no key suffix or nothing before it.
std::optional<std::string> KeyStem(std::string_view lower_name);
// The table names a stem may refer to: itself, plurals and singular, with dim_/d_ prefixes.
std::vector<std::string> TableNamesForStem(std::string_view stem);

}  // namespace schemaport::datamap
