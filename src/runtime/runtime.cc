#include "runtime/runtime.h"

#include <sys/stat.h>

#include <filesystem>
#include <system_error>

#include "warehouse/redshift/redshift.h"

namespace schemaport::runtime {

namespace {

std::string EnvValue(const Environment& env, const char* name) {
  auto it = env.find(name);
  return it == env.end() ? std::string() : it->second;
}

// "https://redshift-data.us-east-1.amazonaws.com/" -> "redshift-data"; an emulator URL
// ("https://127.0.0.1:4566/") has no service in its host: "aws".
std::string ServiceOfUrl(std::string_view url) {
  auto scheme = url.find("://");
  std::string_view host = scheme == std::string_view::npos ? url : url.substr(scheme + 3);
  host = host.substr(0, host.find_first_of(":/"));
  const auto dot = host.find('.');
  if (dot == std::string_view::npos ||
      host.find_first_not_of("0123456789.") == std::string_view::npos) {
    return "aws";
  }
  return std::string(host.substr(0, dot));
}

// The operation of a signed AWS request: X-Amz-Target ("RedshiftData.ExecuteStatement") for
// JSON services, the Action form field for query services.
std::pair<std::string, std::string> OperationOf(const aws::HttpRequest& request) {
  for (const auto& [name, value] : request.headers) {
    if (name.size() == 12 && strncasecmp(name.c_str(), "x-amz-target", 12) == 0) {
      const auto dot = value.find('.');
      if (dot == std::string::npos) return {"", value};
      return {value.substr(0, dot), value.substr(dot + 1)};
    }
  }
  const std::string_view body = request.body;
  auto pos = body.find("Action=");
  if (pos != std::string_view::npos && (pos == 0 || body[pos - 1] == '&')) {
    std::string_view rest = body.substr(pos + 7);
    return {"", std::string(rest.substr(0, rest.find('&')))};
  }
  return {"", "unknown"};
}

bool IsThrottlingReply(const aws::HttpResponse& response) {
  if (response.status == 429) return true;
  if (response.status < 400 || response.status >= 500) return false;
  // Both protocols name the error code in the body; look for the common throttling codes.
  for (std::string_view code : {"Throttling", "ThrottlingException", "TooManyRequestsException",
                                "RequestLimitExceeded", "ProvisionedThroughputExceeded"}) {
    if (response.body.find(code) != std::string::npos) return true;
  }
  return false;
}

class ObservingHttpClient final : public aws::HttpClient {
 public:
  ObservingHttpClient(std::shared_ptr<aws::HttpClient> inner, AwsCallObserver observer)
      : inner_(std::move(inner)), observer_(std::move(observer)) {}

  Result<aws::HttpResponse> Send(const aws::HttpRequest& request) override {
    const auto start = std::chrono::steady_clock::now();
    Result<aws::HttpResponse> response = inner_->Send(request);
    AwsCall call;
    auto [target_service, operation] = OperationOf(request);
    call.service = ServiceOfUrl(request.url);
    if (call.service == "aws" && !target_service.empty()) call.service = target_service;
    call.operation = std::move(operation);
    call.latency = std::chrono::steady_clock::now() - start;
    if (!response.ok()) {
      call.outcome = "transport_error";
    } else if (response->status >= 200 && response->status < 300) {
      call.outcome = "ok";
    } else if (IsThrottlingReply(*response)) {
      call.outcome = "throttled";
    } else if (response->status >= 500) {
      call.outcome = "server_error";
    } else {
      call.outcome = "client_error";
    }
    observer_(call);
    return response;
  }

