#include "warehouse/redshift/queries.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <string>

namespace schemaport::warehouse::redshift {
namespace {

std::string Trimmed(std::string_view sql) {
  auto b = std::find_if_not(sql.begin(), sql.end(), [](unsigned char c) { return std::isspace(c); });
  return std::string(b, sql.end());
}

TEST(QueriesTest, EveryStatementIsOneReadOnlyQuery) {
  const std::string keys = std::string(kConstraintsSqlPart1) + "(1)" +
                           std::string(kConstraintsSqlPart2) + "(1)" +
                           std::string(kConstraintsSqlTail);
  const std::string_view all[] = {kTablesSql,
                                  std::string_view(kColumnsSqlHead),
                                  keys,
                                  kLateBindingColumnsSql,
                                  kExternalSchemasSql,
                                  kExternalTablesSql,
                                  kExternalColumnsSql,
                                  kRedshiftTablesSql,
                                  kRedshiftColumnsSql,
                                  kTableInfoSql,
                                  kCaseSensitivitySql,
                                  kWhoAmISql,
                                  kPrivilegeSummarySql};
  for (std::string_view sql : all) {
    const std::string t = Trimmed(sql);
    EXPECT_TRUE(t.rfind("SELECT", 0) == 0 || t.rfind("SHOW", 0) == 0) << sql;
    EXPECT_EQ(t.find(';'), std::string::npos) << "more than one statement: " << sql;
    for (const char* word : {"INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "ALTER", "GRANT", "COPY", "UNLOAD"}) {
      EXPECT_EQ(t.find(word), std::string::npos) << word << " in " << sql;
    }
    EXPECT_LT(sql.size(), 100u * 1024u);
  }
}

TEST(QueriesTest, CatalogQueriesReadOnlyCatalogObjects) {
  // Every FROM or JOIN names pg_catalog, a Redshift system view or the late-binding function.
  const std::string keys = std::string(kConstraintsSqlPart1) + "(1)" +
                           std::string(kConstraintsSqlPart2) + "(1)" +
                           std::string(kConstraintsSqlTail);
  const std::string_view catalog[] = {kTablesSql,
                                      std::string_view(kColumnsSqlHead),
                                      keys,
                                      kLateBindingColumnsSql,
                                      kExternalSchemasSql,
                                      kExternalTablesSql,
                                      kExternalColumnsSql,
                                      kRedshiftTablesSql,
                                      kRedshiftColumnsSql,
                                      kTableInfoSql,
                                      kPrivilegeSummarySql};
  for (std::string_view sql : catalog) {
    std::string s(sql);
    for (const std::string keyword : {"FROM ", "JOIN "}) {
      for (std::size_t pos = s.find(keyword); pos != std::string::npos; pos = s.find(keyword, pos + 1)) {
        const std::string object = s.substr(pos + keyword.size(), 40);
        EXPECT_TRUE(object.rfind("pg_catalog.", 0) == 0 || object.rfind("svv_", 0) == 0) << object;
      }
    }
  }
}

}  // namespace
}  // namespace schemaport::warehouse::redshift
