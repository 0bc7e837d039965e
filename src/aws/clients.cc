// STS, AssumeRole credentials, Secrets Manager, redshift-serverless and redshift clients.
#include <openssl/crypto.h>

#include <nlohmann/json.hpp>

#include "aws/internal.h"

namespace schemaport::aws {

using nlohmann::json;

namespace internal {

std::optional<Clock::TimePoint> ParseTimestamp(const json& value) {
  if (value.is_number()) {
    // Epoch seconds. Outside years 1970..9999 (or NaN) the conversion to the clock's integer
    // ticks would overflow: such a reply is not a timestamp.
    const double seconds = value.get<double>();
    if (!(seconds >= 0 && seconds < 253402300800.0)) return std::nullopt;
    return Clock::TimePoint(std::chrono::duration_cast<Clock::TimePoint::duration>(
        std::chrono::duration<double>(seconds)));
  }
  if (value.is_string()) {
    auto t = ParseIso8601(value.get<std::string>());
    if (t.ok()) return *t;
  }
  return std::nullopt;
}

std::string String(const json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Secret TakeSecret(json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return Secret();
  return Secret(std::move(it->get_ref<std::string&>()));
}

void WipeJson(json& value) noexcept {
  if (value.is_string()) {
    WipeString(value.get_ref<std::string&>());
  } else if (value.is_structured()) {
    for (auto& child : value) WipeJson(child);
  }
}

bool Bool(const json& object, const char* key, bool fallback) {
  const auto it = object.find(key);
  return it != object.end() && it->is_boolean() ? it->get<bool>() : fallback;
}

Result<std::unique_ptr<AwsServiceClient>> MakeServiceClient(
    std::string_view service, ClientConfig config, std::shared_ptr<HttpClient> http,
    std::shared_ptr<CredentialsProvider> credentials, Clock& clock, Random& random) {
  ServiceModel model = SP_TRY(EmbeddedModel(service));
  return AwsServiceClient::Create(std::move(model), std::move(config), std::move(http),
                                  std::move(credentials), clock, random);
}

}  // namespace internal

using internal::JsonWiper;
using internal::ParseTimestamp;
using internal::String;
using internal::TakeSecret;

StsClient::StsClient(std::unique_ptr<AwsServiceClient> client) : client_(std::move(client)) {}
StsClient::~StsClient() = default;
SecretsManagerClient::SecretsManagerClient(std::unique_ptr<AwsServiceClient> client, Random& random)
    : client_(std::move(client)), random_(random) {}
SecretsManagerClient::~SecretsManagerClient() = default;
RedshiftServerlessClient::RedshiftServerlessClient(std::unique_ptr<AwsServiceClient> client)
    : client_(std::move(client)) {}
RedshiftServerlessClient::~RedshiftServerlessClient() = default;
RedshiftClient::RedshiftClient(std::unique_ptr<AwsServiceClient> client)
    : client_(std::move(client)) {}
RedshiftClient::~RedshiftClient() = default;

// ---- STS ----------------------------------------------------------------------------------

Result<std::unique_ptr<StsClient>> StsClient::Create(
    ClientConfig config, std::shared_ptr<HttpClient> http,
    std::shared_ptr<CredentialsProvider> credentials, Clock& clock, Random& random) {
  auto client = SP_TRY(internal::MakeServiceClient("sts", std::move(config), std::move(http),
                                                   std::move(credentials), clock, random));
  return std::make_unique<StsClient>(std::move(client));
}

Result<CallerIdentity> StsClient::GetCallerIdentity() {
  const json out = SP_TRY(client_->Call("GetCallerIdentity", json::object()));
  CallerIdentity id{String(out, "Account"), String(out, "Arn"), String(out, "UserId")};
  if (id.arn.empty()) return Unavailable("sts GetCallerIdentity returned no Arn");
  return id;
}

Result<Credentials> StsClient::AssumeRole(const AssumeRoleParams& params) {
  json input = {{"RoleArn", params.role_arn}, {"RoleSessionName", params.role_session_name}};
  if (!params.external_id.empty()) input["ExternalId"] = params.external_id;
  if (params.duration_seconds) input["DurationSeconds"] = *params.duration_seconds;
  json out = SP_TRY(client_->Call("AssumeRole", input));
  const JsonWiper wipe_out(out);
  if (!out.contains("Credentials") || !out["Credentials"].is_object()) {
    return Unavailable("sts AssumeRole returned no Credentials");
  }
  json& c = out["Credentials"];
  Credentials creds;
  creds.access_key_id = String(c, "AccessKeyId");
  creds.secret_access_key = TakeSecret(c, "SecretAccessKey");
  creds.session_token = TakeSecret(c, "SessionToken");
  if (c.contains("Expiration")) creds.expiration = ParseTimestamp(c["Expiration"]);
  if (creds.access_key_id.empty() || creds.secret_access_key.empty() || !creds.expiration) {
    return Unavailable("sts AssumeRole returned incomplete credentials");
  }
  return creds;
}

AssumeRoleCredentialsProvider::AssumeRoleCredentialsProvider(std::shared_ptr<StsClient> sts,
                                                             AssumeRoleParams params, Clock& clock,
                                                             std::chrono::seconds refresh_before)
    : sts_(std::move(sts)),
      params_(std::move(params)),
      clock_(clock),
      refresh_before_(refresh_before) {}

Result<Credentials> AssumeRoleCredentialsProvider::Get() {
  std::lock_guard<std::mutex> lock(mu_);  // one refresh at a time; others wait and share it
  if (cached_ && cached_->expiration && clock_.Now() + refresh_before_ < *cached_->expiration) {
    return *cached_;
  }
  ++refreshes_;
  Credentials fresh = SP_TRY(sts_->AssumeRole(params_));
  cached_ = fresh;
  return fresh;
}

bool AssumeRoleCredentialsProvider::Invalidate() {
  std::lock_guard<std::mutex> lock(mu_);
  cached_.reset();
  return true;
}

int AssumeRoleCredentialsProvider::refreshes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return refreshes_;
}

// ---- Secrets Manager ------------------------------------------------------------------------

Result<std::unique_ptr<SecretsManagerClient>> SecretsManagerClient::Create(
    ClientConfig config, std::shared_ptr<HttpClient> http,
    std::shared_ptr<CredentialsProvider> credentials, Clock& clock, Random& random) {
  auto client = SP_TRY(internal::MakeServiceClient(
      "secretsmanager", std::move(config), std::move(http), std::move(credentials), clock, random));
  return std::make_unique<SecretsManagerClient>(std::move(client), random);
}

namespace {
SecretVersionRef VersionRef(const json& out) {
  SecretVersionRef ref{String(out, "ARN"), String(out, "Name"), String(out, "VersionId"), {}};
  if (out.contains("VersionStages") && out["VersionStages"].is_array()) {
    for (const auto& s : out["VersionStages"]) {
      if (s.is_string()) ref.version_stages.push_back(s.get<std::string>());
    }
  }
  return ref;
}

// Secrets Manager idempotency tokens are 32-64 characters; NewId gives 22, so use two.
std::string RequestToken(Random& random) {
  return NewId(random) + NewId(random);
}
}  // namespace

Result<SecretValue> SecretsManagerClient::GetSecretValue(std::string_view secret_id,
                                                         std::string_view version_id,
                                                         std::string_view version_stage) {
  if (!version_id.empty() && !version_stage.empty()) {
    return InvalidArgument("GetSecretValue takes a version id or a version stage, not both");
  }
  json input = {{"SecretId", secret_id}};
  if (!version_id.empty()) input["VersionId"] = version_id;
  if (!version_stage.empty()) input["VersionStage"] = version_stage;
  json out = SP_TRY(client_->Call("GetSecretValue", input));
  const JsonWiper wipe_out(out);
  const SecretVersionRef ref = VersionRef(out);
  SecretValue value;
  value.arn = ref.arn;
  value.name = ref.name;
  value.version_id = ref.version_id;
  value.version_stages = ref.version_stages;
  value.secret_string = TakeSecret(out, "SecretString");
  if (const Secret b64 = TakeSecret(out, "SecretBinary"); !b64.empty()) {
    auto bytes = Base64Decode(b64.Reveal());
    if (!bytes.ok())
      return Unavailable("secretsmanager GetSecretValue returned malformed SecretBinary");
    value.secret_binary =
        Secret(std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()));
    OPENSSL_cleanse(bytes->data(), bytes->size());
  }
  return value;
}

