#include "auth.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cctype>
#include <ctime>

namespace schemaport::emulator {
namespace {

constexpr std::string_view kInvalidToken = "The security token included in the request is invalid.";
constexpr std::string_view kBadSignatureText =
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details.";

std::string HeaderValue(const aws::sigv4::Request& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k.size() == name.size() && std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      return v;
    }
  }
  return {};
}

// "20150830T123600Z" -> time point.
std::optional<Clock::TimePoint> ParseAmzDate(std::string_view s) {
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z') return std::nullopt;
  for (std::size_t i : {0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14}) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return std::nullopt;
  }
  auto num = [&](std::size_t pos, std::size_t len) {
    int v = 0;
    for (std::size_t i = pos; i < pos + len; ++i) v = v * 10 + (s[i] - '0');
    return v;
  };
  std::tm tm{};
  tm.tm_year = num(0, 4) - 1900;
  tm.tm_mon = num(4, 2) - 1;
  tm.tm_mday = num(6, 2);
  tm.tm_hour = num(9, 2);
  tm.tm_min = num(11, 2);
  tm.tm_sec = num(13, 2);
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

bool ConstantTimeEqual(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

std::variant<VerifiedRequest, AuthFailure> VerifySigV4(const aws::sigv4::Request& request,
                                                       const Iam& iam, const Clock& clock,
                                                       std::chrono::seconds max_skew) {
  using Kind = AuthFailure::Kind;
  std::string authorization = HeaderValue(request, "authorization");
  if (authorization.empty()) return AuthFailure{Kind::kMissing, "Missing Authentication Token"};
  auto parsed = aws::sigv4::ParseAuthorization(authorization);
  if (!parsed.ok()) {
    return AuthFailure{Kind::kMalformed,
                       fmt::format("Authorization header requires 'Credential', 'Signature' and "
                                   "'SignedHeaders' parameters. Authorization={}",
                                   authorization.substr(0, authorization.find(' ')))};
  }
  std::optional<KeyRecord> key = iam.FindKey(parsed->access_key_id);
  if (!key) return AuthFailure{Kind::kUnknownKey, std::string(kInvalidToken)};

  std::string amz_date = HeaderValue(request, "x-amz-date");
  std::optional<Clock::TimePoint> when = ParseAmzDate(amz_date);
  if (!when || amz_date.substr(0, 8) != parsed->date) {
    return AuthFailure{Kind::kBadSignature, std::string(kBadSignatureText)};
  }

  std::string payload_hash = HeaderValue(request, "x-amz-content-sha256");
  if (payload_hash.empty() || payload_hash == "UNSIGNED-PAYLOAD") {
    payload_hash = aws::sigv4::Sha256Hex(request.body);
  }
  std::string scope =
      fmt::format("{}/{}/{}/aws4_request", parsed->date, parsed->region, parsed->service);
  std::string canonical = aws::sigv4::CanonicalRequest(request, parsed->signed_headers,
                                                       /*normalize_path=*/true, payload_hash);
  std::string to_sign = aws::sigv4::StringToSign(amz_date, scope, canonical);
  std::string expected = aws::sigv4::Signature(key->secret_access_key, parsed->date, parsed->region,
                                               parsed->service, to_sign);
  if (!ConstantTimeEqual(expected, parsed->signature)) {
    return AuthFailure{Kind::kBadSignature, std::string(kBadSignatureText)};
  }

  Clock::TimePoint now = clock.Now();
  if (*when < now - max_skew) {
    return AuthFailure{
        Kind::kSignatureExpired,
        fmt::format("Signature expired: {} is now earlier than {} ({} - {} min.)", amz_date,
                    FormatAmzDate(now - max_skew), FormatAmzDate(now), max_skew.count() / 60)};
  }
  if (*when > now + max_skew) {
    return AuthFailure{
        Kind::kSignatureExpired,
        fmt::format("Signature not yet current: {} is still later than {} ({} + {} min.)", amz_date,
                    FormatAmzDate(now + max_skew), FormatAmzDate(now), max_skew.count() / 60)};
  }

  if (key->expiration) {
    Secret token(HeaderValue(request, "x-amz-security-token"));
    if (!token.Equals(key->session_token)) {
      return AuthFailure{Kind::kUnknownKey, std::string(kInvalidToken)};
    }
    if (now >= *key->expiration) {
      return AuthFailure{Kind::kExpiredToken,
                         "The security token included in the request is expired"};
    }
  }
  return VerifiedRequest{key->identity, parsed->service, parsed->region};
}

}  // namespace schemaport::emulator
