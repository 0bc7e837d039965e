#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "aws/internal.h"

namespace schemaport::aws {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

class ServiceModelTest : public ::testing::Test {
 protected:
  static ServiceModel Model(std::string_view name) {
    auto m = EmbeddedModel(name);
    EXPECT_TRUE(m.ok()) << m.status();
    return *m;
  }
};

TEST_F(ServiceModelTest, EveryEmbeddedModelLoadsWithItsMetadata) {
  EXPECT_EQ(EmbeddedModelNames(), (std::vector<std::string>{"redshift-data", "redshift-serverless",
                                                            "redshift", "sts", "secretsmanager"}));
  for (const auto& name : EmbeddedModelNames()) {
    auto m = EmbeddedModel(name);
    ASSERT_TRUE(m.ok()) << name << ": " << m.status();
    EXPECT_EQ(m->metadata().endpoint_prefix, name);
  }
  const auto data = Model("redshift-data");
  EXPECT_EQ(data.metadata().protocol, "json");
  EXPECT_EQ(data.metadata().target_prefix, "RedshiftData");
  EXPECT_EQ(data.metadata().signing_name, "redshift-data");
  EXPECT_EQ(data.metadata().json_version, "1.1");
  EXPECT_TRUE(data.HasOperation("GetStatementResultV2"));
  EXPECT_EQ(Model("sts").metadata().protocol, "query");
  EXPECT_EQ(Model("sts").metadata().api_version, "2011-06-15");
  EXPECT_EQ(Model("sts").metadata().signing_name, "sts");
  EXPECT_EQ(EmbeddedModel("kms").status().code(), Code::kNotFound);
}

TEST_F(ServiceModelTest, ValidExecuteStatementPasses) {
  const auto m = Model("redshift-data");
  const json input = {{"Sql", "select 1"},
                      {"WorkgroupName", "my-wg"},
                      {"Database", "dev"},
                      {"Parameters", {{{"name", "a"}, {"value", "1"}}}},
                      {"ClientToken", "abc"},
                      {"ResultFormat", "CSV"},
                      {"SessionKeepAliveSeconds", 0},
                      {"WaitTimeSeconds", 30},
                      {"WithEvent", false}};
  EXPECT_TRUE(m.ValidateInput("ExecuteStatement", input).ok())
      << m.ValidateInput("ExecuteStatement", input);
}

TEST_F(ServiceModelTest, OutOfRangeIntegerNamesTheField) {
  const auto m = Model("redshift-data");
  const Status s = m.ValidateInput("ExecuteStatement", {{"Sql", "x"}, {"WaitTimeSeconds", 31}});
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_EQ(s.message(), "WaitTimeSeconds: must be at most 30");
  EXPECT_EQ(m.ValidateInput("ExecuteStatement", {{"Sql", "x"}, {"WaitTimeSeconds", 0}}).message(),
            "WaitTimeSeconds: must be at least 1");
  EXPECT_EQ(m.ValidateInput("ExecuteStatement", {{"Sql", "x"}, {"WaitTimeSeconds", 1.5}}).message(),
            "WaitTimeSeconds: must be an integer");
  EXPECT_EQ(m.ValidateInput("ExecuteStatement", {{"Sql", "x"}, {"WaitTimeSeconds", 5000000000LL}})
                .message(),
            "WaitTimeSeconds: is out of range");
}

TEST_F(ServiceModelTest, MissingAndUnknownMembersAreReported) {
  const auto m = Model("redshift-data");
  const auto issues = m.CheckInput("ExecuteStatement", {{"Bogus", 1}, {"Sql", nullptr}});
  ASSERT_EQ(issues.size(), 2u);
  EXPECT_EQ(issues[0].ToString(), "Sql: is required");
  EXPECT_EQ(issues[1].path, "Bogus");
  EXPECT_THAT(issues[1].message, HasSubstr("is not a known parameter"));
  EXPECT_THAT(issues[1].message, HasSubstr("WaitTimeSeconds"));
  EXPECT_EQ(m.CheckInput("NoSuchOperation", json::object()).size(), 1u);
  EXPECT_EQ(m.ValidateInput("ExecuteStatement", json::array()).message(),
            "(input): must be an object");
}

TEST_F(ServiceModelTest, NestedListMembersCarryTheirIndexInThePath) {
  const auto m = Model("redshift-data");
  EXPECT_EQ(
      m.ValidateInput("ExecuteStatement", {{"Sql", "x"}, {"Parameters", json::array()}}).message(),
      "Parameters: must have at least 1 item");
  EXPECT_EQ(m.ValidateInput(
                 "ExecuteStatement",
                 {{"Sql", "x"}, {"Parameters", {{{"name", "a"}, {"value", "1"}}, {{"name", "b"}}}}})
                .message(),
            "Parameters[1].value: is required");
}

TEST_F(ServiceModelTest, StringLengthPatternAndEnumAreChecked) {
  const auto m = Model("redshift-data");
  EXPECT_EQ(m.ValidateInput("ExecuteStatement", {{"Sql", "x"}, {"ResultFormat", "XML"}}).message(),
            "ResultFormat: must be one of: JSON, CSV");
  EXPECT_EQ(m.ValidateInput("ExecuteStatement", {{"Sql", "x"}, {"ClientToken", ""}}).message(),
            "ClientToken: must be at least 1 character long");
  // ClusterIdentifier: [a-z][a-z0-9]*(-[a-z0-9]+)*, 1..63; matched as a whole.
  EXPECT_TRUE(
      m.ValidateInput("ExecuteStatement", {{"Sql", "x"}, {"ClusterIdentifier", "c-1"}}).ok());
  EXPECT_THAT(
      m.ValidateInput("ExecuteStatement", {{"Sql", "x"}, {"ClusterIdentifier", "Bad_Cluster"}})
          .message(),
      HasSubstr("ClusterIdentifier: must match the pattern"));
  EXPECT_EQ(m.ValidateInput("ExecuteStatement",
                            {{"Sql", "x"}, {"ClusterIdentifier", std::string(64, 'a')}})
                .message(),
            "ClusterIdentifier: must be at most 63 characters long");
  EXPECT_EQ(m.ValidateInput("ExecuteStatement", {{"Sql", 5}}).message(), "Sql: must be a string");
  // Statement ids: UUID with an optional ":N" sub-statement suffix.
  EXPECT_TRUE(
      m.ValidateInput("DescribeStatement", {{"Id", "d9b6c0c9-0747-4bf4-b142-e8883122f766:2"}})
          .ok());
  EXPECT_FALSE(m.ValidateInput("DescribeStatement", {{"Id", "not-a-uuid"}}).ok());
}

TEST_F(ServiceModelTest, UnicodePatternsAndLengthsCountCodePoints) {
  const auto sts = Model("sts");
  const json base = {{"RoleArn", "arn:aws:iam::123456789012:role/r"}, {"RoleSessionName", "s1"}};
  EXPECT_TRUE(sts.ValidateInput("AssumeRole", base).ok()) << sts.ValidateInput("AssumeRole", base);
  json bad = base;
  bad["RoleSessionName"] = "a b";
  EXPECT_THAT(sts.ValidateInput("AssumeRole", bad).message(),
              HasSubstr("RoleSessionName: must match the pattern"));
  bad["RoleSessionName"] = "\xC3\xA9t\xC3\xA9";  // "été": \w is ASCII
  EXPECT_FALSE(sts.ValidateInput("AssumeRole", bad).ok());
  // RoleArn: any XML character, including beyond the BMP (\u10000-\u10FFFF in the model).
  json arn = base;
  arn["RoleArn"] = "arn:aws:iam::123456789012:role/\xF0\x9F\x98\x80\xC3\xA9";
  EXPECT_TRUE(sts.ValidateInput("AssumeRole", arn).ok()) << sts.ValidateInput("AssumeRole", arn);
  arn["RoleArn"] = std::string("arn:aws:iam::123456789012:role/\x01");
  EXPECT_THAT(sts.ValidateInput("AssumeRole", arn).message(), HasSubstr("RoleArn: must match"));
  // Policy: [\u0009\u000A\u000D\u0020-\u00FF]+ (Latin-1 only).
  json policy = base;
  policy["Policy"] = "{\"a\":\"\xC3\xA9\"}";
  EXPECT_TRUE(sts.ValidateInput("AssumeRole", policy).ok());
  policy["Policy"] = "{\"a\":\"\xF0\x9F\x98\x80\"}";
  EXPECT_THAT(sts.ValidateInput("AssumeRole", policy).message(), HasSubstr("Policy: must match"));
  // ExternalId: 2..1224 characters of [\w+=,.@:\/-]*.
  json ext = base;
  ext["ExternalId"] = "x";
  EXPECT_EQ(sts.ValidateInput("AssumeRole", ext).message(),
            "ExternalId: must be at least 2 characters long");
}

TEST_F(ServiceModelTest, ValidationMessagesNeverEchoTheValue) {
  const auto sm = Model("secretsmanager");
  const Status s = sm.ValidateInput(
      "CreateSecret",
      {{"Name", "n"}, {"SecretString", std::string(70000, 'S')}, {"Zzz", "hunter2"}});
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), Not(HasSubstr("SSSS")));
  EXPECT_THAT(s.message(), Not(HasSubstr("hunter2")));
  EXPECT_THAT(s.message(), HasSubstr("SecretString: must be at most 65536 characters long"));
}

