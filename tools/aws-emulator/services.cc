// Secrets Manager, redshift-serverless, STS and redshift operations.
#include "services.h"

#include <regex>
#include <utility>

#include "aws/internal.h"

namespace schemaport::emulator {
namespace {

using nlohmann::json;

constexpr std::string_view kAlnum =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

std::string RandomString(Random& random, std::size_t n, std::string_view alphabet) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += alphabet[random.Uniform(alphabet.size())];
  return out;
}

std::string JsonString(const json& in, const char* key) {
  auto it = in.find(key);
  return it != in.end() && it->is_string() ? it->get<std::string>() : std::string();
}

ApiError JsonAccessDenied(const Identity& caller, std::string_view action,
                          std::string_view resource) {
  return ApiError{400, "AccessDeniedException", Iam::DenyMessage(caller, action, resource)};
}

ApiError QueryAccessDenied(const Identity& caller, std::string_view action,
                           std::string_view resource) {
  return ApiError{403, "AccessDenied", Iam::DenyMessage(caller, action, resource)};
}

const WarehouseConfig* FindByName(const std::vector<WarehouseConfig>& list,
                                  const std::string& name) {
  for (const WarehouseConfig& w : list) {
    if (w.name == name) return &w;
  }
  return nullptr;
}

}  // namespace

std::string XmlEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

double EpochSeconds(Clock::TimePoint t) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  return static_cast<double>(ms) / 1000.0;
}

std::string WorkgroupArn(const EmulatorConfig& config, const WarehouseConfig& w) {
  std::string id = w.id;
  if (id.empty()) {
    std::string h = aws::sigv4::Sha256Hex("workgroup/" + w.name);
    id = fmt::format("{}-{}-{}-{}-{}", h.substr(0, 8), h.substr(8, 4), h.substr(12, 4),
                     h.substr(16, 4), h.substr(20, 12));
  }
  return fmt::format("arn:aws:redshift-serverless:{}:{}:workgroup/{}", config.region,
                     config.account_id, id);
}

std::string ClusterArn(const EmulatorConfig& config, const WarehouseConfig& c) {
  return fmt::format("arn:aws:redshift:{}:{}:cluster:{}", config.region, config.account_id, c.name);
}

// ---------------------------------------------------------------------------------------------
// Secrets Manager
// ---------------------------------------------------------------------------------------------

SecretsStore::SecretsStore(const EmulatorConfig& config, const Clock& clock, Random& random)
    : config_(config), clock_(clock), random_(random) {
  for (const SecretConfig& s : config.secrets) {
    SecretRecord rec;
    rec.name = s.name;
    rec.arn = NewArn(s.name);
    rec.description = s.description;
    rec.created = clock.Now();
    rec.versions.push_back(Version{NewUuid(random), s.secret_string, {"AWSCURRENT"}, rec.created});
    secrets_[s.name] = std::move(rec);
  }
}

std::string SecretsStore::NewArn(const std::string& name) {
  return fmt::format("arn:aws:secretsmanager:{}:{}:secret:{}-{}", config_.region,
                     config_.account_id, name, RandomString(random_, 6, kAlnum));
}

SecretsStore::SecretRecord* SecretsStore::FindLocked(const std::string& id) {
  return const_cast<SecretRecord*>(std::as_const(*this).FindLocked(id));
}

const SecretsStore::SecretRecord* SecretsStore::FindLocked(const std::string& id) const {
  auto it = secrets_.find(id);
  if (it != secrets_.end()) return &it->second;
  for (const auto& [name, rec] : secrets_) {
    if (rec.arn == id) return &rec;
  }
  return nullptr;
}

std::optional<SecretsStore::SecretRecord> SecretsStore::Find(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  const SecretRecord* rec = FindLocked(id);
  if (!rec) return std::nullopt;
  return *rec;
}

JsonReply SecretsStore::Create(const json& in) {
  std::string name = JsonString(in, "Name");
  static const std::regex kName("[A-Za-z0-9/_+=.@-]{1,512}");
  if (!std::regex_match(name, kName)) {
    return ApiError{400, "InvalidParameterException",
                    "Invalid name. Must be a valid name containing alphanumeric "
                    "characters, or any of the following: -/_+=.@!"};
  }
  if (in.contains("SecretBinary")) {
    return ApiError{400, "InvalidParameterException",
                    "The emulator stores SecretString values only."};
  }
  std::string value = JsonString(in, "SecretString");
  std::string version = JsonString(in, "ClientRequestToken");
  std::lock_guard<std::mutex> lock(mu_);
  if (secrets_.count(name)) {
    return ApiError{
        400, "ResourceExistsException",
        fmt::format("The operation failed because the secret {} already exists.", name)};
  }
  SecretRecord rec;
  rec.name = name;
  rec.arn = NewArn(name);
  rec.description = JsonString(in, "Description");
  rec.created = clock_.Now();
  json out = {{"ARN", rec.arn}, {"Name", name}};
  if (in.contains("SecretString")) {
    if (version.empty()) version = NewUuid(random_);
    rec.versions.push_back(Version{version, value, {"AWSCURRENT"}, rec.created});
    out["VersionId"] = version;
  }
  secrets_[name] = std::move(rec);
  return out;
}

