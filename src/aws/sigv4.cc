// SigV4 signing. See the semantics in aws.h.
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "aws/internal.h"

namespace schemaport::aws::sigv4 {
namespace {

constexpr std::string_view kUnsignable[] = {
    "authorization", "cache-control",     "connection", "expect",     "from",
    "keep-alive",    "max-forwards",      "pragma",     "referer",    "te",
    "trailer",       "transfer-encoding", "upgrade",    "user-agent", "x-amzn-trace-id",
};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IsUnreserved(unsigned char c) {
  return std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string CanonicalHeaderValue(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  bool pending_space = false;
  for (char c : v) {
    if (IsSpace(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

std::array<unsigned char, 32> Hmac(std::string_view key, std::string_view data) {
  std::array<unsigned char, 32> out{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &len);
  return out;
}

std::string_view AsView(const std::array<unsigned char, 32>& a) {
  return {reinterpret_cast<const char*>(a.data()), a.size()};
}

bool IsUnsignable(std::string_view lower_name) {
  if (lower_name.starts_with("proxy-") || lower_name.starts_with("sec-")) return true;
  return std::find(std::begin(kUnsignable), std::end(kUnsignable), lower_name) !=
         std::end(kUnsignable);
}

void RemoveHeader(Request& request, std::string_view lower_name) {
  std::erase_if(request.headers, [&](const auto& h) { return Lower(h.first) == lower_name; });
}

std::string Scope(std::string_view date, const SigningParams& params) {
  return std::string(date) + "/" + params.region + "/" + params.service + "/aws4_request";
}

std::string Join(const std::vector<std::string>& parts, char sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

}  // namespace

std::string UriEncode(std::string_view bytes, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(bytes.size() * 3);
  for (char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    if (IsUnreserved(c) || (keep_slash && c == '/')) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string PercentDecode(std::string_view text) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
      out += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string CanonicalUri(std::string_view wire_path, bool normalize_path) {
  std::string path(wire_path.empty() ? "/" : wire_path);
  if (normalize_path) {
    std::vector<std::string_view> segments;
    std::string_view rest = path;
    while (!rest.empty()) {
      const size_t slash = rest.find('/');
      const std::string_view seg = rest.substr(0, slash);
      rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
      if (seg.empty() || seg == ".") continue;
      if (seg == "..") {
        if (!segments.empty()) segments.pop_back();
        continue;
      }
      segments.push_back(seg);
    }
    std::string normalized = path.starts_with('/') ? "/" : "";
    for (size_t i = 0; i < segments.size(); ++i) {
      if (i) normalized += '/';
      normalized += segments[i];
    }
    if (!segments.empty() && path.ends_with('/')) normalized += '/';
    path = std::move(normalized);
  }
  return UriEncode(path, /*keep_slash=*/true);
}

std::string CanonicalQuery(std::string_view raw_query) {
  std::vector<std::pair<std::string, std::string>> pairs;
  std::string_view rest = raw_query;
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    const std::string_view item = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    std::string key = PercentDecode(item.substr(0, eq));
    std::string value =
        eq == std::string_view::npos ? std::string() : PercentDecode(item.substr(eq + 1));
    if (Lower(key) == "x-amz-signature") continue;
    pairs.emplace_back(UriEncode(key, false), UriEncode(value, false));
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (size_t i = 0; i < pairs.size(); ++i) {
    if (i) out += '&';
    out += pairs[i].first;
    out += '=';
    out += pairs[i].second;
  }
  return out;
}

std::string CanonicalRequest(const Request& request,
                             const std::vector<std::string>& signed_headers_lowercase,
                             bool normalize_path, std::string_view payload_hash_hex) {
  std::string out;
  out += request.method;
  out += '\n';
  out += CanonicalUri(request.path, normalize_path);
  out += '\n';
  out += CanonicalQuery(request.query);
  out += '\n';
  std::vector<std::string> names = signed_headers_lowercase;
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  for (const std::string& name : names) {
    out += name;
    out += ':';
    bool first = true;
    for (const auto& [hname, hvalue] : request.headers) {
      if (Lower(hname) != name) continue;
      if (!first) out += ',';
      first = false;
      out += CanonicalHeaderValue(hvalue);
    }
    out += '\n';
  }
  out += '\n';
  out += Join(names, ';');
  out += '\n';
  out += payload_hash_hex;
  return out;
}

std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request) {
  std::string out(kAlgorithm);
  out += '\n';
  out += amz_date;
  out += '\n';
  out += scope;
  out += '\n';
  out += Sha256Hex(canonical_request);
  return out;
}

std::string Signature(const Secret& secret_key, std::string_view date, std::string_view region,
                      std::string_view service, std::string_view string_to_sign) {
  std::string k_secret = "AWS4" + secret_key.Reveal();
  auto k_date = Hmac(k_secret, date);
  OPENSSL_cleanse(k_secret.data(), k_secret.size());
  auto k_region = Hmac(AsView(k_date), region);
  auto k_service = Hmac(AsView(k_region), service);
  auto k_signing = Hmac(AsView(k_service), "aws4_request");
  auto sig = Hmac(AsView(k_signing), string_to_sign);
  OPENSSL_cleanse(k_date.data(), k_date.size());
  OPENSSL_cleanse(k_region.data(), k_region.size());
  OPENSSL_cleanse(k_service.data(), k_service.size());
  OPENSSL_cleanse(k_signing.data(), k_signing.size());
  return HexEncode(sig);
}

std::string Sha256Hex(std::string_view data) {
  std::array<unsigned char, 32> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data());
  return HexEncode(digest);
}

std::vector<std::string> SignableHeaders(const Request& request) {
  std::vector<std::string> names;
  for (const auto& h : request.headers) {
    std::string lower = Lower(h.first);
    if (IsUnsignable(lower)) continue;
    names.push_back(std::move(lower));
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

void SignHeaders(Request& request, const Credentials& credentials, const SigningParams& params) {
  const std::string amz_date = FormatAmzDate(params.time);
  const std::string date = amz_date.substr(0, 8);
  RemoveHeader(request, "authorization");
  RemoveHeader(request, "x-amz-date");
  RemoveHeader(request, "x-amz-security-token");
  const std::string payload_hash = Sha256Hex(request.body);
  if (params.sign_body) {
    RemoveHeader(request, "x-amz-content-sha256");
    request.headers.emplace_back("x-amz-content-sha256", payload_hash);
  }
  request.headers.emplace_back("X-Amz-Date", amz_date);
  const bool has_token = !credentials.session_token.empty();
  if (has_token && !params.omit_session_token) {
    request.headers.emplace_back("X-Amz-Security-Token", credentials.session_token.Reveal());
  }
  const std::vector<std::string> signed_headers = SignableHeaders(request);
  const std::string canonical =
      CanonicalRequest(request, signed_headers, params.normalize_path, payload_hash);
  const std::string scope = Scope(date, params);
  const std::string sts = StringToSign(amz_date, scope, canonical);
  const std::string signature =
      Signature(credentials.secret_access_key, date, params.region, params.service, sts);
  if (has_token && params.omit_session_token) {
    request.headers.emplace_back("X-Amz-Security-Token", credentials.session_token.Reveal());
  }
  request.headers.emplace_back(
      "Authorization", std::string(kAlgorithm) + " Credential=" + credentials.access_key_id + "/" +
                           scope + ", SignedHeaders=" + Join(signed_headers, ';') +
                           ", Signature=" + signature);
}

void SignQuery(Request& request, const Credentials& credentials, const SigningParams& params,
               std::chrono::seconds expires) {
  const std::string amz_date = FormatAmzDate(params.time);
  const std::string date = amz_date.substr(0, 8);
  const std::string scope = Scope(date, params);
  RemoveHeader(request, "authorization");
  const std::vector<std::string> signed_headers = SignableHeaders(request);
  auto append = [&](std::string_view key, std::string_view value) {
    if (!request.query.empty()) request.query += '&';
    request.query += key;
    request.query += '=';
    request.query += UriEncode(value, false);
  };
  append("X-Amz-Algorithm", kAlgorithm);
  append("X-Amz-Credential", credentials.access_key_id + "/" + scope);
  append("X-Amz-Date", amz_date);
  append("X-Amz-SignedHeaders", Join(signed_headers, ';'));
  append("X-Amz-Expires", std::to_string(expires.count()));
  const bool has_token = !credentials.session_token.empty();
  if (has_token && !params.omit_session_token) {
    append("X-Amz-Security-Token", credentials.session_token.Reveal());
  }
  const std::string canonical =
      CanonicalRequest(request, signed_headers, params.normalize_path, Sha256Hex(request.body));
  const std::string sts = StringToSign(amz_date, scope, canonical);
  const std::string signature =
      Signature(credentials.secret_access_key, date, params.region, params.service, sts);
  if (has_token && params.omit_session_token) {
    append("X-Amz-Security-Token", credentials.session_token.Reveal());
  }
  append("X-Amz-Signature", signature);
}

Result<ParsedAuthorization> ParseAuthorization(std::string_view value) {
  const auto bad = [] { return InvalidArgument("malformed Authorization header"); };
  if (!value.starts_with(kAlgorithm) || value.size() <= kAlgorithm.size() ||
      value[kAlgorithm.size()] != ' ') {
    return bad();
  }
  std::string_view rest = value.substr(kAlgorithm.size() + 1);
  ParsedAuthorization out;
  bool have_cred = false, have_signed = false, have_sig = false;
  while (!rest.empty()) {
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == ',')) rest.remove_prefix(1);
    const size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos) return bad();
    const std::string_view k = item.substr(0, eq), v = item.substr(eq + 1);
    if (k == "Credential") {
      std::vector<std::string> parts;
      std::string_view r = v;
      while (true) {
        const size_t slash = r.find('/');
        parts.emplace_back(r.substr(0, slash));
        if (slash == std::string_view::npos) break;
        r = r.substr(slash + 1);
      }
      if (parts.size() != 5 || parts[4] != "aws4_request" || parts[0].empty()) return bad();
      out.access_key_id = parts[0];
      out.date = parts[1];
      out.region = parts[2];
      out.service = parts[3];
      have_cred = true;
    } else if (k == "SignedHeaders") {
      std::string_view r = v;
      while (!r.empty()) {
        const size_t semi = r.find(';');
        out.signed_headers.emplace_back(r.substr(0, semi));
        if (semi == std::string_view::npos) break;
        r = r.substr(semi + 1);
      }
      have_signed = !out.signed_headers.empty();
    } else if (k == "Signature") {
      out.signature = std::string(v);
      have_sig = out.signature.size() == 64;
    } else {
      return bad();
    }
  }
  if (!have_cred || !have_signed || !have_sig) return bad();
  return out;
}

VerifyOutcome Verify(const Request& wire,
                     const std::function<std::optional<Secret>(std::string_view)>& secret_for,
                     Clock::TimePoint now, std::chrono::seconds max_skew, bool normalize_path) {
  VerifyOutcome out;
  auto fail = [&](VerifyFailure f, std::string message) {
    out.failure = f;
    out.message = std::move(message);
    return out;
  };
  auto header = [&](std::string_view name) { return FindHeader(wire.headers, name); };
  const auto authz = header("authorization");
  if (!authz) return fail(VerifyFailure::kMissingAuthentication, "Missing Authentication Token");
  auto parsed = ParseAuthorization(*authz);
  if (!parsed.ok()) {
    return fail(VerifyFailure::kMalformed,
                "Authorization header requires Credential, SignedHeaders and Signature "
                "parameters in the AWS4-HMAC-SHA256 form");
  }
  const auto amz_date = header("x-amz-date");
  const std::optional<Clock::TimePoint> signed_at = ParseAmzDate(amz_date.value_or(""));
  if (!signed_at) {
    return fail(VerifyFailure::kMalformed,
                "X-Amz-Date header is missing or not in the form YYYYMMDDTHHMMSSZ");
  }
  const auto& sh = parsed->signed_headers;
  if (std::find(sh.begin(), sh.end(), "host") == sh.end() ||
      std::find(sh.begin(), sh.end(), "x-amz-date") == sh.end()) {
    return fail(VerifyFailure::kMalformed, "SignedHeaders must include host and x-amz-date");
  }
  if (!std::is_sorted(sh.begin(), sh.end())) {
    return fail(VerifyFailure::kMalformed, "SignedHeaders must be sorted and lowercase");
  }
  for (const std::string& name : sh) {
    if (name != Lower(name) || !header(name)) {
      return fail(VerifyFailure::kMalformed,
                  "signed header " + name + " is missing from the request");
    }
  }
  if (parsed->date != amz_date->substr(0, 8)) {
    return fail(VerifyFailure::kMalformed, "Credential date does not match X-Amz-Date");
  }
  const auto skew = now > *signed_at ? now - *signed_at : *signed_at - now;
  if (skew > max_skew) {
    return fail(VerifyFailure::kRequestExpired,
                "Signature expired: " + *amz_date + " is not within " +
                    std::to_string(max_skew.count() / 60) + " minutes of the server time " +
                    FormatAmzDate(now));
  }
  const std::optional<Secret> secret = secret_for(parsed->access_key_id);
  if (!secret) {
    return fail(VerifyFailure::kUnknownAccessKey,
                "The security token included in the request is invalid.");
  }
  // The body is always hashed here: a claimed x-amz-content-sha256 (signed or not) must be that
  // hash. UNSIGNED-PAYLOAD is an S3 feature; none of the services verified here accepts it.
  const std::string payload_hash = Sha256Hex(wire.body);
  if (const auto claimed = header("x-amz-content-sha256"); claimed && *claimed != payload_hash) {
    return fail(VerifyFailure::kSignatureMismatch,
                "The provided x-amz-content-sha256 header does not match what was computed.");
  }
  const std::string canonical = CanonicalRequest(wire, sh, normalize_path, payload_hash);
  const std::string scope =
      parsed->date + "/" + parsed->region + "/" + parsed->service + "/aws4_request";
  const std::string expected = Signature(*secret, parsed->date, parsed->region, parsed->service,
                                         StringToSign(*amz_date, scope, canonical));
  if (expected.size() != parsed->signature.size() ||
      CRYPTO_memcmp(expected.data(), parsed->signature.data(), expected.size()) != 0) {
    return fail(VerifyFailure::kSignatureMismatch,
                "The request signature we calculated does not match the signature you provided. "
                "Check your AWS Secret Access Key and signing method.");
  }
  out.request.access_key_id = parsed->access_key_id;
  out.request.date = parsed->date;
  out.request.region = parsed->region;
  out.request.service = parsed->service;
  out.request.signed_headers = sh;
  out.request.session_token = header("x-amz-security-token").value_or("");
  return out;
}

}  // namespace schemaport::aws::sigv4
