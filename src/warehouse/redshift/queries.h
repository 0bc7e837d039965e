// The SQL the Redshift connector runs: catalog objects only, never a user table.
// Internal to src/warehouse/redshift. Each statement is read-only and runs on its own (some of
// the objects are leader-node-only and cannot be joined with the others in SQL); results are
// joined in memory by CatalogBuilder. Values are bound as parameters; the only text spliced into
// SQL is a list of table ids, which are integers this connector parsed itself.
#pragma once

#include <string>
#include <string_view>

namespace schemaport::warehouse::redshift {

// Schemas that hold the system's own objects, never the user's.
#define SP_REDSHIFT_SYSTEM_SCHEMAS                                                        \
  "'pg_catalog', 'information_schema', 'pg_toast', 'pg_internal', 'pg_automv', 'pg_mv', " \
  "'pg_s3', 'catalog_history'"

// Tables and views (a materialized view is a view here; kMaterializedViewsSql tells them apart)
// with owner, comment and the caller's privileges, in the documented forms of the leader-node
// privilege functions (names, not oids). Redshift has no relkind 'm' or 'p'.
// Columns: table_id, schema_name, table_name, relkind, owner, comment, schema_usage,
//          table_select, column_count
// (column_count sizes the columns statements so that no result nears the Data API's limit).
inline constexpr std::string_view kTablesSql = R"sql(
SELECT c.oid::bigint AS table_id,
       n.nspname::varchar AS schema_name,
       c.relname::varchar AS table_name,
       c.relkind AS relkind,
       pg_catalog.pg_get_userbyid(c.relowner)::varchar AS owner,
       d.description::varchar AS comment,
       pg_catalog.has_schema_privilege(n.nspname, 'USAGE') AS schema_usage,
       -- A table name in a schema without USAGE cannot even be looked up: ask only with USAGE.
       CASE WHEN pg_catalog.has_schema_privilege(n.nspname, 'USAGE')
            THEN pg_catalog.has_table_privilege(pg_catalog.quote_ident(n.nspname) || '.' ||
                                                pg_catalog.quote_ident(c.relname), 'SELECT')
            ELSE false END AS table_select,
       c.relnatts::integer AS column_count
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_description d ON d.objoid = c.oid AND d.objsubid = 0
WHERE c.relkind IN ('r', 'v')
  AND n.nspname NOT IN ()sql" SP_REDSHIFT_SYSTEM_SCHEMAS R"sql()
  AND substring(n.nspname, 1, 8) <> 'pg_temp_'
  AND substring(n.nspname, 1, 14) <> 'pg_toast_temp_'
ORDER BY 2, 3
)sql";

// Columns of ordinary tables and views, with the type exactly as the warehouse formats it,
// nullability, default and comment; `per_row` columns of a table to a row (slots j = 0..per_row-1
// hold attnums base+j; a slot is all NULL past the last column or for a dropped one). Fewer rows
// mean fewer result pages: AWS documents no page size for GetStatementResult, and each page is
// a call under its 20-a-second quota. Rows stay far under the Data API's 64 KB: a slot holds at
// most a 127-byte name, a type, a default and a comment (4,000 and 256 bytes in the SVV views).
// Late-binding views have no rows here. `table_ids`, when not empty, is "AND a.attrelid IN (...)"
// of integers the connector parsed itself (never user text).
// Columns: table_id, then per slot: position, column_name, type, not_null, default_value, comment.
inline constexpr int kColumnsPerRow = 8;
inline std::string ColumnsSql(int per_row, std::string_view table_ids) {
  std::string select = "SELECT a.attrelid::bigint AS table_id";
  std::string joins;
  for (int j = 0; j < per_row; ++j) {
    const std::string n = std::to_string(j), s = "s" + n, ad = "ad" + n, d = "d" + n;
    select += ",\n       " + s + ".attnum::integer, " + s +
              ".attname::varchar, pg_catalog.format_type(" + s + ".atttypid, " + s +
              ".atttypmod)::varchar, " + s + ".attnotnull, pg_catalog.pg_get_expr(" + ad +
              ".adbin, " + ad + ".adrelid)::varchar, " + d + ".description::varchar";
    joins += "\nLEFT JOIN pg_catalog.pg_attribute " + s + " ON " + s +
             ".attrelid = a.attrelid AND " + s + ".attnum = a.attnum + " + n + " AND NOT " + s +
             ".attisdropped" + "\nLEFT JOIN pg_catalog.pg_attrdef " + ad + " ON " + ad +
             ".adrelid = " + s + ".attrelid AND " + ad + ".adnum = " + s + ".attnum" +
             "\nLEFT JOIN pg_catalog.pg_description " + d + " ON " + d + ".objoid = " + s +
             ".attrelid AND " + d + ".objsubid = " + s + ".attnum";
  }
  return select + R"sql(
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace)sql" +
         joins + R"sql(
