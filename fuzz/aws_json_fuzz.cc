// libFuzzer target: the JSON readers of AWS replies. The input is served as the reply body of
// each JSON operation schemaport reads (Data API results, descriptions and listings,
// GetCredentials, GetSecretValue) and of an error reply, through a scripted transport.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "aws/internal.h"
#include "aws/testing/fake_http.h"

namespace sp = schemaport;
namespace aws = schemaport::aws;

namespace {

struct Clients {
  std::shared_ptr<aws::testing::ScriptedHttpClient> http =
      std::make_shared<aws::testing::ScriptedHttpClient>();
  sp::FakeClock clock;
  sp::SeededRandom random{1};
  std::unique_ptr<aws::RedshiftDataClient> data;
  std::unique_ptr<aws::RedshiftServerlessClient> serverless;
  std::unique_ptr<aws::SecretsManagerClient> secrets;

  Clients() {
    aws::ClientConfig config;
    config.region = "us-east-1";
    config.retry.max_attempts = 1;
    auto creds = std::make_shared<aws::StaticCredentialsProvider>(
        aws::Credentials{"AKID", sp::Secret("secret"), sp::Secret(), std::nullopt});
    data = aws::RedshiftDataClient::Create(config, http, creds, clock, random).value();
    serverless = aws::RedshiftServerlessClient::Create(config, http, creds, clock, random).value();
    secrets = aws::SecretsManagerClient::Create(config, http, creds, clock, random).value();
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Clients c;
  const std::string body(reinterpret_cast<const char*>(data), size);
  constexpr char kId[] = "d9b6c0c9-0747-4bf4-b142-e8883122f766";
  const aws::DataApiTarget target{"dev", "wg1", "", "", ""};

  c.http->Reply(200, body);
  (void)c.data->GetStatementResult(kId);
  c.http->Reply(200, body);
  (void)c.data->GetStatementResultV2(kId);
  c.http->Reply(200, body);
  (void)c.data->GetStatementResultRows(
      kId, {}, [](std::span<const aws::FieldView>) { return sp::Status::Ok(); });
  c.http->Reply(200, body);
  (void)c.data->DescribeStatement(kId);
  c.http->Reply(200, body);
  (void)c.data->DescribeTable(target, "public", "t");
  c.http->Reply(200, body);
  (void)c.data->ListTables(target);
  c.http->Reply(200, body);
  (void)c.serverless->GetCredentials("wg1");
  c.http->Reply(200, body);
  (void)c.secrets->GetSecretValue("s");
  c.http->Reply(400, body);
  (void)c.data->DescribeStatement(kId);

  aws::HttpResponse reply;
  reply.status = 400;
  reply.body = body;
  (void)aws::ParseJsonError(reply);
  return 0;
}
