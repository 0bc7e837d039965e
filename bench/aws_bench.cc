// src/aws hot paths: SigV4 signing, model validation, and reading a GetStatementResult page
// (the hot path of a large catalog fetch: 10,000 tables means many pages of catalog rows).
#include <benchmark/benchmark.h>

#include <nlohmann/json.hpp>

#include "aws/internal.h"

namespace schemaport::aws {
namespace {

using nlohmann::json;

void BM_SignHeaders(benchmark::State& state) {
  const Credentials creds{"AKIDEXAMPLE", Secret("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
                          Secret("token"), std::nullopt};
  sigv4::SigningParams params{"us-east-1", "redshift-data",
                              Clock::TimePoint(std::chrono::seconds(1'700'000'000))};
  const std::string body(static_cast<size_t>(state.range(0)), 'x');
  for (auto _ : state) {
    sigv4::Request r{"POST",
                     "/",
                     "",
                     {{"Host", "redshift-data.us-east-1.amazonaws.com"},
                      {"Content-Type", "application/x-amz-json-1.1"},
                      {"X-Amz-Target", "RedshiftData.ExecuteStatement"}},
                     body};
    sigv4::SignHeaders(r, creds, params);
    benchmark::DoNotOptimize(r.headers);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_SignHeaders)->Arg(64)->Arg(100 << 10);

void BM_ValidateExecuteStatement(benchmark::State& state) {
  const ServiceModel model = *EmbeddedModel("redshift-data");
  const json input = {
      {"Sql", std::string(2000, 's')},
      {"WorkgroupName", "analytics-wg"},
      {"Database", "dev"},
      {"ClientToken", "abc"},
      {"WaitTimeSeconds", 30},
      {"Parameters", {{{"name", "a"}, {"value", "1"}}, {{"name", "b"}, {"value", "2"}}}}};
  for (auto _ : state) {
    benchmark::DoNotOptimize(model.ValidateInput("ExecuteStatement", input).ok());
  }
}
BENCHMARK(BM_ValidateExecuteStatement);

// Replies with the same body to every request.
class ConstantHttpClient final : public HttpClient {
 public:
  explicit ConstantHttpClient(std::string body) : body_(std::move(body)) {}
  Result<HttpResponse> Send(const HttpRequest&) override {
    HttpResponse r;
    r.status = 200;
    r.body = body_;
    return r;
  }

 private:
  std::string body_;
};

// A catalog-shaped page: rows x 10 columns (names, types, flags, nulls, numbers).
std::string CatalogPage(int rows) {
  json records = json::array();
  for (int i = 0; i < rows; ++i) {
    records.push_back(
        {{{"stringValue", "dev"}},
         {{"stringValue", "schema_" + std::to_string(i % 40)}},
         {{"stringValue", "table_" + std::to_string(i)}},
         {{"stringValue", "r"}},
         {{"longValue", 100000 + i}},
         {{"isNull", true}},
         {{"stringValue", "Orders placed through the \"web\" shop, one row per order"}},
         {{"booleanValue", true}},
         {{"booleanValue", i % 3 == 0}},
         {{"doubleValue", i * 1.5}}});
  }
  json columns = json::array();
  for (int c = 0; c < 10; ++c) {
    columns.push_back({{"name", "c" + std::to_string(c)},
                       {"typeName", "varchar"},
                       {"nullable", 1},
                       {"isCaseSensitive", true},
                       {"isSigned", false},
                       {"length", 256}});
  }
  return json{{"ColumnMetadata", columns}, {"Records", records}, {"TotalNumRows", rows}}.dump();
}

void BM_GetStatementResultPage(benchmark::State& state) {
  const std::string page = CatalogPage(static_cast<int>(state.range(0)));
  FakeClock clock;
  SeededRandom random(1);
  ClientConfig config;
  config.region = "us-east-1";
  auto client = RedshiftDataClient::Create(config, std::make_shared<ConstantHttpClient>(page),
                                           std::make_shared<StaticCredentialsProvider>(Credentials{
                                               "AKID", Secret("s"), Secret(), std::nullopt}),
                                           clock, random);
  std::int64_t rows = 0;
  for (auto _ : state) {
    auto result = (*client)->GetStatementResult("d9b6c0c9-0747-4bf4-b142-e8883122f766");
    rows += static_cast<std::int64_t>(result->records.size());
    benchmark::DoNotOptimize(result);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(page.size()));
  state.counters["rows/s"] =
      benchmark::Counter(static_cast<double>(rows), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_GetStatementResultPage)->Arg(1000)->Arg(10000);

}  // namespace
}  // namespace schemaport::aws

BENCHMARK_MAIN();