JsonReply SecretsStore::Put(const json& in) {
  std::string id = JsonString(in, "SecretId");
  std::lock_guard<std::mutex> lock(mu_);
  SecretRecord* rec = FindLocked(id);
  if (!rec)
    return ApiError{400, "ResourceNotFoundException",
                    "Secrets Manager can't find the specified secret."};
  if (!in.contains("SecretString")) {
    return ApiError{400, "InvalidRequestException",
                    "You must provide either SecretString or SecretBinary."};
  }
  std::string value = JsonString(in, "SecretString");
  std::string version = JsonString(in, "ClientRequestToken");
  if (version.empty()) version = NewUuid(random_);
  std::vector<std::string> stages = {"AWSCURRENT"};
  if (auto it = in.find("VersionStages"); it != in.end() && it->is_array()) {
    stages.clear();
    for (const json& s : *it) {
      if (s.is_string()) stages.push_back(s.get<std::string>());
    }
  }
  for (const Version& v : rec->versions) {
    if (v.id == version) {
      if (v.value != value) {
        return ApiError{400, "ResourceExistsException",
                        "You can't modify an existing version, you can only create a new version."};
      }
      return json{
          {"ARN", rec->arn}, {"Name", rec->name}, {"VersionId", v.id}, {"VersionStages", v.stages}};
    }
  }
  bool becomes_current = std::find(stages.begin(), stages.end(), "AWSCURRENT") != stages.end();
  auto has = [](const Version& v, std::string_view stage) {
    return std::find(v.stages.begin(), v.stages.end(), stage) != v.stages.end();
  };
  auto remove = [](Version& v, std::string_view stage) {
    v.stages.erase(std::remove(v.stages.begin(), v.stages.end(), stage), v.stages.end());
  };
  for (Version& v : rec->versions) {
    bool was_current = has(v, "AWSCURRENT");
    if (becomes_current) remove(v, "AWSPREVIOUS");
    for (const std::string& stage : stages) remove(v, stage);
    // The version that loses AWSCURRENT becomes AWSPREVIOUS.
    if (becomes_current && was_current) v.stages.push_back("AWSPREVIOUS");
  }
  rec->versions.push_back(Version{version, value, stages, clock_.Now()});
  return json{
      {"ARN", rec->arn}, {"Name", rec->name}, {"VersionId", version}, {"VersionStages", stages}};
}

JsonReply SecretsStore::GetValue(const json& in) const {
  std::string id = JsonString(in, "SecretId");
  std::string version_id = JsonString(in, "VersionId");
  std::string stage = JsonString(in, "VersionStage");
  std::lock_guard<std::mutex> lock(mu_);
  const SecretRecord* rec = FindLocked(id);
  if (!rec)
    return ApiError{400, "ResourceNotFoundException",
                    "Secrets Manager can't find the specified secret."};
  if (version_id.empty() && stage.empty()) stage = "AWSCURRENT";
  for (const Version& v : rec->versions) {
    bool id_ok = version_id.empty() || v.id == version_id;
    bool stage_ok =
        stage.empty() || std::find(v.stages.begin(), v.stages.end(), stage) != v.stages.end();
    if (id_ok && stage_ok) {
      return json{{"ARN", rec->arn},           {"Name", rec->name},
                  {"VersionId", v.id},         {"SecretString", v.value},
                  {"VersionStages", v.stages}, {"CreatedDate", EpochSeconds(v.created)}};
    }
  }
  if (!version_id.empty()) {
    return ApiError{
        400, "ResourceNotFoundException",
        fmt::format("Secrets Manager can't find the specified secret value for VersionId: {}",
                    version_id)};
  }
  return ApiError{
      400, "ResourceNotFoundException",
      fmt::format("Secrets Manager can't find the specified secret value for staging label: {}",
                  stage)};
}

