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
  redshift_database_name text NOT NULL, schemaname name NOT NULL, tablename name NOT NULL,
  tabletype text DEFAULT 'EXTERNAL_TABLE', location text, input_format text, output_format text,
  serialization_lib text, serde_parameters text, compressed int DEFAULT 0, parameters text);
CREATE TABLE IF NOT EXISTS pg_catalog.emulator_external_columns (
  redshift_database_name text NOT NULL, schemaname name NOT NULL, tablename name NOT NULL,
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
-- Earlier versions defaulted the external tables' database to the current one, which hid the
-- fact that SVV_EXTERNAL_* list every database's external tables: fixtures must name it.
ALTER TABLE pg_catalog.emulator_external_tables ALTER COLUMN redshift_database_name DROP DEFAULT;
ALTER TABLE pg_catalog.emulator_external_columns ALTER COLUMN redshift_database_name DROP DEFAULT;
-- Inbound datashares (SVV_DATASHARES): the consumer database each one was created as, and its
-- producer. Datashare objects themselves are emulator_datashare_tables/_columns rows whose
-- database_name is the consumer database.
CREATE TABLE IF NOT EXISTS pg_catalog.emulator_datashares (
  share_name varchar(128) NOT NULL, share_id int DEFAULT 0, share_owner int,
  source_database varchar(128), consumer_database varchar(128) NOT NULL,
  share_type varchar(8) DEFAULT 'INBOUND', createdate timestamp DEFAULT '2024-01-01',
  is_publicaccessible boolean DEFAULT false, share_acl varchar(256),
  producer_account varchar(16), producer_namespace varchar(64), managed_by varchar(64));
-- Materialized views (SVV_MV_INFO): declared with pg_catalog.emulator_create_materialized_view,
-- which builds the Redshift shape: a view plus its backing table mv_tbl__<name>__0.
CREATE TABLE IF NOT EXISTS pg_catalog.emulator_materialized_views (
  schema_name name NOT NULL, name name NOT NULL, is_stale char(1) DEFAULT 'f', state int DEFAULT 1,
  autorewrite char(1) DEFAULT 't', autorefresh char(1) DEFAULT 'f', PRIMARY KEY (schema_name, name));
-- Distribution and sort keys of local tables (PostgreSQL has neither): one row per key column.
-- sortkey is the position in the sort key (negative for an interleaved key), 0 for none.
CREATE TABLE IF NOT EXISTS pg_catalog.emulator_table_keys (
  schema_name name NOT NULL, table_name name NOT NULL, column_name name NOT NULL,
  distkey boolean DEFAULT false, sortkey int DEFAULT 0, PRIMARY KEY (schema_name, table_name, column_name));
GRANT SELECT ON pg_catalog.emulator_late_binding_view_cols, pg_catalog.emulator_external_schemas,
  pg_catalog.emulator_external_tables, pg_catalog.emulator_external_columns,
  pg_catalog.emulator_datashare_tables, pg_catalog.emulator_datashare_columns,
  pg_catalog.emulator_datashares, pg_catalog.emulator_materialized_views,
  pg_catalog.emulator_table_keys TO PUBLIC;

-- CREATE MATERIALIZED VIEW as Redshift stores it: the view itself (relkind 'v'), owned by the
-- caller's chosen owner, and a backing table mv_tbl__<name>__0 in the same schema that holds the
-- rows (created empty here). PostgreSQL's own matviews (relkind 'm') never occur on Redshift.
CREATE OR REPLACE FUNCTION pg_catalog.emulator_create_materialized_view(schema_name name, mv_name name,
    query text, owner name DEFAULT NULL) RETURNS void LANGUAGE plpgsql AS $mv$
BEGIN
  EXECUTE format('CREATE VIEW %I.%I AS %s', schema_name, mv_name, query);
  EXECUTE format('CREATE TABLE %I.%I AS SELECT * FROM %I.%I WITH NO DATA', schema_name,
                 'mv_tbl__' || mv_name || '__0', schema_name, mv_name);
  IF owner IS NOT NULL THEN
    EXECUTE format('ALTER VIEW %I.%I OWNER TO %I', schema_name, mv_name, owner);
    EXECUTE format('ALTER TABLE %I.%I OWNER TO %I', schema_name, 'mv_tbl__' || mv_name || '__0', owner);
  END IF;
  INSERT INTO pg_catalog.emulator_materialized_views (schema_name, name) VALUES (schema_name, mv_name);
END $mv$;

-- Views are recreated on each version change (their column types may change between versions).
DROP VIEW IF EXISTS pg_catalog.svv_mv_info, pg_catalog.svv_redshift_databases,
  pg_catalog.svv_datashares, pg_catalog.svv_column_privileges, pg_catalog.svv_table_info, pg_catalog.svv_all_columns, pg_catalog.svv_columns,
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
         CASE c.relkind WHEN 'v' THEN 'VIEW' ELSE 'TABLE' END::varchar(128) AS table_type,
         array_to_string(c.relacl, '~')::varchar(128) AS table_acl,
         obj_description(c.oid, 'pg_class')::varchar(128) AS remarks
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'v')
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
  SELECT l.database_name, l.schema_name, l.table_name, l.column_name, l.ordinal_position, l.data_type,
         l.column_default, l.is_nullable, 'none'::varchar(128) AS encoding,
         coalesce(k.distkey, false) AS distkey, coalesce(k.sortkey, 0) AS sortkey,
         NULL::varchar(128) AS column_acl, l.remarks
  FROM pg_catalog.emulator_local_columns l
  LEFT JOIN pg_catalog.emulator_table_keys k
    ON k.schema_name = l.schema_name AND k.table_name = l.table_name AND k.column_name = l.column_name
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

