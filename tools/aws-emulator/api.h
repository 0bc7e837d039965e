// Vocabulary shared by the emulator's services: the caller's identity and AWS-shaped errors.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "core/core.h"

namespace schemaport::emulator {

// Who signed a request: an IAM user (long-term AKIA key) or an assumed role (ASIA key).
struct Identity {
  enum class Kind { kUser, kAssumedRole };
  Kind kind = Kind::kUser;
  std::string account_id;
  std::string name;          // user name or role name
  std::string session_name;  // assumed roles only
  std::string arn;  // arn:aws:iam::ACCT:user/NAME or arn:aws:sts::ACCT:assumed-role/ROLE/SESSION
  std::string user_id;  // AIDA... or AROA...:SESSION
  std::string access_key_id;
  std::vector<std::string> allow;  // allowed action patterns

  // The principal the Data API scopes statements to: the user, or the role for any of its
  // sessions (ListStatements RoleLevel defaults to the role).
  std::string PrincipalArn() const {
    return kind == Kind::kUser ? arn : "arn:aws:iam::" + account_id + ":role/" + name;
  }

  // The database user Redshift maps this identity to: "IAM:<user>" or "IAMR:<role>".
  std::string DbUser() const { return (kind == Kind::kUser ? "IAM:" : "IAMR:") + name; }
};

// An AWS error reply. `code` is the wire error code (JSON `__type`, query `<Code>`).
struct ApiError {
  int http_status = 400;
  std::string code;
  std::string message;
  nlohmann::json extra = nlohmann::json::object();  // additional members (e.g. ResourceId)
  bool sender = true;                               // query protocol <Type>Sender|Receiver</Type>
};

inline ApiError Validation(std::string message) {
  return ApiError{400, "ValidationException", std::move(message)};
}

}  // namespace schemaport::emulator
