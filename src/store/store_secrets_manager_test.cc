// Key rotation and crypto-shredding end to end with the Secrets Manager key provider, against
// the aws-emulator (its Secrets Manager speaks the real wire protocol, SigV4 verified) and a
// SQLite store.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "aws/aws.h"
#include "store/store_test_backends.h"

namespace schemaport::store {
namespace {

using schemaport::testing::ChildProcess;
using schemaport::testing::SharedPgCluster;
using schemaport::testing::TempDir;

constexpr std::string_view kAccessKey = "AKIASTOREKEYS0000000";
constexpr std::string_view kSecretKey = "store-keys-secret-access-key";
constexpr std::string_view kSecretName = "schemaport/master-key";

std::filesystem::path EmulatorPath() {
  if (const char* p = std::getenv("SCHEMAPORT_AWS_EMULATOR"); p && *p) return p;
  return schemaport::testing::BinDir() / "aws-emulator";
}

class StoreSecretsManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto emulator = EmulatorPath();
    ASSERT_TRUE(std::filesystem::exists(emulator))
        << "aws-emulator not built at " << emulator
        << " (build target aws-emulator, or set SCHEMAPORT_AWS_EMULATOR)";
    auto& pg = SharedPgCluster();
    const std::string config = fmt::format(
        "account_id = \"123456789012\"\nregion = \"us-east-1\"\nseed = 7\n"
        "[server]\nhost = \"127.0.0.1\"\nport = 0\nadmin_port = 0\n"
        "[postgres]\nhost = \"127.0.0.1\"\nport = {}\nsuperuser = \"{}\"\n"
        "[[users]]\nname = \"schemaport\"\naccess_key_id = \"{}\"\n"
        "secret_access_key = \"{}\"\nallow = [\"secretsmanager:*\"]\n",
        pg.port(), pg.superuser(), kAccessKey, kSecretKey);
    schemaport::testing::WriteFile(dir_ / "emulator.toml", config);
    emulator_ =
        ChildProcess::Start({{emulator.string(), "--config", (dir_ / "emulator.toml").string()},
                             {},
                             dir_ / "emulator.log",
                             {},
                             {}})
            .value();
    auto log = emulator_->WaitForLog("\"listening\"", std::chrono::seconds(30));
    ASSERT_TRUE(log.ok()) << log.status() << "\n" << emulator_->Log();
    const auto line_start = log->find("{\"");
    const auto line_end = log->find('\n', line_start);
    const auto listening = nlohmann::json::parse(log->substr(line_start, line_end - line_start));
    port_ = listening.at("port").get<int>();

    aws::ClientConfig config_aws;
    config_aws.region = "us-east-1";
    config_aws.endpoints.endpoint_url = fmt::format("http://127.0.0.1:{}", port_);
    auto http = aws::CurlHttpClient::Create({}).value();
    auto credentials = std::make_shared<aws::StaticCredentialsProvider>(
        aws::Credentials{std::string(kAccessKey), Secret(std::string(kSecretKey)), Secret()});
    client_ = aws::SecretsManagerClient::Create(config_aws, std::move(http), credentials,
                                                system_clock_, random_)
                  .value();
  }

  Result<std::unique_ptr<crypto::SecretsManagerKeyProvider>> OpenProvider() {
    return crypto::SecretsManagerKeyProvider::Open(
        crypto::SecretsManagerSource(*client_, std::string(kSecretName)), system_clock_, random_,
        {std::chrono::seconds(300), /*create_if_missing=*/true});
  }

  Result<std::unique_ptr<Store>> OpenStore(crypto::Crypto& crypto) {
    return backend_.Open(StoreDeps{crypto, hasher_, system_clock_, random_});
  }

  TempDir dir_{"store-sm"};
  testing::SqliteBackend backend_;
  SystemRandom random_;
  SystemClock system_clock_;
  crypto::PasswordHasher hasher_{crypto::PasswordHasher::Minimum()};
  std::unique_ptr<ChildProcess> emulator_;
  int port_ = 0;
  std::unique_ptr<aws::SecretsManagerClient> client_;
};

