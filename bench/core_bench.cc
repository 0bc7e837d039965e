// Costs of the core primitives that sit on hot paths: ids, base64, log lines.
#include <benchmark/benchmark.h>

#include "core/core.h"

namespace schemaport {
namespace {

void BM_NewId(benchmark::State& state) {
  SystemRandom random;
  for (auto _ : state) benchmark::DoNotOptimize(NewId(random));
}
BENCHMARK(BM_NewId);

void BM_Base64Encode(benchmark::State& state) {
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(state.range(0)), 0xAB);
  for (auto _ : state) benchmark::DoNotOptimize(Base64Encode(bytes));
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Base64Encode)->Arg(64)->Arg(64 << 10);

class NullSink final : public LogSink {
 public:
  void Write(std::string_view line) override { benchmark::DoNotOptimize(line.data()); }
};

void BM_LogLine(benchmark::State& state) {
  SystemClock clock;
  Logger logger(std::make_shared<NullSink>(), LogLevel::kInfo, clock);
  auto job = logger.With({{"job_id", "j-123"}});
  for (auto _ : state) job->Info("fetched page", {{"rows", 1000}, {"database", "dev"}});
}
BENCHMARK(BM_LogLine);

}  // namespace
}  // namespace schemaport

BENCHMARK_MAIN();
