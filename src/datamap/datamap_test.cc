#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>

#include "datamap/datamap.h"

namespace schemaport::datamap {
namespace {

using warehouse::Catalog;
using warehouse::Column;
using warehouse::Constraint;
using warehouse::ConstraintKind;
using warehouse::Table;
using warehouse::TypeFamily;

Column Col(int pos, std::string name, std::string type, TypeFamily family, bool nullable = true,
           std::optional<std::string> comment = std::nullopt) {
  Column c;
  c.position = pos;
  c.name = std::move(name);
  c.type = std::move(type);
  c.family = family;
  c.nullable = nullable;
  c.comment = std::move(comment);
  return c;
}

Table Tab(std::string name, std::vector<Column> columns, std::vector<Constraint> constraints = {}) {
  Table t;
  t.name = std::move(name);
  t.columns = std::move(columns);
  t.constraints = std::move(constraints);
  t.columns_loaded = true;
  t.can_select = true;
  return t;
}

Constraint Pk(std::string name, std::vector<std::string> cols) {
  return Constraint{ConstraintKind::kPrimaryKey, std::move(name), std::move(cols), "", "", {}};
}
Constraint Fk(std::string name, std::vector<std::string> cols, std::string schema,
              std::string table, std::vector<std::string> ref_cols) {
  return Constraint{ConstraintKind::kForeignKey, std::move(name),  std::move(cols),
                    std::move(schema),           std::move(table), std::move(ref_cols)};
}

// A small shop: declared keys on some tables, none on others.
Catalog Shop() {
  Catalog c;
  warehouse::Database dev{"dev", {}};
  warehouse::Schema sales{"sales", warehouse::SchemaKind::kLocal, std::nullopt, {}};
  sales.tables.push_back(
      Tab("customers",
          {Col(1, "id", "integer", TypeFamily::kInteger, false, "customer number"),
           Col(2, "name", "character varying(100)", TypeFamily::kString)},
          {Pk("customers_pkey", {"id"})}));
  sales.tables.push_back(Tab("orders",
                             {Col(1, "id", "bigint", TypeFamily::kInteger, false),
                              Col(2, "customer_id", "integer", TypeFamily::kInteger),
                              Col(3, "store_id", "integer", TypeFamily::kInteger),
                              Col(4, "category_id", "integer", TypeFamily::kInteger),
                              Col(5, "amount", "numeric(12,2)", TypeFamily::kDecimal),
                              Col(6, "tax", "numeric(12,2)", TypeFamily::kDecimal),
                              Col(7, "venueid", "character varying(10)", TypeFamily::kString)},
                             {Pk("orders_pkey", {"id"}), Fk("orders_customer_fk", {"customer_id"},
                                                            "sales", "customers", {"id"})}));
  sales.tables.push_back(
      Tab("store", {Col(1, "store_id", "integer", TypeFamily::kInteger, false),
                    Col(2, "city", "character varying(40)", TypeFamily::kString),
                    Col(3, "opened", "date", TypeFamily::kDate),
                    Col(4, "manager", "character varying(40)", TypeFamily::kString),
                    Col(5, "size", "integer", TypeFamily::kInteger)}));
  sales.tables.push_back(
      Tab("categories", {Col(1, "id", "integer", TypeFamily::kInteger, false),
                         Col(2, "label", "character varying(20)", TypeFamily::kString)}));
  // venueid is an integer here: a type mismatch with orders.venueid (a string).
  sales.tables.push_back(
      Tab("venue", {Col(1, "venueid", "integer", TypeFamily::kInteger, false),
                    Col(2, "venuename", "character varying(100)", TypeFamily::kString)}));
  dev.schemas.push_back(sales);
  c.databases.push_back(dev);
  return c;
}

const Relationship* Find(const DataMap& map, std::string_view from_table, std::string_view column) {
  for (const auto& r : map.relationships) {
    if (r.from.table == from_table && r.from_columns.size() == 1 && r.from_columns[0] == column)
      return &r;
  }
  return nullptr;
}

TEST(DataMapTest, DeclaredKeysWinOverInference) {
  const DataMap map = BuildDataMap(Shop());
  const Relationship* r = Find(map, "orders", "customer_id");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->status, RelationshipStatus::kDeclared);
  EXPECT_EQ(r->constraint_name, "orders_customer_fk");
  EXPECT_EQ(r->to.table, "customers");
  EXPECT_EQ(r->confidence, 1.0);
  int from_customer_id = 0;
  for (const auto& rel : map.relationships)
    from_customer_id += rel.from_columns[0] == "customer_id";
  EXPECT_EQ(from_customer_id, 1);
}

TEST(DataMapTest, InfersFromNamesPluralsAndMatchingTypes) {
  const DataMap map = BuildDataMap(Shop());
  const Relationship* store = Find(map, "orders", "store_id");
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->status, RelationshipStatus::kInferred);
  EXPECT_EQ(store->to.table, "store");
  EXPECT_EQ(store->to_columns, std::vector<std::string>{"store_id"});
  EXPECT_GT(store->confidence, 0.5);
  EXPECT_LT(store->confidence, 1.0);
  EXPECT_FALSE(store->evidence.empty());