WHERE a.attnum > 0
  AND (a.attnum - 1) % )sql" +
         std::to_string(per_row) + R"sql( = 0
  AND c.relkind IN ('r', 'v')
  AND n.nspname NOT IN ()sql" SP_REDSHIFT_SYSTEM_SCHEMAS R"sql()
  AND substring(n.nspname, 1, 8) <> 'pg_temp_'
  AND substring(n.nspname, 1, 14) <> 'pg_toast_temp_')sql" +
         std::string(table_ids) + "\nORDER BY 1, 2\n";
}

// Keys: the primary key, unique and foreign key constraints Redshift keeps in pg_constraint
// (informational only: it does not enforce them). One row per constrained column (side 'c') and,
// for a foreign key, per referenced column (side 'r'); key_attnums lists the key's column
// numbers in key order, so the columns pair up. Only the kept tables' constraints are read
// (kConstraintsSqlPart1 + "(<ids>)" + kConstraintsSqlPart2 + "(<ids>)" + kConstraintsSqlTail);
// of a referenced table only the referenced columns' names are read.
// Columns: table_id, constraint_id, constraint_name, kind, side, attnum, column_name,
//          key_attnums, ref_schema, ref_table.
inline constexpr std::string_view kConstraintsSqlPart1 = R"sql(
SELECT c.conrelid::bigint AS table_id,
       c.oid::bigint AS constraint_id,
       c.conname::varchar AS constraint_name,
       c.contype AS kind,
       'c'::varchar AS side,
       a.attnum::integer AS attnum,
       a.attname::varchar AS column_name,
       pg_catalog.array_to_string(c.conkey, ',')::varchar AS key_attnums,
       NULL::varchar AS ref_schema,
       NULL::varchar AS ref_table
FROM pg_catalog.pg_constraint c
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
WHERE c.contype IN ('p', 'u', 'f')
  AND c.conrelid IN )sql";
inline constexpr std::string_view kConstraintsSqlPart2 = R"sql(
UNION ALL
SELECT c.conrelid::bigint, c.oid::bigint, c.conname::varchar, c.contype, 'r'::varchar,
       a.attnum::integer, a.attname::varchar, pg_catalog.array_to_string(c.confkey, ',')::varchar,
       n.nspname::varchar, r.relname::varchar
FROM pg_catalog.pg_constraint c
JOIN pg_catalog.pg_class r ON r.oid = c.confrelid
JOIN pg_catalog.pg_namespace n ON n.oid = r.relnamespace
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = ANY (c.confkey)
WHERE c.contype = 'f'
  AND c.conrelid IN )sql";
inline constexpr std::string_view kConstraintsSqlTail = "\nORDER BY 1, 2, 5, 6\n";

// Late-binding views' columns: only this leader-node function knows them.
// Columns: schema_name, table_name, column_name, type, position.
inline constexpr std::string_view kLateBindingColumnsSql = R"sql(
SELECT schema_name::varchar, table_name::varchar, column_name::varchar,
       column_type::varchar, column_index::integer
FROM pg_catalog.pg_get_late_binding_view_cols()
     cols(schema_name name, table_name name, column_name name, column_type varchar,
          column_index integer)
ORDER BY 1, 2, 5
)sql";

// Materialized views of the connected database (each is a view plus a backing table
// mv_tbl__<name>__0). SVV_MV_INFO shows regular users only their own; the catalog builder also
// recognises a view by its backing table. Columns: schema_name, name.
inline constexpr std::string_view kMaterializedViewsSql = R"sql(
SELECT trim(schema_name)::varchar, trim(name)::varchar
FROM svv_mv_info
WHERE trim(database_name) = current_database()
)sql";

// Tables with SELECT granted on some of their columns to the caller (directly, to a role or
// group it holds, or to PUBLIC): readable although has_table_privilege says no.
// Columns: schema_name, table_name.
inline constexpr std::string_view kColumnGrantsSql = R"sql(
SELECT DISTINCT namespace_name::varchar, relation_name::varchar
FROM svv_column_privileges
WHERE privilege_type = 'SELECT'
)sql";

// External (Spectrum) schemas and the external database each one maps.
// Columns: schema_name, external_database.
inline constexpr std::string_view kExternalSchemasSql = R"sql(
SELECT schemaname::varchar, databasename::varchar
FROM svv_external_schemas
ORDER BY 1
)sql";

// External tables, for a fetch of tables only. SVV_EXTERNAL_* list every database's external
// tables: only the connected database's are its own.
// Columns: schema_name, table_name.
inline constexpr std::string_view kExternalTablesSql = R"sql(
SELECT schemaname::varchar, tablename::varchar
FROM svv_external_tables
WHERE redshift_database_name = current_database()
ORDER BY 1, 2
)sql";