-- SVV_TABLE_INFO: user tables only (not views), with the columns Redshift documents. As on
-- Redshift it is visible only to superusers (others get no rows) and skips empty tables.
CREATE VIEW pg_catalog.svv_table_info AS
  SELECT t.database_name::text AS database, t.schema_name::text AS schema, t.table_id::oid AS table_id,
         t.table_name::text AS "table", 'Y'::text AS encoded,
         coalesce((SELECT 'KEY(' || k.column_name || ')' FROM pg_catalog.emulator_table_keys k
                   WHERE k.schema_name = t.schema_name AND k.table_name = t.table_name AND k.distkey
                   LIMIT 1), 'AUTO(ALL)')::text AS diststyle,
         (SELECT k.column_name FROM pg_catalog.emulator_table_keys k
          WHERE k.schema_name = t.schema_name AND k.table_name = t.table_name AND abs(k.sortkey) = 1
          LIMIT 1)::text AS sortkey1,
         0 AS max_varchar, NULL::text AS sortkey1_enc,
         (SELECT count(*) FROM pg_catalog.emulator_table_keys k
          WHERE k.schema_name = t.schema_name AND k.table_name = t.table_name AND k.sortkey <> 0)::int
           AS sortkey_num,
         (pg_total_relation_size(t.table_id) / 1048576)::bigint AS size, 0::numeric(10,4) AS pct_used,
         0::numeric(10,4) AS empty, NULL::numeric(5,2) AS unsorted, NULL::numeric(5,2) AS stats_off,
         greatest(c.reltuples, 0)::numeric(38,0) AS tbl_rows, NULL::numeric(19,2) AS skew_sortkey1,
         NULL::numeric(19,2) AS skew_rows, greatest(c.reltuples, 0)::numeric(38,0) AS estimated_visible_rows,
         NULL::text AS risk_event, NULL::text AS vacuum_sort_benefit, NULL::timestamp AS create_time
  FROM pg_catalog.emulator_local_tables t JOIN pg_catalog.pg_class c ON c.oid = t.table_id
  WHERE c.relkind = 'r'
    AND EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = current_user AND r.rolsuper)
    AND pg_relation_size(t.table_id) > 0;

