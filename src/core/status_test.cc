#include <gtest/gtest.h>

#include "core/core.h"

namespace schemaport {
namespace {

Result<int> Parse(std::string_view s) {
  if (s.empty()) return InvalidArgument("empty input");
  return static_cast<int>(s.size());
}

Result<int> Doubled(std::string_view s) {
  int n = SP_TRY(Parse(s));
  return n * 2;
}

Status CheckPositive(int n) {
  if (n <= 0) return InvalidArgument("must be positive");
  return Status::Ok();
}

Result<std::string> Chain(int n) {
  SP_TRY(CheckPositive(n));
  return std::string(static_cast<std::size_t>(n), 'x');
}

TEST(StatusTest, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), Code::kOk);
  EXPECT_EQ(s.ToString(), "ok");
}

TEST(StatusTest, ToStringHasCodeNameAndMessageButNotDetail) {
  Status s = PermissionDenied("missing redshift-data:ExecuteStatement", "request id 123");
  EXPECT_EQ(s.ToString(), "permission_denied: missing redshift-data:ExecuteStatement");
  EXPECT_EQ(s.detail(), "request id 123");
}

TEST(StatusTest, WithContextPrefixesMessage) {
  Status s = NotFound("no such table").WithContext("loading catalog");
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_EQ(s.message(), "loading catalog: no such table");
  EXPECT_TRUE(Status::Ok().WithContext("x").ok());
}

TEST(StatusTest, EveryCodeHasAStableName) {
  for (int c = 0; c <= static_cast<int>(Code::kInternal); ++c) {
    EXPECT_FALSE(CodeName(static_cast<Code>(c)).empty());
  }
  EXPECT_EQ(CodeName(Code::kInvalidArgument), "invalid_argument");
  EXPECT_EQ(CodeName(Code::kResourceExhausted), "resource_exhausted");
}

TEST(QuoteIdentifierTest, DoublesQuotes) {
  EXPECT_EQ(QuoteSqlIdentifier("sales"), "\"sales\"");
  EXPECT_EQ(QuoteSqlIdentifier("IAM:alice"), "\"IAM:alice\"");
  EXPECT_EQ(QuoteSqlIdentifier("a\"b"), "\"a\"\"b\"");
  EXPECT_EQ(QuoteSqlIdentifier("Données"), "\"Données\"");
}

TEST(GlobMatchTest, StarQuestionMarkAndCase) {
  EXPECT_TRUE(GlobMatch("dev.sales*", "dev.sales_eu"));
  EXPECT_TRUE(GlobMatch("s?", "s1"));
  EXPECT_FALSE(GlobMatch("s?", "s12"));
  EXPECT_FALSE(GlobMatch("Sales", "sales"));
  EXPECT_TRUE(GlobMatch("Sales", "sales", MatchCase::kIgnoreAscii));
  EXPECT_TRUE(GlobMatch("*", ""));
}

TEST(ResultTest, HoldsValue) {
  Result<int> r = Parse("abc");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 3);
  EXPECT_TRUE(r.status().ok());
}

TEST(ResultTest, HoldsError) {
  Result<int> r = Parse("");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(r.value_or(-1), -1);
}

TEST(ResultTest, TryPropagatesErrorsFromResult) {
  EXPECT_EQ(*Doubled("abcd"), 8);
  Result<int> r = Doubled("");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "empty input");
}

TEST(ResultTest, TryPropagatesErrorsFromStatus) {
  EXPECT_EQ(*Chain(3), "xxx");
  EXPECT_EQ(Chain(0).status().message(), "must be positive");
}

Result<int> Nested(std::string_view s) {
  int n = SP_TRY([&]() -> Result<int> { return SP_TRY(Parse(s)) + 1; }());
  return n;
}

TEST(ResultTest, TryNests) {
  EXPECT_EQ(*Nested("ab"), 3);
  EXPECT_FALSE(Nested("").ok());
}

TEST(ResultTest, BuiltFromOkStatusIsInternalError) {
  Result<int> r{Status::Ok()};
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInternal);
}

TEST(ResultTest, MoveOnlyValues) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(7);
  ASSERT_TRUE(r.ok());
  std::unique_ptr<int> p = std::move(r).value();
  EXPECT_EQ(*p, 7);
}

}  // namespace
}  // namespace schemaport