JsonReply HandleSecretsManager(ServiceContext& ctx, const Identity& caller, const std::string& op,
                               const json& in) {
  if (!in.is_object())
    return ApiError{400, "SerializationException",
                    "Start of structure or map found where not expected."};
  std::string action = "secretsmanager:" + op;
  std::string resource = op == "CreateSecret" ? JsonString(in, "Name") : JsonString(in, "SecretId");
  if (op != "CreateSecret" && resource.empty()) {
    return ApiError{400, "ValidationException",
                    "1 validation error detected: Value null at 'secretId' failed to satisfy "
                    "constraint: Member must "
                    "not be null"};
  }
  if (op == "GetSecretValue" || op == "PutSecretValue" || op == "CreateSecret") {
    if (!Iam::IsAllowed(caller, action)) {
      auto rec = ctx.secrets.Find(resource);
      std::string arn = rec ? rec->arn
                            : fmt::format("arn:aws:secretsmanager:{}:{}:secret:{}",
                                          ctx.config.region, ctx.config.account_id, resource);
      return JsonAccessDenied(caller, action, arn);
    }
  }
  if (op == "GetSecretValue") return ctx.secrets.GetValue(in);
  if (op == "PutSecretValue") return ctx.secrets.Put(in);
  if (op == "CreateSecret") return ctx.secrets.Create(in);
  return ApiError{400, "UnknownOperationException", ""};
}

// ---------------------------------------------------------------------------------------------
// redshift-serverless
// ---------------------------------------------------------------------------------------------

JsonReply HandleRedshiftServerless(ServiceContext& ctx, const Identity& caller,
                                   const std::string& op, const json& in) {
  if (!in.is_object())
    return ApiError{400, "SerializationException",
                    "Start of structure or map found where not expected."};
  if (op != "GetCredentials") return ApiError{400, "UnknownOperationException", ""};
  std::string workgroup = JsonString(in, "workgroupName");
  if (workgroup.empty()) {
    return ApiError{400, "ValidationException",
                    "You must provide a workgroupName or a customDomainName."};
  }
  const WarehouseConfig* w = FindByName(ctx.config.workgroups, workgroup);
  std::string arn = w ? WorkgroupArn(ctx.config, *w)
                      : fmt::format("arn:aws:redshift-serverless:{}:{}:workgroup/{}",
                                    ctx.config.region, ctx.config.account_id, workgroup);
  if (!Iam::IsAllowed(caller, "redshift-serverless:GetCredentials")) {
    return JsonAccessDenied(caller, "redshift-serverless:GetCredentials", arn);
  }
  if (!w)
    return ApiError{400, "ResourceNotFoundException",
                    fmt::format("Workgroup {} not found.", workgroup)};
  int duration = 900;
  if (auto it = in.find("durationSeconds"); it != in.end() && it->is_number_integer()) {
    duration = it->get<int>();
    if (duration < 900 || duration > 3600) {
      return ApiError{400, "ValidationException", "durationSeconds must be between 900 and 3600."};
    }
  }
  std::string db = JsonString(in, "dbName");
  if (!db.empty() && !w->databases.count(db)) {
    return ApiError{400, "ValidationException", fmt::format("Database {} does not exist.", db)};
  }
  Clock::TimePoint now = ctx.clock.Now();
  return json{{"dbUser", caller.DbUser()},
              {"dbPassword", RandomString(ctx.random, 40, kAlnum)},
              {"expiration", EpochSeconds(now + std::chrono::seconds(duration))},
              {"nextRefreshTime", EpochSeconds(now + std::chrono::seconds(duration))}};
}

// ---------------------------------------------------------------------------------------------
// STS (awsQuery)
// ---------------------------------------------------------------------------------------------

namespace {
std::string Param(const std::map<std::string, std::string>& p, const std::string& key) {
  auto it = p.find(key);
  return it == p.end() ? std::string() : it->second;
}
}  // namespace

