// IAM for the emulator: access keys of configured users, temporary keys issued by AssumeRole,
// and action-level authorization with '*'/'?' wildcards.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <variant>

#include "api.h"
#include "config.h"

namespace schemaport::emulator {

// Case-insensitive IAM wildcard match: '*' any run of characters, '?' one character.
bool WildcardMatch(std::string_view pattern, std::string_view text);

struct KeyRecord {
  Identity identity;
  Secret secret_access_key;
  Secret session_token;                        // temporary keys only
  std::optional<Clock::TimePoint> expiration;  // temporary keys only
};

struct TemporaryCredentials {
  std::string access_key_id;
  Secret secret_access_key;
  Secret session_token;
  Clock::TimePoint expiration;
  std::string assumed_role_arn;
  std::string assumed_role_id;
};

// Thread safety: all methods are thread-safe.
class Iam {
 public:
  Iam(const EmulatorConfig& config, const Clock& clock, Random& random);

  // The key's owner and secret, or nullopt for an unknown key.
  std::optional<KeyRecord> FindKey(const std::string& access_key_id) const;

  // True when one of the identity's patterns matches `action` ("service:Action").
  static bool IsAllowed(const Identity& identity, std::string_view action);

  // The AWS text for a denied action: "User: <arn> is not authorized to perform: <action> on
  // resource: <resource> because no identity-based policy allows the <action> action".
  static std::string DenyMessage(const Identity& identity, std::string_view action,
                                 std::string_view resource);

  // sts:AssumeRole. Errors are AWS-shaped (AccessDenied, ValidationError).
  std::variant<TemporaryCredentials, ApiError> AssumeRole(
      const Identity& caller, const std::string& role_arn, const std::string& session_name,
      const std::optional<std::string>& external_id, std::optional<int> duration_seconds);

  std::string UserArn(const std::string& name) const;
  std::string RoleArn(const std::string& name) const;

 private:
  std::string RandomKeyPart(std::size_t n, std::string_view alphabet);

  const EmulatorConfig& config_;
  const Clock& clock_;
  Random& random_;
  mutable std::mutex mu_;
  std::map<std::string, KeyRecord, std::less<>> keys_;
};

}  // namespace schemaport::emulator