-- SVV_MV_INFO: superusers see every materialized view, other users their own.
CREATE VIEW pg_catalog.svv_mv_info AS
  SELECT current_database()::char(128) AS database_name, m.schema_name::char(128) AS schema_name,
         pg_get_userbyid(c.relowner)::char(128) AS user_name, m.name::char(128) AS name,
         m.is_stale, m.state, m.autorewrite, m.autorefresh
  FROM pg_catalog.emulator_materialized_views m
  JOIN pg_catalog.pg_namespace n ON n.nspname = m.schema_name
  JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = m.name
  WHERE c.relowner = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user)
     OR EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = current_user AND r.rolsuper);

-- SVV_REDSHIFT_DATABASES: the connected database (local) and the consumer databases created from
-- datashares (shared), which cannot be connected to but are read through SVV_REDSHIFT_*.
CREATE VIEW pg_catalog.svv_redshift_databases AS
  SELECT current_database()::varchar(128) AS database_name, 1 AS database_owner,
         'local'::varchar(32) AS database_type, NULL::varchar(128) AS database_acl,
         NULL::varchar(128) AS database_options, 'Serializable'::varchar(128) AS database_isolation_level
  UNION ALL
  SELECT DISTINCT d.database_name::varchar(128), 1, 'shared'::varchar(32), NULL::varchar(128),
         NULL::varchar(128), 'Snapshot Isolation'::varchar(128)
  FROM pg_catalog.emulator_datashare_tables d WHERE d.database_name <> current_database();

-- SVV_DATASHARES: visible to superusers, datashare owners and users named in the share's ACL.
CREATE VIEW pg_catalog.svv_datashares AS
  SELECT share_name, share_id, share_owner, source_database, consumer_database, share_type, createdate,
         is_publicaccessible, share_acl, producer_account, producer_namespace, managed_by
  FROM pg_catalog.emulator_datashares s
  WHERE EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = current_user
                AND (r.rolsuper OR r.oid::int = s.share_owner))
     OR s.share_acl LIKE '%' || current_user || '=%';

-- SVV_COLUMN_PRIVILEGES: column grants made explicitly (not those a table grant implies), to
-- identities the current user is, belongs to, or owns the relation of.
CREATE VIEW pg_catalog.svv_column_privileges AS
  SELECT n.nspname::text AS namespace_name, c.relname::text AS relation_name, a.attname::text AS column_name,
         x.privilege_type::text AS privilege_type, x.grantee::int AS identity_id,
         CASE WHEN x.grantee = 0 THEN 'public' ELSE pg_get_userbyid(x.grantee) END::text AS identity_name,
         CASE WHEN x.grantee = 0 THEN 'public' ELSE 'user' END::text AS identity_type
  FROM pg_catalog.pg_attribute a
  JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  CROSS JOIN LATERAL aclexplode(a.attacl) x
  WHERE a.attacl IS NOT NULL AND x.privilege_type IN ('SELECT', 'UPDATE')
    AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
    AND (x.grantee = 0 OR pg_has_role(x.grantee, 'USAGE') OR pg_has_role(c.relowner, 'USAGE'));

-- Unsupported PostgreSQL features (Database Developer Guide, "Unsupported PostgreSQL features"):
-- DDL that PostgreSQL runs and Redshift does not fails, recognised by PostgreSQL itself through
-- event triggers (the command tag at ddl_command_start; the created or altered relation at
-- ddl_command_end), never from the SQL text. Only sessions the emulator opens for Data API
-- statements set emulator.redshift_sql_rules; fixture setup straight on PostgreSQL is not refused.
-- AWS documents no error text for these; CREATE INDEX gives the text Redshift is reported to give.
CREATE OR REPLACE FUNCTION pg_catalog.emulator_refuse_unsupported_ddl() RETURNS event_trigger
LANGUAGE plpgsql AS $refuse$
DECLARE
  what text;
  feature text;
  obj record;
