#include <gtest/gtest.h>

#include <sstream>

#include "warehouse/warehouse.h"

namespace schemaport::warehouse {
namespace {

Catalog Sample() {
  Catalog c;
  Database dev{"dev", {}};
  Schema sales{"Sales \"EU\"", SchemaKind::kLocal, std::nullopt, {}};
  Table orders;
  orders.name = "Örders.2026";
  orders.kind = TableKind::kTable;
  orders.comment = "all orders";
  orders.owner = "IAM:alice";
  orders.can_select = true;
  orders.columns_loaded = true;
  orders.columns.push_back(
      Column{1, "id", "bigint", TypeFamily::kInteger, false, std::nullopt, std::nullopt, true, 1});
  orders.columns.push_back(Column{2, "Amount", "numeric(38,2)", TypeFamily::kDecimal, true, "0",
                                  "in EUR", false, std::nullopt});
  orders.constraints.push_back(
      Constraint{ConstraintKind::kPrimaryKey, "orders_pkey", {"id"}, "", "", {}});
  orders.constraints.push_back(Constraint{
      ConstraintKind::kForeignKey, "orders_fk", {"Amount"}, "Sales \"EU\"", "lbv", {"x"}});
  sales.tables.push_back(orders);
  Table v;
  v.name = "lbv";
  v.kind = TableKind::kLateBindingView;
  v.owner = "bob";
  sales.tables.push_back(v);
  dev.schemas.push_back(sales);
  dev.schemas.push_back(Schema{"spectrum", SchemaKind::kExternal, "ext_db", {}});
  c.databases.push_back(dev);
  return c;
}

TEST(CatalogTest, JsonRoundTripsExactly) {
  const Catalog c = Sample();
  auto back = CatalogFromJson(CatalogToJson(c, 2));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, c);
  EXPECT_EQ(c.TableCount(), 2u);
  EXPECT_EQ(c.ColumnCount(), 2u);
}

TEST(CatalogTest, JsonEscapesAndRepairsStrings) {
  Catalog c = Sample();
  c.databases[0].schemas[0].tables[0].comment =
      std::string("tab\there \"q\" back\\slash \x01 bad\xff utf8 ✓");
  const std::string json = CatalogToJson(c);
  auto back = CatalogFromJson(json);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->databases[0].schemas[0].tables[0].comment,
            std::string("tab\there \"q\" back\\slash \x01 bad\xEF\xBF\xBD utf8 ✓"));
  // Pretty and compact forms hold the same document.
  EXPECT_EQ(*CatalogFromJson(CatalogToJson(c, 2)), *back);
  EXPECT_EQ(json.find('\n'), std::string::npos);
}

TEST(CatalogTest, EmptyCatalogIsValidJson) {
  auto back = CatalogFromJson(CatalogToJson(Catalog{}, 2));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(back->databases.empty());
}

TEST(CatalogTest, JsonHasFormatAndCounts) {
  const std::string json = CatalogToJson(Sample());
  EXPECT_NE(json.find("\"format\":\"schemaport.catalog/v2\""), std::string::npos);
  EXPECT_NE(json.find("\"kind\":\"primary_key\",\"name\":\"orders_pkey\",\"columns\":[\"id\"],"
                      "\"references\":null"),
            std::string::npos);
  EXPECT_NE(json.find("\"table_count\":2"), std::string::npos);
  EXPECT_NE(json.find("\"late_binding_view\""), std::string::npos);
}

TEST(CatalogTest, BadJsonNamesThePath) {
  EXPECT_EQ(CatalogFromJson("{").status().message(), "catalog JSON does not parse");
  EXPECT_EQ(CatalogFromJson("[]").status().message(), "catalog JSON must be an object");
  EXPECT_EQ(CatalogFromJson("{}").status().message(), "databases: must be an array");
  auto bad_kind = CatalogFromJson(
      R"({"databases":[{"name":"d","schemas":[{"name":"s","kind":"local","source":null,
          "tables":[{"name":"t","kind":"table","comment":null,"owner":"o","can_select":true,
          "columns_loaded":true,"columns":[{"position":1,"name":"c","type":"int","family":"weird",
          "nullable":true,"default":null,"comment":null,"dist_key":false,"sort_key_position":null}]}]}]}]})");
  ASSERT_FALSE(bad_kind.ok());
  EXPECT_EQ(bad_kind.status().message(),
            "databases[0].schemas[0].tables[0].columns[0].family: unknown value 'weird'");
}

