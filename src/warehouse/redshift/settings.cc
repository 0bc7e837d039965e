#include "warehouse/redshift/settings.h"

#include "aws/aws.h"

#include <algorithm>
#include <cctype>
#include <regex>

namespace schemaport::warehouse::redshift {

std::string_view AuthModeName(AuthMode mode) {
  switch (mode) {
    case AuthMode::kServerless: return "serverless workgroup";
    case AuthMode::kClusterDbUser: return "cluster with database user";
    case AuthMode::kClusterIam: return "cluster with IAM identity";
    case AuthMode::kSecret: return "Secrets Manager secret";
  }
  return "unknown";
}

std::vector<FormField> FormFields() {
  return {
      {kAccessKeyId,
       "Access Key ID",
       "text",
       true,
       "The IAM user's access key ID (starts with AKIA).",
       "AKIA...",
       "",
       {}},
      {kSecretAccessKey,
       "Secret Key",
       "secret",
       true,
       "The secret access key shown once when the key was created. Stored encrypted; never shown "
       "again.",
       "",
       "",
       {}},
      {kRegion,
       "Region",
       "text",
       true,
       "The AWS Region of the warehouse, e.g. us-east-1.",
       "us-east-1",
       "",
       {}},
      {kWorkgroup,
       "Workgroup",
       "text",
       false,
       "Redshift Serverless workgroup name. Fill in either this or a cluster identifier.",
       "default-workgroup",
       "target",
       {}},
      {kClusterIdentifier,
       "Cluster identifier",
       "text",
       false,
       "Provisioned cluster identifier. Fill in either this or a workgroup.",
       "my-cluster",
       "target",
       {}},
      {kDatabaseUser,
       "Database user",
       "text",
       false,
       "Cluster only: connect as this database user (redshift:GetClusterCredentials). Leave empty "
       "to "
       "connect as your IAM identity (redshift:GetClusterCredentialsWithIAM).",
       "",
       "target",
       {}},
      {kDatabase, "Database", "text", true, "The database to connect to.", "dev", "", {}},
      {kSecretArn,
       "Secrets Manager secret ARN",
       "text",
       false,
       "Optional: authenticate with a database user and password stored in this secret instead.",
       "arn:aws:secretsmanager:us-east-1:123456789012:secret:redshift-abc123",
       "",
       {}},
      {kRoleArn,
       "Role ARN",
       "text",
       false,
       "Optional: the access key assumes this IAM role (sts:AssumeRole) and everything runs with "
       "the role's temporary credentials; the role needs the Redshift permissions.",
       "arn:aws:iam::123456789012:role/schemaport-reader",
       "assume_role",
       {}},
      {kExternalId,
       "External ID",
       "text",
       false,
       "The external ID the role's trust policy requires (sts:ExternalId), if any.",
       "",
       "assume_role",
       {}},
  };
}

namespace {

std::string Trim(std::string s) {
  auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

bool Matches(const std::string& s, const char* pattern) {
  return std::regex_match(s, std::regex(pattern));
}

Status Bad(std::string_view label, std::string_view what) {
  return InvalidArgument(std::string(label) + ": " + std::string(what));
}

bool HasControlChars(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; });
}

}  // namespace

Result<Settings> ParseSettings(const ConnectionSettings& in) {
  Settings s;
  s.access_key_id = Trim(in.Get(kAccessKeyId));
  if (s.access_key_id.empty()) return Bad("Access Key ID", "is required");
  if (!Matches(s.access_key_id, "[A-Z0-9]{16,128}")) {
    return Bad("Access Key ID",
               "must be 16 to 128 upper-case letters and digits (it starts with AKIA)");
  }
  const Secret* secret = in.GetSecret(kSecretAccessKey);
  // The trimmed copy lives in a Secret at once, so it is wiped on every path.
  Secret key(Trim(secret == nullptr ? std::string() : secret->Reveal()));
  if (key.empty()) return Bad("Secret Key", "is required");
  if (key.Reveal().size() < 16 || key.Reveal().size() > 128 || HasControlChars(key.Reveal()) ||
      key.Reveal().find(' ') != std::string::npos) {
    return Bad("Secret Key",
               "does not look like an AWS secret access key (40 characters, no spaces)");
  }
  s.secret_access_key = std::move(key);
  if (const Secret* token = in.GetSecret(kSessionToken); token != nullptr && !token->empty()) {
    s.session_token = *token;
  }

  s.region = Trim(in.Get(kRegion));
  if (s.region.empty()) return Bad("Region", "is required");
  if (!aws::IsValidRegion(s.region)) {
    return Bad("Region", "is not an AWS Region name such as us-east-1");
  }

  s.workgroup = Trim(in.Get(kWorkgroup));
  s.cluster_identifier = Trim(in.Get(kClusterIdentifier));
  s.database_user = Trim(in.Get(kDatabaseUser));
  s.secret_arn = Trim(in.Get(kSecretArn));
  if (s.workgroup.empty() == s.cluster_identifier.empty()) {
    return Bad("Workgroup",
               "fill in either a serverless workgroup or a cluster identifier, not both");
  }
  if (!s.workgroup.empty() && !Matches(s.workgroup, "[a-z0-9-]{3,64}")) {
    return Bad("Workgroup", "use 3 to 64 lower-case letters, digits and hyphens");
  }
  if (!s.cluster_identifier.empty() &&
      (!Matches(s.cluster_identifier, "[a-z]([a-z0-9]|-(?!-)){0,62}") ||
       s.cluster_identifier.back() == '-')) {
    return Bad("Cluster identifier",
               "use 1 to 63 lower-case letters, digits and single hyphens, starting with a letter");
  }
  if (!s.database_user.empty()) {
    if (!s.workgroup.empty()) {
      return Bad("Database user",
                 "applies to provisioned clusters only; a workgroup connects as IAM:<user>");
    }
    if (s.database_user.size() > 128 || HasControlChars(s.database_user)) {
      return Bad("Database user", "must be 1 to 128 characters without control characters");
    }
  }
  s.database = Trim(in.Get(kDatabase));
  if (s.database.empty()) return Bad("Database", "is required");
  if (s.database.size() > 127 || HasControlChars(s.database)) {
    return Bad("Database", "must be 1 to 127 bytes without control characters");
  }
  if (!s.secret_arn.empty()) {
    if (!Matches(
            s.secret_arn,
            "arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@!-]+")) {
      return Bad("Secrets Manager secret ARN",
                 "is not a secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)");
    }
    if (!s.database_user.empty()) {
      return Bad("Database user", "leave empty when a secret is used: the secret names the user");
    }
    s.mode = AuthMode::kSecret;
  } else if (!s.workgroup.empty()) {
    s.mode = AuthMode::kServerless;
  } else {
    s.mode = s.database_user.empty() ? AuthMode::kClusterIam : AuthMode::kClusterDbUser;
  }
  s.role_arn = Trim(in.Get(kRoleArn));
  s.external_id = Trim(in.Get(kExternalId));
  if (!s.role_arn.empty() &&
      !Matches(s.role_arn, "arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}")) {
    return Bad("Role ARN", "is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)");
  }
  if (!s.external_id.empty()) {
    if (s.role_arn.empty()) return Bad("External ID", "applies only with a Role ARN");
    if (!Matches(s.external_id, "[A-Za-z0-9+=,.@:/_-]{2,1224}")) {
      return Bad("External ID", "must be 2 to 1224 letters, digits or the characters +=,.@:/-_");
    }
  }
  return s;
}

}  // namespace schemaport::warehouse::redshift
