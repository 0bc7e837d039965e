#include "auth.h"

namespace schemaport::emulator {
namespace {

constexpr std::string_view kInvalidToken = "The security token included in the request is invalid.";
constexpr std::string_view kBadSignatureText =
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details.";

}  // namespace

// The verification itself is aws::sigv4::Verify, the one strict verifier (it hashes the body,
// requires host and x-amz-date to be signed, compares in constant time); this adapter maps its
// outcome to AWS's error texts and checks what only IAM knows: session tokens and their expiry.
std::variant<VerifiedRequest, AuthFailure> VerifySigV4(const aws::sigv4::Request& request,
                                                       const Iam& iam, const Clock& clock,
                                                       std::chrono::seconds max_skew) {
  using Kind = AuthFailure::Kind;
  using aws::sigv4::VerifyFailure;
  const Clock::TimePoint now = clock.Now();
  const aws::sigv4::VerifyOutcome outcome = aws::sigv4::Verify(
      request,
      [&](std::string_view access_key_id) -> std::optional<Secret> {
        std::optional<KeyRecord> key = iam.FindKey(std::string(access_key_id));
        if (!key) return std::nullopt;
        return std::move(key->secret_access_key);
      },
      now, max_skew);
  if (!outcome.ok()) {
    switch (*outcome.failure) {
      case VerifyFailure::kMissingAuthentication:
        return AuthFailure{Kind::kMissing, "Missing Authentication Token"};
      case VerifyFailure::kMalformed: return AuthFailure{Kind::kMalformed, outcome.message};
      case VerifyFailure::kUnknownAccessKey:
        return AuthFailure{Kind::kUnknownKey, std::string(kInvalidToken)};
      case VerifyFailure::kSignatureMismatch:
        return AuthFailure{Kind::kBadSignature, std::string(kBadSignatureText)};
      case VerifyFailure::kRequestExpired: {
        const std::string amz_date = aws::FindHeader(request.headers, "x-amz-date").value_or("");
        const std::optional<Clock::TimePoint> when = ParseAmzDate(amz_date);
        if (when && *when < now) {
          return AuthFailure{
              Kind::kSignatureExpired,
              fmt::format("Signature expired: {} is now earlier than {} ({} - {} min.)", amz_date,
                          FormatAmzDate(now - max_skew), FormatAmzDate(now),
                          max_skew.count() / 60)};
        }
        return AuthFailure{
            Kind::kSignatureExpired,
            fmt::format("Signature not yet current: {} is still later than {} ({} + {} min.)",
                        amz_date, FormatAmzDate(now + max_skew), FormatAmzDate(now),
                        max_skew.count() / 60)};
      }
    }
  }
  const std::optional<KeyRecord> key = iam.FindKey(outcome.request.access_key_id);
  if (!key) return AuthFailure{Kind::kUnknownKey, std::string(kInvalidToken)};
  if (key->expiration) {
    const Secret token(outcome.request.session_token);
    if (!token.Equals(key->session_token)) {
      return AuthFailure{Kind::kUnknownKey, std::string(kInvalidToken)};
    }
    if (now >= *key->expiration) {
      return AuthFailure{Kind::kExpiredToken,
                         "The security token included in the request is expired"};
    }
  }
  return VerifiedRequest{key->identity, outcome.request.service, outcome.request.region};
}

}  // namespace schemaport::emulator
