#include <gtest/gtest.h>

#include "core/core.h"

namespace schemaport {
namespace {

using namespace std::chrono_literals;

TEST(ClockTest, FakeClockAdvancesOnlyWhenTold) {
  FakeClock clock;
  const auto t0 = clock.Now();
  const auto m0 = clock.Monotonic();
  EXPECT_EQ(clock.Now(), t0);
  clock.Advance(5s);
  EXPECT_EQ(clock.Now() - t0, 5s);
  EXPECT_EQ(clock.Monotonic() - m0, 5s);
}

TEST(ClockTest, FakeSleepAdvancesAndIsRecorded) {
  FakeClock clock;
  const auto t0 = clock.Now();
  clock.SleepFor(250ms);
  clock.SleepFor(1s);
  EXPECT_EQ(clock.Now() - t0, 1250ms);
  ASSERT_EQ(clock.sleeps().size(), 2u);
  EXPECT_EQ(clock.sleeps()[0], 250ms);
}

TEST(ClockTest, FormatsAmzDate) {
  FakeClock clock(Clock::TimePoint(std::chrono::seconds(1440938160)));  // 2015-08-30T12:36:00Z
  EXPECT_EQ(FormatAmzDate(clock.Now()), "20150830T123600Z");
  EXPECT_EQ(FormatIso8601(clock.Now()), "2015-08-30T12:36:00Z");
}

TEST(ClockTest, ParsesIso8601Forms) {
  const auto expected = Clock::TimePoint(std::chrono::seconds(1440938160));
  EXPECT_EQ(*ParseIso8601("2015-08-30T12:36:00Z"), expected);
  EXPECT_EQ(*ParseIso8601("2015-08-30T14:36:00+02:00"), expected);
  auto frac = ParseIso8601("2015-08-30T12:36:00.250Z");
  ASSERT_TRUE(frac.ok());
  EXPECT_EQ(*frac - expected, 250ms);
}

// Regression (sigv4 fuzzer): a year past 2261 overflowed the nanosecond TimePoint.
TEST(ClockTest, RejectsYearsOutsideTheTimePointRange) {
  EXPECT_FALSE(ParseIso8601("9999-12-31T23:59:59Z").ok());
  EXPECT_FALSE(ParseIso8601("1200-01-01T00:00:00Z").ok());
  EXPECT_TRUE(ParseIso8601("2261-12-31T23:59:59Z").ok());
}

TEST(ClockTest, RejectsMalformedTimestamps) {
  for (const char* bad : {"", "2015-08-30", "2015-13-30T12:36:00Z", "2015-02-30T12:36:00Z",
                          "2015-08-30T12:36:00Q", "2015-08-30T12:36:00."}) {
    EXPECT_FALSE(ParseIso8601(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace schemaport
