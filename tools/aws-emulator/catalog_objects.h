// Redshift catalog objects that PostgreSQL lacks, installed (idempotently, as the superuser) into
// every mapped database at start-up. They live in pg_catalog, as on Redshift, so unqualified
// names resolve and catalog readers that skip pg_catalog do not see them as user tables.
// Fixture tables (pg_catalog.emulator_*) let tests declare the objects PostgreSQL cannot have:
// late-binding views' columns, external (Spectrum) schemas/tables/columns and datashare objects.
// Column shapes follow the Redshift Database Developer Guide's SVV_* pages.
#pragma once

namespace schemaport::emulator {

inline constexpr const char* kCatalogObjectsSql = R"SQL(
SET allow_system_table_mods = on;

-- Redshift's own types, so fixtures can declare columns of them and format_type() prints the
-- Redshift name (a domain in pg_catalog is printed unqualified). VARBYTE takes no length here.
DO $types$ BEGIN
  IF to_regtype('pg_catalog.super') IS NULL THEN CREATE DOMAIN pg_catalog.super AS jsonb; END IF;
  IF to_regtype('pg_catalog.geometry') IS NULL THEN CREATE DOMAIN pg_catalog.geometry AS bytea; END IF;
  IF to_regtype('pg_catalog.geography') IS NULL THEN CREATE DOMAIN pg_catalog.geography AS bytea; END IF;
  IF to_regtype('pg_catalog.hllsketch') IS NULL THEN CREATE DOMAIN pg_catalog.hllsketch AS text; END IF;
  IF to_regtype('pg_catalog.varbyte') IS NULL THEN CREATE DOMAIN pg_catalog.varbyte AS bytea; END IF;
END $types$;

-- Fixtures ------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS pg_catalog.emulator_late_binding_view_cols (
  view_schema name NOT NULL, view_name name NOT NULL, col_name name NOT NULL,
  col_type varchar(128) NOT NULL, col_num int NOT NULL);
CREATE TABLE IF NOT EXISTS pg_catalog.emulator_external_schemas (
  esoid oid, eskind smallint DEFAULT 1, schemaname name NOT NULL, esowner int DEFAULT 100,
  databasename text, esoptions text);
CREATE TABLE IF NOT EXISTS pg_catalog.emulator_external_tables (
  redshift_database_name text DEFAULT current_database(), schemaname name NOT NULL, tablename name NOT NULL,
  tabletype text DEFAULT 'EXTERNAL_TABLE', location text, input_format text, output_format text,
  serialization_lib text, serde_parameters text, compressed int DEFAULT 0, parameters text);
CREATE TABLE IF NOT EXISTS pg_catalog.emulator_external_columns (
  redshift_database_name text DEFAULT current_database(), schemaname name NOT NULL, tablename name NOT NULL,
  columnname name NOT NULL, external_type text NOT NULL, columnnum int NOT NULL, part_key int DEFAULT 0,
  is_nullable text DEFAULT 'true');
CREATE TABLE IF NOT EXISTS pg_catalog.emulator_datashare_tables (
  database_name varchar(128) NOT NULL, schema_name varchar(128) NOT NULL, table_name varchar(128) NOT NULL,
  table_type varchar(128) DEFAULT 'TABLE', table_acl varchar(128), remarks varchar(128));
CREATE TABLE IF NOT EXISTS pg_catalog.emulator_datashare_columns (
  database_name varchar(128) NOT NULL, schema_name varchar(128) NOT NULL, table_name varchar(128) NOT NULL,
  column_name varchar(128) NOT NULL, ordinal_position int NOT NULL, column_default varchar(4000),
  is_nullable varchar(3) DEFAULT 'YES', data_type varchar(128) NOT NULL, character_maximum_length int,
  numeric_precision int, numeric_scale int, remarks varchar(256));
GRANT SELECT ON pg_catalog.emulator_late_binding_view_cols, pg_catalog.emulator_external_schemas,
  pg_catalog.emulator_external_tables, pg_catalog.emulator_external_columns,
  pg_catalog.emulator_datashare_tables, pg_catalog.emulator_datashare_columns TO PUBLIC;

-- Views are recreated on each version change (their column types may change between versions).
DROP VIEW IF EXISTS pg_catalog.svv_table_info, pg_catalog.svv_all_columns, pg_catalog.svv_columns,
  pg_catalog.svv_tables, pg_catalog.svv_redshift_columns, pg_catalog.svv_redshift_tables,
  pg_catalog.emulator_local_columns, pg_catalog.emulator_local_tables, pg_catalog.svv_external_columns,
  pg_catalog.svv_external_tables, pg_catalog.svv_external_schemas CASCADE;

-- pg_get_late_binding_view_cols(): called with a column definition list, as on Redshift:
--   SELECT * FROM pg_get_late_binding_view_cols()
--     cols(view_schema name, view_name name, col_name name, col_type varchar, col_num int)
CREATE OR REPLACE FUNCTION pg_catalog.pg_get_late_binding_view_cols() RETURNS SETOF record
LANGUAGE sql STABLE AS $$
  SELECT view_schema, view_name, col_name, col_type::varchar, col_num
  FROM pg_catalog.emulator_late_binding_view_cols ORDER BY view_schema, view_name, col_num
$$;

-- SVV_EXTERNAL_SCHEMAS / TABLES / COLUMNS ------------------------------------------------------
CREATE VIEW pg_catalog.svv_external_schemas AS
  SELECT coalesce(esoid, 0::oid) AS esoid, eskind, schemaname, esowner, databasename, esoptions
  FROM pg_catalog.emulator_external_schemas;
CREATE VIEW pg_catalog.svv_external_tables AS
  SELECT redshift_database_name, schemaname, tablename, tabletype, location, input_format, output_format,
         serialization_lib, serde_parameters, compressed, parameters
  FROM pg_catalog.emulator_external_tables;
CREATE VIEW pg_catalog.svv_external_columns AS
  SELECT redshift_database_name, schemaname, tablename, columnname, external_type, columnnum, part_key,
         is_nullable
  FROM pg_catalog.emulator_external_columns;

-- Local relations the current user may see (shared by the views below).
CREATE VIEW pg_catalog.emulator_local_tables AS
  SELECT current_database()::varchar(128) AS database_name, n.nspname::varchar(128) AS schema_name,
         c.relname::varchar(128) AS table_name, c.oid AS table_id,
         CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END::varchar(128)
           AS table_type,
         array_to_string(c.relacl, '~')::varchar(128) AS table_acl,
         obj_description(c.oid, 'pg_class')::varchar(128) AS remarks
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'v', 'm')
    AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
    AND n.nspname NOT LIKE 'pg\_temp\_%' AND n.nspname NOT LIKE 'pg\_toast\_temp\_%'
    AND (has_table_privilege(c.oid, 'SELECT') OR has_schema_privilege(n.oid, 'USAGE'));