TEST_F(StoreSecretsManagerTest, RotationAndCryptoShreddingWithSecretsManagerKeys) {
  // First start creates the secret with a key; its VersionId is the master key id.
  auto provider = OpenProvider();
  ASSERT_TRUE(provider.ok()) << provider.status() << "\n" << emulator_->Log();
  const std::string v1 = (*provider)->Current().value().id;
  const aws::SecretValue stored = client_->GetSecretValue(kSecretName).value();
  EXPECT_EQ(stored.version_id, v1);

  crypto::Crypto crypto(**provider, random_);
  auto store = OpenStore(crypto).value();
  const Org org = store->CreateOrg("org").value();
  Connection c;
  c.org_id = org.id;
  c.data_store_type = "redshift";
  c.credentials["secret_access_key"] = Secret("warehouse-secret-value");
  const Connection kept = store->CreateConnection(c).value();
  const Connection doomed = store->CreateConnection(c).value();
  SavedTable t;
  t.name = "payroll";
  ASSERT_TRUE(store->ReplaceSavedTables(org.id, kept.id, {t}).ok());
  EXPECT_EQ(store->MasterKeyIdsInUse().value(), std::vector<std::string>{v1});

  // `keys rotate`: PutSecretValue makes a new AWSCURRENT; every data key is rewrapped.
  ASSERT_TRUE(store->RotateMasterKey().ok());
  const aws::SecretValue current = client_->GetSecretValue(kSecretName).value();
  EXPECT_NE(current.version_id, v1);
  EXPECT_EQ(store->MasterKeyIdsInUse().value(), std::vector<std::string>{current.version_id});
  const aws::SecretValue previous = client_->GetSecretValue(kSecretName, {}, "AWSPREVIOUS").value();
  EXPECT_EQ(previous.version_id, v1);

  // Another instance (a restart) starts from Secrets Manager alone and reads everything.
  auto restarted = OpenProvider().value();
  crypto::Crypto crypto2(*restarted, random_);
  auto store2 = OpenStore(crypto2).value();
  EXPECT_EQ(
      store2->GetConnection(org.id, kept.id).value().credentials.at("secret_access_key").Reveal(),
      "warehouse-secret-value");
  EXPECT_EQ(store2->ListSavedTables(org.id, kept.id).value().at(0).name, "payroll");

  // A rotation made by the second instance is picked up by the first through the unknown id.
  ASSERT_TRUE(store2->RotateMasterKey().ok());
  EXPECT_TRUE(store->GetConnection(org.id, kept.id).ok());

  // Crypto-shredding: the deleted connection's data key is gone from the store's files.
  const crypto::Bytes wrapped =
      backend_.ReadBlob("connections", "wrapped_key", "id", doomed.id).value();
  ASSERT_NE(backend_.RawContents().find(std::string(wrapped.begin(), wrapped.end())),
            std::string::npos);
  ASSERT_TRUE(store->DeleteConnection(org.id, doomed.id).ok());
  EXPECT_EQ(store->GetConnection(org.id, doomed.id).status().code(), Code::kNotFound);
  EXPECT_EQ(backend_.RawContents().find(std::string(wrapped.begin(), wrapped.end())),
            std::string::npos);
  EXPECT_TRUE(store->GetConnection(org.id, kept.id).ok());
  EXPECT_EQ(store2->GetConnection(org.id, doomed.id).status().code(), Code::kNotFound);
}

TEST_F(StoreSecretsManagerTest, MissingSecretIsNotFoundWhenCreationIsNotAllowed) {
  auto provider = crypto::SecretsManagerKeyProvider::Open(
      crypto::SecretsManagerSource(*client_, "schemaport/absent"), system_clock_, random_,
      {std::chrono::seconds(300), /*create_if_missing=*/false});
  ASSERT_FALSE(provider.ok());
  EXPECT_EQ(provider.status().code(), Code::kNotFound) << provider.status();
}

}  // namespace
}  // namespace schemaport::store
