// Redshift Data API client: every operation, pagination, and RunStatement under a fake clock.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "aws/internal.h"
#include "aws/testing/fake_http.h"

namespace schemaport::aws {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::HeaderOf;
using testing::ScriptedHttpClient;

constexpr char kId[] = "d9b6c0c9-0747-4bf4-b142-e8883122f766";

class DataApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ClientConfig config;
    config.region = "eu-west-1";
    auto c = RedshiftDataClient::Create(config, http_,
                                        std::make_shared<StaticCredentialsProvider>(Credentials{
                                            "AKID", Secret("secret"), Secret(), std::nullopt}),
                                        clock_, random_);
    ASSERT_TRUE(c.ok()) << c.status();
    client_ = std::move(c).value();
  }
  void ReplyJson(const json& body) { http_->Reply(200, body.dump()); }
  json Body(size_t i) const { return json::parse(http_->requests().at(i).body); }
  std::string Target(size_t i) const { return HeaderOf(http_->requests().at(i), "X-Amz-Target"); }
  static DataApiTarget Serverless() { return {"dev", "wg1", "", "", ""}; }

  std::shared_ptr<ScriptedHttpClient> http_ = std::make_shared<ScriptedHttpClient>();
  FakeClock clock_;
  SeededRandom random_{1};
  std::unique_ptr<RedshiftDataClient> client_;
};

TEST_F(DataApiTest, ExecuteStatementSendsEveryMemberAndEachAuthMode) {
  ExecuteStatementRequest req;
  req.target = Serverless();
  req.sql = "select * from t where a = :a";
  req.parameters = {{"a", "1"}};
  req.statement_name = "fetch";
  req.with_event = true;
  req.client_token = "tok-1";
  req.result_format = "CSV";
  req.session_keep_alive_seconds = 60;
  req.wait_time_seconds = 10;
  ReplyJson({{"Id", kId}, {"Status", "FINISHED"}, {"HasResultSet", true}, {"SessionId", "s"}});
  auto out = client_->ExecuteStatement(req);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->id, kId);
  EXPECT_EQ(out->status, StatementStatus::kFinished);
  EXPECT_EQ(out->has_result_set, true);
  EXPECT_EQ(Body(0), (json{{"Sql", "select * from t where a = :a"},
                           {"Database", "dev"},
                           {"WorkgroupName", "wg1"},
                           {"Parameters", {{{"name", "a"}, {"value", "1"}}}},
                           {"StatementName", "fetch"},
                           {"WithEvent", true},
                           {"ClientToken", "tok-1"},
                           {"ResultFormat", "CSV"},
                           {"SessionKeepAliveSeconds", 60},
                           {"WaitTimeSeconds", 10}}));
  EXPECT_EQ(Target(0), "RedshiftData.ExecuteStatement");

  // Provisioned with a database user (GetClusterCredentials), with IAM only, with a secret.
  const std::vector<std::pair<DataApiTarget, json>> modes = {
      {{"dev", "", "c1", "alice", ""}, {{"ClusterIdentifier", "c1"}, {"DbUser", "alice"}}},
      {{"dev", "", "c1", "", ""}, {{"ClusterIdentifier", "c1"}}},
      {{"dev", "", "c1", "", "arn:aws:secretsmanager:eu-west-1:1:secret:s"},
       {{"ClusterIdentifier", "c1"}, {"SecretArn", "arn:aws:secretsmanager:eu-west-1:1:secret:s"}}},
  };
  for (size_t i = 0; i < modes.size(); ++i) {
    ExecuteStatementRequest r;
    r.target = modes[i].first;
    r.sql = "select 1";
    ReplyJson({{"Id", kId}});
    ASSERT_TRUE(client_->ExecuteStatement(r).ok());
    json body = Body(i + 1);
    EXPECT_FALSE(body["ClientToken"].get<std::string>().empty());
    body.erase("ClientToken");
    json expected = modes[i].second;
    expected["Sql"] = "select 1";
    expected["Database"] = "dev";
    EXPECT_EQ(body, expected);
  }
  // A session id replaces the target.
  ExecuteStatementRequest in_session;
  in_session.session_id = kId;
  in_session.sql = "select 2";
  ReplyJson({{"Id", kId}});
  ASSERT_TRUE(client_->ExecuteStatement(in_session).ok());
  EXPECT_EQ(Body(4)["SessionId"], kId);
  EXPECT_FALSE(Body(4).contains("WorkgroupName"));
}

