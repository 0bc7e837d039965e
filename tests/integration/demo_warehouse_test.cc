// The demo's sample warehouse (tools/demo/), loaded as `schemaport demo` loads it, read through
// the aws-emulator by the Redshift connector: every shape the demo promises is there, as Redshift
// shows it, and the demo IAM user passes the connection test.
#include <gtest/gtest.h>

#include <algorithm>

#include "aws/aws.h"
#include "demo/demo.h"
#include "support/support.h"
#include "warehouse/redshift/redshift.h"
#include "warehouse/warehouse.h"

namespace schemaport::testing {
namespace {

using warehouse::SchemaKind;
using warehouse::TableKind;

constexpr char kKeyId[] = "AKIADEMOTEST0000TEST";
constexpr char kSecret[] = "demo-test-secret-key-00000000000000000000";

const warehouse::Table* FindTable(const warehouse::Catalog& c, std::string_view db,
                                  std::string_view schema, std::string_view table) {
  for (const auto& d : c.databases) {
    if (d.name != db) continue;
    for (const auto& s : d.schemas) {
      if (s.name != schema) continue;
      for (const auto& t : s.tables) {
        if (t.name == table) return &t;
      }
    }
  }
  return nullptr;
}

TEST(DemoWarehouseTest, SampleWarehouseShowsEveryRedshiftShapeThroughTheEmulator) {
  PgCluster& pg = SharedPgCluster();
  for (const auto& db : demo::SampleDatabases()) {
    ASSERT_TRUE(pg.Exec("postgres", "CREATE DATABASE " + QuoteSqlIdentifier(db.name)).ok());
  }
  demo::EmulatorSettings settings;
  settings.postgres_port = pg.port();
  settings.postgres_superuser = pg.superuser();
  settings.access_key_id = kKeyId;
  settings.secret_access_key = kSecret;
  // The emulator installs its catalog objects at start; then the fixtures fill them.
  auto emu = Emulator::Start(demo::EmulatorConfig(settings));
  ASSERT_TRUE(emu.ok()) << emu.status();
  for (const auto& db : demo::SampleDatabases()) {
    Status st = pg.Exec(db.name, db.sql);
    ASSERT_TRUE(st.ok()) << db.name << ": " << st;
  }

  SystemClock clock;
  SystemRandom random;
  warehouse::redshift::Dependencies deps;
  auto http = aws::CurlHttpClient::Create({});
  ASSERT_TRUE(http.ok());
  deps.http = std::shared_ptr<aws::HttpClient>(std::move(http).value());
  deps.endpoints.endpoint_url = (*emu)->EndpointUrl();
  deps.clock = &clock;
  deps.random = &random;
  warehouse::ConnectorRegistry registry;
  ASSERT_TRUE(registry.Register(warehouse::redshift::MakeConnectorType(deps)).ok());
  // Exactly what `schemaport demo` tells the user to paste into the Connect form.
  warehouse::ConnectionSettings s;
  s.values["access_key_id"] = kKeyId;
  s.secrets["secret_access_key"] = Secret(kSecret);
  s.values["region"] = demo::kRegion;
  s.values["workgroup"] = demo::kWorkgroup;
  s.values["database"] = demo::kDatabase;
  auto connector = registry.Create("redshift", s);
  ASSERT_TRUE(connector.ok()) << connector.status();

  auto report = (*connector)->Test();
  ASSERT_TRUE(report.ok()) << report.status();
  for (const auto& step : report->steps) {
    EXPECT_EQ(step.status, warehouse::StepStatus::kOk) << step.title << ": " << step.detail;
  }

  warehouse::FetchRequest request;
  request.depth = warehouse::FetchDepth::kColumns;
  auto catalog = (*connector)->Fetch(request);
  ASSERT_TRUE(catalog.ok()) << catalog.status();

  // TICKIT: seven tables with comments and their columns.
  for (const char* name : {"users", "venue", "category", "date", "event", "listing", "sales"}) {
    const auto* t = FindTable(*catalog, "dev", "tickit", name);
    ASSERT_NE(t, nullptr) << name;
    EXPECT_EQ(t->kind, TableKind::kTable) << name;
    EXPECT_TRUE(t->can_select) << name;
    EXPECT_TRUE(t->comment.has_value()) << name;
  }
  const auto* sales = FindTable(*catalog, "dev", "tickit", "sales");
  ASSERT_EQ(sales->columns.size(), 10u);
  EXPECT_EQ(sales->columns[6].name, "qtysold");
  EXPECT_EQ(sales->columns[6].comment.value_or(""),
            "The number of tickets that were sold, from 1 to 8");
  EXPECT_EQ(sales->columns[7].type, "numeric(8,2)");

  EXPECT_EQ(FindTable(*catalog, "dev", "tickit", "event_sales")->kind, TableKind::kView);
  const auto* late = FindTable(*catalog, "dev", "tickit", "top_sellers");
  ASSERT_NE(late, nullptr);
  EXPECT_EQ(late->kind, TableKind::kLateBindingView);
  ASSERT_EQ(late->columns.size(), 2u);
  EXPECT_EQ(late->columns[1].name, "tickets_sold");
  // Redshift shows a materialized view as a view with a backing table; the connector names the
  // kind only where the emulator models svv_mv_info.
  const auto* mv = FindTable(*catalog, "dev", "tickit", "sales_by_category");
  ASSERT_NE(mv, nullptr);
  EXPECT_TRUE(mv->kind == TableKind::kMaterializedView || mv->kind == TableKind::kView);

  const auto* payouts = FindTable(*catalog, "dev", "tickit", "seller_payouts");
  ASSERT_NE(payouts, nullptr);
  EXPECT_FALSE(payouts->can_select);

  const auto* external = FindTable(*catalog, "dev", "spectrum", "sales_2007");
  ASSERT_NE(external, nullptr);
  EXPECT_EQ(external->kind, TableKind::kExternalTable);
  EXPECT_EQ(external->columns.size(), 4u);

  // The second database, case-sensitive identifiers on: the quoted mixed-case names as stored.
  const auto* clicks = FindTable(*catalog, "marketing", "campaigns", "WebClicks");
  ASSERT_NE(clicks, nullptr);
  ASSERT_FALSE(clicks->columns.empty());
  EXPECT_EQ(clicks->columns[0].name, "ClickId");
  EXPECT_NE(FindTable(*catalog, "marketing", "campaigns", "campaign"), nullptr);
}

}  // namespace
}  // namespace schemaport::testing
