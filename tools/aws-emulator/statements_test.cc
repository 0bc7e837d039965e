#include "statements.h"

#include <gtest/gtest.h>

namespace schemaport::emulator {
namespace {

class StatementsTest : public ::testing::Test {};

TEST_F(StatementsTest, BindParametersNumbersNamedParametersOutsideQuotesAndCasts) {
  auto r = BindParameters("select :a, ':b', \":c\", x::int, :a -- :d\n /* :e */ , $$ :f $$ , :g",
                          {{"a", "1"}, {"g", "x"}});
  ASSERT_TRUE(std::holds_alternative<BoundSql>(r)) << std::get<ApiError>(r).message;
  const auto& b = std::get<BoundSql>(r);
  EXPECT_EQ(b.sql, "select $1, ':b', \":c\", x::int, $1 -- :d\n /* :e */ , $$ :f $$ , $2");
  ASSERT_EQ(b.values.size(), 2u);
  EXPECT_EQ(*b.values[0], "1");
  EXPECT_EQ(*b.values[1], "x");
}

TEST_F(StatementsTest, BindParametersRejectsMissingAndUnusedParameters) {
  auto missing = BindParameters("select :a", {});
  ASSERT_TRUE(std::holds_alternative<ApiError>(missing));
  EXPECT_EQ(std::get<ApiError>(missing).code, "ValidationException");
  auto unused = BindParameters("select 1", {{"a", "1"}});
  ASSERT_TRUE(std::holds_alternative<ApiError>(unused));
}

TEST_F(StatementsTest, RewritesShowAndSetOfCaseSensitiveIdentifier) {
  EXPECT_NE(RewriteRedshiftSql("SHOW enable_case_sensitive_identifier;")
                .find("AS enable_case_sensitive_identifier"),
            std::string::npos);
  EXPECT_EQ(RewriteRedshiftSql("set enable_case_sensitive_identifier to true"),
            "SET emulator.enable_case_sensitive_identifier = on");
  EXPECT_EQ(RewriteRedshiftSql("select 1"), "select 1");
}

TEST_F(StatementsTest, FieldForTypesValuesAsTheDataApi) {
  ResultColumn l{ResultColumn::Kind::kLong, {}};
  ResultColumn d{ResultColumn::Kind::kDouble, {}};
  ResultColumn b{ResultColumn::Kind::kBool, {}};
  ResultColumn x{ResultColumn::Kind::kBlob, {}};
  ResultColumn s{ResultColumn::Kind::kString, {}};
  EXPECT_EQ(FieldFor(l, std::string("-42")), (nlohmann::json{{"longValue", -42}}));
  EXPECT_EQ(FieldFor(d, std::string("1.5")), (nlohmann::json{{"doubleValue", 1.5}}));
  EXPECT_EQ(FieldFor(d, std::string("NaN")), (nlohmann::json{{"stringValue", "NaN"}}));
  EXPECT_EQ(FieldFor(b, std::string("t")), (nlohmann::json{{"booleanValue", true}}));
  EXPECT_EQ(FieldFor(x, std::string("\\x616263")), (nlohmann::json{{"blobValue", "YWJj"}}));
  EXPECT_EQ(FieldFor(s, std::string("12.50")), (nlohmann::json{{"stringValue", "12.50"}}));
  EXPECT_EQ(FieldFor(s, std::nullopt), (nlohmann::json{{"isNull", true}}));
}

TEST_F(StatementsTest, CsvQuotesSpecialCharactersAndLeavesNullsEmpty) {
  ResultSet rs;
  rs.columns.push_back(ResultColumn{ResultColumn::Kind::kString, {{"name", "a"}}});
  rs.columns.push_back(ResultColumn{ResultColumn::Kind::kString, {{"name", "b,c"}}});
  rs.rows.push_back({std::string("x\"y"), std::nullopt});
  rs.rows.push_back({std::string("plain"), std::string("line\nbreak")});
  EXPECT_EQ(CsvRecords(rs, 0, 2, true), "a,\"b,c\"\n\"x\"\"y\",\nplain,\"line\nbreak\"\n");
  EXPECT_EQ(CsvRecords(rs, 1, 2, false), "plain,\"line\nbreak\"\n");
}

TEST_F(StatementsTest, NewUuidHasDataApiShape) {
  SeededRandom r(1);
  std::string id = NewUuid(r);
  EXPECT_EQ(id.size(), 36u);
  EXPECT_EQ(id[8], '-');
  EXPECT_EQ(id[14], '4');
}

}  // namespace
}  // namespace schemaport::emulator
