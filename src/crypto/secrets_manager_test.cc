#include <gtest/gtest.h>

#include <map>

#include "aws/testing/fake_http.h"
#include "crypto/crypto.h"

namespace schemaport::crypto {
namespace {

using namespace std::chrono_literals;

// An in-memory secret with Secrets Manager's staging rules (the interface boundary).
class FakeSource final : public SecretVersionSource {
 public:
  struct State {
    bool exists = false;
    std::vector<Version> versions;  // oldest first
    std::string current, previous;
    int gets_by_id = 0, gets_by_stage = 0;
    int next_id = 0;
  };
  explicit FakeSource(std::shared_ptr<State> state) : s_(std::move(state)) {}

  Result<Version> GetByStage(std::string_view stage) override {
    ++s_->gets_by_stage;
    const std::string& id = stage == "AWSCURRENT" ? s_->current : s_->previous;
    if (!s_->exists || id.empty()) return NotFound("Secrets Manager can't find the secret");
    return Find(id);
  }
  Result<Version> GetById(std::string_view id) override {
    ++s_->gets_by_id;
    return Find(id);
  }
  Result<std::string> Create(const Secret& value) override {
    if (s_->exists) return Status(Code::kAlreadyExists, "exists");
    s_->exists = true;
    return Put(value);
  }
  Result<std::string> Put(const Secret& value) override {
    if (!s_->exists) return NotFound("no secret");
    // Real VersionIds are UUIDs; any unique string works for the provider.
    const std::string id = "ver-" + std::to_string(++s_->next_id) + "-0000-0000-0000-000000000000";
    s_->versions.push_back({id, value});
    s_->previous = s_->current;
    s_->current = id;
    return id;
  }

 private:
  Result<Version> Find(std::string_view id) {
    for (const Version& v : s_->versions) {
      if (v.version_id == id) return Version{v.version_id, v.value};
    }
    return NotFound("Secrets Manager can't find the specified secret version");
  }
  std::shared_ptr<State> s_;
};

class SecretsManagerKeyProviderTest : public ::testing::Test {
 protected:
  Result<std::unique_ptr<SecretsManagerKeyProvider>> Open(bool create = true) {
    return SecretsManagerKeyProvider::Open(std::make_unique<FakeSource>(state_), clock_, random_,
                                           {60s, create});
  }
  std::shared_ptr<FakeSource::State> state_ = std::make_shared<FakeSource::State>();
  FakeClock clock_;
  SystemRandom random_;
  Place place_{"org", "connections", "c1", "data_key"};
};

// Regression: any kNotFound (here a bare 404, as a proxy or a wrong endpoint gives) read as "the
// secret does not exist", so the provider created a new master key.
TEST(SecretsManagerSourceTest, OnlyResourceNotFoundMeansTheSecretIsMissing) {
  auto http = std::make_shared<aws::testing::ScriptedHttpClient>();
  FakeClock clock;
  SeededRandom random(7);
  aws::ClientConfig config;
  config.region = "us-east-1";
  auto client = aws::SecretsManagerClient::Create(
      config, http,
      std::make_shared<aws::StaticCredentialsProvider>(
          aws::Credentials{"AKID", Secret("secret"), Secret(), std::nullopt}),
      clock, random);
  ASSERT_TRUE(client.ok()) << client.status();
  http->Reply(404, "<html>Not Found</html>");
  auto p = SecretsManagerKeyProvider::Open(SecretsManagerSource(**client, "schemaport/master"),
                                           clock, random, {60s, /*create_if_missing=*/true});
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().code(), Code::kNotFound);
  EXPECT_EQ(http->requests().size(), 1u);  // no CreateSecret