 private:
  std::shared_ptr<aws::HttpClient> inner_;
  AwsCallObserver observer_;
};

// The key provider named by the configuration.
Status OpenKeyProvider(const Config& config, const Environment& env, Runtime& w) {
  if (config.GetString("keys.provider") == "local") {
    std::filesystem::path file = config.GetString("keys.local_file");
    if (file.empty()) file = w.data_dir / "master.key";
    w.keys = SP_TRY(crypto::LocalKeyFile::Open(file, w.random));
    w.describe = "local key file " + file.string();
    return Status::Ok();
  }
  const std::string secret_id = config.GetString("keys.secret_id");
  const std::string region = config.GetString("keys.region");
  if (secret_id.empty() || region.empty()) {
    return InvalidArgument(
        "keys.provider = \"aws-secrets-manager\" needs keys.secret_id and keys.region");
  }
  aws::Credentials creds;
  creds.access_key_id = EnvValue(env, "AWS_ACCESS_KEY_ID");
  creds.secret_access_key = Secret(EnvValue(env, "AWS_SECRET_ACCESS_KEY"));
  creds.session_token = Secret(EnvValue(env, "AWS_SESSION_TOKEN"));
  if (creds.access_key_id.empty() || creds.secret_access_key.empty()) {
    return InvalidArgument(
        "the aws-secrets-manager key provider needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
  }
  aws::ClientConfig client;
  client.region = region;
  client.endpoints = aws::EndpointSettings::FromEnvironment(env);
  w.secrets_manager = SP_TRY(aws::SecretsManagerClient::Create(
      client, w.http, std::make_shared<aws::StaticCredentialsProvider>(creds), w.clock, w.random));
  crypto::SecretsManagerKeyProvider::Options options;
  options.create_if_missing = config.GetBool("keys.create_secret");
  w.keys = SP_TRY(crypto::SecretsManagerKeyProvider::Open(
      crypto::SecretsManagerSource(*w.secrets_manager, secret_id), w.clock, w.random, options));
  w.describe = "AWS Secrets Manager secret " + secret_id;
  return Status::Ok();
}

Status OpenStore(const Config& config, Runtime& w) {
  w.crypto = std::make_unique<crypto::Crypto>(*w.keys, w.random);
  w.hasher = std::make_unique<crypto::PasswordHasher>();
  store::StoreDeps deps{*w.crypto, *w.hasher, w.clock, w.random};
  if (config.GetString("store.backend") == "sqlite") {
    store::SqliteOptions options;
    options.path = config.GetString("store.sqlite_path");
    if (options.path.empty()) options.path = w.data_dir / "schemaport.db";
    w.store = SP_TRY(store::OpenSqliteStore(options, deps));
    w.describe = "SQLite store " + options.path.string() + ", " + w.describe;
    return Status::Ok();
  }
  store::PostgresOptions options;
  options.conninfo = config.GetSecret("store.postgres_url").Reveal();
  if (options.conninfo.empty()) {
    return InvalidArgument("store.backend = \"postgres\" needs store.postgres_url");
  }
  options.sslmode = config.GetString("store.postgres_sslmode");
  options.insecure_allow_weak_sslmode =
      config.GetBool("store.postgres_insecure_allow_weak_sslmode");
  options.pool_size = static_cast<int>(config.GetInt("store.postgres_pool_size"));
  w.store = SP_TRY(store::OpenPostgresStore(options, deps));
  w.describe = "PostgreSQL store, " + w.describe;
  return Status::Ok();
}

}  // namespace

std::shared_ptr<aws::HttpClient> ObserveAwsCalls(std::shared_ptr<aws::HttpClient> inner,
                                                 AwsCallObserver observer) {
  if (!observer) return inner;
  return std::make_shared<ObservingHttpClient>(std::move(inner), std::move(observer));
}

ConfigSchema ServerConfigSchema(const ConfigSchema& extra) {
  ConfigSchema s;
  s.String("data_dir", "schemaport-data", "where the embedded store and key file live")
      .String("store.backend", "sqlite", "sqlite (embedded) or postgres", {"sqlite", "postgres"})
      .String("store.sqlite_path", "", "SQLite file; default <data_dir>/schemaport.db")
      .SecretKey("store.postgres_url", "libpq connection string or URI of the PostgreSQL store")
      .String("store.postgres_sslmode", "", "overrides the URL's sslmode",
              {"", "disable", "allow", "prefer", "require", "verify-ca", "verify-full"})
      .Bool("store.postgres_insecure_allow_weak_sslmode", false,
            "INSECURE: accept a postgres_sslmode weaker than verify-full for a store that is not "
            "on this machine (the connection can be read or changed on the way)")
      .Int("store.postgres_pool_size", 4, 1, 64, "connections in the PostgreSQL pool")
      .String("keys.provider", "local", "local (key file) or aws-secrets-manager",
              {"local", "aws-secrets-manager"})
      .String("keys.local_file", "", "master key file; default <data_dir>/master.key")
      .String("keys.secret_id", "", "Secrets Manager secret name or ARN holding the master keys")
      .String("keys.region", "", "AWS Region of that secret")
      .Bool("keys.create_secret", false, "create the secret with a first key when missing")
      .Int("jobs.workers", 2, 0, 64, "job worker threads of this instance (0: runs no jobs)")
      .Int("jobs.max_attempts", 3, 1, 100,
           "a job interrupted this many times (instance stopped) is failed, not retried")
      .Int("sessions.idle_minutes", 120, 1, 60 * 24 * 30,
           "a session ends after this long without use")
      .Int("sessions.absolute_hours", 12, 1, 24 * 90, "a session ends this long after login");
  for (const ConfigSchema::Key& key : extra.keys()) {
    switch (key.type) {
      case ConfigSchema::Type::kString:
        s.String(key.name, key.default_value, key.help, key.choices);
        break;
      case ConfigSchema::Type::kInt:
        s.Int(key.name, key.default_value.empty() ? 0 : std::stoll(key.default_value),
              key.min.value_or(INT64_MIN), key.max.value_or(INT64_MAX), key.help);
        break;
      case ConfigSchema::Type::kBool:
        s.Bool(key.name, key.default_value == "true", key.help);
        break;
      case ConfigSchema::Type::kSecret: s.SecretKey(key.name, key.help); break;
    }
  }
  return s;
}

Result<std::shared_ptr<aws::HttpClient>> MakeHttpClient(const Environment& env,
                                                        AwsCallObserver observer) {
  const aws::EndpointSettings endpoints = aws::EndpointSettings::FromEnvironment(env);
  aws::CurlHttpClient::Options options;
  options.ca_bundle = endpoints.ca_bundle;
  std::shared_ptr<aws::HttpClient> http(SP_TRY(aws::CurlHttpClient::Create(options)));
  return ObserveAwsCalls(std::move(http), std::move(observer));
}

Result<std::unique_ptr<warehouse::ConnectorRegistry>> MakeConnectorRegistry(
    std::shared_ptr<aws::HttpClient> http, const Environment& env, Clock& clock, Random& random,
    std::shared_ptr<Logger> logger, std::shared_ptr<aws::RateBudgets> rate_budgets) {
  auto registry = std::make_unique<warehouse::ConnectorRegistry>();
  warehouse::redshift::Dependencies deps;
  // Server settings only: a connection's fields never reach the endpoint resolution.
  deps.endpoints = aws::EndpointSettings::FromEnvironment(env);
  deps.http = std::move(http);
  deps.clock = &clock;
  deps.random = &random;
  deps.logger = std::move(logger);
  deps.rate_budgets =
      rate_budgets ? std::move(rate_budgets) : std::make_shared<aws::RateBudgets>(clock);
  SP_TRY(registry->Register(warehouse::redshift::MakeConnectorType(std::move(deps))));
  return registry;
}

Result<std::unique_ptr<WarehouseParts>> WireWarehouse(const Environment& env,
                                                      AwsCallObserver observer) {
  auto w = std::make_unique<WarehouseParts>();
  w->http = SP_TRY(MakeHttpClient(env, std::move(observer)));
  w->rate_budgets = std::make_shared<aws::RateBudgets>(w->clock);
  w->registry =
      SP_TRY(MakeConnectorRegistry(w->http, env, w->clock, w->random, nullptr, w->rate_budgets));
  return w;
}

Result<std::unique_ptr<Runtime>> Wire(const Options& options, const Environment& env) {
  auto w = std::make_unique<Runtime>();
  w->config =
      SP_TRY(LoadConfig(options.config_path, ServerConfigSchema(options.extra_config), env));
  const Config& config = w->config;
  w->data_dir = options.data_dir_override.empty()
                    ? std::filesystem::path(config.GetString("data_dir"))
                    : std::filesystem::path(options.data_dir_override);
  const bool embedded =
      config.GetString("store.backend") == "sqlite" || config.GetString("keys.provider") == "local";
  if (embedded && !std::filesystem::exists(w->data_dir)) {
    std::error_code ec;
    std::filesystem::create_directories(w->data_dir, ec);
    if (ec) {
      return InvalidArgument("data_dir: cannot create " + w->data_dir.string() + ": " +
                             ec.message());
    }
    ::chmod(w->data_dir.c_str(), 0700);
  }
  w->http = SP_TRY(MakeHttpClient(env, options.observer));
  w->rate_budgets = std::make_shared<aws::RateBudgets>(w->clock);
  w->registry = SP_TRY(
      MakeConnectorRegistry(w->http, env, w->clock, w->random, options.logger, w->rate_budgets));
  SP_TRY(OpenKeyProvider(config, env, *w));
  SP_TRY(OpenStore(config, *w));
  w->worker_threads = static_cast<int>(config.GetInt("jobs.workers"));
  w->max_job_attempts = static_cast<int>(config.GetInt("jobs.max_attempts"));
  w->session_idle = std::chrono::minutes(config.GetInt("sessions.idle_minutes"));
  w->session_absolute = std::chrono::hours(config.GetInt("sessions.absolute_hours"));
  return w;
}

}  // namespace schemaport::runtime