TEST(CatalogTest, ReadsVersion1WithoutConstraints) {
  auto v1 = CatalogFromJson(
      R"({"format":"schemaport.catalog/v1","databases":[{"name":"d","schemas":[{"name":"s","kind":"local",
          "source":null,"tables":[{"name":"t","kind":"table","comment":null,"owner":"o","can_select":true,
          "columns_loaded":true,"columns":[]}]}]}]})");
  ASSERT_TRUE(v1.ok()) << v1.status();
  EXPECT_TRUE(v1->databases[0].schemas[0].tables[0].constraints.empty());
}

TEST(CatalogTest, ConstraintsRoundTripAndBadOnesNameThePath) {
  const std::vector<Constraint> constraints =
      Sample().databases[0].schemas[0].tables[0].constraints;
  auto back = ConstraintsFromJson(ConstraintsToJson(constraints));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, constraints);
  EXPECT_EQ(ConstraintsFromJson(
                R"([{"kind":"foreign_key","name":"f","columns":["a"],"references":null}])")
                .status()
                .message(),
            "constraints[0].references: must be an object for a foreign key");
  EXPECT_EQ(ConstraintsFromJson(R"([{"kind":"foreign_key","name":"f","columns":["a"],
                                     "references":{"schema":"s","table":"t","columns":["x","y"]}}])")
                .status()
                .message(),
            "constraints[0].references.columns: must pair with columns");
  EXPECT_EQ(
      ConstraintsFromJson(R"([{"kind":"check","name":"f","columns":["a"]}])").status().message(),
      "constraints[0].kind: unknown value 'check'");
}

TEST(CatalogTest, ExtrasAreWrittenWithTheDocumentsLayout) {
  CatalogJsonExtras extras;
  extras.table_members = [](const TableRef& ref) {
    return std::vector<std::pair<std::string, std::string>>{
        {"role", "\"" + ref.table.substr(0, 3) + "\""}};
  };
  extras.members = {{"relationships", R"([{"a":[1,2]}])"}, {"broken", "{"}};
  std::ostringstream out;
  WriteCatalogJson(Sample(), out, -1, &extras);
  const std::string json = out.str();
  EXPECT_NE(json.find(R"("role":"lbv")"), std::string::npos);
  EXPECT_NE(json.find(R"("relationships":[{"a":[1,2]}],"broken":null})"), std::string::npos);
  EXPECT_TRUE(CatalogFromJson(json).ok());
}

TEST(CatalogTest, NormalizeSortsEverything) {
  Catalog c;
  Database b{"b", {}}, a{"a", {}};
  Schema s{"s", SchemaKind::kLocal, std::nullopt, {}};
  Table t2, t1;
  t2.name = "t2";
  t1.name = "t1";
  t1.columns = {Column{2, "y"}, Column{1, "x"}};
  s.tables = {t2, t1};
  a.schemas = {s};
  c.databases = {b, a};
  c.Normalize();
  EXPECT_EQ(c.databases[0].name, "a");
  EXPECT_EQ(c.databases[0].schemas[0].tables[0].name, "t1");
  EXPECT_EQ(c.databases[0].schemas[0].tables[0].columns[0].name, "x");
}

TEST(TableFilterTest, IncludeAndExclude) {
  auto f = TableFilter::Make({"dev.sales*", "prod.public.orders"}, {"dev.sales_tmp"});
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_TRUE(f->Keeps({"dev", "sales", "t"}));
  EXPECT_TRUE(f->Keeps({"dev", "sales_eu", "t"}));
  EXPECT_FALSE(f->Keeps({"dev", "sales_tmp", "t"}));
  EXPECT_FALSE(f->Keeps({"dev", "public", "t"}));
  EXPECT_TRUE(f->Keeps({"prod", "public", "orders"}));
  EXPECT_FALSE(f->Keeps({"prod", "public", "orders2"}));
  EXPECT_FALSE(f->ExcludesDatabase("dev"));
  EXPECT_TRUE(f->ExcludesDatabase("test"));
  EXPECT_TRUE(f->ExcludesSchema("dev", "sales_tmp"));
  EXPECT_TRUE(f->ExcludesSchema("dev", "public"));
  EXPECT_FALSE(f->ExcludesSchema("prod", "public"));
}

