// The Redshift type mapping: type text as format_type, svv_external_columns and
// svv_redshift_columns print it -> the warehouse-neutral TypeFamily. Internal to
// src/warehouse/redshift.
#pragma once

#include <string_view>

#include "warehouse/warehouse.h"

namespace schemaport::warehouse::redshift {

// Redshift and Spectrum type text -> family ("character varying(256)" -> kString,
// "array<int>" -> kSemiStructured); unknown names are kOther. Case-insensitive. Thread safety:
// pure function.
TypeFamily TypeFamilyOf(std::string_view type);

}  // namespace schemaport::warehouse::redshift