TEST_F(ServiceModelTest, LoadRejectsBrokenModels) {
  EXPECT_FALSE(ServiceModel::Load("{").ok());
  EXPECT_FALSE(ServiceModel::Load("{}").ok());
  EXPECT_FALSE(ServiceModel::Load(R"({"metadata":{"protocol":"json","endpointPrefix":"x"},
      "operations":{},"shapes":{"A":{"type":"structure","members":{"b":{"shape":"Missing"}}}}})")
                   .ok());
  EXPECT_FALSE(ServiceModel::Load(R"({"metadata":{"protocol":"json","endpointPrefix":"x"},
      "operations":{},"shapes":{"A":{"type":"string","pattern":"(unclosed"}}})")
                   .ok());
  auto ok = ServiceModel::Load(R"({"metadata":{"protocol":"json","endpointPrefix":"x"},
      "operations":{"Op":{"input":{"shape":"In"}}},
      "shapes":{"In":{"type":"structure","members":{"u":{"shape":"U"},"m":{"shape":"M"}}},
                "U":{"type":"structure","union":true,"members":{"a":{"shape":"S"},"b":{"shape":"S"}}},
                "M":{"type":"map","key":{"shape":"S"},"value":{"shape":"S"},"max":1},
                "S":{"type":"string"}}})");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->ValidateInput("Op", {{"u", {{"a", "1"}, {"b", "2"}}}}).message(),
            "u: must set exactly one member");
  EXPECT_TRUE(ok->ValidateInput("Op", {{"u", {{"a", "1"}}}}).ok());
  EXPECT_EQ(ok->ValidateInput("Op", {{"m", {{"a", "1"}, {"b", "2"}}}}).message(),
            "m: must have at most 1 entry");
}

TEST_F(ServiceModelTest, ErrorHttpStatusComesFromTheErrorTrait) {
  EXPECT_EQ(Model("sts").ErrorHttpStatus("ExpiredTokenException"), 400);
  EXPECT_EQ(Model("redshift").ErrorHttpStatus("ClusterNotFound"), 404);
  EXPECT_EQ(Model("redshift-data").ErrorHttpStatus("NoSuchError"), std::nullopt);
}

}  // namespace
}  // namespace schemaport::aws