Result<SecretVersionRef> SecretsManagerClient::CreateSecret(std::string_view name,
                                                            const Secret& secret_string,
                                                            std::string_view description,
                                                            std::string_view kms_key_id,
                                                            std::string client_request_token) {
  if (client_request_token.empty()) client_request_token = RequestToken(random_);
  json input = {{"Name", name},
                {"SecretString", secret_string.Reveal()},
                {"ClientRequestToken", client_request_token}};
  if (!description.empty()) input["Description"] = description;
  if (!kms_key_id.empty()) input["KmsKeyId"] = kms_key_id;
  const JsonWiper wipe_input(input);  // it holds the SecretString
  const json out = SP_TRY(client_->Call("CreateSecret", input));
  return VersionRef(out);
}

Result<SecretVersionRef> SecretsManagerClient::PutSecretValue(
    std::string_view secret_id, const Secret& secret_string, std::string client_request_token,
    const std::vector<std::string>& version_stages) {
  if (client_request_token.empty()) client_request_token = RequestToken(random_);
  json input = {{"SecretId", secret_id},
                {"SecretString", secret_string.Reveal()},
                {"ClientRequestToken", client_request_token}};
  if (!version_stages.empty()) input["VersionStages"] = version_stages;
  const JsonWiper wipe_input(input);  // it holds the SecretString
  const json out = SP_TRY(client_->Call("PutSecretValue", input));
  return VersionRef(out);
}

