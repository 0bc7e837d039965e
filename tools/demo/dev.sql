-- The demo warehouse's first database, `dev`: the TICKIT sample schema of the Amazon Redshift
-- Database Developer Guide ("Sample database"), with its informational primary and foreign keys
-- and column comments, plus the shapes a real Redshift warehouse shows and a PostgreSQL one does
-- not: a late-binding view, a materialized view, an external (Spectrum) schema and a table the
-- demo IAM user may not SELECT.
--
-- Loaded by `schemaport demo` as the PostgreSQL superuser after the aws-emulator has installed
-- its Redshift catalog objects (pg_catalog.emulator_* fixture tables). The rows are made up and
-- few: schemaport never reads them (metadata, never data).

CREATE SCHEMA tickit;
COMMENT ON SCHEMA tickit IS 'TICKIT: a fictional web site where users buy and sell event tickets';

CREATE TABLE tickit.users (
  userid integer NOT NULL PRIMARY KEY,
  username char(8),
  firstname varchar(30),
  lastname varchar(30),
  city varchar(30),
  state char(2),
  email varchar(100),
  phone char(14),
  likesports boolean,
  liketheatre boolean,
  likeconcerts boolean,
  likejazz boolean,
  likeclassical boolean,
  likeopera boolean,
  likerock boolean,
  likevegas boolean,
  likebroadway boolean,
  likemusicals boolean);
COMMENT ON TABLE tickit.users IS 'Registered users (buyers and sellers)';
COMMENT ON COLUMN tickit.users.userid IS 'Primary key: a unique ID value for each row; each row is a registered user';
COMMENT ON COLUMN tickit.users.username IS 'An 8-character alphanumeric user name, such as PGL08LJI';
COMMENT ON COLUMN tickit.users.state IS 'Two-character state abbreviation, such as GA';
COMMENT ON COLUMN tickit.users.likesports IS 'Whether the user likes sports';

CREATE TABLE tickit.venue (
  venueid smallint NOT NULL PRIMARY KEY,
  venuename varchar(100),
  venuecity varchar(30),
  venuestate char(2),
  venueseats integer);
COMMENT ON TABLE tickit.venue IS 'Venues where events take place';
COMMENT ON COLUMN tickit.venue.venueid IS 'Primary key: a unique ID value for each row; each row is a venue';
COMMENT ON COLUMN tickit.venue.venueseats IS 'Maximum number of seats available at the venue, if known';

CREATE TABLE tickit.category (
  catid smallint NOT NULL PRIMARY KEY,
  catgroup varchar(10),
  catname varchar(10),
  catdesc varchar(50));
COMMENT ON TABLE tickit.category IS 'Types of events for which tickets are bought and sold';
COMMENT ON COLUMN tickit.category.catgroup IS 'Descriptive name for a group of events, such as Shows and Sports';
COMMENT ON COLUMN tickit.category.catname IS 'Short descriptive name for a type of event within a group, such as Opera';

CREATE TABLE tickit.date (
  dateid smallint NOT NULL PRIMARY KEY,
  caldate date NOT NULL,
  day character(3) NOT NULL,
  week smallint NOT NULL,
  month character(5) NOT NULL,
  qtr character(5) NOT NULL,
  year smallint NOT NULL,
  holiday boolean DEFAULT false);
COMMENT ON TABLE tickit.date IS 'Calendar dates';
COMMENT ON COLUMN tickit.date.caldate IS 'Calendar date, such as 2008-06-24';
COMMENT ON COLUMN tickit.date.holiday IS 'Whether the day is a public holiday (U.S.)';

CREATE TABLE tickit.event (
  eventid integer NOT NULL PRIMARY KEY,
  venueid smallint NOT NULL REFERENCES tickit.venue (venueid),
  catid smallint NOT NULL REFERENCES tickit.category (catid),
  dateid smallint NOT NULL REFERENCES tickit.date (dateid),
  eventname varchar(200),
  starttime timestamp);