// External tables' columns (every external table has at least one).
// Columns: schema_name, table_name, column_name, external_type, position, is_nullable.
inline constexpr std::string_view kExternalColumnsSql = R"sql(
SELECT schemaname::varchar, tablename::varchar, columnname::varchar,
       external_type::varchar, columnnum::integer, is_nullable::varchar
FROM svv_external_columns
WHERE redshift_database_name = current_database()
ORDER BY 1, 2, 5
)sql";

// Distribution and sort key columns of the connected database's tables, from a view every
// user may read (SVV_TABLE_INFO is superuser-only and skips empty tables).
// Columns: schema_name, table_name, column_name, distkey, sortkey.
inline constexpr std::string_view kTableKeysSql = R"sql(
SELECT schema_name::varchar, table_name::varchar, column_name::varchar, distkey::boolean,
       sortkey::integer
FROM svv_redshift_columns
WHERE database_name = current_database() AND (distkey OR sortkey <> 0)
)sql";

// Databases the connected one sees: 'local' ones and 'shared' ones created from datashares,
// which cannot be connected to and are read through svv_redshift_* from the connected one.
// Columns: database_name, database_type.
inline constexpr std::string_view kRedshiftDatabasesSql = R"sql(
SELECT database_name::varchar, database_type::varchar
FROM svv_redshift_databases
ORDER BY 1
)sql";

// The producer of each inbound datashare's consumer database (rows only for users who may see
// the datashare). Columns: consumer_database, producer_account, producer_namespace.
inline constexpr std::string_view kInboundDatasharesSql = R"sql(
SELECT consumer_database::varchar, producer_account::varchar, producer_namespace::varchar
FROM svv_datashares
WHERE share_type = 'INBOUND' AND consumer_database IS NOT NULL
)sql";

// Tables of one datashare database (bound as :database).
// Columns: schema_name, table_name, table_type, remarks.
inline constexpr std::string_view kRedshiftTablesSql = R"sql(
SELECT schema_name::varchar, table_name::varchar, table_type::varchar, remarks::varchar
FROM svv_redshift_tables
WHERE database_name = :database
ORDER BY 1, 2
)sql";

// Columns of one datashare database's tables (bound as :database).
// Columns: schema_name, table_name, column_name, position, data_type, column_default,
//          is_nullable, distkey, sortkey, remarks.
inline constexpr std::string_view kRedshiftColumnsSql = R"sql(
SELECT schema_name::varchar, table_name::varchar, column_name::varchar,
       ordinal_position::integer, data_type::varchar, column_default::varchar,
       is_nullable::varchar, distkey::boolean, sortkey::integer, remarks::varchar
FROM svv_redshift_columns
WHERE database_name = :database
ORDER BY 1, 2, 4
)sql";

// Whether identifiers keep their case (Redshift's enable_case_sensitive_identifier).
inline constexpr std::string_view kCaseSensitivitySql = "SHOW enable_case_sensitive_identifier";

// The connection test's probe: who am I in the database.
// Columns: user, database, version.
inline constexpr std::string_view kWhoAmISql =
    "SELECT current_user::varchar, current_database()::varchar, version()::varchar";

// The connection test's catalog probe: how many tables the user sees and may read, and one
// schema holding a table it may not read (for the GRANT hint).
// Columns: tables, selectable, schema_without_select.
inline constexpr std::string_view kPrivilegeSummarySql = R"sql(
SELECT count(*)::bigint AS tables,
       sum(CASE WHEN NOT pg_catalog.has_schema_privilege(n.nspname, 'USAGE') THEN 0
                WHEN pg_catalog.has_table_privilege(pg_catalog.quote_ident(n.nspname) || '.' ||
                                                    pg_catalog.quote_ident(c.relname), 'SELECT')
                THEN 1 ELSE 0 END)::bigint AS selectable,
       min(CASE WHEN NOT pg_catalog.has_schema_privilege(n.nspname, 'USAGE') THEN n.nspname
                WHEN NOT pg_catalog.has_table_privilege(pg_catalog.quote_ident(n.nspname) || '.' ||
                                                        pg_catalog.quote_ident(c.relname), 'SELECT')
                THEN n.nspname END)::varchar AS schema_without_select
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'v')
  AND n.nspname NOT IN ()sql" SP_REDSHIFT_SYSTEM_SCHEMAS R"sql()
  AND substring(n.nspname, 1, 8) <> 'pg_temp_'
  AND substring(n.nspname, 1, 14) <> 'pg_toast_temp_'
)sql";

#undef SP_REDSHIFT_SYSTEM_SCHEMAS

}  // namespace schemaport::warehouse::redshift
