#include "service/catalog_doc.h"

#include <gtest/gtest.h>

namespace schemaport::service::internal {
namespace {

using warehouse::TableRef;

CatalogDoc Sample() {
  CatalogDoc doc;
  doc.fetched_at = TimePoint(std::chrono::milliseconds(1'700'000'000'123));
  doc.saved_at = TimePoint(std::chrono::milliseconds(1'700'000'100'000));
  doc.selection.tables = {{"dev", "sales", "orders"}};
  doc.selection.include = {"dev.\"a.b\".*"};
  doc.selection.exclude = {"dev.sales.tmp_*"};
  DocDatabase dev{"dev", std::nullopt, {}};
  DocSchema sales{"sales", warehouse::SchemaKind::kLocal, std::nullopt, {}};
  sales.tables.push_back({"orders", warehouse::TableKind::kTable, "one row per order", true, true,
                          true, 7, Mark::kChanged});
  sales.tables.push_back({"Données \"x\"", warehouse::TableKind::kLateBindingView, std::nullopt,
                          false, false, false, 0, Mark::kNew});
  dev.schemas.push_back(sales);
  dev.schemas.push_back({"shared", warehouse::SchemaKind::kDatashare, "producer", {}});
  doc.databases.push_back(dev);
  doc.databases.push_back(
      {"consumer", Status(Code::kPermissionDenied, "no access to consumer"), {}});
  doc.removed = {{"dev", "sales", "gone"}};
  doc.column_marks.push_back(
      {{"dev", "sales", "orders"}, {{"amount", Mark::kChanged}, {"at", Mark::kNew}}, {"old"}});
  return doc;
}

TEST(CatalogDocTest, RoundTripsEveryField) {
  const CatalogDoc doc = Sample();
  const CatalogDoc back = DecodeDoc(EncodeDoc(doc)).value();
  EXPECT_EQ(EncodeDoc(back), EncodeDoc(doc));
  EXPECT_EQ(back.fetched_at, doc.fetched_at);
  ASSERT_EQ(back.databases.size(), 2u);
  EXPECT_EQ(back.databases[1].error->code(), Code::kPermissionDenied);
  EXPECT_EQ(back.databases[0].schemas[0].tables[1].name, "Données \"x\"");
  EXPECT_EQ(back.databases[0].schemas[0].tables[0].mark, Mark::kChanged);
  EXPECT_EQ(back.databases[0].schemas[1].source, "producer");
  EXPECT_EQ(back.column_marks[0].removed, std::vector<std::string>{"old"});
  EXPECT_EQ(back.TableCount(), 2);
  EXPECT_FALSE(back.case_sensitive);
  CatalogDoc sensitive = Sample();
  sensitive.case_sensitive = true;
  EXPECT_TRUE(DecodeDoc(EncodeDoc(sensitive)).value().case_sensitive);
}

// Documents stored before case_sensitive was kept (version 1) still read, as case-insensitive
// (Redshift's default); a flag other than 0 or 1 is corruption.
TEST(CatalogDocTest, VersionOneDocumentsReadAsCaseInsensitive) {
  CatalogDoc doc = Sample();
  doc.case_sensitive = true;
  const std::string v2 = EncodeDoc(doc);
  ASSERT_EQ(v2.substr(0, 2), std::string("\x02\x01", 2));
  const CatalogDoc v1 = DecodeDoc(std::string("\x01", 1) + v2.substr(2)).value();
  EXPECT_FALSE(v1.case_sensitive);
  EXPECT_EQ(v1.databases.size(), 2u);
  EXPECT_EQ(DecodeDoc(std::string("\x02\x02", 2) + v2.substr(2)).status().code(), Code::kDataLoss);
}

// Regression: patterns matched exactly though Redshift (enable_case_sensitive_identifier off, its
// default) compares names ignoring case, so `dev.TICKIT.Sales` selected nothing.
TEST(CatalogDocTest, PatternsIgnoreAsciiCaseUnlessTheWarehouseIsCaseSensitive) {
  Selection s;
  s.include = {"dev.TICKIT.Sa*"};
  s.exclude = {"*.*.SALES_OLD"};
  CatalogDoc doc;
  auto folded = SelectionMatcher::Make(s, MatchCaseOf(doc)).value();
  EXPECT_TRUE(folded.Selected({"dev", "tickit", "sales"}));
  EXPECT_FALSE(folded.Selected({"dev", "tickit", "sales_old"}));
  doc.case_sensitive = true;
  auto exact = SelectionMatcher::Make(s, MatchCaseOf(doc)).value();
  EXPECT_FALSE(exact.Selected({"dev", "tickit", "sales"}));
  EXPECT_TRUE(exact.Selected({"dev", "TICKIT", "Sales"}));
  EXPECT_FALSE(exact.Selected({"dev", "TICKIT", "SALES_OLD"}));
}

TEST(CatalogDocTest, EveryTruncationOrCorruptionIsDataLossNeverACrash) {
  const std::string data = EncodeDoc(Sample());
  for (std::size_t n = 0; n < data.size(); ++n) {
    auto doc = DecodeDoc(std::string_view(data).substr(0, n));
    ASSERT_FALSE(doc.ok()) << n;
    EXPECT_EQ(doc.status().code(), Code::kDataLoss);
  }
  for (std::size_t i = 0; i < data.size(); ++i) {
    std::string bad = data;
    bad[i] = static_cast<char>(0xff);
    auto doc = DecodeDoc(bad);  // may decode to something else; must not crash or over-read
    if (!doc.ok()) {
      EXPECT_EQ(doc.status().code(), Code::kDataLoss);
    }
  }
  EXPECT_FALSE(DecodeDoc(data + "x").ok());
}

TEST(CatalogDocTest, PatternsWithoutAnIncludeSelectNothing) {
  Selection s;
  s.exclude = {"dev.*"};
  auto m = SelectionMatcher::Make(s, MatchCase::kExact).value();
  EXPECT_FALSE(m.Selected({"prod", "a", "b"}));
  s.tables = {{"dev", "a", "b"}};
  s.include = {"prod"};
  m = SelectionMatcher::Make(s, MatchCase::kExact).value();
  EXPECT_TRUE(m.Selected({"dev", "a", "b"})) << "explicit tables are kept even when excluded";
  EXPECT_TRUE(m.Selected({"prod", "x", "y"}));
  EXPECT_FALSE(m.MatchedByPatterns({"dev", "a", "b"}));
  s.include = {"ok", "dev.\"unterminated"};
  EXPECT_EQ(
      SelectionMatcher::Make(s, MatchCase::kExact).status().message().rfind("include[1]: ", 0), 0u)
      << SelectionMatcher::Make(s, MatchCase::kExact).status();
}

warehouse::Schema SchemaOf(std::string name, std::vector<std::string> tables) {
  warehouse::Schema s;
  s.name = std::move(name);
  for (auto& t : tables) {
    warehouse::Table table;
    table.name = t;
    s.tables.push_back(table);
  }
  return s;
}

store::SavedTable Saved(std::string db, std::string schema, std::string name) {
  store::SavedTable t;
  t.database = std::move(db);
  t.schema = std::move(schema);
  t.name = std::move(name);
  t.kind = "table";
  return t;
}

TEST(CatalogDocTest, AnUnreadableOrUnfetchedDatabaseKeepsWhatWasKnown) {
  const TimePoint now{};
  std::vector<FetchedDatabase> first = {{"dev", std::nullopt, {SchemaOf("s", {"a", "b"})}},
                                        {"ops", std::nullopt, {SchemaOf("o", {"runs"})}}};
  const CatalogDoc one = BuildDoc(first, nullptr, {}, now, true);
  EXPECT_EQ(one.TableCount(), 3);
  EXPECT_EQ(one.databases[0].schemas[0].tables[0].mark, Mark::kNone)
      << "a first fetch marks nothing";

  const std::vector<store::SavedTable> saved = {Saved("dev", "s", "a"), Saved("ops", "o", "runs")};
  // dev cannot be read now: its tables stay, with the error; its saved table is not removed.
  std::vector<FetchedDatabase> second = {
      {"dev", Status(Code::kPermissionDenied, "denied"), {}},
      {"ops", std::nullopt, {SchemaOf("o", {"runs", "new_one"})}}};
  const CatalogDoc two = BuildDoc(second, &one, saved, now, true);
  EXPECT_TRUE(two.databases[0].error.has_value());
  EXPECT_EQ(two.databases[0].schemas[0].tables.size(), 2u);
  EXPECT_TRUE(two.removed.empty());
  EXPECT_EQ(two.databases[1].schemas[0].tables[0].mark, Mark::kNew);  // new_one
  EXPECT_TRUE(two.databases[1].schemas[0].tables[1].saved);           // runs

  // Fetching only ops keeps dev as it was; a saved table gone from ops is removed.
  std::vector<FetchedDatabase> third = {{"ops", std::nullopt, {SchemaOf("o", {"new_one"})}}};
  const CatalogDoc three = BuildDoc(third, &two, saved, now, false);
  ASSERT_EQ(three.databases.size(), 2u);
  EXPECT_EQ(three.databases[0].name, "dev");
  ASSERT_EQ(three.removed.size(), 1u);
  EXPECT_EQ(three.removed[0], (TableRef{"ops", "o", "runs"}));

  // Listing every database: a saved table of a database no longer listed is removed.
  const CatalogDoc four = BuildDoc(third, &two, saved, now, true);
  EXPECT_EQ(four.removed.size(), 2u);
}

TEST(CatalogDocTest, JobErrorsKeepTheirCode) {
  const Status s =
      DecodeJobError(EncodeJobError(Status(Code::kCancelled, "the job was cancelled")));
  EXPECT_EQ(s.code(), Code::kCancelled);
  EXPECT_EQ(s.message(), "the job was cancelled");
  EXPECT_EQ(DecodeJobError("no code here").code(), Code::kInternal);
  EXPECT_EQ(DecodeJobError("").message(), "the job failed");
}

}  // namespace
}  // namespace schemaport::service::internal