TEST_F(DataApiTest, ConflictingOrMissingTargetsAreRejectedLocally) {
  ExecuteStatementRequest r;
  r.sql = "select 1";
  r.target = {"dev", "wg1", "c1", "", ""};
  EXPECT_EQ(client_->ExecuteStatement(r).status().code(), Code::kInvalidArgument);
  r.target = {"dev", "", "", "", ""};
  EXPECT_EQ(client_->ExecuteStatement(r).status().code(), Code::kInvalidArgument);
  r.target = {"dev", "wg1", "", "bob", ""};
  EXPECT_EQ(client_->ExecuteStatement(r).status().code(), Code::kInvalidArgument);
  EXPECT_TRUE(http_->requests().empty());
}

TEST_F(DataApiTest, GetStatementResultReadsEveryFieldKind) {
  ReplyJson(
      {{"ColumnMetadata",
        {{{"name", "id"},
          {"typeName", "int8"},
          {"nullable", 0},
          {"isSigned", true},
          {"schemaName", "public"},
          {"tableName", "t"},
          {"precision", 19}},
         {{"name", "txt"}, {"typeName", "varchar"}, {"length", 256}, {"isCaseSensitive", true}}}},
       {"Records",
        {{{{"longValue", 9007199254740993LL}}, {{"stringValue", "a\"b\\u00e9\n"}}},
         {{{"isNull", true}}, {{"doubleValue", 1.5}}},
         {{{"booleanValue", false}}, {{"blobValue", "AAE="}}}}},
       {"TotalNumRows", 3},
       {"NextToken", "page2"}});
  auto page = client_->GetStatementResult(kId);
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->columns.size(), 2u);
  EXPECT_EQ(page->columns[0].name, "id");
  EXPECT_EQ(page->columns[0].type_name, "int8");
  EXPECT_EQ(page->columns[0].precision, 19);
  EXPECT_TRUE(page->columns[0].is_signed);
  EXPECT_EQ(page->columns[1].length, 256);
  EXPECT_TRUE(page->columns[1].is_case_sensitive);
  ASSERT_EQ(page->records.size(), 3u);
  EXPECT_EQ(std::get<std::int64_t>(page->records[0][0]), 9007199254740993LL);
  EXPECT_EQ(std::get<std::string>(page->records[0][1]), "a\"b\\u00e9\n");
  EXPECT_TRUE(std::holds_alternative<std::monostate>(page->records[1][0]));
  EXPECT_EQ(std::get<double>(page->records[1][1]), 1.5);
  EXPECT_EQ(std::get<bool>(page->records[2][0]), false);
  EXPECT_EQ(std::get<std::string>(page->records[2][1]), "AAE=");
  EXPECT_EQ(page->total_rows, 3);
  EXPECT_EQ(page->next_token, "page2");

  http_->Reply(200, R"({"Records": [[{"longValue": "x"}]]})");
  EXPECT_EQ(client_->GetStatementResult(kId, "page2").status().code(), Code::kUnavailable);
  EXPECT_EQ(Body(1), (json{{"Id", kId}, {"NextToken", "page2"}}));
}

