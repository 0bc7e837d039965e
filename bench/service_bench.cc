// The service layer on 10,000 tables (100 schemas x 100 tables, 30 columns each) over the
// embedded SQLite store, with an in-memory connector so that only schemaport's own work is
// measured: the catalog view (open the sealed document, decode, build the tree), a selection
// preview, Save Metadata's job (columns handed over, saved tables sealed and written), and the
// saved-table list.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>

#include "service/service.h"

namespace schemaport::service {
namespace {

constexpr int kSchemas = 100;
constexpr int kTablesPerSchema = 100;
constexpr int kColumns = 30;

class GeneratedConnector final : public warehouse::Connector {
 public:
  Result<warehouse::TestReport> Test() override { return warehouse::TestReport{}; }
  Result<std::vector<std::string>> ListDatabases(const warehouse::CancelToken*) override {
    return std::vector<std::string>{"dev"};
  }
  Result<warehouse::Catalog> Fetch(const warehouse::FetchRequest& request) override {
    warehouse::Catalog c;
    c.databases.push_back({"dev", {}});
    for (int s = 0; s < kSchemas; ++s) {
      warehouse::Schema schema;
      schema.name = "schema_" + std::to_string(s);
      for (int t = 0; t < kTablesPerSchema; ++t) {
        warehouse::Table table;
        table.name = "table_" + std::to_string(t);
        table.can_select = true;
        const bool columns =
            request.depth == warehouse::FetchDepth::kColumns &&
            (!request.selection || request.selection->count({"dev", schema.name, table.name}));
        if (request.depth == warehouse::FetchDepth::kColumns && !columns) continue;
        if (columns) {
          table.columns_loaded = true;
          for (int k = 1; k <= kColumns; ++k) {
            warehouse::Column col;
            col.position = k;
            col.name = "column_" + std::to_string(k);
            col.type = "character varying(256)";
            col.family = warehouse::TypeFamily::kString;
            table.columns.push_back(col);
          }
        }
        schema.tables.push_back(std::move(table));
      }
      c.databases[0].schemas.push_back(std::move(schema));
    }
    return c;
  }
};

struct World {
  World() {
    char tmpl[] = "/tmp/service-bench-XXXXXX";
    dir = mkdtemp(tmpl);
    keys = crypto::LocalKeyFile::Open(dir / "master.key", random).value();
    crypto = std::make_unique<crypto::Crypto>(*keys, random);
    store = store::OpenSqliteStore({dir / "store.db", std::chrono::milliseconds(5000)},
                                   {*crypto, hasher, clock, random})
                .value();
    warehouse::ConnectorType type;
    type.name = "generated";
    type.label = "Generated";
    type.fields = {{"region", "Region", "text", false, "", "", "", {}}};
    type.validate = [](const warehouse::ConnectionSettings&) { return Status::Ok(); };
    type.create =
        [](const warehouse::ConnectionSettings&) -> Result<std::unique_ptr<warehouse::Connector>> {
      return std::unique_ptr<warehouse::Connector>(std::make_unique<GeneratedConnector>());
    };
    (void)registry.Register(type);
    Options o;
    o.worker_threads = 0;
    service = std::make_unique<Service>(Deps{*store, registry, *keys, clock, random, nullptr}, o);
    const Secret token = service->PrepareSetup().value().value();
    admin = service->Setup(token, "Bench", "bench@example.com", Secret("a long bench password"))
                .value()
                .principal;
    ConnectionInput input;
    input.name = "bench";
    input.data_store = "generated";
    connection = service->CreateConnection(admin, input).value().id;
    (void)service->StartFetch(admin, connection, {}).value();
    (void)service->RunOneJob().value();
  }
  ~World() {
    service.reset();
    store.reset();
    std::filesystem::remove_all(dir);
  }
  std::filesystem::path dir;
  SystemClock clock;
  SystemRandom random;
  crypto::PasswordHasher hasher{crypto::PasswordHasher::Minimum()};
  std::unique_ptr<crypto::KeyProvider> keys;
  std::unique_ptr<crypto::Crypto> crypto;
  std::unique_ptr<store::Store> store;
  warehouse::ConnectorRegistry registry;
  std::unique_ptr<Service> service;
  Principal admin;
  std::string connection;
};

World& TheWorld() {
  static World* world = new World();
  return *world;
}

void BM_CatalogView10k(benchmark::State& state) {
  World& w = TheWorld();
  for (auto _ : state) {
    auto view = w.service->GetCatalog(w.admin, w.connection);
    if (!view.ok() || view->table_count != kSchemas * kTablesPerSchema)
      state.SkipWithError("catalog");
    benchmark::DoNotOptimize(view);
  }
}
BENCHMARK(BM_CatalogView10k)->Unit(benchmark::kMillisecond);

void BM_SelectionPreview10k(benchmark::State& state) {
  World& w = TheWorld();
  Selection sel;
  sel.include = {"dev.schema_1*"};
  sel.exclude = {"dev.*.table_9?"};
  for (auto _ : state) {
    auto preview = w.service->PreviewSelection(w.admin, w.connection, sel);
    if (!preview.ok()) state.SkipWithError("preview");
    benchmark::DoNotOptimize(preview);
  }
}
BENCHMARK(BM_SelectionPreview10k)->Unit(benchmark::kMillisecond);

void BM_SaveMetadata10kTables30Columns(benchmark::State& state) {
  World& w = TheWorld();
  Selection sel;
  sel.include = {"dev"};
  for (auto _ : state) {
    auto started = w.service->SaveSelection(w.admin, w.connection, sel);
    if (!started.ok() || !w.service->RunOneJob().value()) state.SkipWithError("save");
    auto job = w.service->GetJob(w.admin, started->job.id);
    if (!job.ok() || job->state != store::JobState::kSucceeded) state.SkipWithError("save failed");
  }
}
BENCHMARK(BM_SaveMetadata10kTables30Columns)->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_ListSavedTables10k(benchmark::State& state) {
  World& w = TheWorld();
  for (auto _ : state) {
    auto tables = w.service->ListSavedTables(w.admin, w.connection);
    if (!tables.ok()) state.SkipWithError("list");
    benchmark::DoNotOptimize(tables);
  }
}
BENCHMARK(BM_ListSavedTables10k)->Unit(benchmark::kMillisecond);

void BM_SavedTableWithColumns(benchmark::State& state) {
  World& w = TheWorld();
  const auto tables = w.service->ListSavedTables(w.admin, w.connection).value();
  if (tables.empty()) {
    state.SkipWithError("nothing saved");
    return;
  }
  for (auto _ : state) {
    auto t = w.service->GetSavedTable(w.admin, w.connection, tables[tables.size() / 2].id);
    if (!t.ok()) state.SkipWithError("get");
    benchmark::DoNotOptimize(t);
  }
}
BENCHMARK(BM_SavedTableWithColumns)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace schemaport::service

BENCHMARK_MAIN();
