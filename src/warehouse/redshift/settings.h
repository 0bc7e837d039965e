// Redshift connection settings: the form, validation, and the auth mode they select.
// Internal to src/warehouse/redshift.
#pragma once

#include <string>
#include <vector>

#include "warehouse/warehouse.h"

namespace schemaport::warehouse::redshift {

// How the Data API obtains database credentials; each needs its own IAM action.
enum class AuthMode {
  kServerless,     // WorkgroupName: redshift-serverless:GetCredentials, runs as IAM:<user>
  kClusterDbUser,  // ClusterIdentifier + DbUser: redshift:GetClusterCredentials, runs as DbUser
  kClusterIam,     // ClusterIdentifier alone: redshift:GetClusterCredentialsWithIAM, IAM:<user>
  kSecret,         // SecretArn (with a workgroup or a cluster): secretsmanager:GetSecretValue
};
std::string_view AuthModeName(AuthMode mode);

struct Settings {
  std::string access_key_id;
  Secret secret_access_key;
  Secret session_token;  // optional (temporary keys)
  std::string region;
  std::string workgroup;           // serverless target, or
  std::string cluster_identifier;  // provisioned target
  std::string database_user;       // optional, cluster only
  std::string database;            // the database to connect to
  std::string secret_arn;          // optional
  std::string role_arn;            // optional: the key assumes this role (sts:AssumeRole) first
  std::string external_id;         // optional, with role_arn: the role's trust policy condition
  AuthMode mode = AuthMode::kServerless;
};

// Field ids (ConnectionSettings keys) and the form the portal shows.
inline constexpr char kAccessKeyId[] = "access_key_id";
inline constexpr char kSecretAccessKey[] = "secret_access_key";
inline constexpr char kSessionToken[] = "session_token";
inline constexpr char kRegion[] = "region";
inline constexpr char kWorkgroup[] = "workgroup";
inline constexpr char kClusterIdentifier[] = "cluster_identifier";
inline constexpr char kDatabaseUser[] = "database_user";
inline constexpr char kDatabase[] = "database";
inline constexpr char kSecretArn[] = "secret_arn";
inline constexpr char kRoleArn[] = "role_arn";
inline constexpr char kExternalId[] = "external_id";

std::vector<FormField> FormFields();

// Checks every field and returns the first problem as kInvalidArgument naming the field by its
// label ("Workgroup: use lower-case letters, digits and hyphens (3 to 64)"). Never echoes a
// secret value.
Result<Settings> ParseSettings(const ConnectionSettings& settings);

}  // namespace schemaport::warehouse::redshift