CREATE VIEW pg_catalog.emulator_local_columns AS
  SELECT t.database_name, t.schema_name, t.table_name, a.attname::varchar(128) AS column_name,
         a.attnum::int AS ordinal_position,
         pg_get_expr(d.adbin, d.adrelid)::varchar(4000) AS column_default,
         CASE WHEN a.attnotnull THEN 'NO' ELSE 'YES' END::varchar(3) AS is_nullable,
         format_type(a.atttypid, NULL)::varchar(128) AS data_type,
         information_schema._pg_char_max_length(a.atttypid, a.atttypmod)::int AS character_maximum_length,
         information_schema._pg_numeric_precision(a.atttypid, a.atttypmod)::int AS numeric_precision,
         information_schema._pg_numeric_scale(a.atttypid, a.atttypmod)::int AS numeric_scale,
         col_description(a.attrelid, a.attnum)::varchar(256) AS remarks
  FROM pg_catalog.emulator_local_tables t
  JOIN pg_catalog.pg_attribute a ON a.attrelid = t.table_id AND a.attnum > 0 AND NOT a.attisdropped
  LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum;

-- SVV_REDSHIFT_TABLES / COLUMNS: local objects plus datashare fixtures ---------------------------
CREATE VIEW pg_catalog.svv_redshift_tables AS
  SELECT database_name, schema_name, table_name, table_type, table_acl, remarks
  FROM pg_catalog.emulator_local_tables
  UNION ALL
  SELECT database_name, schema_name, table_name, table_type, table_acl, remarks
  FROM pg_catalog.emulator_datashare_tables;
CREATE VIEW pg_catalog.svv_redshift_columns AS
  SELECT database_name, schema_name, table_name, column_name, ordinal_position, data_type,
         column_default, is_nullable, 'none'::varchar(128) AS encoding, false AS distkey,
         0 AS sortkey, NULL::varchar(128) AS column_acl, remarks
  FROM pg_catalog.emulator_local_columns
  UNION ALL
  SELECT database_name, schema_name, table_name, column_name, ordinal_position, data_type,
         column_default, is_nullable, NULL, NULL::boolean, 0, NULL, remarks
  FROM pg_catalog.emulator_datashare_columns;

