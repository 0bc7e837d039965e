// Keys through the connector and the emulator: Redshift's informational primary key, unique and
// foreign key constraints of the selected tables (TICKIT's documented keys), a schema with no
// declared keys (inference), and the never-the-data check (statement log, pg_stat_user_tables).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "aws/aws.h"
#include "datamap/datamap.h"
#include "support/support.h"
#include "warehouse/redshift/redshift.h"
#include "warehouse/warehouse.h"

namespace schemaport::testing {
namespace {

using namespace std::chrono_literals;
using warehouse::Catalog;
using warehouse::ConstraintKind;
using warehouse::FetchRequest;
using warehouse::TableRef;

constexpr char kAliceKey[] = "AKIAALICE0000000000";
constexpr char kAliceSecret[] = "alice-secret-key-0000000000000000000000";

// TICKIT with its keys (Redshift accepts these informational constraints as PostgreSQL does),
// and a schema without declared keys.
constexpr char kFixtureSql[] = R"sql(
CREATE TABLE public.users (userid integer NOT NULL PRIMARY KEY, username char(8), email varchar(100) UNIQUE);
CREATE TABLE public.venue (venueid smallint NOT NULL PRIMARY KEY, venuename varchar(100));
CREATE TABLE public.category (catid smallint NOT NULL PRIMARY KEY, catname varchar(10));
CREATE TABLE public.date (dateid smallint NOT NULL PRIMARY KEY, caldate date NOT NULL);
CREATE TABLE public.event (eventid integer NOT NULL PRIMARY KEY,
  venueid smallint NOT NULL REFERENCES public.venue (venueid),
  catid smallint NOT NULL REFERENCES public.category (catid),
  dateid smallint NOT NULL REFERENCES public.date (dateid),
  eventname varchar(200));
CREATE TABLE public.listing (listid integer NOT NULL PRIMARY KEY,
  sellerid integer NOT NULL REFERENCES public.users (userid),
  eventid integer NOT NULL REFERENCES public.event (eventid),
  dateid smallint NOT NULL REFERENCES public.date (dateid),
  priceperticket decimal(8,2));
CREATE TABLE public.sales (salesid integer NOT NULL, listid integer NOT NULL REFERENCES public.listing (listid),
  sellerid integer NOT NULL, buyerid integer NOT NULL, eventid integer NOT NULL, dateid smallint NOT NULL,
  qtysold smallint NOT NULL, pricepaid decimal(8,2),
  CONSTRAINT sales_pk PRIMARY KEY (salesid),
  CONSTRAINT sales_seller_event_fk FOREIGN KEY (sellerid, eventid) REFERENCES public.seller_event (sid, eid));
INSERT INTO public.users VALUES (1, 'u1', 'u1@example.com');
CREATE SCHEMA nokeys;
CREATE TABLE nokeys.customers (customer_id integer, name varchar(50));
CREATE TABLE nokeys.orders (order_id bigint, customer_id integer, amount decimal(10,2));
)sql";

// sales references a composite key of a table created first here.
constexpr char kPreludeSql[] = R"sql(
CREATE TABLE public.seller_event (sid integer NOT NULL, eid integer NOT NULL, note varchar(10),
  PRIMARY KEY (sid, eid));
)sql";

class RedshiftKeysTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    PgCluster& pg = SharedPgCluster();
    auto db = pg.CreateDatabase("keys");
    ASSERT_TRUE(db.ok()) << db.status();
    database_ = new std::string(*db);
    ASSERT_TRUE(pg.Exec(*database_, std::string(kPreludeSql) + kFixtureSql).ok());
  }
  static void TearDownTestSuite() {
    delete database_;
    database_ = nullptr;
  }

  void SetUp() override {
    PgCluster& pg = SharedPgCluster();
    auto emu = Emulator::Start(fmt::format(R"(account_id = "123456789012"
region = "us-east-1"
seed = 7
[postgres]
host = "127.0.0.1"
port = {}
superuser = "{}"
[[users]]
name = "alice"
access_key_id = "{}"
secret_access_key = "{}"
allow = ["redshift-data:*", "redshift-serverless:GetCredentials"]
[[workgroups]]
name = "analytics"
databases = {{ "{db}" = "{db}" }}
)",
                                           pg.port(), pg.superuser(), kAliceKey, kAliceSecret,
                                           fmt::arg("db", *database_)));
    ASSERT_TRUE(emu.ok()) << emu.status();
    emu_ = std::move(emu).value();
    auto http = aws::CurlHttpClient::Create({});
    ASSERT_TRUE(http.ok());
    deps_.http = std::shared_ptr<aws::HttpClient>(std::move(http).value());
    deps_.endpoints.endpoint_url = emu_->EndpointUrl();
    deps_.clock = &clock_;
    deps_.random = &random_;
    deps_.session_keep_alive_seconds = 1;
    ASSERT_TRUE(registry_.Register(warehouse::redshift::MakeConnectorType(deps_)).ok());
  }

  Catalog Fetch(std::optional<std::set<TableRef>> selection) {
    warehouse::ConnectionSettings s;
    s.values["access_key_id"] = kAliceKey;
    s.secrets["secret_access_key"] = Secret(kAliceSecret);
    s.values["region"] = "us-east-1";
    s.values["workgroup"] = "analytics";
    s.values["database"] = *database_;
    auto connector = registry_.Create("redshift", s);
    EXPECT_TRUE(connector.ok()) << connector.status();
    if (!connector.ok()) return {};
    FetchRequest request;
    request.databases = {*database_};
    request.selection = std::move(selection);
    auto catalog = (*connector)->Fetch(request);
    EXPECT_TRUE(catalog.ok()) << catalog.status();
    return catalog.ok() ? *catalog : Catalog{};
  }

  static const warehouse::Table* Find(const Catalog& c, std::string_view schema,
                                      std::string_view table) {
    for (const auto& s : c.databases.at(0).schemas) {
      for (const auto& t : s.tables) {
        if (s.name == schema && t.name == table) return &t;
      }
    }
    return nullptr;
  }

  static std::string* database_;
  std::unique_ptr<Emulator> emu_;
  SystemClock clock_;
  SeededRandom random_{3};
  warehouse::redshift::Dependencies deps_;
  warehouse::ConnectorRegistry registry_;
};

std::string* RedshiftKeysTest::database_ = nullptr;

TEST_F(RedshiftKeysTest, ReadsTheDeclaredKeysOfSelectedTablesOnly) {
  const std::string& db = *database_;
  const Catalog c = Fetch(std::set<TableRef>{{db, "public", "event"},
                                             {db, "public", "venue"},
                                             {db, "public", "sales"},
                                             {db, "public", "users"}});
  ASSERT_EQ(c.TableCount(), 4u);
  EXPECT_EQ(Find(c, "public", "listing"), nullptr);  // not selected: not read

  const auto* event = Find(c, "public", "event");
  ASSERT_NE(event, nullptr);
  ASSERT_EQ(event->constraints.size(), 4u);
  EXPECT_EQ(event->constraints[0].kind, ConstraintKind::kPrimaryKey);
  EXPECT_EQ(event->constraints[0].columns, std::vector<std::string>{"eventid"});
  std::map<std::string, std::pair<std::string, std::string>> fks;  // column -> (table, column)
  for (const auto& k : event->constraints) {
    if (k.kind == ConstraintKind::kForeignKey)
      fks[k.columns[0]] = {k.referenced_table, k.referenced_columns[0]};
  }
  EXPECT_EQ(fks["venueid"], std::make_pair(std::string("venue"), std::string("venueid")));
  EXPECT_EQ(fks["catid"], std::make_pair(std::string("category"),
                                         std::string("catid")));  // to an unselected table

  const auto* sales = Find(c, "public", "sales");
  ASSERT_NE(sales, nullptr);
  const warehouse::Constraint* composite = nullptr;
  for (const auto& k : sales->constraints) {
    if (k.name == "sales_seller_event_fk") composite = &k;
  }
  ASSERT_NE(composite, nullptr);
  EXPECT_EQ(composite->columns, (std::vector<std::string>{"sellerid", "eventid"}));
  EXPECT_EQ(composite->referenced_schema, "public");
  EXPECT_EQ(composite->referenced_columns, (std::vector<std::string>{"sid", "eid"}));

  const auto* users = Find(c, "public", "users");
  ASSERT_NE(users, nullptr);
  ASSERT_EQ(users->constraints.size(), 2u);
  EXPECT_EQ(users->constraints[1].kind, ConstraintKind::kUnique);
  EXPECT_EQ(users->constraints[1].columns, std::vector<std::string>{"email"});

  // Catalog JSON carries them (v2) and reads them back.
  auto back = warehouse::CatalogFromJson(warehouse::CatalogToJson(c));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, c);

  // The Data Map: declared relationships among the selected tables only.
  const datamap::DataMap map = datamap::BuildDataMap(c);
  std::set<std::string> declared;
  for (const auto& r : map.relationships) {
    EXPECT_TRUE(map.FindTable(r.to) != nullptr) << r.to.table;
    if (r.declared()) declared.insert(r.from.table + "." + r.from_columns[0] + "->" + r.to.table);
  }
  EXPECT_EQ(declared, (std::set<std::string>{"event.venueid->venue"}));
}