// ---- redshift-serverless and redshift --------------------------------------------------------

namespace {
Result<DbCredentials> ToDbCredentials(json& out, const char* user, const char* password,
                                      const char* expiration, const char* next_refresh,
                                      std::string_view what) {
  DbCredentials c;
  c.db_user = String(out, user);
  c.db_password = TakeSecret(out, password);
  if (out.contains(expiration)) c.expiration = ParseTimestamp(out[expiration]);
  if (out.contains(next_refresh)) c.next_refresh_time = ParseTimestamp(out[next_refresh]);
  if (c.db_user.empty() || c.db_password.empty()) {
    return Unavailable(std::string(what) + " returned incomplete credentials");
  }
  return c;
}
}  // namespace

Result<std::unique_ptr<RedshiftServerlessClient>> RedshiftServerlessClient::Create(
    ClientConfig config, std::shared_ptr<HttpClient> http,
    std::shared_ptr<CredentialsProvider> credentials, Clock& clock, Random& random) {
  auto client =
      SP_TRY(internal::MakeServiceClient("redshift-serverless", std::move(config), std::move(http),
                                         std::move(credentials), clock, random));
  return std::make_unique<RedshiftServerlessClient>(std::move(client));
}

Result<DbCredentials> RedshiftServerlessClient::GetCredentials(
    std::string_view workgroup_name, std::string_view db_name,
    std::optional<int> duration_seconds) {
  json input = {{"workgroupName", workgroup_name}};
  if (!db_name.empty()) input["dbName"] = db_name;
  if (duration_seconds) input["durationSeconds"] = *duration_seconds;
  json out = SP_TRY(client_->Call("GetCredentials", input));
  const JsonWiper wipe_out(out);
  return ToDbCredentials(out, "dbUser", "dbPassword", "expiration", "nextRefreshTime",
                         "redshift-serverless GetCredentials");
}

Result<std::unique_ptr<RedshiftClient>> RedshiftClient::Create(
    ClientConfig config, std::shared_ptr<HttpClient> http,
    std::shared_ptr<CredentialsProvider> credentials, Clock& clock, Random& random) {
  auto client = SP_TRY(internal::MakeServiceClient("redshift", std::move(config), std::move(http),
                                                   std::move(credentials), clock, random));
  return std::make_unique<RedshiftClient>(std::move(client));
}

Result<DbCredentials> RedshiftClient::GetClusterCredentials(
    std::string_view cluster_identifier, std::string_view db_user, std::string_view db_name,
    std::optional<int> duration_seconds, bool auto_create,
    const std::vector<std::string>& db_groups) {
  json input = {{"ClusterIdentifier", cluster_identifier}, {"DbUser", db_user}};
  if (!db_name.empty()) input["DbName"] = db_name;
  if (duration_seconds) input["DurationSeconds"] = *duration_seconds;
  if (auto_create) input["AutoCreate"] = true;
  if (!db_groups.empty()) input["DbGroups"] = db_groups;
  json out = SP_TRY(client_->Call("GetClusterCredentials", input));
  const JsonWiper wipe_out(out);
  return ToDbCredentials(out, "DbUser", "DbPassword", "Expiration", "NextRefreshTime",
                         "redshift GetClusterCredentials");
}

Result<DbCredentials> RedshiftClient::GetClusterCredentialsWithIAM(
    std::string_view cluster_identifier, std::string_view db_name,
    std::optional<int> duration_seconds) {
  json input = {{"ClusterIdentifier", cluster_identifier}};
  if (!db_name.empty()) input["DbName"] = db_name;
  if (duration_seconds) input["DurationSeconds"] = *duration_seconds;
  json out = SP_TRY(client_->Call("GetClusterCredentialsWithIAM", input));
  const JsonWiper wipe_out(out);
  return ToDbCredentials(out, "DbUser", "DbPassword", "Expiration", "NextRefreshTime",
                         "redshift GetClusterCredentialsWithIAM");
}

}  // namespace schemaport::aws
