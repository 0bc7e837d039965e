// The Data Map hand-off end to end:
//   - `schemaport mcp` over a prepared store (saved tables and the users' decisions), driven by
//     the official MCP TypeScript SDK (tests/js/mcp/client.mjs) as the client;
//   - the annotated DDL export run through a real PostgreSQL (it must execute, and the keys and
//     comments it declares must be there afterwards).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <iostream>

#include "datamap/datamap.h"
#include "runtime/runtime.h"
#include "support/support.h"
#include "warehouse/redshift/types.h"

namespace schemaport {
namespace {

using testing::ChildProcess;
using testing::SharedPgCluster;
using testing::TempDir;
using warehouse::Column;
using warehouse::Constraint;
using warehouse::ConstraintKind;
using warehouse::Table;
using warehouse::TableRef;
using warehouse::TypeFamily;

std::filesystem::path SourceDir() {
  const char* dir = std::getenv("SCHEMAPORT_SOURCE_DIR");
  return dir != nullptr ? dir : ".";
}
std::filesystem::path BinDir() {
  const char* dir = std::getenv("SCHEMAPORT_BIN_DIR");
  return dir != nullptr ? dir : "build/bin";
}

Column Col(int pos, std::string name, std::string type, bool nullable = true,
           std::optional<std::string> comment = std::nullopt) {
  Column c;
  c.position = pos;
  c.name = std::move(name);
  c.family = warehouse::redshift::TypeFamilyOf(type);
  c.type = std::move(type);
  c.nullable = nullable;
  c.comment = std::move(comment);
  return c;
}
Constraint Pk(std::string table, std::string column) {
  return Constraint{ConstraintKind::kPrimaryKey, table + "_pkey", {std::move(column)}, "", "", {}};
}
Constraint Fk(std::string name, std::string column, std::string table, std::string ref_column) {
  return Constraint{
      ConstraintKind::kForeignKey, std::move(name), {std::move(column)}, "public", std::move(table),
      {std::move(ref_column)}};
}
Table Tab(std::string name, std::vector<Column> cols, std::vector<Constraint> keys = {},
          std::optional<std::string> comment = std::nullopt) {
  Table t;
  t.name = std::move(name);
  t.columns = std::move(cols);
  t.constraints = std::move(keys);
  t.comment = std::move(comment);
  t.columns_loaded = true;
  return t;
}

// The TICKIT sample's tables with their keys (primary keys, and the foreign keys between them),
// a table without declared keys (web_visits: inference) and one with awkward names.
std::vector<std::pair<std::string, Table>> Tickit() {
  std::vector<std::pair<std::string, Table>> t;
  t.emplace_back(
      "public",
      Tab("users",
          {Col(1, "userid", "integer", false), Col(2, "username", "character(8)"),
           Col(3, "firstname", "character varying(30)"), Col(4, "email", "character varying(100)")},
          {Pk("users", "userid")}));
  t.emplace_back(
      "public",
      Tab("venue",
          {Col(1, "venueid", "smallint", false), Col(2, "venuename", "character varying(100)"),
           Col(3, "venuecity", "character varying(30)"), Col(4, "venueseats", "integer")},
          {Pk("venue", "venueid")}));
  t.emplace_back("public", Tab("category",
                               {Col(1, "catid", "smallint", false),
                                Col(2, "catgroup", "character varying(10)"),
                                Col(3, "catname", "character varying(10)")},
                               {Pk("category", "catid")}));
  t.emplace_back("public", Tab("date",
                               {Col(1, "dateid", "smallint", false),
                                Col(2, "caldate", "date", false), Col(3, "holiday", "boolean")},
                               {Pk("date", "dateid")}));
  t.emplace_back("public",
                 Tab("event",
                     {Col(1, "eventid", "integer", false), Col(2, "venueid", "smallint", false),
                      Col(3, "catid", "smallint", false), Col(4, "dateid", "smallint", false),
                      Col(5, "eventname", "character varying(200)")},
                     {Pk("event", "eventid"), Fk("event_venue_fk", "venueid", "venue", "venueid"),
                      Fk("event_category_fk", "catid", "category", "catid"),
                      Fk("event_date_fk", "dateid", "date", "dateid")}));
  t.emplace_back(
      "public",
      Tab("listing",
          {Col(1, "listid", "integer", false), Col(2, "sellerid", "integer", false),
           Col(3, "eventid", "integer", false), Col(4, "dateid", "smallint", false),
           Col(5, "numtickets", "smallint", false), Col(6, "priceperticket", "numeric(8,2)")},
          {Pk("listing", "listid"), Fk("listing_seller_fk", "sellerid", "users", "userid"),
           Fk("listing_event_fk", "eventid", "event", "eventid"),
           Fk("listing_date_fk", "dateid", "date", "dateid")}));
  t.emplace_back("public",
                 Tab("sales",
                     {Col(1, "salesid", "integer", false), Col(2, "listid", "integer", false),
                      Col(3, "sellerid", "integer", false), Col(4, "buyerid", "integer", false),
                      Col(5, "eventid", "integer", false), Col(6, "dateid", "smallint", false),
                      Col(7, "qtysold", "smallint", false), Col(8, "pricepaid", "numeric(8,2)"),
                      Col(9, "commission", "numeric(8,2)", true, "the seller's 15% fee")},
                     {Pk("sales", "salesid"), Fk("sales_listing_fk", "listid", "listing", "listid"),
                      Fk("sales_seller_fk", "sellerid", "users", "userid"),
                      Fk("sales_buyer_fk", "buyerid", "users", "userid"),
                      Fk("sales_event_fk", "eventid", "event", "eventid"),
                      Fk("sales_date_fk", "dateid", "date", "dateid")},
                     "one row per ticket sale"));
  t.emplace_back("public", Tab("web_visits",
                               {Col(1, "visit_id", "bigint", false), Col(2, "eventid", "integer"),
                                Col(3, "user_id", "integer"), Col(4, "seconds", "integer")},
                               {}, "page views, no declared keys"));
  t.emplace_back("Odd \"schema\"",
                 Tab("Ünïcode table",
                     {Col(1, "Mixed \"Case\" col", "character varying(20)", true, "it's quoted")},
                     {}, "names that need quoting"));
  return t;
}

class DataMapIntegrationTest : public ::testing::Test {};

TEST_F(DataMapIntegrationTest, McpServesSavedMetadataToTheOfficialSdk) {
  ASSERT_TRUE(
      std::filesystem::exists(SourceDir() / "tests/js/node_modules/@modelcontextprotocol/sdk"))
      << "the pinned MCP SDK is not installed: run `npm ci` in tests/js";
  TempDir dir("schemaport-mcp");
  const std::string data = (dir / "data").string();
  std::string token, other_token;
  {
    runtime::Options options;
    options.data_dir_override = data;
    auto w = runtime::Wire(options, Environment{});
    ASSERT_TRUE(w.ok()) << w.status();
    store::Store& s = *(*w)->store;
    auto org = s.CreateOrg("Acme");
    ASSERT_TRUE(org.ok()) << org.status();
    auto user = s.CreateUser(org->id, "analyst@example.com", store::Role::kMember,
                             Secret("correct horse battery"));
    ASSERT_TRUE(user.ok()) << user.status();
    auto issued = s.CreateApiToken(user->id, "assistant", std::nullopt);
    ASSERT_TRUE(issued.ok()) << issued.status();
    token = issued->secret.Reveal();
    store::Connection c;
    c.org_id = org->id;
    c.data_store_type = "redshift";
    c.name = "tickit prod";
    auto conn = s.CreateConnection(c);
    ASSERT_TRUE(conn.ok()) << conn.status();
    std::vector<store::SavedTable> saved;
    for (const auto& [schema, table] : Tickit()) {
      saved.push_back(datamap::ToSavedTable(TableRef{"dev", schema, table.name}, table));
    }
    ASSERT_TRUE(s.ReplaceSavedTables(org->id, conn->id, saved).ok());
    // The users' decisions, as the service keeps them: web_visits.eventid -> event accepted
    // (a fact now), web_visits.user_id -> users rejected (not a fact, not described).
    {
      auto catalog = datamap::CatalogFromSavedTables(saved);
      ASSERT_TRUE(catalog.ok()) << catalog.status();
      datamap::Decisions decisions;
      for (const auto& r : datamap::InferRelationships(*catalog)) {
        if (r.from.table != "web_visits") continue;
        if (r.from_columns == std::vector<std::string>{"eventid"} && r.to.table == "event") {
          decisions.relationships[r.id] = datamap::Decision::kAccept;
        }
        if (r.from_columns == std::vector<std::string>{"user_id"} && r.to.table == "users") {
          decisions.relationships[r.id] = datamap::Decision::kReject;
        }
      }
      ASSERT_EQ(decisions.relationships.size(), 2u) << "web_visits' inferred relationships";
      ASSERT_TRUE(s.PutConnectionDocument(org->id, conn->id,
                                          std::string(datamap::kDecisionsDocument),
                                          datamap::DecisionsToJson(decisions))
                      .ok());
    }
    // A fetched but unselected table: its name is kept with the fetch, never served.
    store::FetchedCatalog fetched;
    fetched.connection_id = conn->id;
    fetched.org_id = org->id;
    fetched.fetched_at = (*w)->clock.Now();
    fetched.expires_at = fetched.fetched_at + std::chrono::hours(1);
    fetched.table_count = 1;
    fetched.document = R"({"tables":["dev.public.unsaved_secret"]})";
    ASSERT_TRUE(s.PutCatalog(fetched).ok());

    auto other = s.CreateOrg("Other");
    ASSERT_TRUE(other.ok());
    auto other_user = s.CreateUser(other->id, "o@example.com", store::Role::kAdmin,
                                   Secret("another long password"));
    ASSERT_TRUE(other_user.ok());
    auto other_issued = s.CreateApiToken(other_user->id, "theirs", std::nullopt);
    ASSERT_TRUE(other_issued.ok());
    other_token = other_issued->secret.Reveal();
    store::Connection oc;
    oc.org_id = other->id;
    oc.data_store_type = "redshift";
    oc.name = "other";
    auto oconn = s.CreateConnection(oc);
    ASSERT_TRUE(oconn.ok());
    ASSERT_TRUE(s.ReplaceSavedTables(
                     other->id, oconn->id,
                     {datamap::ToSavedTable(TableRef{"dev", "public", "other_org_table"},
                                            Tab("other_org_table", {Col(1, "id", "integer")}))})
                    .ok());
  }

  ChildProcess::Options o;
  o.argv = {"/usr/bin/env", "node", "--test", "--test-reporter=spec",
            (SourceDir() / "tests/js/mcp/client.mjs").string()};
  o.env = {{"SCHEMAPORT_BIN", (BinDir() / "schemaport").string()},
           {"SCHEMAPORT_DATA_DIR", data},
           {"SCHEMAPORT_TOKEN", token},
           {"OTHER_ORG_TOKEN", other_token}};
  o.log_path = dir / "client.log";
  o.working_dir = SourceDir() / "tests/js";
  auto proc = ChildProcess::Start(o);
  ASSERT_TRUE(proc.ok()) << proc.status();
  auto status = (*proc)->Wait(std::chrono::seconds(120));
  std::cout << "---- tests/js/mcp/client.mjs ----\n" << (*proc)->Log();
  ASSERT_TRUE(status.ok()) << "the MCP client timed out";
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
}

TEST_F(DataMapIntegrationTest, AnnotatedDdlRunsOnPostgresAndDeclaresWhatItSays) {
  warehouse::Catalog catalog;
  warehouse::Database dev{"dev", {}};
  std::map<std::string, warehouse::Schema> schemas;
  for (auto& [schema, table] : Tickit()) {
    // PostgreSQL has no Redshift-only types; these fixtures use types both share.
    schemas[schema].name = schema;
    schemas[schema].tables.push_back(std::move(table));
  }
  for (auto& [_, s] : schemas) dev.schemas.push_back(std::move(s));
  catalog.databases.push_back(std::move(dev));
  const datamap::DataMap map = datamap::BuildDataMap(catalog);
  const std::string ddl = datamap::Export(map, datamap::ExportFormat::kDdl);

  auto& pg = SharedPgCluster();
  auto db = pg.CreateDatabase("ddl");
  ASSERT_TRUE(db.ok()) << db.status();
  const Status ran = pg.Exec(*db, ddl);
  ASSERT_TRUE(ran.ok()) << ran << "\n" << ddl;

  auto fks = pg.Query(*db, "SELECT conname FROM pg_constraint WHERE contype = 'f' ORDER BY 1");
  ASSERT_TRUE(fks.ok()) << fks.status();
  std::vector<std::string> names;
  for (const auto& row : *fks) names.push_back(row[0]);
  EXPECT_EQ(names, (std::vector<std::string>{
                       "event_category_fk", "event_date_fk", "event_venue_fk", "listing_date_fk",
                       "listing_event_fk", "listing_seller_fk", "sales_buyer_fk", "sales_date_fk",
                       "sales_event_fk", "sales_listing_fk", "sales_seller_fk"}));
  auto pks = pg.Query(*db,
                      "SELECT count(*) FROM pg_constraint WHERE contype = 'p' AND connamespace <> "
                      "'pg_catalog'::regnamespace");
  ASSERT_TRUE(pks.ok());
  EXPECT_EQ((*pks)[0][0], "7");
  auto comment =
      pg.Query(*db,
               "SELECT col_description('\"Odd \"\"schema\"\"\".\"Ünïcode table\"'::regclass, 1), "
               "obj_description('public.sales'::regclass, 'pg_class')");
  ASSERT_TRUE(comment.ok()) << comment.status();
  EXPECT_EQ((*comment)[0][0], "it's quoted");
  EXPECT_EQ((*comment)[0][1], "one row per ticket sale");
  // Inferred, undecided relationships are notes, not constraints.
  EXPECT_NE(ddl.find("-> dev.public.event (eventid) [inferred, confidence"), std::string::npos);
}

}  // namespace
}  // namespace schemaport
