// AWS error parsing (awsJson1_1), classification and the one mapping to Status.
#include <algorithm>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "aws/internal.h"

namespace schemaport::aws {
namespace {

constexpr std::string_view kThrottlingCodes[] = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
};

constexpr std::string_view kTransientCodes[] = {
    "RequestTimeout",          "RequestTimeoutException", "TimeoutError",
    "InternalError",           "InternalFailure",         "InternalServerError",
    "InternalServerException", "ServiceUnavailable",      "ServiceUnavailableException",
};

template <size_t N>
bool In(const std::string_view (&list)[N], std::string_view code) {
  return std::find(std::begin(list), std::end(list), code) != std::end(list);
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.ends_with(suffix);
}

// "aws.protocoltests#FooError:http://internal.amazon.com/" -> "FooError"
std::string SanitizeCode(std::string_view raw) {
  std::string_view code = raw;
  if (const size_t colon = code.find(':'); colon != std::string_view::npos) {
    code = code.substr(0, colon);
  }
  if (const size_t hash = code.rfind('#'); hash != std::string_view::npos) {
    code = code.substr(hash + 1);
  }
  while (!code.empty() && code.front() == ' ') code.remove_prefix(1);
  while (!code.empty() && code.back() == ' ') code.remove_suffix(1);
  return std::string(code);
}

std::string UserSafeMessage(std::string_view message) {
  std::string_view m = message;
  // Some services echo the canonical request / string to sign on signature errors: drop it.
  for (std::string_view marker : {"The Canonical String", "The String-to-Sign", "\n"}) {
    const size_t at = m.find(marker);
    if (at != std::string_view::npos) m = m.substr(0, at);
  }
  while (!m.empty() && (m.back() == ' ' || m.back() == '\n')) m.remove_suffix(1);
  std::string out(m.substr(0, 1000));
  return out;
}

}  // namespace

bool IsThrottlingErrorCode(std::string_view code) {
  return In(kThrottlingCodes, code);
}
bool IsTransientErrorCode(std::string_view code) {
  return In(kTransientCodes, code);
}

void Classify(AwsError& e) {
  e.throttling = IsThrottlingErrorCode(e.code) || e.http_status == 429;
  const bool transient_status =
      e.http_status == 500 || e.http_status == 502 || e.http_status == 503 || e.http_status == 504;
  e.retryable = e.throttling || IsTransientErrorCode(e.code) || transient_status;
}

AwsError ParseJsonError(const HttpResponse& response) {
  AwsError e;
  e.http_status = response.status;
  e.request_id = response.Header("x-amzn-RequestId")
                     .value_or(response.Header("x-amz-request-id").value_or(""));
  const nlohmann::json body = nlohmann::json::parse(response.body, nullptr, false);
  std::string raw_code;
  if (auto header = response.Header("x-amzn-ErrorType"); header && !header->empty()) {
    raw_code = *header;
  } else if (body.is_object()) {
    for (const char* key : {"__type", "code", "Code"}) {
      if (body.contains(key) && body[key].is_string()) {
        raw_code = body[key].get<std::string>();
        break;
      }
    }
  }
  e.code = SanitizeCode(raw_code);
  if (body.is_object()) {
    for (const char* key : {"message", "Message", "errorMessage"}) {
      if (body.contains(key) && body[key].is_string()) {
        e.message = body[key].get<std::string>();
        break;
      }
    }
  }
  if (e.code.empty()) e.code = "HttpStatus" + std::to_string(response.status);
  Classify(e);
  return e;
}

