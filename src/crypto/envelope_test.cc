#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "crypto/crypto.h"

namespace schemaport::crypto {
namespace {

class EnvelopeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "sp-env-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    keys_ = LocalKeyFile::Open(dir_ / "master.key", random_).value();
    crypto_ = std::make_unique<Crypto>(*keys_, random_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  SeededRandom random_{11};
  std::filesystem::path dir_;
  std::unique_ptr<LocalKeyFile> keys_;
  std::unique_ptr<Crypto> crypto_;
  Place place_{"org", "connections", "c1", "data_key"};
};

TEST_F(EnvelopeTest, WrappedDataKeyUnwrapsToTheSameKey) {
  const WrappedKey w = crypto_->NewDataKey(place_).value();
  EXPECT_EQ(BlobKeyId(w.wrapped).value(), "1");
  const Key k = crypto_->UnwrapDataKey(w.wrapped, place_).value();
  EXPECT_EQ(k.id, w.key.id);
  EXPECT_TRUE(k.material.Equals(w.key.material));
  const Bytes sealed = crypto_->Seal(k, "table_name", {"org", "saved_tables", "t1", "m"}).value();
  EXPECT_EQ(crypto_->Open(w.key, sealed, {"org", "saved_tables", "t1", "m"}).value(), "table_name");
}

// Regression: the nonce came from the injected Random, so two instances seeded alike sealed the
// same plaintext under the same key with the same nonce.
TEST_F(EnvelopeTest, NoncesDoNotRepeatUnderIdenticallySeededRandoms) {
  const Key k = crypto_->NewDataKey(place_).value().key;
  SeededRandom r1{5}, r2{5};
  Crypto c1(*keys_, r1), c2(*keys_, r2);
  const Place p{"org", "saved_tables", "t1", "m"};
  const Bytes a = c1.Seal(k, "same", p).value();
  const Bytes b = c2.Seal(k, "same", p).value();
  EXPECT_NE(a, b);
}

TEST_F(EnvelopeTest, DataKeysAreDistinctPerOwner) {
  const WrappedKey a = crypto_->NewDataKey(place_).value();
  const WrappedKey b = crypto_->NewDataKey({"org", "connections", "c2", "data_key"}).value();
  EXPECT_NE(a.key.id, b.key.id);
  const Place p{"org", "saved_tables", "t1", "m"};
  const Bytes sealed = crypto_->Seal(a.key, "x", p).value();
  EXPECT_EQ(crypto_->Open(b.key, sealed, p).status().code(), Code::kDataLoss);
}

TEST_F(EnvelopeTest, WrappedKeyMovedToAnotherRowFailsWithDataLoss) {
  const WrappedKey w = crypto_->NewDataKey(place_).value();
  auto r = crypto_->UnwrapDataKey(w.wrapped, {"org", "connections", "c2", "data_key"});
  EXPECT_EQ(r.status().code(), Code::kDataLoss);
}

TEST_F(EnvelopeTest, OldVersionStillUnwrapsAfterRotationAndRewrapMovesToNew) {
  const WrappedKey w = crypto_->NewDataKey(place_).value();
  const Key v2 = keys_->Rotate().value();
  EXPECT_TRUE(crypto_->UnwrapDataKey(w.wrapped, place_).ok());
  const Bytes rewrapped = crypto_->RewrapDataKey(w.wrapped, place_, v2).value();
  EXPECT_EQ(BlobKeyId(rewrapped).value(), "2");
  const Key k = crypto_->UnwrapDataKey(rewrapped, place_).value();
  EXPECT_TRUE(k.material.Equals(w.key.material));
  EXPECT_EQ(k.id, w.key.id);
}

TEST_F(EnvelopeTest, KeyWrappedByRetiredVersionIsDataLoss) {
  const WrappedKey w = crypto_->NewDataKey(place_).value();
  ASSERT_TRUE(keys_->Rotate().ok());
  ASSERT_TRUE(keys_->RetireOldVersions().ok());
  auto r = crypto_->UnwrapDataKey(w.wrapped, place_);
  EXPECT_EQ(r.status().code(), Code::kDataLoss);
}

class PasswordHasherTest : public ::testing::Test {
 protected:
  PasswordHasher hasher_{PasswordHasher::Minimum()};
};

TEST_F(PasswordHasherTest, VerifiesTheRightPasswordOnly) {
  const std::string hash = hasher_.Hash(Secret("correct horse")).value();
  EXPECT_EQ(hash.rfind("$argon2id$", 0), 0u) << hash;
  EXPECT_EQ(hash.find("correct horse"), std::string::npos);
  EXPECT_TRUE(hasher_.Verify(Secret("correct horse"), hash));
  EXPECT_FALSE(hasher_.Verify(Secret("correct horsE"), hash));
  EXPECT_FALSE(hasher_.Verify(Secret(""), hash));
}

TEST_F(PasswordHasherTest, SaltsEachHash) {
  EXPECT_NE(hasher_.Hash(Secret("pw")).value(), hasher_.Hash(Secret("pw")).value());
}

TEST_F(PasswordHasherTest, MalformedHashNeverVerifies) {
  EXPECT_FALSE(hasher_.Verify(Secret("pw"), ""));
  EXPECT_FALSE(hasher_.Verify(Secret("pw"), "$argon2id$garbage"));
  EXPECT_FALSE(hasher_.Verify(Secret("pw"), std::string(500, 'x')));
}

TEST(TokenTest, NewTokensAreUniqueAndHashedStably) {
  SystemRandom random;
  const Secret a = NewToken(random, "spt_");
  const Secret b = NewToken(random, "spt_");
  EXPECT_EQ(a.Reveal().rfind("spt_", 0), 0u);
  EXPECT_EQ(a.Reveal().size(), 4u + 43u);
  EXPECT_FALSE(a.Equals(b));
  const std::string h = HashToken(a);
  EXPECT_EQ(h.size(), 64u);
  EXPECT_EQ(h, HashToken(a));
  EXPECT_NE(h, HashToken(b));
  EXPECT_EQ(HashToken(Secret("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(BlindIndexTest, IsHmacSha256UnderTheKey) {
  // RFC 4231 test case 2.
  EXPECT_EQ(BlindIndex(Key{"k", Secret("Jefe")}, "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  const Key a{"a", Secret(std::string(32, 'a'))};
  const Key b{"b", Secret(std::string(32, 'b'))};
  EXPECT_EQ(BlindIndex(a, "x@example.com"), BlindIndex(a, "x@example.com"));
  EXPECT_NE(BlindIndex(a, "x@example.com"), BlindIndex(b, "x@example.com"));
  EXPECT_NE(BlindIndex(a, "x@example.com"), BlindIndex(a, "y@example.com"));
}

}  // namespace
}  // namespace schemaport::crypto
