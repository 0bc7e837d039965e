#include "warehouse/redshift/catalog_builder.h"

#include <gtest/gtest.h>

namespace schemaport::warehouse::redshift {
namespace {

// Builds a row from literals; "\\N" stands for NULL.
class Row {
 public:
  Row(std::initializer_list<const char*> fields) {
    for (const char* f : fields) {
      if (std::string_view(f) == "\\N") {
        cells_.push_back(Cell{"", true});
      } else {
        cells_.push_back(Cell{f, false});
      }
    }
  }
  operator RowView() const { return cells_; }  // NOLINT

 private:
  std::vector<Cell> cells_;
};

class CatalogBuilderTest : public ::testing::Test {
 protected:
  void Load(CatalogBuilder& b) {
    ASSERT_TRUE(
        b.AddTable(Row{"100", "sales", "orders", "r", "alice", "all orders", "t", "t", "2"}).ok());
    ASSERT_TRUE(
        b.AddTable(Row{"101", "sales", "Mixed Case \"q\"", "r", "bob", "\\N", "t", "f", "2"}).ok());
    ASSERT_TRUE(
        b.AddTable(Row{"102", "sales", "v_orders", "v", "alice", "\\N", "t", "t", "2"}).ok());
    ASSERT_TRUE(b.AddTable(Row{"103", "sales", "lbv", "v", "alice", "\\N", "t", "t", "2"}).ok());
    // A materialized view as Redshift stores it: a view and its backing table.
    ASSERT_TRUE(b.AddTable(Row{"104", "ops", "mv", "v", "alice", "\\N", "t", "t", "1"}).ok());
    ASSERT_TRUE(
        b.AddTable(Row{"105", "ops", "mv_tbl__mv__0", "r", "alice", "\\N", "t", "t", "1"}).ok());
    // Only some columns granted: has_table_privilege says no, the table is still readable.
    ASSERT_TRUE(b.AddTable(Row{"106", "sales", "partial", "r", "bob", "\\N", "t", "f", "1"}).ok());
    ASSERT_TRUE(b.AddColumn(Row{"100", "2", "amount", "numeric(38,2)", "f", "0", "EUR"}).ok());
    ASSERT_TRUE(b.AddColumn(Row{"100", "1", "id", "bigint", "t", "\\N", "\\N"}).ok());
    ASSERT_TRUE(
        b.AddColumn(Row{"101", "1", "Ünïcode", "character varying(65535)", "f", "\\N", "\\N"})
            .ok());
    ASSERT_TRUE(b.AddColumn(Row{"102", "1", "id", "bigint", "f", "\\N", "\\N"}).ok());
    ASSERT_TRUE(b.AddColumn(Row{"104", "1", "n", "integer", "f", "\\N", "\\N"}).ok());
    ASSERT_TRUE(b.AddColumn(Row{"105", "1", "n", "integer", "f", "\\N", "\\N"}).ok());
    ASSERT_TRUE(b.AddColumn(Row{"106", "1", "visible", "integer", "f", "\\N", "\\N"}).ok());
    ASSERT_TRUE(b.AddColumn(Row{"103", "1", "stale", "integer", "f", "\\N", "\\N"}).ok());
    ASSERT_TRUE(b.AddColumn(Row{"999", "1", "ghost", "integer", "f", "\\N", "\\N"}).ok());
    ASSERT_TRUE(b.AddLateBindingColumn(Row{"sales", "lbv", "x", "super", "1"}).ok());
    ASSERT_TRUE(b.AddColumnGrant(Row{"sales", "partial"}).ok());
    ASSERT_TRUE(b.AddExternalSchema(Row{"spectrum", "ext_db"}).ok());
    ASSERT_TRUE(
        b.AddExternalColumn(Row{"spectrum", "events", "ts", "timestamp", "1", "true"}).ok());
    ASSERT_TRUE(
        b.AddExternalColumn(Row{"spectrum", "events", "payload", "struct<a:int>", "2", "true"})
            .ok());
    ASSERT_TRUE(b.AddTableKey(Row{"sales", "orders", "id", "true", "1"}).ok());
    ASSERT_TRUE(b.AddTableKey(Row{"sales", "orders", "amount", "false", "-2"}).ok());
  }
};

TEST_F(CatalogBuilderTest, JoinsEveryStatementInMemory) {
  CatalogBuilder b("dev", FetchDepth::kColumns, nullptr, nullptr);
  Load(b);
  const Database db = b.Finish();
  ASSERT_EQ(db.schemas.size(), 3u);  // ops, sales, spectrum (sorted)
  EXPECT_EQ(db.schemas[0].name, "ops");
  ASSERT_EQ(db.schemas[0].tables.size(), 1u) << "the backing table is not a user table";
  EXPECT_EQ(db.schemas[0].tables[0].name, "mv");
  EXPECT_EQ(db.schemas[0].tables[0].kind, TableKind::kMaterializedView);
  const Schema& sales = db.schemas[1];
  ASSERT_EQ(sales.tables.size(), 5u);
  EXPECT_EQ(sales.tables[0].name, "Mixed Case \"q\"");
  EXPECT_FALSE(sales.tables[0].can_select);
  EXPECT_EQ(sales.tables[0].columns[0].name, "Ünïcode");
  EXPECT_EQ(sales.tables[0].columns[0].family, TypeFamily::kString);
  const Table& lbv = sales.tables[1];
  EXPECT_EQ(lbv.kind, TableKind::kLateBindingView);
  ASSERT_EQ(lbv.columns.size(), 1u);
  EXPECT_EQ(lbv.columns[0].family, TypeFamily::kSemiStructured);
  const Table& orders = sales.tables[2];
  EXPECT_EQ(orders.comment, "all orders");
  ASSERT_EQ(orders.columns.size(), 2u);
  EXPECT_EQ(orders.columns[0].name, "id");  // sorted by position
  EXPECT_FALSE(orders.columns[0].nullable);
  EXPECT_TRUE(orders.columns[0].dist_key);
  EXPECT_EQ(orders.columns[0].sort_key_position, 1);
  EXPECT_FALSE(orders.columns[1].dist_key);
  EXPECT_EQ(orders.columns[1].sort_key_position, 2) << "interleaved keys are negative in the view";
  EXPECT_EQ(orders.columns[1].default_value, "0");
  EXPECT_EQ(orders.columns[1].comment, "EUR");
  EXPECT_EQ(sales.tables[3].name, "partial");
  EXPECT_TRUE(sales.tables[3].can_select);
  EXPECT_EQ(sales.tables[4].kind, TableKind::kView);
  const Schema& spectrum = db.schemas[2];
  EXPECT_EQ(spectrum.kind, SchemaKind::kExternal);
  EXPECT_EQ(spectrum.source, "ext_db");
  EXPECT_EQ(spectrum.tables[0].kind, TableKind::kExternalTable);
  EXPECT_EQ(spectrum.tables[0].columns[1].family, TypeFamily::kSemiStructured);
}

TEST_F(CatalogBuilderTest, MaterializedViewFromSvvMvInfoWhenItsBackingTableIsFilteredOut) {
  auto filter = TableFilter::Make({"dev.ops.mv"}, {});
  ASSERT_TRUE(filter.ok());
  CatalogBuilder b("dev", FetchDepth::kTables, &*filter, nullptr);
  ASSERT_TRUE(b.AddTable(Row{"104", "ops", "mv", "v", "alice", "\\N", "t", "t", "1"}).ok());
  ASSERT_TRUE(
      b.AddTable(Row{"105", "ops", "mv_tbl__mv__0", "r", "alice", "\\N", "t", "t", "1"}).ok());
  ASSERT_TRUE(b.AddTable(Row{"106", "ops", "listed", "v", "alice", "\\N", "t", "t", "1"}).ok());
  ASSERT_TRUE(b.AddMaterializedView(Row{"ops", "listed"}).ok());
  const Database db = b.Finish();
  ASSERT_EQ(db.schemas.size(), 1u);
  ASSERT_EQ(db.schemas[0].tables.size(), 1u);
  EXPECT_EQ(db.schemas[0].tables[0].kind, TableKind::kMaterializedView);
}

TEST_F(CatalogBuilderTest, ATableNamedLikeABackingTableWithoutItsViewIsATable) {
  CatalogBuilder b("dev", FetchDepth::kTables, nullptr, nullptr);
  ASSERT_TRUE(b.AddTable(Row{"1", "s", "mv_tbl__nothing__0", "r", "o", "\\N", "t", "t", "1"}).ok());
  const Database db = b.Finish();
  ASSERT_EQ(db.schemas.size(), 1u);
  EXPECT_EQ(db.schemas[0].tables[0].kind, TableKind::kTable);
  EXPECT_EQ(MaterializedViewOfBackingTable("mv_tbl__a__b__0"), "a__b");
  EXPECT_EQ(MaterializedViewOfBackingTable("mv_tbl____0"), std::nullopt);
}

TEST_F(CatalogBuilderTest, ExternalTableNeverMergesIntoALocalTableOfTheSameName) {
  CatalogBuilder b("dev", FetchDepth::kColumns, nullptr, nullptr);
  ASSERT_TRUE(b.AddTable(Row{"1", "s", "t", "r", "o", "\\N", "t", "t", "1"}).ok());
  ASSERT_TRUE(b.AddColumn(Row{"1", "1", "local_col", "integer", "f", "\\N", "\\N"}).ok());
  ASSERT_TRUE(b.AddExternalColumn(Row{"s", "t", "ext_col", "int", "1", "true"}).ok());
  const Database db = b.Finish();
  ASSERT_EQ(db.schemas[0].tables.size(), 1u);
  ASSERT_EQ(db.schemas[0].tables[0].columns.size(), 1u);
  EXPECT_EQ(db.schemas[0].tables[0].columns[0].name, "local_col");
}

TEST_F(CatalogBuilderTest, DatashareDatabaseHasDatashareSchemasWithTheirProducer) {
  CatalogBuilder b("sales_share", FetchDepth::kColumns, nullptr, nullptr);
  b.SetDatashareProducer("123456789012/ns-1");
  ASSERT_TRUE(b.AddRedshiftTable(Row{"public", "customers", "TABLE", "from producer"}).ok());
  ASSERT_TRUE(b.AddRedshiftTable(Row{"public", "v", "VIEW", "\\N"}).ok());
  ASSERT_TRUE(b.AddRedshiftColumn(Row{"public", "customers", "id", "1", "integer", "\\N", "NO",
                                      "true", "1", "\\N"})
                  .ok());
  const Database db = b.Finish();
  ASSERT_EQ(db.schemas.size(), 1u);
  EXPECT_EQ(db.name, "sales_share");
  EXPECT_EQ(db.schemas[0].kind, SchemaKind::kDatashare);
  EXPECT_EQ(db.schemas[0].source, "123456789012/ns-1");
  EXPECT_EQ(db.schemas[0].tables[0].comment, "from producer");
  EXPECT_TRUE(db.schemas[0].tables[0].columns[0].dist_key);
  EXPECT_FALSE(db.schemas[0].tables[0].columns[0].nullable);
  EXPECT_EQ(db.schemas[0].tables[1].kind, TableKind::kView);
}

TEST_F(CatalogBuilderTest, TablesDepthKeepsNoColumns) {
  CatalogBuilder b("dev", FetchDepth::kTables, nullptr, nullptr);
  ASSERT_TRUE(b.AddTable(Row{"100", "sales", "orders", "r", "alice", "\\N", "t", "t", "2"}).ok());
  ASSERT_TRUE(b.AddLateBindingColumn(Row{"sales", "orders", "x", "int", "1"}).ok());
  ASSERT_TRUE(b.AddExternalColumn(Row{"spectrum", "events", "ts", "timestamp", "1", "true"}).ok());
  const Database db = b.Finish();
  for (const auto& s : db.schemas) {
    for (const auto& t : s.tables) {
      EXPECT_FALSE(t.columns_loaded);
      EXPECT_TRUE(t.columns.empty());
    }
  }
}

TEST_F(CatalogBuilderTest, SelectionDropsEverythingElse) {
  const std::set<TableRef> selection = {{"dev", "sales", "orders"}, {"dev", "spectrum", "events"}};
  CatalogBuilder b("dev", FetchDepth::kColumns, nullptr, &selection);
  Load(b);
  EXPECT_EQ(b.KeptTableIds(), std::vector<std::int64_t>{100});
  const Database db = b.Finish();
  Catalog c{{db}};
  EXPECT_EQ(c.TableCount(), 2u);
  EXPECT_EQ(c.ColumnCount(), 4u);
}

TEST_F(CatalogBuilderTest, FilterAppliesToEveryKind) {
  auto filter = TableFilter::Make({"dev.sales.*"}, {"dev.sales.v_*"});
  ASSERT_TRUE(filter.ok());
  CatalogBuilder b("dev", FetchDepth::kColumns, &*filter, nullptr);
  Load(b);
  const Database db = b.Finish();
  ASSERT_EQ(db.schemas.size(), 1u);
  EXPECT_EQ(db.schemas[0].tables.size(), 4u);  // Mixed, lbv, orders, partial
}

TEST_F(CatalogBuilderTest, MalformedRowsAreErrorsNamingTheStatement) {
  CatalogBuilder b("dev", FetchDepth::kColumns, nullptr, nullptr);
  EXPECT_EQ(b.AddTable(Row{"1", "s"}).message(),
            "unexpected result from the tables query: expected 9 fields, got 2");
  EXPECT_EQ(b.AddTable(Row{"x", "s", "t", "r", "o", "\\N", "t", "t", "2"}).message(),
            "unexpected result from the tables query: table_id is not an integer");
  EXPECT_EQ(b.AddTable(Row{"1", "s", "t", "m", "o", "\\N", "t", "t", "2"}).message(),
            "unexpected result from the tables query: unknown relkind 'm'");
  EXPECT_EQ(b.AddTable(Row{"1", "s", "t", "r", "o", "\\N", "t", "maybe", "1"}).message(),
            "unexpected result from the tables query: table_select is not a boolean");
  ASSERT_TRUE(b.AddTable(Row{"1", "s", "t", "r", "o", "\\N", "t", "t", "2"}).ok());
  EXPECT_EQ(b.AddColumn(Row{"1", "x", "c", "int", "f", "\\N", "\\N"}).message(),
            "unexpected result from the columns query: position is not an integer");
  EXPECT_EQ(b.AddColumn(Row{"1", "1", "c", "int"}).message(),
            "unexpected result from the columns query: expected 1 + 6 per column fields, got 4");
  EXPECT_EQ(b.AddColumn(Row{"1", "1", "\\N", "int", "f", "\\N", "\\N"}).message(),
            "unexpected result from the columns query: column_name is null");
}

TEST_F(CatalogBuilderTest, PackedColumnRowsHoldSeveralColumnsAndSkipEmptySlots) {
  CatalogBuilder b("dev", FetchDepth::kColumns, nullptr, nullptr);
  ASSERT_TRUE(b.AddTable(Row{"1", "s", "t", "r", "o", "\\N", "t", "t", "3"}).ok());
  // Columns 1..3 of a table in rows of two: (1, 2) and (3, empty); column 2 was dropped in a
  // second table, whose slot is empty.
  ASSERT_TRUE(b.AddColumn(Row{"1", "1", "a", "integer", "t", "\\N", "\\N", "2", "b", "text", "f",
                              "'x'", "note"})
                  .ok());
  ASSERT_TRUE(b.AddColumn(Row{"1", "3", "c", "date", "f", "\\N", "\\N", "\\N", "\\N", "\\N", "\\N",
                              "\\N", "\\N"})
                  .ok());
  const Database db = b.Finish();
  const auto& cols = db.schemas[0].tables[0].columns;
  ASSERT_EQ(cols.size(), 3u);
  EXPECT_EQ(cols[1].name, "b");
  EXPECT_EQ(cols[1].default_value, "'x'");
  EXPECT_EQ(cols[1].comment, "note");
  EXPECT_EQ(cols[2].position, 3);
}

TEST_F(CatalogBuilderTest, DuplicateTableRowsAddNothing) {
  CatalogBuilder b("dev", FetchDepth::kTables, nullptr, nullptr);
  ASSERT_TRUE(b.AddTable(Row{"1", "s", "t", "r", "o", "\\N", "t", "t", "2"}).ok());
  ASSERT_TRUE(b.AddTable(Row{"1", "s", "t", "r", "o", "\\N", "t", "t", "2"}).ok());
  EXPECT_EQ(b.tables(), 1);
}

TEST_F(CatalogBuilderTest, ChunksBoundColumnsAndIds) {
  CatalogBuilder b("dev", FetchDepth::kColumns, nullptr, nullptr);
  ASSERT_TRUE(b.AddTable(Row{"1", "s", "a", "r", "o", "\\N", "t", "t", "10"}).ok());
  ASSERT_TRUE(b.AddTable(Row{"2", "s", "b", "r", "o", "\\N", "t", "t", "10"}).ok());
  ASSERT_TRUE(b.AddTable(Row{"3", "s", "c", "r", "o", "\\N", "t", "t", "50"}).ok());
  ASSERT_TRUE(b.AddTable(Row{"4", "s", "d", "r", "o", "\\N", "t", "t", "5"}).ok());
  using Chunks = std::vector<std::vector<std::int64_t>>;
  EXPECT_EQ(b.KeptTableIdChunks(25, 100), (Chunks{{1, 2}, {3}, {4}}));
  EXPECT_EQ(b.KeptTableIdChunks(1000, 3), (Chunks{{1, 2, 3}, {4}}));
  EXPECT_EQ(b.KeptTableIdChunks(1000, 100), (Chunks{{1, 2, 3, 4}}));
}

TEST_F(CatalogBuilderTest, ExternalTablesAtTablesDepth) {
  CatalogBuilder b("dev", FetchDepth::kTables, nullptr, nullptr);
  ASSERT_TRUE(b.AddExternalSchema(Row{"spectrum", "ext"}).ok());
  ASSERT_TRUE(b.AddExternalTable(Row{"spectrum", "events"}).ok());
  const Database db = b.Finish();
  ASSERT_EQ(db.schemas.size(), 1u);
  EXPECT_EQ(db.schemas[0].kind, SchemaKind::kExternal);
  EXPECT_EQ(db.schemas[0].tables[0].kind, TableKind::kExternalTable);
}

}  // namespace
}  // namespace schemaport::warehouse::redshift