COMMENT ON TABLE tickit.event IS 'Events: a performance at a venue on a date';
COMMENT ON COLUMN tickit.event.eventname IS 'Name of the event, such as Hamlet or La Traviata';
COMMENT ON COLUMN tickit.event.starttime IS 'Full date and start time of the event, such as 2008-10-10 19:30:00';

CREATE TABLE tickit.listing (
  listid integer NOT NULL PRIMARY KEY,
  sellerid integer NOT NULL REFERENCES tickit.users (userid),
  eventid integer NOT NULL REFERENCES tickit.event (eventid),
  dateid smallint NOT NULL REFERENCES tickit.date (dateid),
  numtickets smallint NOT NULL,
  priceperticket decimal(8,2),
  totalprice decimal(8,2),
  listtime timestamp);
COMMENT ON TABLE tickit.listing IS 'Fact table: batches of tickets offered for sale';
COMMENT ON COLUMN tickit.listing.numtickets IS 'The number of tickets available for sale';
COMMENT ON COLUMN tickit.listing.priceperticket IS 'The fixed price of an individual ticket';

CREATE TABLE tickit.sales (
  salesid integer NOT NULL PRIMARY KEY,
  listid integer NOT NULL REFERENCES tickit.listing (listid),
  sellerid integer NOT NULL REFERENCES tickit.users (userid),
  buyerid integer NOT NULL REFERENCES tickit.users (userid),
  eventid integer NOT NULL REFERENCES tickit.event (eventid),
  dateid smallint NOT NULL REFERENCES tickit.date (dateid),
  qtysold smallint NOT NULL,
  pricepaid decimal(8,2),
  commission decimal(8,2),
  saletime timestamp);
COMMENT ON TABLE tickit.sales IS 'Fact table: ticket sales';
COMMENT ON COLUMN tickit.sales.qtysold IS 'The number of tickets that were sold, from 1 to 8';
COMMENT ON COLUMN tickit.sales.commission IS 'The 15% commission that the business collects from the sale';

-- A few made-up rows, consistent with the keys.
INSERT INTO tickit.users (userid, username, firstname, lastname, city, state, email, likesports) VALUES
  (1, 'JSG99FHE', 'Rafael', 'Taylor', 'Kent', 'WA', 'rafael@example.com', true),
  (2, 'PGL08LJI', 'Vladimir', 'Humphrey', 'Murfreesboro', 'SK', 'vladimir@example.com', false);
INSERT INTO tickit.venue VALUES (1, 'Toyota Park', 'Bridgeview', 'IL', 0);
INSERT INTO tickit.category VALUES (9, 'Concerts', 'Pop', 'All rock and pop music concerts');
INSERT INTO tickit.date VALUES (1827, '2008-01-01', 'TU', 1, 'JAN', '1', 2008, true);
INSERT INTO tickit.event VALUES (1, 1, 9, 1827, 'Gotterdammerung', '2008-01-25 14:30:00');
INSERT INTO tickit.listing VALUES (1, 1, 1, 1827, 4, 90.00, 360.00, '2008-01-24 06:43:29');
INSERT INTO tickit.sales VALUES (1, 1, 1, 2, 1, 1827, 2, 180.00, 27.00, '2008-01-25 02:36:17');

-- A plain view.
CREATE VIEW tickit.event_sales AS
  SELECT e.eventid, e.eventname, sum(s.qtysold) AS tickets_sold, sum(s.pricepaid) AS revenue
  FROM tickit.event e JOIN tickit.sales s ON s.eventid = e.eventid
  GROUP BY e.eventid, e.eventname;
COMMENT ON VIEW tickit.event_sales IS 'Tickets sold and revenue per event';

