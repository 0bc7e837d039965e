#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/core.h"

namespace schemaport {
namespace {

class LogTest : public ::testing::Test {
 protected:
  std::shared_ptr<MemoryLogSink> sink_ = std::make_shared<MemoryLogSink>();
  FakeClock clock_{Clock::TimePoint(std::chrono::milliseconds(1440938160123))};
};

TEST_F(LogTest, WritesOneJsonObjectPerLine) {
  Logger logger(sink_, LogLevel::kInfo, clock_);
  logger.Info("fetched catalog", {{"tables", 10000}, {"ok", true}, {"ratio", 0.5}});
  ASSERT_EQ(sink_->lines().size(), 1u);
  auto j = nlohmann::json::parse(sink_->lines()[0]);
  EXPECT_EQ(j["ts"], "2015-08-30T12:36:00.123Z");
  EXPECT_EQ(j["level"], "info");
  EXPECT_EQ(j["msg"], "fetched catalog");
  EXPECT_EQ(j["tables"], 10000);
  EXPECT_EQ(j["ok"], true);
  EXPECT_EQ(sink_->lines()[0].find('\n'), std::string::npos);
}

TEST_F(LogTest, LevelsFilter) {
  Logger logger(sink_, LogLevel::kWarn, clock_);
  logger.Debug("d");
  logger.Info("i");
  logger.Warn("w");
  logger.Error("e");
  ASSERT_EQ(sink_->lines().size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(sink_->lines()[1])["level"], "error");
}

TEST_F(LogTest, ChildLoggerCarriesRequestAndJobIds) {
  Logger logger(sink_, LogLevel::kDebug, clock_);
  auto req = logger.With({{"request_id", "r-1"}});
  auto job = req->With({{"job_id", "j-9"}});
  job->Info("step");
  auto j = nlohmann::json::parse(sink_->lines().at(0));
  EXPECT_EQ(j["request_id"], "r-1");
  EXPECT_EQ(j["job_id"], "j-9");
}

TEST_F(LogTest, NewlinesAndQuotesInMessagesStayInOneLine) {
  Logger logger(sink_, LogLevel::kDebug, clock_);
  logger.Info("table \"a\nb\"", {{"name", "x\"y\n"}, {"bad_utf8", std::string("\xff\xfe")}});
  ASSERT_EQ(sink_->lines().size(), 1u);
  EXPECT_EQ(sink_->lines()[0].find('\n'), std::string::npos);
  auto j = nlohmann::json::parse(sink_->lines()[0]);
  EXPECT_EQ(j["msg"], "table \"a\nb\"");
}

TEST_F(LogTest, StatusFieldsAreUserSafe) {
  Logger logger(sink_, LogLevel::kDebug, clock_);
  logger.Error("failed", {{"error", PermissionDenied("denied", "internal detail")}});
  auto j = nlohmann::json::parse(sink_->lines().at(0));
  EXPECT_EQ(j["error"], "permission_denied: denied");
}

TEST(LogLevelTest, Parses) {
  EXPECT_EQ(*ParseLogLevel("debug"), LogLevel::kDebug);
  EXPECT_EQ(*ParseLogLevel("warning"), LogLevel::kWarn);
  EXPECT_FALSE(ParseLogLevel("loud").ok());
}

}  // namespace
}  // namespace schemaport
