// SecretsManagerKeyProvider: master keys in the versions of one AWS Secrets Manager secret.
#include <openssl/crypto.h>

#include <algorithm>

#include "aws/aws.h"
#include "crypto/crypto.h"

namespace schemaport::crypto {
namespace {

constexpr std::string_view kCurrent = "AWSCURRENT";
constexpr std::string_view kPrevious = "AWSPREVIOUS";

Secret NewKeyText(Random& random) {
  std::uint8_t bytes[kKeyBytes];
  random.Fill(bytes);
  Secret text(Base64Encode(bytes));
  OPENSSL_cleanse(bytes, sizeof bytes);
  return text;
}

// Only Secrets Manager's ResourceNotFoundException means "no such secret or version". Any other
// kNotFound (a 404 from a proxy or a wrong endpoint, another code) must not read as a lost key:
// the provider would create a new master key or report data as unrecoverable.
Status OnlyResourceNotFound(Status status) {
  if (status.code() == Code::kNotFound &&
      aws::AwsErrorCode(status) != "ResourceNotFoundException") {
    return Status(Code::kUnavailable, status.message(), status.detail());
  }
  return status;
}

// The adapter over src/aws's client (which maps AWS errors to our codes once).
class AwsSource final : public SecretVersionSource {
 public:
  AwsSource(aws::SecretsManagerClient& client, std::string secret_id)
      : client_(client), secret_id_(std::move(secret_id)) {}

  Result<Version> GetByStage(std::string_view stage) override {
    auto v = client_.GetSecretValue(secret_id_, {}, stage);
    if (!v.ok()) return OnlyResourceNotFound(v.status());
    return Version{v->version_id, std::move(v->secret_string)};
  }
  Result<Version> GetById(std::string_view version_id) override {
    auto v = client_.GetSecretValue(secret_id_, version_id, {});
    if (!v.ok()) {
      // An id that cannot be a VersionId (e.g. a local key file's "1") is refused by the
      // client's own input validation, before any request: that too means "no such version".
      if (v.status().code() == Code::kInvalidArgument && aws::AwsErrorCode(v.status()).empty()) {
        return NotFound("master key version is not in the secret");
      }
      return OnlyResourceNotFound(v.status());
    }
    return Version{v->version_id, std::move(v->secret_string)};
  }
  Result<std::string> Create(const Secret& value) override {
    const aws::SecretVersionRef ref =
        SP_TRY(client_.CreateSecret(secret_id_, value, "schemaport master key (base64, 32 bytes)"));
    return ref.version_id;
  }
  Result<std::string> Put(const Secret& value) override {
    const aws::SecretVersionRef ref = SP_TRY(client_.PutSecretValue(secret_id_, value));
    return ref.version_id;
  }

 private:
  aws::SecretsManagerClient& client_;
  const std::string secret_id_;
};

}  // namespace

std::unique_ptr<SecretVersionSource> SecretsManagerSource(aws::SecretsManagerClient& client,
                                                          std::string secret_id) {
  return std::make_unique<AwsSource>(client, std::move(secret_id));
}

Result<std::unique_ptr<SecretsManagerKeyProvider>> SecretsManagerKeyProvider::Open(
    std::unique_ptr<SecretVersionSource> source, Clock& clock, Random& random, Options options) {
  std::unique_ptr<SecretsManagerKeyProvider> p(
      new SecretsManagerKeyProvider(std::move(source), clock, random, options));
  auto current = p->source_->GetByStage(kCurrent);
  if (!current.ok() && current.status().code() == Code::kNotFound && options.create_if_missing) {
    Secret text = NewKeyText(random);
    const std::string id = SP_TRY(p->source_->Create(text));
    current = SecretVersionSource::Version{id, std::move(text)};
  }
  if (!current.ok()) return current.status().WithContext("master key secret");
  {
    std::lock_guard lock(p->mu_);
    SP_TRY(p->Remember(std::move(current).value(), /*current=*/true));
    // Warm the cache with the previous version: data not yet rewrapped after a rotation.
    auto previous = p->source_->GetByStage(kPrevious);
    if (previous.ok()) {
      SP_TRY(p->Remember(std::move(previous).value(), /*current=*/false));
    } else if (previous.status().code() != Code::kNotFound) {
      return previous.status().WithContext("master key secret");
    }
  }
  return p;
}

// REQUIRES: mu_ held.
Result<Key> SecretsManagerKeyProvider::Remember(SecretVersionSource::Version version,
                                                bool current) {
  if (version.version_id.empty() || version.version_id.size() > 255) {
    return FailedPrecondition("the master key secret's version id is unusable");
  }
  auto bytes = Base64Decode(version.value.Reveal());
  if (!bytes.ok() || bytes->size() != kKeyBytes) {
    return FailedPrecondition("the master key secret does not hold a base64 32-byte key",
                              "version " + version.version_id);
  }
  Key key{version.version_id, Secret(std::string(bytes->begin(), bytes->end()))};
  OPENSSL_cleanse(bytes->data(), bytes->size());
  const bool known =
      std::any_of(cache_.begin(), cache_.end(), [&](const Key& k) { return k.id == key.id; });
  if (!known) cache_.push_back(key);
  if (current) {
    current_id_ = key.id;
    current_fetched_ = clock_.Monotonic();
  }
  return key;
}

Result<Key> SecretsManagerKeyProvider::Current() {
  std::lock_guard lock(mu_);
  if (clock_.Monotonic() - current_fetched_ < options_.cache_ttl) {
    for (const Key& k : cache_) {
      if (k.id == current_id_) return k;
    }
  }
  SecretVersionSource::Version v = SP_TRY(source_->GetByStage(kCurrent));
  return Remember(std::move(v), /*current=*/true);
}

Result<Key> SecretsManagerKeyProvider::Get(std::string_view id) {
  std::lock_guard lock(mu_);
  for (const Key& k : cache_) {
    if (k.id == id) return k;
  }
  // Unknown id: rotated elsewhere (another instance, `keys rotate`). Fetch that version.
  auto v = source_->GetById(id);
  if (!v.ok()) {
    if (v.status().code() == Code::kNotFound) {
      return NotFound("master key version is not in the secret", "version " + std::string(id));
    }
    return v.status();
  }
  return Remember(std::move(v).value(), /*current=*/false);
}

Result<Key> SecretsManagerKeyProvider::Rotate() {
  std::lock_guard lock(mu_);
  Secret text = NewKeyText(random_);
  const std::string id = SP_TRY(source_->Put(text));
  return Remember({id, std::move(text)}, /*current=*/true);
}

}  // namespace schemaport::crypto
