// Internal helpers shared by the src/aws clients (not part of the public contract).
#pragma once

#include <nlohmann/json.hpp>

#include "aws/aws.h"

namespace schemaport::aws::internal {

// Epoch seconds (JSON protocols) or ISO-8601 text (query protocols).
std::optional<Clock::TimePoint> ParseTimestamp(const nlohmann::json& value);
// The string member `key`, or "" when absent or not a string.
std::string String(const nlohmann::json& object, const char* key);
// The boolean member `key`, or `fallback` when absent or not a boolean.
bool Bool(const nlohmann::json& object, const char* key, bool fallback);
Result<std::unique_ptr<AwsServiceClient>> MakeServiceClient(
    std::string_view service, ClientConfig config, std::shared_ptr<HttpClient> http,
    std::shared_ptr<CredentialsProvider> credentials, Clock& clock, Random& random);

}  // namespace schemaport::aws::internal