TEST_F(DataApiTest, GetStatementResultV2ReturnsCsvBlocks) {
  ReplyJson({{"ColumnMetadata", {{{"name", "a"}}}},
             {"Records", {{{"CSVRecords", "a\n1\n2\n"}}}},
             {"ResultFormat", "CSV"},
             {"TotalNumRows", 2}});
  auto page = client_->GetStatementResultV2(kId);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_THAT(page->csv_records, ElementsAre("a\n1\n2\n"));
  EXPECT_EQ(page->total_rows, 2);
  EXPECT_TRUE(page->next_token.empty());
  EXPECT_EQ(Target(0), "RedshiftData.GetStatementResultV2");
}

TEST_F(DataApiTest, ListingsFollowEveryPage) {
  ReplyJson({{"Databases", {"dev", "sales"}}, {"NextToken", "t1"}});
  ReplyJson({{"Databases", {"ops"}}});
  auto dbs = client_->ListAllDatabases(Serverless());
  ASSERT_TRUE(dbs.ok()) << dbs.status();
  EXPECT_THAT(*dbs, ElementsAre("dev", "sales", "ops"));
  EXPECT_EQ(Body(1), (json{{"Database", "dev"}, {"WorkgroupName", "wg1"}, {"NextToken", "t1"}}));

  ReplyJson({{"Schemas", {"public"}}, {"NextToken", "s1"}});
  ReplyJson({{"Schemas", {"sales"}}});
  EXPECT_THAT(*client_->ListAllSchemas(Serverless(), "s%"), ElementsAre("public", "sales"));
  EXPECT_EQ(Body(2)["SchemaPattern"], "s%");

  ReplyJson({{"Tables", {{{"name", "t1"}, {"schema", "public"}, {"type", "TABLE"}}}},
             {"NextToken", "x"}});
  ReplyJson({{"Tables", {{{"name", "v1"}, {"schema", "public"}, {"type", "VIEW"}}}}});
  auto tables = client_->ListAllTables(Serverless(), "public", "%");
  ASSERT_TRUE(tables.ok());
  ASSERT_EQ(tables->size(), 2u);
  EXPECT_EQ((*tables)[1].name, "v1");
  EXPECT_EQ((*tables)[1].type, "VIEW");
  EXPECT_EQ(Body(4)["TablePattern"], "%");

  ReplyJson({{"TableName", "t1"},
             {"ColumnList", {{{"name", "a"}, {"typeName", "int4"}}}},
             {"NextToken", "c1"}});
  ReplyJson({{"TableName", "t1"}, {"ColumnList", {{{"name", "b"}, {"typeName", "text"}}}}});
  auto cols = client_->DescribeAllColumns(Serverless(), "public", "t1");
  ASSERT_TRUE(cols.ok());
  ASSERT_EQ(cols->size(), 2u);
  EXPECT_EQ((*cols)[1].type_name, "text");
  EXPECT_EQ(Body(7), (json{{"Database", "dev"},
                           {"WorkgroupName", "wg1"},
                           {"Schema", "public"},
                           {"Table", "t1"},
                           {"NextToken", "c1"}}));
  EXPECT_EQ(Target(7), "RedshiftData.DescribeTable");

  ReplyJson({{"Databases", {"a"}}, {"NextToken", "same"}});
  ReplyJson({{"Databases", {"b"}}, {"NextToken", "same"}});
  EXPECT_EQ(client_->ListAllDatabases(Serverless()).status().code(), Code::kUnavailable);
}