  http->Reply(
      400,
      R"({"__type":"ResourceNotFoundException","message":"Secrets Manager can't find the specified secret."})");
  auto missing = SecretsManagerKeyProvider::Open(
      SecretsManagerSource(**client, "schemaport/master"), clock, random, {60s, false});
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
}

TEST_F(SecretsManagerKeyProviderTest, CreatesSecretOnFirstStartOnlyWhenAllowed) {
  auto refused = Open(/*create=*/false);
  EXPECT_EQ(refused.status().code(), Code::kNotFound);
  EXPECT_FALSE(state_->exists);
  auto p = Open().value();
  EXPECT_TRUE(state_->exists);
  EXPECT_EQ(p->Current().value().id, state_->current);
  EXPECT_EQ(p->Current().value().material.Reveal().size(), kKeyBytes);
}

TEST_F(SecretsManagerKeyProviderTest, CurrentIsCachedThenRefetchedAfterRotationElsewhere) {
  auto p = Open().value();
  const std::string v1 = p->Current().value().id;
  auto other = Open().value();  // another instance
  const std::string v2 = other->Rotate().value().id;
  EXPECT_EQ(p->Current().value().id, v1);  // cached
  clock_.Advance(61s);
  EXPECT_EQ(p->Current().value().id, v2);
}

TEST_F(SecretsManagerKeyProviderTest, UnknownIdIsFetchedByVersionIdOnceThenCached) {
  auto p = Open().value();
  auto other = Open().value();
  const Key v2 = other->Rotate().value();
  const int before = state_->gets_by_id;
  EXPECT_TRUE(p->Get(v2.id).value().material.Equals(v2.material));
  EXPECT_TRUE(p->Get(v2.id).ok());
  EXPECT_EQ(state_->gets_by_id, before + 1);
  EXPECT_EQ(p->Get("no-such-version").status().code(), Code::kNotFound);
}

TEST_F(SecretsManagerKeyProviderTest, RotationKeepsPreviousVersionOpeningData) {
  auto p = Open().value();
  Crypto crypto(*p, random_);
  const WrappedKey w = crypto.NewDataKey(place_).value();
  const Key v2 = p->Rotate().value();
  EXPECT_EQ(state_->current, v2.id);
  // A fresh instance (restart) knows AWSCURRENT and AWSPREVIOUS: old blobs still open.
  auto restarted = Open().value();
  Crypto crypto2(*restarted, random_);
  EXPECT_TRUE(crypto2.UnwrapDataKey(w.wrapped, place_).ok());
  const Bytes rewrapped = crypto2.RewrapDataKey(w.wrapped, place_, v2).value();
  EXPECT_EQ(BlobKeyId(rewrapped).value(), v2.id);
  EXPECT_TRUE(crypto2.UnwrapDataKey(rewrapped, place_).value().material.Equals(w.key.material));
  // Two rotations later the first version is neither current nor previous: fetched by id.
  ASSERT_TRUE(p->Rotate().ok());
  ASSERT_TRUE(p->Rotate().ok());
  auto later = Open().value();
  Crypto crypto3(*later, random_);
  EXPECT_TRUE(crypto3.UnwrapDataKey(w.wrapped, place_).ok());
}

TEST_F(SecretsManagerKeyProviderTest, DataKeyOfDeletedVersionIsDataLoss) {
  auto p = Open().value();
  Crypto crypto(*p, random_);
  const WrappedKey w = crypto.NewDataKey(place_).value();
  ASSERT_TRUE(p->Rotate().ok());
  state_->versions.erase(state_->versions.begin());  // the operator deleted version 1
  state_->previous.clear();
  auto restarted = Open().value();
  Crypto crypto2(*restarted, random_);
  EXPECT_EQ(crypto2.UnwrapDataKey(w.wrapped, place_).status().code(), Code::kDataLoss);
}

TEST_F(SecretsManagerKeyProviderTest, MalformedSecretIsRefusedWithoutEchoingIt) {
  state_->exists = true;
  state_->versions.push_back({"v-bad", Secret("not-a-key-but-a-password-hunter2")});
  state_->current = "v-bad";
  auto p = Open();
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(p.status().message().find("hunter2"), std::string::npos);
  EXPECT_EQ(p.status().detail().find("hunter2"), std::string::npos);
}

}  // namespace
}  // namespace schemaport::crypto
