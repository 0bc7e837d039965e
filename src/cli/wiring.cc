#include "cli/wiring.h"

#include <filesystem>

namespace schemaport::cli {

ConfigSchema ServerConfigSchema() {
  ConfigSchema s;
  s.String("data_dir", "schemaport-data", "where the embedded store and key file live")
      .String("store.backend", "sqlite", "sqlite (embedded) or postgres", {"sqlite", "postgres"})
      .String("store.sqlite_path", "", "SQLite file; default <data_dir>/schemaport.db")
      .SecretKey("store.postgres_url", "libpq connection string or URI of the PostgreSQL store")
      .String("store.postgres_sslmode", "", "overrides the URL's sslmode",
              {"", "disable", "allow", "prefer", "require", "verify-ca", "verify-full"})
      .Int("store.postgres_pool_size", 4, 1, 64, "connections in the PostgreSQL pool")
      .String("keys.provider", "local", "local (key file) or aws-secrets-manager",
              {"local", "aws-secrets-manager"})
      .String("keys.local_file", "", "master key file; default <data_dir>/master.key")
      .String("keys.secret_id", "", "Secrets Manager secret name or ARN holding the master keys")
      .String("keys.region", "", "AWS Region of that secret")
      .Bool("keys.create_secret", false, "create the secret with a first key when missing");
  return s;
}

Result<std::unique_ptr<StoreWiring>> OpenStoreFromConfig(const std::string& config_path,
                                                         const std::string& data_dir_override,
                                                         const Environment& env) {
  const Config config = SP_TRY(LoadConfig(config_path, ServerConfigSchema(), env));
  auto w = std::make_unique<StoreWiring>();
  const std::filesystem::path data_dir =
      data_dir_override.empty() ? config.GetString("data_dir") : data_dir_override;

  if (config.GetString("keys.provider") == "local") {
    std::filesystem::path file = config.GetString("keys.local_file");
    if (file.empty()) file = data_dir / "master.key";
    w->keys = SP_TRY(crypto::LocalKeyFile::Open(file, w->random));
    w->describe = "local key file " + file.string();
  } else {
    const std::string secret_id = config.GetString("keys.secret_id");
    const std::string region = config.GetString("keys.region");
    if (secret_id.empty() || region.empty()) {
      return InvalidArgument("keys.provider = \"aws-secrets-manager\" needs keys.secret_id and keys.region");
    }
    aws::EndpointSettings endpoints = aws::EndpointSettings::FromEnvironment(env);
    aws::CurlHttpClient::Options http;
    http.ca_bundle = endpoints.ca_bundle;
    w->http = std::shared_ptr<aws::HttpClient>(SP_TRY(aws::CurlHttpClient::Create(http)));
    auto get = [&](const char* name) {
      auto it = env.find(name);
      return it == env.end() ? std::string() : it->second;
    };
    aws::Credentials creds;
    creds.access_key_id = get("AWS_ACCESS_KEY_ID");
    creds.secret_access_key = Secret(get("AWS_SECRET_ACCESS_KEY"));
    creds.session_token = Secret(get("AWS_SESSION_TOKEN"));
    if (creds.access_key_id.empty() || creds.secret_access_key.empty()) {
      return InvalidArgument(
          "the aws-secrets-manager key provider needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
    }
    aws::ClientConfig client;
    client.region = region;
    client.endpoints = endpoints;
    w->secrets_manager = SP_TRY(aws::SecretsManagerClient::Create(
        client, w->http, std::make_shared<aws::StaticCredentialsProvider>(creds), w->clock, w->random));
    crypto::SecretsManagerKeyProvider::Options options;
    options.create_if_missing = config.GetBool("keys.create_secret");
    w->keys = SP_TRY(crypto::SecretsManagerKeyProvider::Open(
        crypto::SecretsManagerSource(*w->secrets_manager, secret_id), w->clock, w->random, options));
    w->describe = "AWS Secrets Manager secret " + secret_id;
  }
  w->crypto = std::make_unique<crypto::Crypto>(*w->keys, w->random);
  w->hasher = std::make_unique<crypto::PasswordHasher>();
  store::StoreDeps deps{*w->crypto, *w->hasher, w->clock, w->random};
  if (config.GetString("store.backend") == "sqlite") {
    store::SqliteOptions options;
    options.path = config.GetString("store.sqlite_path");
    if (options.path.empty()) options.path = data_dir / "schemaport.db";
    w->store = SP_TRY(store::OpenSqliteStore(options, deps));
    w->describe = "SQLite store " + options.path.string() + ", " + w->describe;
  } else {
    store::PostgresOptions options;
    options.conninfo = config.GetSecret("store.postgres_url").Reveal();
    if (options.conninfo.empty()) return InvalidArgument("store.backend = \"postgres\" needs store.postgres_url");
    options.sslmode = config.GetString("store.postgres_sslmode");
    options.pool_size = static_cast<int>(config.GetInt("store.postgres_pool_size"));
    w->store = SP_TRY(store::OpenPostgresStore(options, deps));
    w->describe = "PostgreSQL store, " + w->describe;
  }
  return w;
}

}  // namespace schemaport::cli