-- SVV_TABLES / SVV_COLUMNS / SVV_ALL_COLUMNS ---------------------------------------------------
CREATE VIEW pg_catalog.svv_tables AS
  SELECT database_name AS table_catalog, schema_name AS table_schema, table_name,
         CASE table_type WHEN 'TABLE' THEN 'BASE TABLE' ELSE table_type END::varchar(128) AS table_type,
         remarks
  FROM pg_catalog.emulator_local_tables
  UNION ALL
  SELECT redshift_database_name::varchar(128), schemaname::varchar(128), tablename::varchar(128),
         'EXTERNAL TABLE'::varchar(128), NULL::varchar(128)
  FROM pg_catalog.emulator_external_tables;
CREATE VIEW pg_catalog.svv_columns AS
  SELECT database_name AS table_catalog, schema_name AS table_schema, table_name, column_name,
         ordinal_position, column_default, is_nullable, data_type, character_maximum_length,
         numeric_precision, NULL::int AS numeric_precision_radix, numeric_scale,
         NULL::int AS datetime_precision, NULL::varchar(128) AS interval_type,
         NULL::varchar(128) AS interval_precision, NULL::varchar(128) AS character_set_catalog,
         NULL::varchar(128) AS character_set_schema, NULL::varchar(128) AS character_set_name,
         NULL::varchar(128) AS collation_catalog, NULL::varchar(128) AS collation_schema,
         NULL::varchar(128) AS collation_name, NULL::varchar(128) AS domain_name, remarks
  FROM pg_catalog.emulator_local_columns
  UNION ALL
  SELECT redshift_database_name::varchar(128), schemaname::varchar(128), tablename::varchar(128),
         columnname::varchar(128), columnnum, NULL, CASE WHEN is_nullable = 'false' THEN 'NO' ELSE 'YES' END,
         external_type::varchar(128), NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
         NULL, NULL, NULL
  FROM pg_catalog.emulator_external_columns;
CREATE VIEW pg_catalog.svv_all_columns AS
  SELECT database_name, schema_name, table_name, column_name, ordinal_position, column_default,
         is_nullable, data_type, character_maximum_length, numeric_precision, numeric_scale, remarks
  FROM pg_catalog.emulator_local_columns
  UNION ALL
  SELECT redshift_database_name::varchar(128), schemaname::varchar(128), tablename::varchar(128),
         columnname::varchar(128), columnnum, NULL::varchar(4000),
         CASE WHEN is_nullable = 'false' THEN 'NO' ELSE 'YES' END::varchar(3), external_type::varchar(128),
         NULL::int, NULL::int, NULL::int, NULL::varchar(256)
  FROM pg_catalog.emulator_external_columns
  UNION ALL
  SELECT database_name, schema_name, table_name, column_name, ordinal_position, column_default,
         is_nullable, data_type, character_maximum_length, numeric_precision, numeric_scale, remarks
  FROM pg_catalog.emulator_datashare_columns;

-- SVV_TABLE_INFO: user tables only (not views), with the columns Redshift documents.
CREATE VIEW pg_catalog.svv_table_info AS
  SELECT t.database_name::text AS database, t.schema_name::text AS schema, t.table_id::oid AS table_id,
         t.table_name::text AS "table", 'Y'::text AS encoded, 'AUTO(ALL)'::text AS diststyle,
         NULL::text AS sortkey1, 0 AS max_varchar, NULL::text AS sortkey1_enc, 0 AS sortkey_num,
         (pg_total_relation_size(t.table_id) / 1048576)::bigint AS size, 0::numeric(10,4) AS pct_used,
         0::numeric(10,4) AS empty, NULL::numeric(5,2) AS unsorted, NULL::numeric(5,2) AS stats_off,
         greatest(c.reltuples, 0)::numeric(38,0) AS tbl_rows, NULL::numeric(19,2) AS skew_sortkey1,
         NULL::numeric(19,2) AS skew_rows, greatest(c.reltuples, 0)::numeric(38,0) AS estimated_visible_rows,
         NULL::text AS risk_event, NULL::text AS vacuum_sort_benefit, NULL::timestamp AS create_time
  FROM pg_catalog.emulator_local_tables t JOIN pg_catalog.pg_class c ON c.oid = t.table_id
  WHERE c.relkind IN ('r', 'p');

GRANT SELECT ON pg_catalog.svv_external_schemas, pg_catalog.svv_external_tables,
  pg_catalog.svv_external_columns, pg_catalog.emulator_local_tables, pg_catalog.emulator_local_columns,
  pg_catalog.svv_redshift_tables, pg_catalog.svv_redshift_columns, pg_catalog.svv_tables,
  pg_catalog.svv_columns, pg_catalog.svv_all_columns, pg_catalog.svv_table_info TO PUBLIC;
RESET allow_system_table_mods;
)SQL";

}  // namespace schemaport::emulator