XmlReply HandleSts(ServiceContext& ctx, const Identity& caller, const std::string& op,
                   const std::map<std::string, std::string>& params) {
  if (op == "GetCallerIdentity") {
    // GetCallerIdentity needs no permission.
    return fmt::format("<Arn>{}</Arn><UserId>{}</UserId><Account>{}</Account>",
                       XmlEscape(caller.arn), XmlEscape(caller.user_id),
                       XmlEscape(caller.account_id));
  }
  if (op == "AssumeRole") {
    std::string role_arn = Param(params, "RoleArn");
    std::string session = Param(params, "RoleSessionName");
    if (role_arn.empty() || session.empty()) {
      return ApiError{
          400, "ValidationError",
          fmt::format(
              "1 validation error detected: Value null at '{}' failed to satisfy constraint: "
              "Member must not be null",
              role_arn.empty() ? "roleArn" : "roleSessionName")};
    }
    std::optional<std::string> external;
    if (params.count("ExternalId")) external = Param(params, "ExternalId");
    std::optional<int> duration;
    if (params.count("DurationSeconds")) {
      const auto n = ParseInt64(Param(params, "DurationSeconds"));
      if (!n || *n < INT32_MIN || *n > INT32_MAX) {
        return ApiError{400, "ValidationError", "DurationSeconds must be an integer."};
      }
      duration = static_cast<int>(*n);
    }
    auto r = ctx.iam.AssumeRole(caller, role_arn, session, external, duration);
    if (auto* e = std::get_if<ApiError>(&r)) return *e;
    const TemporaryCredentials& c = std::get<TemporaryCredentials>(r);
    return fmt::format(
        "<AssumedRoleUser><AssumedRoleId>{}</AssumedRoleId><Arn>{}</Arn></AssumedRoleUser>"
        "<Credentials><AccessKeyId>{}</AccessKeyId><SecretAccessKey>{}</SecretAccessKey>"
        "<SessionToken>{}</SessionToken><Expiration>{}</Expiration></Credentials>",
        XmlEscape(c.assumed_role_id), XmlEscape(c.assumed_role_arn), c.access_key_id,
        XmlEscape(c.secret_access_key.Reveal()), XmlEscape(c.session_token.Reveal()),
        FormatIso8601(c.expiration));
  }
  return ApiError{400, "InvalidAction",
                  fmt::format("Could not find operation {} for version 2011-06-15", op)};
}

// ---------------------------------------------------------------------------------------------
// redshift (awsQuery)
// ---------------------------------------------------------------------------------------------

XmlReply HandleRedshift(ServiceContext& ctx, const Identity& caller, const std::string& op,
                        const std::map<std::string, std::string>& params) {
  if (op != "GetClusterCredentials" && op != "GetClusterCredentialsWithIAM") {
    return ApiError{400, "InvalidAction",
                    fmt::format("Could not find operation {} for version 2012-12-01", op)};
  }
  std::string cluster = Param(params, "ClusterIdentifier");
  std::string db_name = Param(params, "DbName");
  int duration = 900;
  if (params.count("DurationSeconds")) {
    const auto n = ParseInt64(Param(params, "DurationSeconds"));
    duration = n && *n >= 0 && *n <= INT32_MAX ? static_cast<int>(*n) : -1;
    if (duration < 900 || duration > 3600) {
      return ApiError{400, "InvalidParameterValue",
                      "The duration must be between 900 and 3600 seconds."};
    }
  }
  const WarehouseConfig* c = FindByName(ctx.config.clusters, cluster);
  Clock::TimePoint expiration = ctx.clock.Now() + std::chrono::seconds(duration);
  std::string password = RandomString(ctx.random, 40, kAlnum);
  if (op == "GetClusterCredentials") {
    std::string db_user = Param(params, "DbUser");
    if (db_user.empty()) {
      return ApiError{400, "ValidationError",
                      "1 validation error detected: Value null at 'dbUser' failed to satisfy "
                      "constraint: Member must "
                      "not be null"};
    }
    std::string resource = fmt::format("arn:aws:redshift:{}:{}:dbuser:{}/{}", ctx.config.region,
                                       ctx.config.account_id, cluster, db_user);
    if (!Iam::IsAllowed(caller, "redshift:GetClusterCredentials")) {
      return QueryAccessDenied(caller, "redshift:GetClusterCredentials", resource);
    }
    if (!c) return ApiError{404, "ClusterNotFound", fmt::format("Cluster {} not found.", cluster)};
    bool auto_create = Param(params, "AutoCreate") == "true";
    return fmt::format("<DbUser>{}</DbUser><DbPassword>{}</DbPassword><Expiration>{}</Expiration>",
                       XmlEscape((auto_create ? "IAMA:" : "IAM:") + db_user), password,
                       FormatIso8601(expiration));
  }
  std::string resource =
      fmt::format("arn:aws:redshift:{}:{}:dbname:{}/{}", ctx.config.region, ctx.config.account_id,
                  cluster, db_name.empty() ? "*" : db_name);
  if (!Iam::IsAllowed(caller, "redshift:GetClusterCredentialsWithIAM")) {
    return QueryAccessDenied(caller, "redshift:GetClusterCredentialsWithIAM", resource);
  }
  if (!c) return ApiError{404, "ClusterNotFound", fmt::format("Cluster {} not found.", cluster)};
  return fmt::format(
      "<DbUser>{}</DbUser><DbPassword>{}</DbPassword><Expiration>{}</Expiration>"
      "<NextRefreshTime>{}</NextRefreshTime>",
      XmlEscape(caller.DbUser()), password, FormatIso8601(expiration), FormatIso8601(expiration));
}

}  // namespace schemaport::emulator