  const Relationship* category = Find(map, "orders", "category_id");
  ASSERT_NE(category, nullptr);
  EXPECT_EQ(category->to.table, "categories");  // singular column, plural table
  EXPECT_EQ(category->to_columns, std::vector<std::string>{"id"});

  EXPECT_EQ(Find(map, "orders", "venueid"), nullptr);  // string vs integer
  EXPECT_EQ(Find(map, "store", "store_id"), nullptr);  // a table's own key
}

TEST(DataMapTest, InferenceIsDeterministicAndIdsSurviveOtherTables) {
  const DataMap a = BuildDataMap(Shop());
  Catalog bigger = Shop();
  bigger.databases[0].schemas[0].tables.push_back(
      Tab("zeta", {Col(1, "x", "integer", TypeFamily::kInteger)}));
  const DataMap b = BuildDataMap(bigger);
  EXPECT_EQ(BuildDataMap(Shop()).relationships, a.relationships);
  ASSERT_NE(Find(b, "orders", "store_id"), nullptr);
  EXPECT_EQ(Find(a, "orders", "store_id")->id, Find(b, "orders", "store_id")->id);
}

TEST(DataMapTest, DecisionsAcceptAndRejectInferredOnly) {
  const DataMap before = BuildDataMap(Shop());
  Decisions decisions;
  decisions.relationships[Find(before, "orders", "store_id")->id] = Decision::kAccept;
  decisions.relationships[Find(before, "orders", "category_id")->id] = Decision::kReject;
  decisions.relationships[Find(before, "orders", "customer_id")->id] =
      Decision::kReject;                                            // declared: ignored
  decisions.relationships["0000000000000000"] = Decision::kAccept;  // gone: ignored
  const DataMap after = BuildDataMap(Shop(), decisions);
  EXPECT_EQ(Find(after, "orders", "store_id")->status, RelationshipStatus::kAccepted);
  EXPECT_TRUE(Find(after, "orders", "store_id")->is_fact());
  EXPECT_EQ(Find(after, "orders", "category_id")->status, RelationshipStatus::kRejected);
  EXPECT_FALSE(Find(after, "orders", "category_id")->is_fact());
  EXPECT_EQ(Find(after, "orders", "customer_id")->status, RelationshipStatus::kDeclared);
}

TEST(DataMapTest, ForeignKeyToAnUnsavedTableIsAKeyButNoRelationship) {
  Catalog c = Shop();
  c.databases[0].schemas[0].tables[1].constraints.push_back(
      Fk("orders_secret_fk", {"tax"}, "hidden", "unsaved_table", {"id"}));
  const DataMap map = BuildDataMap(c);
  for (const auto& r : map.relationships) EXPECT_NE(r.to.table, "unsaved_table");
  for (auto f : {ExportFormat::kDbtSources, ExportFormat::kDdl}) {
    EXPECT_EQ(Export(map, f).find("unsaved_table"), std::string::npos) << ExportFormatName(f);
  }
}

TEST(DataMapTest, RolesAreSuggestedAndOverridable) {
  const DataMap map = BuildDataMap(Shop());
  const TableRef orders{"dev", "sales", "orders"}, customers{"dev", "sales", "customers"};
  EXPECT_EQ(map.roles.at(orders).role, TableRole::kFact);
  EXPECT_EQ(map.roles.at(customers).role, TableRole::kLookup);  // two columns, keyed
  EXPECT_EQ(map.roles.at(TableRef{"dev", "sales", "store"}).role, TableRole::kDimension);
  EXPECT_FALSE(map.roles.at(orders).reason.empty());
  Decisions d;
  d.roles[customers] = TableRole::kDimension;
  const DataMap overridden = BuildDataMap(Shop(), d);
  EXPECT_EQ(overridden.roles.at(customers).role, TableRole::kDimension);
  EXPECT_EQ(overridden.roles.at(customers).suggested, TableRole::kLookup);
  EXPECT_TRUE(overridden.roles.at(customers).overridden);
}