-- A late-binding view (CREATE VIEW ... WITH NO SCHEMA BINDING on Redshift): its columns are
-- known only to pg_get_late_binding_view_cols(), declared in the emulator's fixture table.
CREATE VIEW tickit.top_sellers AS
  SELECT sellerid, sum(qtysold)::bigint AS tickets_sold FROM tickit.sales GROUP BY sellerid;
INSERT INTO pg_catalog.emulator_late_binding_view_cols VALUES
  ('tickit', 'top_sellers', 'sellerid', 'integer', 1),
  ('tickit', 'top_sellers', 'tickets_sold', 'bigint', 2);

-- A materialized view as Redshift stores it: a view (relkind 'v') and its backing table
-- mv_tbl__<name>__0, listed by svv_mv_info. The emulator's declaring function builds that shape
-- where it has one; otherwise the same shape is built here.
DO $mv$
BEGIN
  IF to_regprocedure('pg_catalog.emulator_create_materialized_view(name,name,text,name)') IS NOT NULL THEN
    PERFORM pg_catalog.emulator_create_materialized_view('tickit', 'sales_by_category',
      'SELECT c.catgroup, c.catname, sum(s.pricepaid) AS revenue FROM tickit.sales s '
      'JOIN tickit.event e ON e.eventid = s.eventid JOIN tickit.category c ON c.catid = e.catid '
      'GROUP BY c.catgroup, c.catname');
  ELSE
    CREATE VIEW tickit.sales_by_category AS
      SELECT c.catgroup, c.catname, sum(s.pricepaid) AS revenue FROM tickit.sales s
      JOIN tickit.event e ON e.eventid = s.eventid JOIN tickit.category c ON c.catid = e.catid
      GROUP BY c.catgroup, c.catname;
    CREATE TABLE tickit.mv_tbl__sales_by_category__0 AS
      SELECT * FROM tickit.sales_by_category WITH NO DATA;
  END IF;
END $mv$;
COMMENT ON VIEW tickit.sales_by_category IS 'Materialized: revenue per event category';

-- A table the demo IAM user may not SELECT (the connection test's last step and the tree's
-- `no SELECT` badge show it).
CREATE TABLE tickit.seller_payouts (
  sellerid integer NOT NULL REFERENCES tickit.users (userid),
  iban varchar(34),
  amount decimal(12,2));
COMMENT ON TABLE tickit.seller_payouts IS 'Payouts to sellers (finance only)';

GRANT USAGE ON SCHEMA tickit TO PUBLIC;
GRANT SELECT ON tickit.users, tickit.venue, tickit.category, tickit.date, tickit.event,
  tickit.listing, tickit.sales, tickit.event_sales, tickit.top_sellers, tickit.sales_by_category
  TO PUBLIC;

-- An external schema (CREATE EXTERNAL SCHEMA spectrum FROM DATA CATALOG DATABASE 'tickit_archive')
-- with one external table over Parquet files in S3.
INSERT INTO pg_catalog.emulator_external_schemas (schemaname, databasename, esoptions) VALUES
  ('spectrum', 'tickit_archive', '{"IAM_ROLE":"arn:aws:iam::123456789012:role/spectrum-reader"}');
INSERT INTO pg_catalog.emulator_external_tables (redshift_database_name, schemaname, tablename,
    location, input_format, output_format, serialization_lib) VALUES
  ('dev', 'spectrum', 'sales_2007', 's3://tickit-archive/sales/2007/',
   'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
   'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
   'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe');
INSERT INTO pg_catalog.emulator_external_columns (redshift_database_name, schemaname, tablename,
    columnname, external_type, columnnum) VALUES
  ('dev', 'spectrum', 'sales_2007', 'salesid', 'int', 1),
  ('dev', 'spectrum', 'sales_2007', 'eventid', 'int', 2),
  ('dev', 'spectrum', 'sales_2007', 'pricepaid', 'decimal(8,2)', 3),
  ('dev', 'spectrum', 'sales_2007', 'saletime', 'timestamp', 4);