TEST_F(RedshiftKeysTest, InfersWhereNothingIsDeclaredAndNeverReadsTheData) {
  auto counters = [&] {
    auto rows = SharedPgCluster().Query(*database_,
                                        "SELECT schemaname || '.' || relname, seq_scan + "
                                        "coalesce(idx_scan, 0) FROM pg_stat_user_tables");
    EXPECT_TRUE(rows.ok()) << rows.status();
    std::map<std::string, std::int64_t> out;
    if (rows.ok()) {
      for (const auto& r : *rows) out[r[0]] = std::stoll(r[1]);
    }
    return out;
  };
  auto backends_ended = [&] {
    return WaitUntil(
        [&] {
          auto rows = SharedPgCluster().Query(
              "postgres",
              "SELECT count(*) FROM pg_stat_activity WHERE datname = '" + *database_ + "'");
          return rows.ok() && (*rows)[0][0] == "0";
        },
        60s);
  };
  ASSERT_TRUE(backends_ended());
  const auto before = counters();
  ASSERT_TRUE(emu_->Admin("DELETE", "/statements").ok());

  const Catalog c = Fetch(std::nullopt);
  ASSERT_NE(Find(c, "nokeys", "orders"), nullptr);
  EXPECT_TRUE(Find(c, "nokeys", "orders")->constraints.empty());
  const datamap::DataMap map = datamap::BuildDataMap(c);
  const datamap::Relationship* inferred = nullptr;
  for (const auto& r : map.relationships) {
    if (r.from.schema == "nokeys" && r.from.table == "orders" && r.from_columns[0] == "customer_id")
      inferred = &r;
  }
  ASSERT_NE(inferred, nullptr);
  EXPECT_EQ(inferred->status, datamap::RelationshipStatus::kInferred);
  EXPECT_EQ(inferred->to.table, "customers");
  EXPECT_EQ(inferred->to_columns, std::vector<std::string>{"customer_id"});

  emu_.reset();
  ASSERT_TRUE(backends_ended());
  for (const auto& [table, scans] : counters()) {
    EXPECT_EQ(scans, before.at(table)) << table << " was scanned";
  }
}

TEST_F(RedshiftKeysTest, KeysStatementReadsOnlyTheCatalog) {
  ASSERT_TRUE(emu_->Admin("DELETE", "/statements").ok());
  Fetch(std::set<TableRef>{{*database_, "public", "event"}});
  auto log = emu_->Admin("GET", "/statements");
  ASSERT_TRUE(log.ok());
  bool saw_keys = false;
  const nlohmann::json parsed = nlohmann::json::parse(*log);
  for (const auto& st : parsed["statements"]) {
    const std::string sql = st["sql"];
    if (sql.find("pg_catalog.pg_constraint") != std::string::npos) saw_keys = true;
    for (const char* user_table : {"public.", "nokeys."})
      EXPECT_EQ(sql.find(user_table), std::string::npos) << sql;
  }
  EXPECT_TRUE(saw_keys);
}

}  // namespace
}  // namespace schemaport::testing
