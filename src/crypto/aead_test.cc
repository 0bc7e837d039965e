#include <gtest/gtest.h>

#include "crypto/crypto.h"

namespace schemaport::crypto {
namespace {

class AeadTest : public ::testing::Test {
 protected:
  Key MakeKey(std::string id, char fill) {
    return Key{std::move(id), Secret(std::string(32, fill))};
  }
  Key key_ = MakeKey("k1", 'a');
  Place place_{"org1", "connections", "row1", "credentials"};
};

TEST_F(AeadTest, RoundTripsPlaintext) {
  const Bytes blob = Seal(key_, "AKIA secret value", place_).value();
  EXPECT_EQ(Open(key_, blob, place_).value(), "AKIA secret value");
}

TEST_F(AeadTest, RoundTripsEmptyPlaintext) {
  const Bytes blob = Seal(key_, "", place_).value();
  EXPECT_EQ(blob.size(), 2 + key_.id.size() + kNonceBytes + kTagBytes);
  EXPECT_EQ(Open(key_, blob, place_).value(), "");
}

TEST_F(AeadTest, BlobHasVersionKeyIdNonceCiphertextTag) {
  const Bytes blob = Seal(key_, "hello", place_).value();
  ASSERT_EQ(blob.size(), 2 + 2 + kNonceBytes + 5 + kTagBytes);
  EXPECT_EQ(blob[0], kBlobVersion);
  EXPECT_EQ(blob[1], 2);
  EXPECT_EQ(std::string(blob.begin() + 2, blob.begin() + 4), "k1");
  EXPECT_EQ(BlobKeyId(blob).value(), "k1");
  const std::string text(blob.begin(), blob.end());
  EXPECT_EQ(text.find("hello"), std::string::npos);
}

TEST_F(AeadTest, SealingTwiceUsesDifferentNonces) {
  const Bytes a = Seal(key_, "same", place_).value();
  const Bytes b = Seal(key_, "same", place_).value();
  EXPECT_NE(a, b);
}

TEST_F(AeadTest, OpenFailsWithDataLossWhenAnyByteIsFlipped) {
  const Bytes blob = Seal(key_, "secret metadata", place_).value();
  for (std::size_t i = 0; i < blob.size(); ++i) {
    Bytes tampered = blob;
    tampered[i] ^= 0x01;
    auto r = Open(key_, tampered, place_);
    ASSERT_FALSE(r.ok()) << "byte " << i;
    EXPECT_EQ(r.status().code(), Code::kDataLoss) << "byte " << i;
  }
}

TEST_F(AeadTest, OpenFailsWithDataLossWhenMovedToAnotherPlace) {
  const Bytes blob = Seal(key_, "v", place_).value();
  const Place others[] = {
      {"org2", "connections", "row1", "credentials"},
      {"org1", "saved_tables", "row1", "credentials"},
      {"org1", "connections", "row2", "credentials"},
      {"org1", "connections", "row1", "settings"},
      // Length prefixes keep parts from sliding into each other.
      {"org1c", "onnections", "row1", "credentials"},
  };
  for (const Place& p : others) {
    auto r = Open(key_, blob, p);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kDataLoss);
  }
}

TEST_F(AeadTest, OpenFailsWithDataLossUnderAnotherKey) {
  const Bytes blob = Seal(key_, "v", place_).value();
  EXPECT_EQ(Open(MakeKey("k2", 'a'), blob, place_).status().code(), Code::kDataLoss);
  EXPECT_EQ(Open(MakeKey("k1", 'b'), blob, place_).status().code(), Code::kDataLoss);
}

TEST_F(AeadTest, OpenFailsWithDataLossWhenTruncatedOrUnknownVersion) {
  const Bytes blob = Seal(key_, "value", place_).value();
  for (std::size_t n = 0; n < blob.size(); ++n) {
    const Bytes cut(blob.begin(), blob.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_EQ(Open(key_, cut, place_).status().code(), Code::kDataLoss) << n;
  }
  Bytes v2 = blob;
  v2[0] = 2;
  auto r = Open(key_, v2, place_);
  EXPECT_EQ(r.status().code(), Code::kDataLoss);
  EXPECT_NE(r.status().message().find("version"), std::string::npos);
}

TEST_F(AeadTest, SealRejectsMalformedKeys) {
  EXPECT_EQ(Seal(Key{"k", Secret("short")}, "v", place_).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(Seal(Key{"", Secret(std::string(32, 'a'))}, "v", place_).status().code(),
            Code::kInvalidArgument);
}

TEST_F(AeadTest, ErrorsNeverContainKeyMaterial) {
  const Bytes blob = Seal(key_, "v", place_).value();
  auto r = Open(MakeKey("k1", 'b'), blob, place_);
  EXPECT_EQ(r.status().message().find("bbbb"), std::string::npos);
  EXPECT_EQ(r.status().detail().find("bbbb"), std::string::npos);
}

}  // namespace
}  // namespace schemaport::crypto