TEST(DataMapTest, DecisionsRoundTripAndAnythingElseIsDataLoss) {
  Decisions d;
  d.relationships["0123456789abcdef"] = Decision::kAccept;
  d.relationships["fedcba9876543210"] = Decision::kReject;
  d.roles[TableRef{"dev", "sa\"les", "ördërs"}] = TableRole::kLookup;
  const std::string json = DecisionsToJson(d);
  const auto back = DecisionsFromJson(json);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->relationships, d.relationships);
  EXPECT_EQ(back->roles, d.roles);
  EXPECT_EQ(DecisionsToJson(*back), json);
  EXPECT_TRUE(DecisionsFromJson(DecisionsToJson(Decisions{})).ok());
  for (
      std::string_view bad :
      {"", "[]", "{", R"({"version":2,"relationships":{},"roles":[]})",
       R"({"version":"1","relationships":{},"roles":[]})",
       R"({"version":1,"relationships":{"a":"maybe"},"roles":[]})",
       R"({"version":1,"relationships":{},"roles":[{"database":"d","schema":"s","table":"t"}]})",
       R"({"version":1,"relationships":{},"roles":[{"database":"d","schema":"s","table":"t","role":"boss"}]})",
       R"({"version":1,"relationships":[],"roles":[]})"}) {
    EXPECT_EQ(DecisionsFromJson(bad).status().code(), Code::kDataLoss) << bad;
  }
}

TEST(DataMapTest, RelationshipsOfATableComeFromTheIndexInMapOrder) {
  const DataMap map = BuildDataMap(Shop());
  const TableRef orders{"dev", "sales", "orders"};
  std::vector<const Relationship*> scanned;
  for (const auto& r : map.relationships) {
    if (r.from == orders || r.to == orders) scanned.push_back(&r);
  }
  ASSERT_FALSE(scanned.empty());
  EXPECT_EQ(map.RelationshipsOf(orders), scanned);
  EXPECT_TRUE(map.RelationshipsOf(TableRef{"dev", "sales", "nope"}).empty());
  // Replacing the relationships needs a new index.
  DataMap copy = map;
  copy.relationships.erase(copy.relationships.begin());
  copy.IndexRelationships();
  for (const auto* r : copy.RelationshipsOf(orders)) EXPECT_NE(r->id, map.relationships[0].id);
}

TEST(DataMapTest, DiffMarksNewRemovedAndChanged) {
  const DataMap before = BuildDataMap(Shop());
  Catalog c = Shop();
  auto& orders = c.databases[0].schemas[0].tables[1];
  orders.constraints.push_back(
      Fk("orders_store_fk", {"store_id"}, "sales", "store", {"store_id"}));  // now declared
  orders.columns.erase(orders.columns.begin() + 3);                          // category_id gone
  c.databases[0].schemas[0].tables.push_back(
      Tab("returns", {Col(1, "order_id", "bigint", TypeFamily::kInteger)}));
  const DataMap after = BuildDataMap(c);
  const auto diff = DiffRelationships(before.relationships, after.relationships);
  std::map<std::string, std::string> by_column;
  for (const auto& ch : diff)
    by_column[ch.relationship.from_columns[0]] = std::string(ChangeName(ch.change));
  EXPECT_EQ(by_column["store_id"], "changed");
  EXPECT_EQ(by_column["category_id"], "removed");
  EXPECT_EQ(by_column["order_id"], "new");
  for (const auto& ch : diff) {
    if (ch.change == Change::kChanged) {
      EXPECT_EQ(ch.changes.front(), "status: inferred -> declared");
    }
  }
  EXPECT_TRUE(DiffRelationships(after.relationships, after.relationships).empty());
}