TEST_F(DataApiTest, RunStatementLongPollsAndStreamsEveryPage) {
  ReplyJson({{"Id", kId}, {"Status", "STARTED"}});
  ReplyJson({{"Id", kId}, {"Status", "FINISHED"}, {"HasResultSet", true}, {"ResultRows", 3}});
  ReplyJson({{"Records", {{{{"longValue", 1}}}, {{{"longValue", 2}}}}}, {"NextToken", "n"}});
  ReplyJson({{"Records", {{{{"longValue", 3}}}}}});
  std::vector<std::int64_t> seen;
  int pages = 0;
  ExecuteStatementRequest req;
  req.target = Serverless();
  req.sql = "select n from t";
  auto desc = client_->RunStatement(req, RunOptions{}, [&](const ResultPage& page) {
    ++pages;
    for (const auto& r : page.records) seen.push_back(std::get<std::int64_t>(r[0]));
    return Status::Ok();
  });
  ASSERT_TRUE(desc.ok()) << desc.status();
  EXPECT_EQ(desc->status, StatementStatus::kFinished);
  EXPECT_EQ(desc->result_rows, 3);
  EXPECT_EQ(pages, 2);
  EXPECT_THAT(seen, ElementsAre(1, 2, 3));
  EXPECT_EQ(Body(0)["WaitTimeSeconds"], 30);
  EXPECT_EQ(Target(1), "RedshiftData.DescribeStatement");
  EXPECT_EQ(Body(1)["WaitTimeSeconds"], 30);
  EXPECT_TRUE(clock_.sleeps().empty());
}

TEST_F(DataApiTest, RunStatementPollsWithBackoffWhenLongPollingIsOff) {
  ReplyJson({{"Id", kId}});
  ReplyJson({{"Id", kId}, {"Status", "SUBMITTED"}});
  ReplyJson({{"Id", kId}, {"Status", "STARTED"}});
  ReplyJson({{"Id", kId}, {"Status", "FINISHED"}, {"HasResultSet", false}});
  RunOptions options;
  options.long_poll = false;
  ExecuteStatementRequest req;
  req.target = Serverless();
  req.sql = "analyze";
  auto desc = client_->RunStatement(req, options, nullptr);
  ASSERT_TRUE(desc.ok()) << desc.status();
  EXPECT_THAT(clock_.sleeps(),
              ElementsAre(std::chrono::milliseconds(100), std::chrono::milliseconds(200),
                          std::chrono::milliseconds(400)));
  EXPECT_FALSE(Body(0).contains("WaitTimeSeconds"));
  EXPECT_FALSE(Body(1).contains("WaitTimeSeconds"));
}

TEST_F(DataApiTest, RunStatementFallsBackToPollingWhenWaitTimeIsRejected) {
  http_->Reply(400,
               R"({"__type":"ValidationException","message":"WaitTimeSeconds is not supported"})");
  ReplyJson({{"Id", kId}});
  ReplyJson({{"Id", kId}, {"Status", "FINISHED"}});
  ExecuteStatementRequest req;
  req.target = Serverless();
  req.sql = "select 1";
  req.client_token = "tok";
  auto desc = client_->RunStatement(req, RunOptions{}, nullptr);
  ASSERT_TRUE(desc.ok()) << desc.status();
  EXPECT_TRUE(Body(0).contains("WaitTimeSeconds"));
  EXPECT_FALSE(Body(1).contains("WaitTimeSeconds"));
  EXPECT_EQ(Body(1)["ClientToken"], "tok");
  EXPECT_FALSE(Body(2).contains("WaitTimeSeconds"));
}

TEST_F(DataApiTest, RunStatementCancelsAfterTheDeadline) {
  RunOptions options;
  options.long_poll = false;
  options.deadline = std::chrono::seconds(2);
  ReplyJson({{"Id", kId}});
  // Polls after 100, 200, 400 and 800 ms, then after the 500 ms left: five DescribeStatement.
  for (int i = 0; i < 5; ++i) ReplyJson({{"Id", kId}, {"Status", "STARTED"}});
  ReplyJson({{"Status", true}});
  ExecuteStatementRequest req;
  req.target = Serverless();
  req.sql = "select pg_sleep(100)";
  auto desc = client_->RunStatement(req, options, nullptr);
  EXPECT_EQ(desc.status().code(), Code::kTimeout);
  EXPECT_THAT(desc.status().message(), HasSubstr("was cancelled"));
  EXPECT_EQ(http_->pending(), 0u);
  const auto requests = http_->requests();
  EXPECT_EQ(HeaderOf(requests.back(), "X-Amz-Target"), "RedshiftData.CancelStatement");
  EXPECT_EQ(json::parse(requests.back().body)["Id"], kId);
  // Sleeps are capped by the time left: they add up to the deadline exactly.
  std::chrono::nanoseconds total{0};
  for (auto s : clock_.sleeps()) total += s;
  EXPECT_EQ(total, std::chrono::seconds(2));
}