BEGIN
  IF coalesce(current_setting('emulator.redshift_sql_rules', true), '') <> 'on' THEN RETURN; END IF;
  IF TG_EVENT = 'ddl_command_start' THEN
    IF TG_TAG = 'CREATE INDEX' THEN
      RAISE EXCEPTION 'SQL command "%" not supported on Redshift tables.', current_query()
        USING ERRCODE = 'feature_not_supported';
    END IF;
    feature := CASE
      WHEN TG_TAG IN ('CREATE SEQUENCE', 'ALTER SEQUENCE') THEN 'Sequences'
      WHEN TG_TAG IN ('CREATE TRIGGER', 'ALTER TRIGGER') THEN 'Triggers'
      WHEN TG_TAG IN ('CREATE FOREIGN TABLE', 'CREATE SERVER', 'CREATE FOREIGN DATA WRAPPER',
                      'CREATE USER MAPPING', 'IMPORT FOREIGN SCHEMA')
        THEN 'Foreign data management (SQL/MED)'
      WHEN TG_TAG LIKE 'CREATE TEXT SEARCH %' THEN 'Full text search'
      WHEN TG_TAG = 'CREATE COLLATION' THEN 'Collations'
    END;
    IF feature IS NOT NULL THEN
      RAISE EXCEPTION '% is not supported by Amazon Redshift (unsupported PostgreSQL feature: %).',
        TG_TAG, feature USING ERRCODE = 'feature_not_supported';
    END IF;
    RETURN;
  END IF;
  FOR obj IN SELECT c.relkind, c.relispartition, c.reltablespace,
                    EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i WHERE i.inhrelid = c.oid) AS inherits
             FROM pg_catalog.pg_event_trigger_ddl_commands() d
             JOIN pg_catalog.pg_class c ON c.oid = d.objid
             WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objsubid = 0 LOOP
    IF obj.relkind = 'p' OR obj.relispartition THEN
      what := 'PARTITION BY'; feature := 'Table partitioning';
    ELSIF obj.inherits THEN
      what := 'INHERITS'; feature := 'Inheritance';
    ELSIF obj.reltablespace <> 0 AND obj.relkind IN ('r', 'm') THEN
      what := 'TABLESPACE'; feature := 'Tablespaces';
    END IF;
    IF feature IS NOT NULL THEN
      RAISE EXCEPTION '% is not supported by Amazon Redshift (unsupported PostgreSQL feature: %).',
        what, feature USING ERRCODE = 'feature_not_supported';
    END IF;
  END LOOP;
END $refuse$;
DROP EVENT TRIGGER IF EXISTS emulator_refuse_unsupported_ddl_start;
CREATE EVENT TRIGGER emulator_refuse_unsupported_ddl_start ON ddl_command_start
  WHEN TAG IN ('CREATE INDEX', 'CREATE SEQUENCE', 'ALTER SEQUENCE', 'CREATE TRIGGER', 'ALTER TRIGGER',
               'CREATE FOREIGN TABLE', 'CREATE SERVER', 'CREATE FOREIGN DATA WRAPPER',
               'CREATE USER MAPPING', 'IMPORT FOREIGN SCHEMA', 'CREATE TEXT SEARCH CONFIGURATION',
               'CREATE TEXT SEARCH DICTIONARY', 'CREATE TEXT SEARCH PARSER',
               'CREATE TEXT SEARCH TEMPLATE', 'CREATE COLLATION')
  EXECUTE FUNCTION pg_catalog.emulator_refuse_unsupported_ddl();
DROP EVENT TRIGGER IF EXISTS emulator_refuse_unsupported_ddl_end;
CREATE EVENT TRIGGER emulator_refuse_unsupported_ddl_end ON ddl_command_end
  WHEN TAG IN ('CREATE TABLE', 'ALTER TABLE')
  EXECUTE FUNCTION pg_catalog.emulator_refuse_unsupported_ddl();

GRANT SELECT ON pg_catalog.svv_external_schemas, pg_catalog.svv_external_tables,
  pg_catalog.svv_external_columns, pg_catalog.emulator_local_tables, pg_catalog.emulator_local_columns,
  pg_catalog.svv_redshift_tables, pg_catalog.svv_redshift_columns, pg_catalog.svv_tables,
  pg_catalog.svv_columns, pg_catalog.svv_all_columns, pg_catalog.svv_table_info, pg_catalog.svv_mv_info,
  pg_catalog.svv_redshift_databases, pg_catalog.svv_datashares, pg_catalog.svv_column_privileges TO PUBLIC;
RESET allow_system_table_mods;
)SQL";

}  // namespace schemaport::emulator
