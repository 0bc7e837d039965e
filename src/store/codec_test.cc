#include "store/codec.h"

#include <gtest/gtest.h>

namespace schemaport::store::internal {
namespace {

TEST(CodecTest, RoundTripsNumbersStringsAndMaps) {
  Writer w;
  w.U64(0);
  w.U64(127);
  w.U64(128);
  w.U64(UINT64_MAX);
  w.Str("");
  w.Str(std::string("with\0nul", 8));
  w.Map({{"a", "1"}, {"b", ""}});
  Reader r(w.data());
  EXPECT_EQ(r.U64(), 0u);
  EXPECT_EQ(r.U64(), 127u);
  EXPECT_EQ(r.U64(), 128u);
  EXPECT_EQ(r.U64(), UINT64_MAX);
  EXPECT_EQ(r.Str(), "");
  EXPECT_EQ(r.Str(), std::string("with\0nul", 8));
  EXPECT_EQ(r.Map(), (std::map<std::string, std::string>{{"a", "1"}, {"b", ""}}));
  EXPECT_TRUE(r.done());
}

TEST(CodecTest, EveryTruncationIsDetected) {
  Writer w;
  w.Str("hello");
  w.Map({{"key", "value"}});
  const std::string full = w.data();
  for (std::size_t n = 0; n < full.size(); ++n) {
    Reader r(std::string_view(full).substr(0, n));
    r.Str();
    r.Map();
    EXPECT_FALSE(r.done()) << n;
  }
}

TEST(CodecTest, LengthBeyondInputAndTrailingBytesAreRejected) {
  Writer w;
  w.U64(1'000'000);  // a string length far beyond the input
  Reader r(w.data());
  EXPECT_EQ(r.Str(), "");
  EXPECT_FALSE(r.ok());

  Writer t;
  t.Str("x");
  const std::string with_junk = t.data() + "junk";  // Reader views its input: keep it alive
  Reader trailing(with_junk);
  EXPECT_EQ(trailing.Str(), "x");
  EXPECT_TRUE(trailing.ok());
  EXPECT_FALSE(trailing.done());

  const std::string overlong(11, '\xff');  // a varint longer than 64 bits
  Reader v(overlong);
  v.U64();
  EXPECT_FALSE(v.ok());
}

}  // namespace
}  // namespace schemaport::store::internal