TEST_F(DataApiTest, FailedAndAbortedStatementsBecomeErrors) {
  ExecuteStatementRequest req;
  req.target = Serverless();
  req.sql = "select * from secret_table";
  ReplyJson({{"Id", kId}, {"Status", "FAILED"}});
  ReplyJson({{"Id", kId},
             {"Status", "FAILED"},
             {"Error", "ERROR: permission denied for relation secret_table"}});
  auto denied = client_->RunStatement(req, RunOptions{}, nullptr);
  EXPECT_EQ(denied.status().code(), Code::kPermissionDenied);
  EXPECT_THAT(denied.status().message(), HasSubstr("permission denied for relation secret_table"));

  ReplyJson({{"Id", kId}, {"Status", "ABORTED"}});
  ReplyJson({{"Id", kId}, {"Status", "ABORTED"}});
  EXPECT_EQ(client_->RunStatement(req, RunOptions{}, nullptr).status().code(), Code::kCancelled);

  ReplyJson({{"Id", kId}, {"Status", "FAILED"}});
  ReplyJson(
      {{"Id", kId}, {"Status", "FAILED"}, {"Error", "ERROR: syntax error at or near \"selec\""}});
  EXPECT_EQ(client_->RunStatement(req, RunOptions{}, nullptr).status().code(),
            Code::kFailedPrecondition);
}

TEST_F(DataApiTest, PageCallbackErrorStopsTheFetch) {
  ReplyJson({{"Id", kId}, {"Status", "FINISHED"}, {"HasResultSet", true}});
  ReplyJson({{"Id", kId}, {"Status", "FINISHED"}, {"HasResultSet", true}});
  ReplyJson({{"Records", {{{{"longValue", 1}}}}}, {"NextToken", "n"}});
  ReplyJson({{"Records", {{{{"longValue", 2}}}}}});
  ExecuteStatementRequest req;
  req.target = Serverless();
  req.sql = "select 1";
  auto desc = client_->RunStatement(req, RunOptions{}, [](const ResultPage&) {
    return Status(Code::kResourceExhausted, "too many rows");
  });
  EXPECT_EQ(desc.status().code(), Code::kResourceExhausted);
  EXPECT_EQ(http_->pending(), 1u);  // the second page was never requested
}

// Regression: ReadPages followed a NextToken the service repeated, forever.
TEST_F(DataApiTest, RepeatedNextTokenEndsTheResultReadWithAnError) {
  ReplyJson({{"Id", kId}, {"Status", "FINISHED"}, {"HasResultSet", true}});
  ReplyJson({{"Id", kId}, {"Status", "FINISHED"}, {"HasResultSet", true}});
  for (int i = 0; i < 4; ++i)
    ReplyJson({{"Records", {{{{"longValue", i}}}}}, {"NextToken", "same"}});
  ExecuteStatementRequest req;
  req.target = Serverless();
  req.sql = "select 1";
  int pages = 0;
  auto desc = client_->RunStatement(req, RunOptions{}, [&](const ResultPage&) {
    ++pages;
    return Status::Ok();
  });
  ASSERT_FALSE(desc.ok());
  EXPECT_EQ(desc.status().code(), Code::kUnavailable);
  EXPECT_THAT(desc.status().message(), HasSubstr("NextToken it had already sent"));
  EXPECT_EQ(pages, 2);
}

