#include "iam.h"

#include <cctype>
#include <regex>

namespace schemaport::emulator {
namespace {
constexpr std::string_view kUpperDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr std::string_view kBase64ish =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

}  // namespace

bool WildcardMatch(std::string_view pattern, std::string_view text) {
  return GlobMatch(pattern, text, MatchCase::kIgnoreAscii);
}

Iam::Iam(const EmulatorConfig& config, const Clock& clock, Random& random)
    : config_(config), clock_(clock), random_(random) {
  for (const UserConfig& u : config.users) {
    KeyRecord rec;
    rec.identity.kind = Identity::Kind::kUser;
    rec.identity.account_id = config.account_id;
    rec.identity.name = u.name;
    rec.identity.arn = UserArn(u.name);
    // A stable user id derived from the access key (AIDA + 17 chars), as IAM's look.
    std::string uid = "AIDA";
    for (std::size_t i = 4; uid.size() < 21; ++i)
      uid += u.access_key_id[i % u.access_key_id.size()];
    rec.identity.user_id = uid;
    rec.identity.access_key_id = u.access_key_id;
    rec.identity.allow = u.allow;
    rec.secret_access_key = u.secret_access_key;
    keys_.emplace(u.access_key_id, std::move(rec));
  }
}

std::string Iam::UserArn(const std::string& name) const {
  return fmt::format("arn:aws:iam::{}:user/{}", config_.account_id, name);
}
std::string Iam::RoleArn(const std::string& name) const {
  return fmt::format("arn:aws:iam::{}:role/{}", config_.account_id, name);
}

std::optional<KeyRecord> Iam::FindKey(const std::string& access_key_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = keys_.find(access_key_id);
  if (it == keys_.end()) return std::nullopt;
  return it->second;
}

bool Iam::IsAllowed(const Identity& identity, std::string_view action) {
  for (const std::string& pattern : identity.allow) {
    if (WildcardMatch(pattern, action)) return true;
  }
  return false;
}

std::string Iam::DenyMessage(const Identity& identity, std::string_view action,
                             std::string_view resource) {
  return fmt::format(
      "User: {} is not authorized to perform: {} on resource: {} because no identity-based policy "
      "allows the {} action",
      identity.arn, action, resource, action);
}

std::string Iam::RandomKeyPart(std::size_t n, std::string_view alphabet) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += alphabet[random_.Uniform(alphabet.size())];
  return out;
}

std::variant<TemporaryCredentials, ApiError> Iam::AssumeRole(
    const Identity& caller, const std::string& role_arn, const std::string& session_name,
    const std::optional<std::string>& external_id, std::optional<int> duration_seconds) {
  static const std::regex kSessionName("[\\w+=,.@-]{2,64}");
  if (!std::regex_match(session_name, kSessionName)) {
    return ApiError{
        400, "ValidationError",
        fmt::format("1 validation error detected: Value '{}' at 'roleSessionName' failed to "
                    "satisfy constraint: Member must satisfy regular expression pattern: "
                    "[\\w+=,.@-]*",
                    session_name)};
  }
  auto denied = [&] {
    return ApiError{403, "AccessDenied", DenyMessage(caller, "sts:AssumeRole", role_arn)};
  };
  if (!IsAllowed(caller, "sts:AssumeRole")) return denied();
  const RoleConfig* role = nullptr;
  for (const RoleConfig& r : config_.roles) {
    if (RoleArn(r.name) == role_arn) role = &r;
  }
  if (!role) return denied();
  // The trust policy names principals; the caller's user ARN (or, for a role session, the
  // role's ARN) must match one of them.
  std::string principal = caller.kind == Identity::Kind::kUser ? caller.arn : RoleArn(caller.name);
  bool trusted = false;
  for (const std::string& p : role->trust) {
    if (p == "*" || p == principal ||
        p == fmt::format("arn:aws:iam::{}:root", config_.account_id)) {
      trusted = true;
    }
  }
  if (!trusted) return denied();
  if (!role->external_id.empty() && (!external_id || *external_id != role->external_id))
    return denied();
  int duration = duration_seconds.value_or(3600);
  if (duration < 900 || duration > 43200) {
    return ApiError{
        400, "ValidationError",
        fmt::format("1 validation error detected: Value '{}' at 'durationSeconds' failed to "
                    "satisfy constraint: Member must have value greater than or equal to 900",
                    duration)};
  }
  if (duration > role->max_session_duration) {
    return ApiError{
        400, "ValidationError",
        fmt::format("The requested DurationSeconds exceeds the MaxSessionDuration set for "
                    "this role.")};
  }

  TemporaryCredentials creds;
  std::lock_guard<std::mutex> lock(mu_);
  creds.access_key_id = "ASIA" + RandomKeyPart(16, kUpperDigits);
  creds.secret_access_key = Secret(RandomKeyPart(40, kBase64ish));
  creds.session_token = Secret("IQoJb3JpZ2luX2VjE" + RandomKeyPart(300, kBase64ish));
  creds.expiration = clock_.Now() + std::chrono::seconds(duration);
  std::string role_id = "AROA";
  for (std::size_t i = 0; role_id.size() < 21; ++i) {
    role_id += kUpperDigits[static_cast<unsigned char>(role->name[i % role->name.size()]) %
                            kUpperDigits.size()];
  }
  creds.assumed_role_id = role_id + ":" + session_name;
  creds.assumed_role_arn = fmt::format("arn:aws:sts::{}:assumed-role/{}/{}", config_.account_id,
                                       role->name, session_name);

  KeyRecord rec;
  rec.identity.kind = Identity::Kind::kAssumedRole;
  rec.identity.account_id = config_.account_id;
  rec.identity.name = role->name;
  rec.identity.session_name = session_name;
  rec.identity.arn = creds.assumed_role_arn;
  rec.identity.user_id = creds.assumed_role_id;
  rec.identity.access_key_id = creds.access_key_id;
  rec.identity.allow = role->allow;
  rec.secret_access_key = creds.secret_access_key;
  rec.session_token = creds.session_token;
  rec.expiration = creds.expiration;
  keys_.emplace(creds.access_key_id, std::move(rec));
  return creds;
}

}  // namespace schemaport::emulator