TEST(DataMapTest, ExportsAreDeterministic) {
  for (auto f : {ExportFormat::kCatalogJson, ExportFormat::kDbtSources, ExportFormat::kDdl,
                 ExportFormat::kMarkdown}) {
    Catalog shuffled = Shop();
    std::reverse(shuffled.databases[0].schemas[0].tables.begin(),
                 shuffled.databases[0].schemas[0].tables.end());
    EXPECT_EQ(Export(BuildDataMap(Shop()), f), Export(BuildDataMap(shuffled), f))
        << ExportFormatName(f);
    EXPECT_EQ(ParseExportFormat(ExportFormatName(f)), f);
  }
}

TEST(DataMapTest, CatalogJsonHasKeysRolesAndRelationships) {
  const std::string text = Export(BuildDataMap(Shop()), ExportFormat::kCatalogJson);
  const auto j = nlohmann::json::parse(text);
  EXPECT_EQ(j["format"], "schemaport.catalog/v2");
  const auto& orders = j["databases"][0]["schemas"][0]["tables"][2];
  ASSERT_EQ(orders["name"], "orders");
  EXPECT_EQ(orders["role"]["name"], "fact");
  EXPECT_EQ(orders["constraints"][1]["references"]["table"], "customers");
  bool inferred = false;
  for (const auto& r : j["relationships"]) {
    if (r["status"] == "inferred") {
      inferred = true;
      EXPECT_FALSE(r["evidence"].empty());
      EXPECT_LT(r["confidence"].get<double>(), 1.0);
    }
  }
  EXPECT_TRUE(inferred);
  auto back = warehouse::CatalogFromJson(text);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, BuildDataMap(Shop()).catalog);
}

TEST(DataMapTest, DbtYamlQuotesAnyNameAndParsesBack) {
  const std::vector<std::string> names = {
      "yes", "null", "a: b", "#x", "- y", "multi\nline", "'q'", "\"dq\"", "Ö✓",    " lead", "123",
      "~",   "[x]",  "{y}",  "on", "a,b", "tab\tx",      "@at", "%pct",   "!bang", "*star"};
  Catalog c;
  warehouse::Database d{"dev", {}};
  warehouse::Schema s{"odd: schema", warehouse::SchemaKind::kLocal, std::nullopt, {}};
  std::vector<Column> cols;
  for (std::size_t i = 0; i < names.size(); ++i) {
    cols.push_back(Col(static_cast<int>(i + 1), names[i], "character varying(10)",
                       TypeFamily::kString, true, names[i]));
  }
  Table t = Tab("no", cols);
  t.comment = "it's: a \"comment\"\nwith lines";
  s.tables.push_back(t);
  d.schemas.push_back(s);
  c.databases.push_back(d);
  const std::string yaml = Export(BuildDataMap(c), ExportFormat::kDbtSources);
  YAML::Node root = YAML::Load(yaml);
  EXPECT_EQ(root["version"].as<int>(), 2);
  const YAML::Node source = root["sources"][0];
  EXPECT_EQ(source["schema"].as<std::string>(), "odd: schema");
  EXPECT_TRUE(source["quoting"]["schema"].as<bool>());
  const YAML::Node table = source["tables"][0];
  EXPECT_EQ(table["name"].as<std::string>(), "no");
  EXPECT_EQ(table["description"].as<std::string>(), *t.comment);
  ASSERT_EQ(table["columns"].size(), names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(table["columns"][i]["name"].as<std::string>(), names[i]);
    EXPECT_EQ(table["columns"][i]["description"].as<std::string>(), names[i]);
    EXPECT_EQ(table["columns"][i]["data_type"].as<std::string>(), "character varying(10)");
  }
}

TEST(DataMapTest, DbtYamlHasKeyAndRelationshipTests) {
  Decisions d;
  d.relationships[Find(BuildDataMap(Shop()), "orders", "store_id")->id] = Decision::kAccept;
  const YAML::Node root = YAML::Load(Export(BuildDataMap(Shop(), d), ExportFormat::kDbtSources));
  const YAML::Node source = root["sources"][0];
  EXPECT_EQ(source["name"].as<std::string>(), "dev_sales");
  YAML::Node orders;
  for (std::size_t i = 0; i < source["tables"].size(); ++i) {
    if (source["tables"][i]["name"].as<std::string>() == "orders") orders = source["tables"][i];
  }
  ASSERT_TRUE(orders.IsDefined());
  EXPECT_EQ(orders["meta"]["schemaport_role"].as<std::string>(), "fact");
  EXPECT_EQ(orders["columns"][0]["data_tests"][0].as<std::string>(), "unique");
  EXPECT_EQ(orders["columns"][1]["data_tests"][0]["relationships"]["to"].as<std::string>(),
            "source(\"dev_sales\", \"customers\")");
  EXPECT_EQ(orders["columns"][1]["data_tests"][0]["relationships"]["field"].as<std::string>(),
            "id");
  EXPECT_EQ(orders["columns"][2]["data_tests"][0]["relationships"]["field"].as<std::string>(),
            "store_id");
  EXPECT_FALSE(orders["columns"][3]["data_tests"].IsDefined());  // inferred, undecided: not a fact
}

