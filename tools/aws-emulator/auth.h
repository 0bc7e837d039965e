// SigV4 verification of incoming requests against the emulator's IAM keys.
#pragma once

#include <string>
#include <variant>

#include "aws/internal.h"
#include "iam.h"

namespace schemaport::emulator {

struct AuthFailure {
  enum class Kind {
    kMissing,     // no Authorization header
    kMalformed,   // Authorization header that cannot be parsed
    kUnknownKey,  // access key not known (or a temporary key with a wrong token)
    kBadSignature,
    kSignatureExpired,  // request time more than the allowed skew from now
    kExpiredToken,      // temporary credentials past their expiration
  };
  Kind kind;
  std::string message;  // AWS's text for this failure
};

struct VerifiedRequest {
  Identity identity;
  std::string service;  // signing name from the credential scope ("redshift-data", "sts", ...)
  std::string region;
};

// Verifies `request` (as received) signed with SigV4 in the Authorization header.
// `max_skew` is AWS's 5 minutes by default.
std::variant<VerifiedRequest, AuthFailure> VerifySigV4(const aws::sigv4::Request& request,
                                                       const Iam& iam, const Clock& clock,
                                                       std::chrono::seconds max_skew);

}  // namespace schemaport::emulator
