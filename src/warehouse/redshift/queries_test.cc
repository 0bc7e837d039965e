#include "warehouse/redshift/queries.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

namespace schemaport::warehouse::redshift {
namespace {

std::string Trimmed(std::string_view sql) {
  auto b =
      std::find_if_not(sql.begin(), sql.end(), [](unsigned char c) { return std::isspace(c); });
  return std::string(b, sql.end());
}

const std::string kPackedColumns = ColumnsSql(kColumnsPerRow, "");
const std::string kKeys = std::string(kConstraintsSqlPart1) + "(1)" +
                          std::string(kConstraintsSqlPart2) + "(1)" +
                          std::string(kConstraintsSqlTail);

// Every statement that reads the catalog (all but the connection test's identity probe).
std::vector<std::string_view> CatalogQueries() {
  return {kTablesSql,
          kPackedColumns,
          kKeys,
          kLateBindingColumnsSql,
          kExternalSchemasSql,
          kExternalTablesSql,
          kExternalColumnsSql,
          kRedshiftTablesSql,
          kRedshiftColumnsSql,
          kTableKeysSql,
          kMaterializedViewsSql,
          kColumnGrantsSql,
          kRedshiftDatabasesSql,
          kInboundDatasharesSql,
          kPrivilegeSummarySql};
}

TEST(QueriesTest, EveryStatementIsOneReadOnlyQuery) {
  std::vector<std::string_view> all = CatalogQueries();
  all.push_back(kCaseSensitivitySql);
  all.push_back(kWhoAmISql);
  for (std::string_view sql : all) {
    const std::string t = Trimmed(sql);
    EXPECT_TRUE(t.rfind("SELECT", 0) == 0 || t.rfind("SHOW", 0) == 0) << sql;
    EXPECT_EQ(t.find(';'), std::string::npos) << "more than one statement: " << sql;
    for (const char* word :
         {"INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "ALTER", "GRANT", "COPY", "UNLOAD"}) {
      EXPECT_EQ(t.find(word), std::string::npos) << word << " in " << sql;
    }
    EXPECT_LT(sql.size(), 100u * 1024u);
  }
}

TEST(QueriesTest, CatalogQueriesReadOnlyCatalogObjects) {
  // Every FROM or JOIN names pg_catalog, a Redshift system view or the late-binding function.
  const std::vector<std::string_view> catalog = CatalogQueries();
  for (std::string_view sql : catalog) {
    std::string s(sql);
    for (const std::string keyword : {"FROM ", "JOIN "}) {
      for (std::size_t pos = s.find(keyword); pos != std::string::npos;
           pos = s.find(keyword, pos + 1)) {
        const std::string object = s.substr(pos + keyword.size(), 40);
        EXPECT_TRUE(object.rfind("pg_catalog.", 0) == 0 || object.rfind("svv_", 0) == 0) << object;
      }
    }
  }
}

TEST(QueriesTest, PrivilegeFunctionsTakeNamesAndNoCharCasts) {
  // AWS documents HAS_SCHEMA_PRIVILEGE / HAS_TABLE_PRIVILEGE with names; the "char" relkind is
  // read as it is, never cast.
  for (std::string_view sql : {kTablesSql, kPrivilegeSummarySql}) {
    EXPECT_EQ(sql.find("privilege(n.oid"), std::string_view::npos) << sql;
    EXPECT_EQ(sql.find("privilege(c.oid"), std::string_view::npos) << sql;
    EXPECT_EQ(sql.find("relkind::"), std::string_view::npos) << sql;
    EXPECT_EQ(sql.find("'m'"), std::string_view::npos) << "Redshift has no relkind 'm': " << sql;
  }
}

}  // namespace
}  // namespace schemaport::warehouse::redshift
