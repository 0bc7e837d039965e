#include "warehouse/redshift/types.h"

#include <gtest/gtest.h>

namespace schemaport::warehouse::redshift {
namespace {

TEST(RedshiftTypesTest, MapsEveryRedshiftType) {
  const std::pair<const char*, TypeFamily> cases[] = {
      {"smallint", TypeFamily::kInteger},
      {"integer", TypeFamily::kInteger},
      {"bigint", TypeFamily::kInteger},
      {"numeric(38,10)", TypeFamily::kDecimal},
      {"numeric(18,0)", TypeFamily::kDecimal},
      {"real", TypeFamily::kFloat},
      {"double precision", TypeFamily::kFloat},
      {"boolean", TypeFamily::kBoolean},
      {"character(1)", TypeFamily::kString},
      {"character varying(65535)", TypeFamily::kString},
      {"\"char\"", TypeFamily::kString},
      {"text", TypeFamily::kString},
      {"date", TypeFamily::kDate},
      {"time without time zone", TypeFamily::kTime},
      {"time with time zone", TypeFamily::kTime},
      {"timestamp without time zone", TypeFamily::kTimestamp},
      {"timestamp with time zone", TypeFamily::kTimestamp},
      {"timestamp(6) with time zone", TypeFamily::kTimestamp},
      {"interval year to month", TypeFamily::kInterval},
      {"interval day to second", TypeFamily::kInterval},
      {"super", TypeFamily::kSemiStructured},
      {"geometry", TypeFamily::kSpatial},
      {"geography", TypeFamily::kSpatial},
      {"hllsketch", TypeFamily::kSketch},
      {"varbyte(64000)", TypeFamily::kBinary},
      {"binary varying(1024000)", TypeFamily::kBinary},
      {"bytea", TypeFamily::kBinary},
      // Spectrum
      {"int", TypeFamily::kInteger},
      {"string", TypeFamily::kString},
      {"decimal(10,2)", TypeFamily::kDecimal},
      {"double", TypeFamily::kFloat},
      {"array<int>", TypeFamily::kSemiStructured},
      {"struct<a:int,b:string>", TypeFamily::kSemiStructured},
      {"map<string,int>", TypeFamily::kSemiStructured},
      {"INTEGER", TypeFamily::kInteger},
      {"mystery", TypeFamily::kOther},
  };
  for (const auto& [type, family] : cases) {
    EXPECT_EQ(TypeFamilyName(TypeFamilyOf(type)), TypeFamilyName(family)) << type;
  }
}

}  // namespace
}  // namespace schemaport::warehouse::redshift
