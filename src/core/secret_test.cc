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

// The inline (small-string) buffer keeps a short value's bytes after std::string's move: every
// path that gives up a value must wipe the bytes it owned. These tests look at the bytes the
// string object owns through its capacity, the way a core dump or a heap scan would.
bool Holds(const std::string& s, std::string_view needle) {
  return std::string_view(s.data(), s.capacity()).find(needle) != std::string_view::npos;
}

TEST(SecretTest, ConstructingFromAMovedStringWipesItsInlineBuffer) {
  std::string plain = "shortsecret1";  // fits the inline buffer
  Secret s(std::move(plain));
  EXPECT_EQ(s.Reveal(), "shortsecret1");
  EXPECT_FALSE(Holds(plain, "secret1"));  // NOLINT(bugprone-use-after-move)
}

TEST(SecretTest, MovedFromSmallSecretIsWiped) {
  Secret a("shortsecret2");
  const std::string* inner = &a.Reveal();
  Secret b(std::move(a));
  EXPECT_EQ(b.Reveal(), "shortsecret2");
  EXPECT_FALSE(Holds(*inner, "secret2"));
  Secret c("shortsecret3");
  const std::string* inner_c = &c.Reveal();
  b = std::move(c);
  EXPECT_EQ(b.Reveal(), "shortsecret3");
  EXPECT_FALSE(Holds(*inner_c, "secret3"));
}

TEST(SecretTest, CopyAssignmentWipesTheOldValue) {
  Secret a("a-long-secret-value-that-lives-on-the-heap-xyz");
  const std::string* inner = &a.Reveal();
  a = Secret("short");
  Secret b("tiny");
  a = b;  // reuses a's buffer: the old tail must not survive
  EXPECT_EQ(a.Reveal(), "tiny");
  EXPECT_FALSE(Holds(*inner, "lives-on-the-heap"));
}

TEST(SecretTest, WipeStringZeroesEveryOwnedByte) {
  std::string s = "wipe-me-please";
  WipeString(s);
  EXPECT_TRUE(s.empty());
  EXPECT_FALSE(Holds(s, "please"));
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
