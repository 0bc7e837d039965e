// aws-emulator benchmarks against a private PostgreSQL cluster:
//   BM_EmulatorStartup    process start to the "listening" line (the issue asks for < 1 s)
//   BM_DataApiRoundTrip   signed ExecuteStatement (WaitTimeSeconds) + GetStatementResult
// Run from the source root (finds build/bin/aws-emulator) or set SCHEMAPORT_BIN_DIR.
#include <benchmark/benchmark.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "aws/internal.h"
#include "support/support.h"

namespace {

using schemaport::testing::ChildProcess;
using schemaport::testing::PgCluster;
using schemaport::testing::TempDir;

struct Fixture {
  std::unique_ptr<PgCluster> pg;
  std::unique_ptr<TempDir> dir;
  std::string config_path;

  // Built on first use; destroyed at exit (stops PostgreSQL, removes the temp dir).
  static Fixture& Get() {
    static std::unique_ptr<Fixture> f = [] {
      auto fx = std::make_unique<Fixture>();
      auto pg = PgCluster::Start();
      if (!pg.ok()) {
        fmt::print(stderr, "cannot start PostgreSQL: {}\n", pg.status().message());
        std::exit(1);
      }
      fx->pg = std::move(pg.value());
      auto db = fx->pg->CreateDatabase("bench");
      if (!db.ok()) std::exit(1);
      fx->dir = std::make_unique<TempDir>("emu-bench");
      fx->config_path = (*fx->dir / "emulator.toml").string();
      schemaport::testing::WriteFile(fx->config_path,
                                     fmt::format(R"(
[postgres]
port = {}
superuser = "{}"
[[users]]
name = "bench"
access_key_id = "AKIABENCH0000000000"
secret_access_key = "bench-secret"
allow = ["*"]
[[workgroups]]
name = "bench"
databases = {{ dev = "{}" }}
)",
                                                 fx->pg->port(), fx->pg->superuser(), *db));
      return fx;
    }();
    return *f;
  }
};

struct Running {
  std::unique_ptr<ChildProcess> proc;
  int port = 0;
};

Running StartEmulator(const std::string& name) {
  Fixture& fx = Fixture::Get();
  static int counter = 0;
  std::string log_name = fmt::format("{}-{}.log", name, ++counter);  // a fresh log per process
  ChildProcess::Options o;
  o.argv = {(schemaport::testing::BinDir() / "aws-emulator").string(), "--config", fx.config_path,
            "--port", "0"};
  o.log_path = *fx.dir / log_name;
  auto proc = ChildProcess::Start(o);
  if (!proc.ok()) {
    fmt::print(stderr, "cannot start {} (set SCHEMAPORT_BIN_DIR): {}\n", o.argv[0],
               proc.status().message());
    std::exit(1);
  }
  auto log = (*proc)->WaitForLog("\"event\":\"listening\"", std::chrono::seconds(20));
  if (!log.ok()) {
    fmt::print(stderr, "{} did not start (set SCHEMAPORT_BIN_DIR): {}\n{}\n", o.argv[0],
               log.status().message(), (*proc)->Log());
    std::exit(1);
  }
  std::smatch m;
  std::string text = *log;
  Running r;
  if (std::regex_search(text, m, std::regex(R"("port":(\d+))"))) r.port = std::stoi(m[1].str());
  r.proc = std::move(proc.value());
  return r;
}

void BM_EmulatorStartup(benchmark::State& state) {
  Fixture::Get();
  for (auto _ : state) {
    Running r = StartEmulator("startup");
    state.PauseTiming();
    r.proc->Stop();
    state.ResumeTiming();
  }
}
BENCHMARK(BM_EmulatorStartup)->Unit(benchmark::kMillisecond)->Iterations(10);

nlohmann::json Call(httplib::Client& client, int port, const std::string& target,
                    const nlohmann::json& body) {
  namespace sigv4 = schemaport::aws::sigv4;
  sigv4::Request req;
  req.method = "POST";
  req.path = "/";
  req.body = body.dump();
  req.headers = {{"Host", fmt::format("127.0.0.1:{}", port)},
                 {"Content-Type", "application/x-amz-json-1.1"},
                 {"X-Amz-Target", "RedshiftData." + target}};
  schemaport::aws::Credentials creds{
      "AKIABENCH0000000000", schemaport::Secret("bench-secret"), {}, std::nullopt};
  sigv4::SignHeaders(
      req, creds,
      sigv4::SigningParams{"us-east-1", "redshift-data", std::chrono::system_clock::now()});
  httplib::Headers headers;
  for (const auto& [k, v] : req.headers) {
    if (k != "Content-Type") headers.emplace(k, v);
  }
  auto res = client.Post("/", headers, req.body, "application/x-amz-json-1.1");
  if (!res || res->status != 200) {
    fmt::print(stderr, "{} failed: {}\n", target,
               res ? res->body : httplib::to_string(res.error()));
    std::exit(1);
  }
  return nlohmann::json::parse(res->body);
}

void BM_DataApiRoundTrip(benchmark::State& state) {
  Running r = StartEmulator("roundtrip");
  httplib::Client client("127.0.0.1", r.port);
  client.set_tcp_nodelay(true);
  client.set_keep_alive(true);
  for (auto _ : state) {
    auto out = Call(client, r.port, "ExecuteStatement",
                    {{"Sql", "select oid, relname from pg_class order by oid limit 100"},
                     {"WorkgroupName", "bench"},
                     {"Database", "dev"},
                     {"WaitTimeSeconds", 10}});
    auto rows = Call(client, r.port, "GetStatementResult", {{"Id", out["Id"]}});
    benchmark::DoNotOptimize(rows);
  }
  r.proc->Stop();
}
BENCHMARK(BM_DataApiRoundTrip)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
