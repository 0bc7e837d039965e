// The SQL the Redshift connector runs: catalog objects only, never a user table.
// Internal to src/warehouse/redshift. Each statement is read-only and runs on its own (some of
// the objects are leader-node-only and cannot be joined with the others in SQL); results are
// joined in memory by CatalogBuilder. Values are bound as parameters; the only text spliced into
// SQL is a list of table ids, which are integers this connector parsed itself.
#pragma once

#include <string_view>

namespace schemaport::warehouse::redshift {

// Schemas that hold the system's own objects, never the user's.
#define SP_REDSHIFT_SYSTEM_SCHEMAS                                                          \
  "'pg_catalog', 'information_schema', 'pg_toast', 'pg_internal', 'pg_automv', 'pg_mv', " \
  "'pg_s3', 'catalog_history'"

// Tables, views and materialized views with owner, comment and the caller's SELECT privilege
// (schema USAGE and table SELECT: both are needed to read it).
// Columns: table_id, schema_name, table_name, relkind, owner, comment, can_select, column_count
// (column_count sizes the columns statements so that no result nears the Data API's limit).
inline constexpr std::string_view kTablesSql = R"sql(
SELECT c.oid::bigint AS table_id,
       n.nspname::varchar AS schema_name,
       c.relname::varchar AS table_name,
       c.relkind::varchar AS relkind,
       pg_catalog.pg_get_userbyid(c.relowner)::varchar AS owner,
       d.description::varchar AS comment,
       (pg_catalog.has_schema_privilege(n.oid, 'USAGE')
        AND pg_catalog.has_table_privilege(c.oid, 'SELECT')) AS can_select,
       c.relnatts::integer AS column_count
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_description d ON d.objoid = c.oid AND d.objsubid = 0
WHERE c.relkind IN ('r', 'p', 'v', 'm')
  AND n.nspname NOT IN ()sql" SP_REDSHIFT_SYSTEM_SCHEMAS R"sql()
  AND substring(n.nspname, 1, 8) <> 'pg_temp_'
  AND substring(n.nspname, 1, 14) <> 'pg_toast_temp_'
ORDER BY 2, 3
)sql";

// Columns of ordinary tables, views and materialized views, with the type exactly as the
// warehouse formats it, nullability, default and comment. Late-binding views have no rows here.
// Columns: table_id, position, column_name, type, not_null, default_value, comment.
// kColumnsSqlForTables appends "AND a.attrelid IN (<ids>)" and the ORDER BY.
inline constexpr std::string_view kColumnsSqlHead = R"sql(
SELECT a.attrelid::bigint AS table_id,
       a.attnum::integer AS position,
       a.attname::varchar AS column_name,
       pg_catalog.format_type(a.atttypid, a.atttypmod)::varchar AS type,
       a.attnotnull AS not_null,
       pg_catalog.pg_get_expr(ad.adbin, ad.adrelid)::varchar AS default_value,
       d.description::varchar AS comment
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
LEFT JOIN pg_catalog.pg_description d ON d.objoid = a.attrelid AND d.objsubid = a.attnum
WHERE a.attnum > 0
  AND NOT a.attisdropped
  AND c.relkind IN ('r', 'p', 'v', 'm')
  AND n.nspname NOT IN ()sql" SP_REDSHIFT_SYSTEM_SCHEMAS R"sql()
  AND substring(n.nspname, 1, 8) <> 'pg_temp_'
  AND substring(n.nspname, 1, 14) <> 'pg_toast_temp_')sql";
inline constexpr std::string_view kColumnsSqlTail = "\nORDER BY 1, 2\n";

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
       c.contype::varchar AS kind,
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
SELECT c.conrelid::bigint, c.oid::bigint, c.conname::varchar, c.contype::varchar, 'r'::varchar,
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

// External (Spectrum) schemas and the external database each one maps.
// Columns: schema_name, external_database.
inline constexpr std::string_view kExternalSchemasSql = R"sql(
SELECT schemaname::varchar, databasename::varchar
FROM svv_external_schemas
ORDER BY 1
)sql";

// External tables, for a fetch of tables only.
// Columns: schema_name, table_name.
inline constexpr std::string_view kExternalTablesSql = R"sql(
SELECT schemaname::varchar, tablename::varchar
FROM svv_external_tables
ORDER BY 1, 2
)sql";

// External tables' columns (every external table has at least one).
// Columns: schema_name, table_name, column_name, external_type, position, is_nullable.
inline constexpr std::string_view kExternalColumnsSql = R"sql(
SELECT schemaname::varchar, tablename::varchar, columnname::varchar,
       external_type::varchar, columnnum::integer, is_nullable::varchar
FROM svv_external_columns
ORDER BY 1, 2, 5
)sql";

// Tables the connected database sees through datashares: rows whose schema and table are not
// in the local catalog are datashare objects.
// Columns: schema_name, table_name, table_type, remarks.
inline constexpr std::string_view kRedshiftTablesSql = R"sql(
SELECT schema_name::varchar, table_name::varchar, table_type::varchar, remarks::varchar
FROM svv_redshift_tables
WHERE database_name = current_database()
ORDER BY 1, 2
)sql";

// Columns of datashare tables in one schema (bound as :schema).
// Columns: table_name, column_name, position, data_type, column_default, is_nullable,
//          distkey, sortkey, remarks.
inline constexpr std::string_view kRedshiftColumnsSql = R"sql(
SELECT table_name::varchar, column_name::varchar, ordinal_position::integer,
       data_type::varchar, column_default::varchar, is_nullable::varchar,
       distkey::boolean, sortkey::integer, remarks::varchar
FROM svv_redshift_columns
WHERE database_name = current_database() AND schema_name = :schema
ORDER BY 1, 3
)sql";

// Distribution and first sort key per table, where the caller may read svv_table_info.
// Columns: table_id, diststyle, sortkey1, sortkey_num.
inline constexpr std::string_view kTableInfoSql = R"sql(
SELECT table_id::bigint, diststyle::varchar, sortkey1::varchar, sortkey_num::integer
FROM svv_table_info
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
       sum(CASE WHEN pg_catalog.has_schema_privilege(n.oid, 'USAGE')
                 AND pg_catalog.has_table_privilege(c.oid, 'SELECT') THEN 1 ELSE 0 END)::bigint
         AS selectable,
       min(CASE WHEN NOT (pg_catalog.has_schema_privilege(n.oid, 'USAGE')
                          AND pg_catalog.has_table_privilege(c.oid, 'SELECT'))
                THEN n.nspname END)::varchar AS schema_without_select
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm')
  AND n.nspname NOT IN ()sql" SP_REDSHIFT_SYSTEM_SCHEMAS R"sql()
  AND substring(n.nspname, 1, 8) <> 'pg_temp_'
  AND substring(n.nspname, 1, 14) <> 'pg_toast_temp_'
)sql";

#undef SP_REDSHIFT_SYSTEM_SCHEMAS

}  // namespace schemaport::warehouse::redshift