TEST(TableFilterTest, EmptyKeepsEverything) {
  auto f = TableFilter::Make({}, {});
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->empty());
  EXPECT_TRUE(f->Keeps({"a", "b", "c"}));
}

TEST(TableFilterTest, QuotedPartsHoldDotsAndCaseIsExact) {
  auto f = TableFilter::Make({"dev.\"a.b\".*"}, {});
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_TRUE(f->Keeps({"dev", "a.b", "x"}));
  EXPECT_FALSE(f->Keeps({"dev", "a", "b"}));
  auto c = TableFilter::Make({"dev.Sales.*"}, {});
  EXPECT_FALSE(c->Keeps({"dev", "sales", "x"}));
  EXPECT_TRUE(c->Keeps({"dev", "Sales", "x"}));
}

TEST(TableFilterTest, IgnoreAsciiCaseMatchesAsRedshiftWithCaseSensitivityOff) {
  auto f = TableFilter::Make({"Dev.SALES.*"}, {"dev.sales.Tmp*"}, MatchCase::kIgnoreAscii);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_TRUE(f->Keeps({"dev", "sales", "orders"}));
  EXPECT_FALSE(f->Keeps({"dev", "sales", "tmp_1"}));
  EXPECT_FALSE(f->ExcludesDatabase("DEV"));
  // Only ASCII letters fold: Redshift compares other characters exactly.
  auto u = TableFilter::Make({"dev.s.Ö*"}, {}, MatchCase::kIgnoreAscii);
  EXPECT_FALSE(u->Keeps({"dev", "s", "örders"}));
}

TEST(TableFilterTest, QuestionMarkAndUnicode) {
  auto f = TableFilter::Make({"dev.s?.Ö*"}, {});
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->Keeps({"dev", "s1", "Örders"}));
  EXPECT_FALSE(f->Keeps({"dev", "s12", "Örders"}));
}

TEST(TableFilterTest, BadPatternsAreClearErrors) {
  EXPECT_EQ(TableFilter::Make({""}, {}).status().message(), "empty table pattern");
  EXPECT_EQ(TableFilter::Make({"a.b.c.d"}, {}).status().message(),
            "table pattern 'a.b.c.d' has more than three parts (database.schema.table); quote "
            "names that contain dots");
  EXPECT_EQ(TableFilter::Make({}, {"a..c"}).status().message(),
            "table pattern 'a..c' has an empty part");
  EXPECT_EQ(TableFilter::Make({"a.\"b"}, {}).status().message(),
            "table pattern 'a.\"b' has an unclosed quote");
}

TEST(ConnectorRegistryTest, RegistersAndCreatesByName) {
  class Fake : public Connector {
   public:
    Result<TestReport> Test() override { return TestReport{}; }
    Result<std::vector<std::string>> ListDatabases(const CancelToken*) override {
      return std::vector<std::string>{"dev"};
    }
    Result<Catalog> Fetch(const FetchRequest&) override { return Catalog{}; }
  };
  ConnectorRegistry registry;
  ConnectorType type;
  type.name = "fake";
  type.validate = [](const ConnectionSettings& s) {
    return s.Get("region").empty() ? InvalidArgument("Region is required") : Status::Ok();
  };
  type.create = [](const ConnectionSettings&) -> Result<std::unique_ptr<Connector>> {
    return std::unique_ptr<Connector>(std::make_unique<Fake>());
  };
  ASSERT_TRUE(registry.Register(type).ok());
  EXPECT_EQ(registry.Register(type).code(), Code::kAlreadyExists);
  EXPECT_EQ(registry.Create("nope", {}).status().code(), Code::kNotFound);
  EXPECT_EQ(registry.Create("fake", {}).status().message(), "Region is required");
  ConnectionSettings s;
  s.values["region"] = "us-east-1";
  auto c = registry.Create("fake", s);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*(*c)->ListDatabases(nullptr))[0], "dev");
}

TEST(TestReportTest, OkOnlyWhenEveryStepOk) {
  TestReport r;
  EXPECT_FALSE(r.ok());
  r.steps.push_back({"a", "A", StepStatus::kOk, "", ""});
  EXPECT_TRUE(r.ok());
  r.steps.push_back({"b", "B", StepStatus::kSkipped, "", ""});
  EXPECT_FALSE(r.ok());
}

}  // namespace
}  // namespace schemaport::warehouse
