#include <gtest/gtest.h>

#include <set>

#include "core/core.h"

namespace schemaport {
namespace {

TEST(RandomTest, SeededIsReproducible) {
  SeededRandom a(42), b(42), c(43);
  for (int i = 0; i < 100; ++i) {
    const auto x = a.NextU64();
    EXPECT_EQ(x, b.NextU64());
    EXPECT_NE(x, c.NextU64());
  }
}

TEST(RandomTest, UniformStaysInBounds) {
  SeededRandom r(7);
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 1000; ++i) {
    auto v = r.Uniform(10);
    ASSERT_LT(v, 10u);
    seen.insert(v);
  }
  EXPECT_EQ(seen.size(), 10u);
  for (int i = 0; i < 1000; ++i) {
    double d = r.NextDouble();
    ASSERT_GE(d, 0.0);
    ASSERT_LT(d, 1.0);
  }
}

TEST(RandomTest, IdsAreUrlSafeAnd128Bits) {
  SystemRandom r;
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) {
    std::string id = NewId(r);
    ASSERT_EQ(id.size(), 22u);  // 16 bytes, unpadded base64url
    for (char c : id) {
      ASSERT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') << id;
    }
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 1000u);
}

// Regression: an id starting with '-' (1 in 64) read as an option, so `schemaport connections
// show ID` said "ID is required" (seen in demo_test under ASan).
TEST(RandomTest, IdsNeverStartWithADashOrAnUnderscore) {
  SeededRandom r(7);
  for (int i = 0; i < 5000; ++i) {
    const std::string id = NewId(r);
    ASSERT_TRUE(std::isalnum(static_cast<unsigned char>(id[0]))) << id;
  }
}

TEST(RandomTest, Base64RoundTrips) {
  SeededRandom r(1);
  for (std::size_t n = 0; n < 40; ++n) {
    std::vector<std::uint8_t> bytes(n);
    r.Fill(bytes);
    auto std_dec = Base64Decode(Base64Encode(bytes));
    auto url_dec = Base64Decode(Base64UrlEncode(bytes));
    ASSERT_TRUE(std_dec.ok());
    ASSERT_TRUE(url_dec.ok());
    EXPECT_EQ(*std_dec, bytes);
    EXPECT_EQ(*url_dec, bytes);
  }
  EXPECT_EQ(Base64Encode(std::vector<std::uint8_t>{'f', 'o', 'o', 'b'}), "Zm9vYg==");
  EXPECT_FALSE(Base64Decode("a!b=").ok());
  EXPECT_FALSE(Base64Decode("abcde").ok());
}

TEST(RandomTest, HexEncodes) {
  EXPECT_EQ(HexEncode(std::vector<std::uint8_t>{0x00, 0xab, 0xff}), "00abff");
}

}  // namespace
}  // namespace schemaport