TEST(DataMapTest, DdlQuotesIdentifiersAndReferencesFacts) {
  Catalog c = Shop();
  c.databases[0].schemas[0].tables[0].name = "Cust\"omers";
  c.databases[0].schemas[0].tables[1].constraints[1].referenced_table = "Cust\"omers";
  const std::string ddl = Export(BuildDataMap(c), ExportFormat::kDdl);
  EXPECT_NE(ddl.find("CREATE TABLE \"sales\".\"Cust\"\"omers\" ("), std::string::npos) << ddl;
  EXPECT_NE(ddl.find("COMMENT ON COLUMN \"sales\".\"Cust\"\"omers\".\"id\" IS 'customer number';"),
            std::string::npos);
  EXPECT_NE(
      ddl.find("ALTER TABLE \"sales\".\"orders\" ADD CONSTRAINT \"orders_customer_fk\" FOREIGN KEY "
               "(\"customer_id\") REFERENCES \"sales\".\"Cust\"\"omers\" (\"id\");"),
      std::string::npos);
  EXPECT_NE(ddl.find("CONSTRAINT \"orders_pkey\" PRIMARY KEY (\"id\")"), std::string::npos);
  EXPECT_NE(ddl.find("[inferred, confidence"), std::string::npos);
}

TEST(DataMapTest, MarkdownEscapesCellsAndListsRelationships) {
  Catalog c = Shop();
  c.databases[0].schemas[0].tables[0].columns[1].comment = "a | b\nnext";
  const std::string md = Export(BuildDataMap(c), ExportFormat::kMarkdown);
  EXPECT_NE(md.find("| `name` | `character varying(100)` | yes |  | a \\| b next |"),
            std::string::npos)
      << md;
  EXPECT_NE(
      md.find(
          "references `dev.sales.customers` on `orders.customer_id` = `customers.id` (declared"),
      std::string::npos);
  EXPECT_NE(md.find("### `orders`"), std::string::npos);
}

TEST(DataMapTest, SavedTablesBecomeACatalogWithKeys) {
  store::SavedTable t;
  t.database = "dev";
  t.schema = "sales";
  t.name = "orders";
  t.kind = "table";
  t.comment = "all orders";
  t.columns.push_back(store::SavedColumn{"id", "bigint", 1, false, "", {{"family", "integer"}}});
  t.columns.push_back(store::SavedColumn{
      "note", "character varying(10)", 2, true, "free text", {{"family", "string"}}});
  t.attributes[std::string(kConstraintsAttribute)] =
      warehouse::ConstraintsToJson({Pk("orders_pkey", {"id"})});
  auto catalog = CatalogFromSavedTables({t});
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  const Table& got = catalog->databases[0].schemas[0].tables[0];
  EXPECT_EQ(got.comment, "all orders");
  EXPECT_EQ(got.columns[0].family, TypeFamily::kInteger);
  EXPECT_EQ(got.columns[1].comment, "free text");
  ASSERT_EQ(got.constraints.size(), 1u);
  EXPECT_EQ(got.constraints[0].name, "orders_pkey");

  // And back: a fetched table saved and read again is the same table.
  const Table orders = Shop().databases[0].schemas[0].tables[1];
  auto again = CatalogFromSavedTables({ToSavedTable(TableRef{"dev", "sales", "orders"}, orders)});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->databases[0].schemas[0].tables[0].constraints, orders.constraints);
  EXPECT_EQ(again->databases[0].schemas[0].tables[0].columns, orders.columns);

  t.attributes[std::string(kConstraintsAttribute)] = "{not json";
  EXPECT_EQ(CatalogFromSavedTables({t}).status().code(), Code::kDataLoss);
}

}  // namespace
}  // namespace schemaport::datamap
