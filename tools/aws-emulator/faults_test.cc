#include "faults.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace schemaport::emulator {
namespace {

class FaultsTest : public ::testing::Test {};

TEST(RequestQuotasTest, OneSecondOfBurstThenTheRateThenThrottling) {
  FakeClock clock;
  RequestQuotas quotas({{"ListStatements", 3}, {"ExecuteStatement", 30}}, clock);
  int allowed = 0;
  for (int i = 0; i < 10; ++i) allowed += quotas.TryAcquire("ListStatements") ? 1 : 0;
  EXPECT_EQ(allowed, 3);
  EXPECT_TRUE(quotas.TryAcquire("ExecuteStatement")) << "each operation has its own bucket";
  EXPECT_TRUE(quotas.TryAcquire("GetCallerIdentity"))
      << "operations without a quota are not limited";
  clock.Advance(std::chrono::milliseconds(340));
  EXPECT_TRUE(quotas.TryAcquire("ListStatements"));
  EXPECT_FALSE(quotas.TryAcquire("ListStatements"));
  quotas.Set({});
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(quotas.TryAcquire("ListStatements"));
}

TEST_F(FaultsTest, SameSeedGivesSameDecisions) {
  FaultsConfig c;
  c.global.throttle = 0.3;
  c.global.error_503 = 0.3;
  c.global.jitter_ms = 50;
  FaultInjector a(c, 9), b(c, 9);
  for (int i = 0; i < 50; ++i) {
    auto x = a.ForCall("ExecuteStatement");
    auto y = b.ForCall("ExecuteStatement");
    EXPECT_EQ(x.action, y.action);
    EXPECT_EQ(x.latency, y.latency);
    EXPECT_LE(x.latency.count(), 50);
  }
}

TEST_F(FaultsTest, PerOperationSpecReplacesGlobal) {
  FaultsConfig c;
  c.global.throttle = 1.0;
  c.operations["DescribeStatement"] = FaultSpec{};
  FaultInjector f(c, 1);
  EXPECT_EQ(f.ForCall("ExecuteStatement").action, FaultInjector::Action::kThrottle);
  EXPECT_EQ(f.ForCall("DescribeStatement").action, FaultInjector::Action::kNone);
}

TEST_F(FaultsTest, ProbabilitiesShapeOutcomes) {
  FaultsConfig c;
  c.global.drop = 1.0;
  c.global.latency_ms = 7;
  FaultInjector f(c, 1);
  auto d = f.ForCall("X");
  EXPECT_EQ(d.action, FaultInjector::Action::kDrop);
  EXPECT_EQ(d.latency.count(), 7);
  f.Set(FaultsConfig{});
  EXPECT_EQ(f.ForCall("X").action, FaultInjector::Action::kNone);
  EXPECT_FALSE(f.FailStatement("ExecuteStatement"));
  FaultsConfig fail;
  fail.global.statement_fail = 1.0;
  f.Set(fail);
  EXPECT_TRUE(f.FailStatement("ExecuteStatement"));
  FaultsConfig per_op;
  per_op.global.statement_fail = 1.0;
  per_op.operations["BatchExecuteStatement"] = FaultSpec{};
  f.Set(per_op);
  EXPECT_FALSE(f.FailStatement("BatchExecuteStatement"));
}

TEST_F(FaultsTest, CountersGroupByOperationAndOutcome) {
  Counters c;
  c.Add("ExecuteStatement", "ok");
  c.Add("ExecuteStatement", "ok");
  c.Add("ExecuteStatement", "ThrottlingException");
  auto j = c.ToJson();
  EXPECT_EQ(j["ExecuteStatement"]["ok"], 2);
  EXPECT_EQ(j["ExecuteStatement"]["ThrottlingException"], 1);
  c.Reset();
  EXPECT_TRUE(c.ToJson().empty());
}

TEST_F(FaultsTest, StatementLogWritesJsonLinesFile) {
  auto path =
      std::filesystem::temp_directory_path() / ("emu-log-" + std::to_string(::getpid()) + ".jsonl");
  {
    StatementLog log(path.string());
    log.Add(StatementLogEntry{"t", "id1", "arn:aws:iam::1:user/a", "IAM:a", "dev", "select 1",
                              "FINISHED", ""});
    ASSERT_EQ(log.ToJson().size(), 1u);
    EXPECT_EQ(log.ToJson()[0]["sql"], "select 1");
  }
  std::ifstream in(path);
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["identity"], "arn:aws:iam::1:user/a");
  EXPECT_EQ(j["outcome"], "FINISHED");
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace schemaport::emulator
