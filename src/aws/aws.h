// schemaport AWS client layer: SigV4 signing, model-driven input validation, and (later in this
// header) transport, protocols, retries, credentials and the service clients.
//
// Everything here returns Status/Result; nothing throws across this header. Secrets (secret keys,
// session tokens, passwords) are held in `Secret` and never appear in a Status, a log or a
// debug string produced by this layer.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/core.h"

namespace schemaport::aws {

// AWS credentials. `session_token` is empty for long-term keys. `expiration` is set for
// temporary credentials (STS, redshift GetCredentials...).
struct Credentials {
  std::string access_key_id;
  Secret secret_access_key;
  Secret session_token;
  std::optional<Clock::TimePoint> expiration;
};

// ---------------------------------------------------------------------------------------------
// SigV4 (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html)
// ---------------------------------------------------------------------------------------------
//
// Semantics (shared with the emulator, which verifies with the same functions):
//  * Request::path is the path exactly as sent on the wire (percent-encoded). The canonical URI
//    is that path, normalised when `normalize_path` (empty and "." segments removed, ".." pops,
//    a trailing "/" kept), then URI-encoded once more byte by byte (everything but the
//    unreserved set A-Z a-z 0-9 - . _ ~ and "/"). So a wire path "/a%20b" is canonicalised as
//    "/a%2520b": the double encoding that every AWS service but S3 expects, and what
//    @smithy/signature-v4 computes with `uriEscapePath: true` (its default).
//    `normalize_path = false` only skips the normalisation (S3-style callers pass an already
//    canonical path and should not use this signer's path encoding).
//  * Request::query is the raw query string. Each `&`-separated pair is split at the first
//    `=`, percent-decoded ('+' stays '+'), re-encoded with the strict SigV4 encoding, and the
//    pairs are sorted by key, then value. Empty segments are dropped; a key without `=` has an
//    empty value. A pair named X-Amz-Signature is excluded (so a presigned URL can be verified).
//  * Header names are compared case-insensitively; values are trimmed and every run of
//    whitespace (space, tab, CR, LF, VT, FF) becomes one space; repeated headers are joined
//    with "," in order.
//  * SignHeaders signs every header present except the ones no signer signs (authorization,
//    user-agent, expect, connection, transfer-encoding, x-amzn-trace-id, proxy-*, sec-*, ... the
//    @smithy/signature-v4 list), plus x-amz-date, x-amz-security-token (unless
//    omit_session_token) and x-amz-content-sha256 (when sign_body). REQUIRES: a Host header.
// Thread safety: pure functions.
namespace sigv4 {

struct Request {                      // a request as on the wire
  std::string method;                 // "POST"
  std::string path;                   // raw path as sent, percent-encoded ("/", "/a%20b")
  std::string query;                  // raw query string without '?', may be empty
  std::vector<std::pair<std::string, std::string>> headers;  // names in any case, in order
  std::string body;
};

struct SigningParams {
  std::string region, service;
  Clock::TimePoint time;
  bool normalize_path = true;
  bool sign_body = false;  // adds and signs x-amz-content-sha256
  bool omit_session_token = false;  // X-Amz-Security-Token added after signing, unsigned
};

inline constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

std::string CanonicalRequest(const Request& request,
                             const std::vector<std::string>& signed_headers_lowercase,
                             bool normalize_path, std::string_view payload_hash_hex);
std::string StringToSign(std::string_view amz_date,
                         std::string_view scope /* date/region/service/aws4_request */,
                         std::string_view canonical_request);
// Lowercase hex HMAC-SHA256 of string_to_sign with the derived signing key.
std::string Signature(const Secret& secret_key, std::string_view date /*YYYYMMDD*/,
                      std::string_view region, std::string_view service,
                      std::string_view string_to_sign);
std::string Sha256Hex(std::string_view data);

// Signs in place: adds X-Amz-Date, X-Amz-Security-Token (if a token is set), Authorization,
// and x-amz-content-sha256 if sign_body. Existing headers of those names are replaced.
void SignHeaders(Request& request, const Credentials& credentials, const SigningParams& params);
// Presigned form: appends X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-Expires,
// X-Amz-SignedHeaders, X-Amz-Security-Token (if any) and X-Amz-Signature to the query.
void SignQuery(Request& request, const Credentials& credentials, const SigningParams& params,
               std::chrono::seconds expires);

// Building blocks, exposed for verifiers (the emulator) and tests.
std::string UriEncode(std::string_view bytes, bool keep_slash);  // strict SigV4 encoding
std::string PercentDecode(std::string_view text);  // invalid escapes are kept literally
std::string CanonicalUri(std::string_view wire_path, bool normalize_path);
std::string CanonicalQuery(std::string_view raw_query);
// The headers SignHeaders would sign for this request, lowercase and sorted (without the
// x-amz-* headers the signer adds itself).
std::vector<std::string> SignableHeaders(const Request& request);
// "AKID/20150830/us-east-1/service/aws4_request" parts of an Authorization header.
struct ParsedAuthorization {
  std::string access_key_id, date, region, service;
  std::vector<std::string> signed_headers;
  std::string signature;
};
Result<ParsedAuthorization> ParseAuthorization(std::string_view header_value);

}  // namespace sigv4

}  // namespace schemaport::aws
