#include <gtest/gtest.h>

#include <sstream>

#include "core/core.h"

namespace schemaport {
namespace {

constexpr char kKey[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

TEST(SecretTest, StreamsAsRedacted) {
  Secret s(kKey);
  std::ostringstream os;
  os << "key=" << s;
  EXPECT_EQ(os.str(), "key=***");
}

TEST(SecretTest, FormatsAsRedactedWithAnySpec) {
  Secret s(kKey);
  EXPECT_EQ(fmt::format("{}", s), "***");
  EXPECT_EQ(fmt::format("[{:>5}]", s), "[  ***]");
  EXPECT_EQ(fmt::format(fmt::runtime("{0} {0}"), s), "*** ***");
}

TEST(SecretTest, RevealIsExplicit) {
  Secret s(kKey);
  EXPECT_EQ(s.Reveal(), kKey);
  EXPECT_FALSE(s.empty());
  EXPECT_TRUE(Secret().empty());
}

TEST(SecretTest, EqualsComparesValues) {
  EXPECT_TRUE(Secret("abc").Equals(Secret("abc")));
  EXPECT_FALSE(Secret("abc").Equals(Secret("abd")));
  EXPECT_FALSE(Secret("abc").Equals(Secret("abcd")));
  EXPECT_FALSE(Secret("").Equals(Secret("a")));
  EXPECT_TRUE(Secret("").Equals(Secret("")));
}

TEST(SecretTest, MovedFromIsEmpty) {
  Secret a(kKey);
  Secret b(std::move(a));
  EXPECT_EQ(b.Reveal(), kKey);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): the contract is that it is empty
}

TEST(SecretTest, NeverInLogLines) {
  auto sink = std::make_shared<MemoryLogSink>();
  FakeClock clock;
  Logger logger(sink, LogLevel::kDebug, clock);
  Secret s(kKey);
  logger.Info(fmt::format("connecting with {}", s), {{"secret_access_key", s}});
  auto child = logger.With({{"credential", s}});
  child->Warn("retrying", {{"attempt", 2}});
  for (const auto& line : sink->lines()) {
    EXPECT_EQ(line.find(kKey), std::string::npos) << line;
    EXPECT_NE(line.find("***"), std::string::npos) << line;
  }
  ASSERT_EQ(sink->lines().size(), 2u);
}

}  // namespace
}  // namespace schemaport