Status ErrorToStatus(const AwsError& e, std::string_view service, std::string_view operation) {
  const std::string& c = e.code;
  Code code;
  if (c == "AccessDenied" || c == "AccessDeniedException" || c == "UnauthorizedOperation" ||
      c == "UnauthorizedException" || c == "AuthorizationError" || c == "NotAuthorizedException" ||
      c == "InvalidIdentityToken" || c == "UnsupportedOperation" ||
      c == "UnauthorizedAccessException") {
    code = Code::kPermissionDenied;
  } else if (c == "UnrecognizedClientException" || c == "InvalidClientTokenId" ||
             c == "InvalidSignatureException" || c == "SignatureDoesNotMatch" ||
             c == "IncompleteSignature" || c == "IncompleteSignatureException" ||
             c == "MissingAuthenticationToken" || c == "MissingAuthenticationTokenException" ||
             c == "ExpiredToken" || c == "ExpiredTokenException" || c == "RequestExpired" ||
             c == "InvalidAccessKeyId" || c == "AuthFailure" || c == "InvalidToken") {
    code = Code::kUnauthenticated;
  } else if (IsThrottlingErrorCode(c) || c == "ActiveStatementsExceededException" ||
             c == "ActiveSessionsExceededException" || c == "ServiceQuotaExceededException" ||
             c == "QuotaExceededException" || e.http_status == 429) {
    code = Code::kResourceExhausted;
  } else if (c == "QueryTimeoutException" || c == "RequestTimeout" ||
             c == "RequestTimeoutException") {
    code = Code::kTimeout;
  } else if (c == "ResourceExistsException" || c == "EntityAlreadyExists" ||
             EndsWith(c, "AlreadyExists") || EndsWith(c, "AlreadyExistsFault") ||
             EndsWith(c, "AlreadyExistsException")) {
    code = Code::kAlreadyExists;
  } else if (c == "ResourceNotFoundException" || c == "ResourceNotFound" ||
             EndsWith(c, "NotFound") || EndsWith(c, "NotFoundFault") ||
             EndsWith(c, "NotFoundException") || c == "NoSuchEntity") {
    code = Code::kNotFound;
  } else if (c == "ValidationException" || c == "ValidationError" || c == "InvalidParameterValue" ||
             c == "InvalidParameterValueException" || c == "InvalidParameterCombination" ||
             c == "InvalidParameterException" || c == "MissingParameter" ||
             c == "InvalidRequestException" || c == "SerializationException" ||
             c == "MalformedPolicyDocument" || c == "MalformedPolicyDocumentException" ||
             c == "PackedPolicyTooLarge" || c == "InvalidAction" || c == "InvalidQueryParameter" ||
             c == "UnknownOperationException") {
    code = Code::kInvalidArgument;
  } else if (c == "ExecuteStatementException" || c == "DatabaseConnectionException" ||
             c == "BatchExecuteStatementException" || IsTransientErrorCode(c) ||
             e.http_status >= 500) {
    code = Code::kUnavailable;
  } else if (c.ends_with("StateFault") || c.starts_with("Invalid") || e.http_status == 409) {
    code = Code::kFailedPrecondition;
  } else if (e.http_status == 401) {
    code = Code::kUnauthenticated;
  } else if (e.http_status == 403) {
    code = Code::kPermissionDenied;
  } else if (e.http_status == 404) {
    code = Code::kNotFound;
  } else if (e.http_status >= 400 && e.http_status < 500) {
    code = Code::kInvalidArgument;
  } else {
    code = Code::kInternal;
  }
  std::string message = std::string(service) + " " + std::string(operation) + " failed: " + c;
  const std::string aws_message = UserSafeMessage(e.message);
  if (!aws_message.empty()) message += ": " + aws_message;
  return Status(code, std::move(message),
                "aws_code=" + c + " http_status=" + std::to_string(e.http_status) +
                    " request_id=" + e.request_id);
}

bool IsClockSkewErrorCode(std::string_view code) {
  static constexpr std::string_view kCodes[] = {"AuthFailure",          "InvalidSignatureException",
                                                "RequestExpired",       "RequestInTheFuture",
                                                "RequestTimeTooSkewed", "SignatureDoesNotMatch"};
  return In(kCodes, code);
}

std::optional<Clock::TimePoint> ParseHttpDate(std::string_view text) {
  // "Sun, 06 Nov 1994 08:49:37 GMT"
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (text.size() != 29 || text[3] != ',' || !text.ends_with(" GMT")) return std::nullopt;
  auto number = [&](size_t pos, size_t len, int& out) {
    out = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
      out = out * 10 + (text[i] - '0');
    }
    return true;
  };
  int day = 0, year = 0, hour = 0, minute = 0, second = 0;
  if (!number(5, 2, day) || !number(12, 4, year) || !number(17, 2, hour) ||
      !number(20, 2, minute) || !number(23, 2, second) || text[16] != ' ' || text[19] != ':' ||
      text[22] != ':') {
    return std::nullopt;
  }
  const std::string_view month = text.substr(8, 3);
  const auto m = std::find(std::begin(kMonths), std::end(kMonths), month);
  if (m == std::end(kMonths)) return std::nullopt;
  char iso[32];
  std::snprintf(iso, sizeof iso, "%04d-%02d-%02dT%02d:%02d:%02dZ", year,
                static_cast<int>(m - std::begin(kMonths)) + 1, day, hour, minute, second);
  auto t = ParseIso8601(iso);
  if (!t.ok()) return std::nullopt;
  return *t;
}

std::string AwsErrorCode(const Status& status) {
  const std::string& d = status.detail();
  if (!d.starts_with("aws_code=")) return {};
  const size_t end = d.find(' ');
  return d.substr(9, end == std::string::npos ? std::string::npos : end - 9);
}

}  // namespace schemaport::aws