// Regression: result pages with ever new tokens were read without any time limit.
TEST_F(DataApiTest, ResultReadStopsAtItsDeadline) {
  ReplyJson({{"Id", kId}, {"Status", "FINISHED"}, {"HasResultSet", true}});
  ReplyJson({{"Id", kId}, {"Status", "FINISHED"}, {"HasResultSet", true}});
  for (int i = 0; i < 5; ++i) {
    ReplyJson({{"Records", json::array()}, {"NextToken", "t" + std::to_string(i)}});
  }
  ExecuteStatementRequest req;
  req.target = Serverless();
  req.sql = "select 1";
  RunOptions options;
  options.results_deadline = std::chrono::minutes(1);
  int pages = 0;
  auto desc = client_->RunStatement(req, options, [&](const ResultPage&) {
    ++pages;
    clock_.Advance(std::chrono::seconds(40));  // each page takes 40 s
    return Status::Ok();
  });
  ASSERT_FALSE(desc.ok());
  EXPECT_EQ(desc.status().code(), Code::kTimeout);
  EXPECT_EQ(pages, 2);
}

TEST_F(DataApiTest, FinishedWithinTheExecuteWaitNeedsNoDescribe) {
  ReplyJson({{"Id", kId}, {"Status", "FINISHED"}, {"HasResultSet", true}, {"SessionId", "s-1"}});
  ReplyJson({{"Records", {{{{"longValue", 1}}}}}});
  ExecuteStatementRequest req;
  req.target = Serverless();
  req.sql = "select 1";
  int rows = 0;
  RunOptions options;
  options.full_description = false;
  auto desc = client_->RunStatement(req, options, [&](const ResultPage& p) {
    rows += static_cast<int>(p.records.size());
    return Status::Ok();
  });
  ASSERT_TRUE(desc.ok()) << desc.status();
  EXPECT_EQ(rows, 1);
  EXPECT_EQ(desc->session_id, "s-1");
  ASSERT_EQ(http_->requests().size(), 2u);
  EXPECT_EQ(Target(1), "RedshiftData.GetStatementResult");
}

TEST_F(DataApiTest, RowsStreamAsViewsAcrossPages) {
  ReplyJson({{"Id", kId}, {"Status", "FINISHED"}, {"HasResultSet", true}});
  ReplyJson({{"Records",
              {{{{"longValue", 7}}, {{"stringValue", "a\u00e9"}}, {{"isNull", true}}},
               {{{"booleanValue", true}}, {{"doubleValue", 0.5}}, {{"blobValue", "AAE="}}}}},
             {"NextToken", "n"}});
  ReplyJson({{"Records", {{{{"longValue", 8}}, {{"stringValue", "b"}}, {{"isNull", true}}}}}});
  ExecuteStatementRequest req;
  req.target = Serverless();
  req.sql = "select 1";
  std::vector<std::string> seen;
  RunOptions options;
  options.full_description = false;
  auto desc = client_->RunStatementRows(req, options, [&](std::span<const FieldView> row) {
    std::string line;
    for (const auto& f : row) {
      std::visit(
          [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, std::monostate>)
              line += "null,";
            else if constexpr (std::is_same_v<T, std::string_view>)
              line += std::string(x) + ",";
            else
              line += fmt::format("{},", x);
          },
          f);
    }
    seen.push_back(line);
    return Status::Ok();
  });
  ASSERT_TRUE(desc.ok()) << desc.status();
  EXPECT_EQ(seen, (std::vector<std::string>{"7,a\u00e9,null,", "true,0.5,AAE=,", "8,b,null,"}));
  EXPECT_EQ(Body(2)["NextToken"], "n");
}

TEST_F(DataApiTest, RowCallbackErrorStopsTheStream) {
  ReplyJson({{"Id", kId}, {"Status", "FINISHED"}, {"HasResultSet", true}});
  ReplyJson({{"Records", {{{{"longValue", 1}}}, {{{"longValue", 2}}}}}, {"NextToken", "n"}});
  ReplyJson({{"Records", {{{{"longValue", 3}}}}}});
  ExecuteStatementRequest req;
  req.target = Serverless();
  req.sql = "select 1";
  int rows = 0;
  RunOptions options;
  options.full_description = false;
  auto desc = client_->RunStatementRows(req, options, [&](std::span<const FieldView>) {
    ++rows;
    return Status(Code::kInvalidArgument, "bad row");
  });
  EXPECT_EQ(desc.status().message(), "bad row");
  EXPECT_EQ(rows, 1);
  EXPECT_EQ(http_->pending(), 1u);
}

