// AwsServiceClient: validation, serialisation, signing, retries, rate limits, error mapping.
#include <nlohmann/json.hpp>

#include "aws/internal.h"

namespace schemaport::aws {

using nlohmann::json;

Result<Credentials> StaticCredentialsProvider::Get() {
  if (credentials_.access_key_id.empty() || credentials_.secret_access_key.empty()) {
    return Unauthenticated("AWS access key ID and secret access key are required");
  }
  return credentials_;
}

Result<std::unique_ptr<AwsServiceClient>> AwsServiceClient::Create(
    ServiceModel model, ClientConfig config, std::shared_ptr<HttpClient> http,
    std::shared_ptr<CredentialsProvider> credentials, Clock& clock, Random& random) {
  if (!http || !credentials)
    return InvalidArgument("AWS client needs an HTTP client and credentials");
  const std::string& protocol = model.metadata().protocol;
  if (protocol != "json" && protocol != "query") {
    return InvalidArgument("unsupported AWS protocol " + protocol);
  }
  if (config.retry.max_attempts < 1)
    return InvalidArgument("retry max_attempts must be at least 1");
  Endpoint endpoint = SP_TRY(ResolveEndpoint(config.endpoints, model.metadata(), config.region));
  return std::unique_ptr<AwsServiceClient>(
      new AwsServiceClient(std::move(model), std::move(config), std::move(endpoint),
                           std::move(http), std::move(credentials), clock, random));
}

AwsServiceClient::AwsServiceClient(ServiceModel model, ClientConfig config, Endpoint endpoint,
                                   std::shared_ptr<HttpClient> http,
                                   std::shared_ptr<CredentialsProvider> credentials, Clock& clock,
                                   Random& random)
    : model_(std::move(model)),
      config_(std::move(config)),
      endpoint_(std::move(endpoint)),
      http_(std::move(http)),
      credentials_(std::move(credentials)),
      clock_(clock),
      random_(random),
      limiter_(config_.rates_per_second, clock),
      quota_(config_.retry) {}

Result<std::string> AwsServiceClient::CallRaw(std::string_view operation, const json& input) {
  const std::string service = model_.metadata().endpoint_prefix;
  if (!model_.HasOperation(operation)) {
    return InvalidArgument(service + " has no operation " + std::string(operation));
  }
  if (Status valid = model_.ValidateInput(operation, input); !valid.ok()) {
    return InvalidArgument(service + " " + std::string(operation) +
                           ": invalid input: " + valid.message());
  }
  std::string body;
  if (model_.metadata().protocol == "json") {
    body = input.is_null() ? "{}" : input.dump(-1, ' ', false, json::error_handler_t::replace);
  } else {
    body = SP_TRY(QueryFormBody(model_, operation, input));
  }
  Result<HttpResponse> response = Send(operation, body);
  WipeString(body);  // a request may carry a SecretString
  if (!response.ok()) return response.status();
  return std::move(response->body);
}

Result<json> AwsServiceClient::Call(std::string_view operation, const json& input) {
  std::string raw = SP_TRY(CallRaw(operation, input));
  // Replies may carry secrets (passwords, session tokens, SecretString): the raw text is wiped
  // once parsed; callers move secret members out with TakeSecret and wipe the rest.
  struct Wipe {
    std::string& text;
    ~Wipe() { WipeString(text); }
  } wipe_raw{raw};
  if (model_.metadata().protocol == "query") return QueryXmlToJson(model_, operation, raw);
  if (raw.empty()) return json::object();
  json parsed = json::parse(raw, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return Unavailable(model_.metadata().endpoint_prefix + " " + std::string(operation) +
                       " returned a malformed JSON reply");
  }
  return parsed;
}

bool AwsServiceClient::CorrectClockSkew(const HttpResponse& response) {
  const auto date = response.Header("Date");
  if (!date) return false;
  const auto server = ParseHttpDate(*date);
  if (!server) return false;
  const auto ours = clock_.Now() + std::chrono::milliseconds(clock_offset_ms_.load());
  const auto diff = *server > ours ? *server - ours : ours - *server;
  if (diff < std::chrono::minutes(5)) return false;  // not a skew: a real signature problem
  clock_offset_ms_ =
      std::chrono::duration_cast<std::chrono::milliseconds>(*server - clock_.Now()).count();
  return true;
}

RateLimiter& AwsServiceClient::Limiter() {
  if (config_.shared_rate_limiter) {
    std::call_once(shared_limiter_once_, [&] { shared_limiter_ = config_.shared_rate_limiter(); });
    if (shared_limiter_) return *shared_limiter_;
  }
  return limiter_;
}

Result<HttpResponse> AwsServiceClient::Send(std::string_view operation, const std::string& body) {
  const ServiceMetadata& md = model_.metadata();
  const bool is_json = md.protocol == "json";
  int last_retry_cost = 0;
  bool renewed_credentials = false;
  for (int attempt = 0;; ++attempt) {
    Limiter().Acquire(operation);
    Credentials creds = SP_TRY(credentials_->Get());
    sigv4::Request req;
    req.method = "POST";
    req.path = endpoint_.path;
    req.headers = {{"Host", endpoint_.host}};
    if (is_json) {
      req.headers.emplace_back(
          "Content-Type", "application/x-amz-json-" +
                              (md.json_version.empty() ? std::string("1.1") : md.json_version));
      req.headers.emplace_back("X-Amz-Target", md.target_prefix + "." + std::string(operation));
    } else {
      req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
    }
    req.headers.emplace_back("User-Agent", config_.user_agent);
    req.body = body;
    sigv4::SigningParams params;
    params.region = config_.region;
    params.service = md.signing_name;
    params.time = clock_.Now() + std::chrono::milliseconds(clock_offset_ms_.load());
    sigv4::SignHeaders(req, creds, params);

    HttpRequest http_request{"POST", endpoint_.url + endpoint_.path, std::move(req.headers),
                             std::move(req.body)};
    Result<HttpResponse> result = http_->Send(http_request);
    WipeString(http_request.body);  // the signed copy of a body that may hold a secret

    bool retryable = false, throttling = false, timeout_like = false;
    Status failure;
    if (!result.ok()) {
      const Code c = result.status().code();
      retryable = c == Code::kUnavailable || c == Code::kTimeout;
      timeout_like = retryable;
      failure = result.status().WithContext(md.endpoint_prefix + " " + std::string(operation));
    } else if (result->status >= 200 && result->status < 300) {
      quota_.OnSuccess(last_retry_cost);
      Limiter().OnSuccess(operation);
      return std::move(result).value();
    } else {
      AwsError error = is_json ? ParseJsonError(*result) : ParseQueryError(*result);
      retryable = error.retryable;
      throttling = error.throttling;
      failure = ErrorToStatus(error, md.endpoint_prefix, operation);
      if (IsClockSkewErrorCode(error.code) && CorrectClockSkew(*result)) retryable = true;
      if ((error.code == "ExpiredToken" || error.code == "ExpiredTokenException") &&
          !renewed_credentials && credentials_->Invalidate()) {
        renewed_credentials = true;
        if (attempt + 1 < config_.retry.max_attempts) continue;  // at once, with new credentials
      }
    }
    if (throttling) Limiter().OnThrottled(operation);
    if (!retryable || attempt + 1 >= config_.retry.max_attempts) return failure;
    int cost = 0;
    if (!quota_.TryAcquire(timeout_like, &cost)) return failure;
    last_retry_cost = cost;
    clock_.SleepFor(BackoffDelay(config_.retry, attempt, throttling, random_));
  }
}

}  // namespace schemaport::aws