TEST_F(DataApiTest, CancellationCancelsTheRunningStatement) {
  ReplyJson({{"Id", kId}, {"Status", "STARTED"}});
  ReplyJson({{"Status", true}});
  ExecuteStatementRequest req;
  req.target = Serverless();
  req.sql = "select 1";
  RunOptions options;
  options.cancelled = [] { return true; };
  auto desc = client_->RunStatement(req, options, nullptr);
  EXPECT_EQ(desc.status().code(), Code::kCancelled);
  ASSERT_EQ(http_->requests().size(), 2u);
  EXPECT_EQ(Body(0)["WaitTimeSeconds"], 1);  // short waits while cancellable
  EXPECT_EQ(Target(1), "RedshiftData.CancelStatement");
}

TEST_F(DataApiTest, RunStatementCsvStreamsV2Pages) {
  ReplyJson({{"Id", kId}, {"Status", "FINISHED"}, {"HasResultSet", true}});
  ReplyJson({{"Id", kId}, {"Status", "FINISHED"}, {"HasResultSet", true}, {"ResultFormat", "CSV"}});
  ReplyJson({{"Records", {{{"CSVRecords", "a,b\n1,2\n"}}}}, {"NextToken", "n"}});
  ReplyJson({{"Records", {{{"CSVRecords", "3,4\n"}}}}});
  ExecuteStatementRequest req;
  req.target = Serverless();
  req.sql = "select a, b from t";
  std::string csv;
  auto desc = client_->RunStatementCsv(req, RunOptions{}, [&](const CsvResultPage& page) {
    for (const auto& block : page.csv_records) csv += block;
    return Status::Ok();
  });
  ASSERT_TRUE(desc.ok()) << desc.status();
  EXPECT_EQ(csv, "a,b\n1,2\n3,4\n");
  EXPECT_EQ(Body(0)["ResultFormat"], "CSV");
  EXPECT_EQ(Target(2), "RedshiftData.GetStatementResultV2");
  EXPECT_EQ(Body(3), (json{{"Id", kId}, {"NextToken", "n"}}));
}

TEST_F(DataApiTest, SqlLongerThanTheDataApiLimitIsRefusedLocally) {
  ExecuteStatementRequest req;
  req.target = Serverless();
  req.sql = std::string(RedshiftDataClient::kMaxSqlBytes + 1, 'x');
  auto out = client_->ExecuteStatement(req);
  EXPECT_EQ(out.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(out.status().message(), HasSubstr("at most 100 KB"));
  EXPECT_TRUE(http_->requests().empty());
}

TEST_F(DataApiTest, CancelStatementReportsTheServiceAnswer) {
  ReplyJson({{"Status", true}});
  EXPECT_TRUE(*client_->CancelStatement(kId));
  http_->Reply(400, R"({"__type":"ResourceNotFoundException","message":"Query does not exist."})");
  EXPECT_EQ(client_->CancelStatement(kId).status().code(), Code::kNotFound);
  EXPECT_EQ(client_->CancelStatement("not-a-statement-id").status().code(), Code::kInvalidArgument);
  // A reply of the wrong shape is not an exception.
  ReplyJson({{"Status", "yes"}});
  EXPECT_FALSE(*client_->CancelStatement(kId));
  ReplyJson({{"Id", 5}, {"Status", 7}, {"HasResultSet", "x"}, {"ResultRows", "many"}});
  auto d = client_->DescribeStatement(kId);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->status, StatementStatus::kUnknown);
  EXPECT_EQ(d->result_rows, -1);
}

}  // namespace
}  // namespace schemaport::aws
