// Store speed: save 10,000 tables of 30 columns (target <= 2 s on SQLite) and load one saved
// table (target <= 1 ms), on SQLite and on PostgreSQL (a private cluster from tests/support).
#include <benchmark/benchmark.h>

#include <memory>

#include "store/store.h"
#include "support/support.h"

namespace schemaport::store {
namespace {

constexpr int kTables = 10'000;
constexpr int kColumns = 30;

std::vector<SavedTable> MakeTables() {
  std::vector<SavedTable> tables;
  tables.reserve(kTables);
  for (int i = 0; i < kTables; ++i) {
    SavedTable t;
    t.database = "analytics_prod";
    t.schema = "schema_" + std::to_string(i % 40);
    t.name = "fact_customer_orders_" + std::to_string(i);
    t.kind = i % 10 == 0 ? "view" : "table";
    t.comment = i % 3 == 0 ? "Orders per customer, refreshed nightly by the ETL pipeline" : "";
    for (int c = 0; c < kColumns; ++c) {
      SavedColumn col;
      col.name = "column_name_" + std::to_string(c);
      col.type = c % 3 == 0 ? "character varying(256)" : (c % 3 == 1 ? "bigint" : "numeric(18,4)");
      col.ordinal = c + 1;
      col.nullable = c % 2 == 0;
      if (c % 5 == 0) col.comment = "a column comment of moderate length";
      t.columns.push_back(std::move(col));
    }
    tables.push_back(std::move(t));
  }
  return tables;
}

// One store with a saved set of 10,000 tables, shared by the benchmarks of one backend.
struct Fixture {
  std::unique_ptr<testing::TempDir> dir = std::make_unique<testing::TempDir>("store-bench");
  SystemRandom random;
  SystemClock clock;
  crypto::PasswordHasher hasher{crypto::PasswordHasher::Minimum()};
  std::unique_ptr<crypto::LocalKeyFile> keys;
  std::unique_ptr<crypto::Crypto> crypto;
  std::unique_ptr<testing::PgCluster> pg;
  std::unique_ptr<Store> store;
  std::string org_id, connection_id;
  std::vector<SavedTable> tables = MakeTables();
  std::vector<std::string> table_ids;

  StoreDeps deps() { return StoreDeps{*crypto, hasher, clock, random}; }

  Status Init(bool postgres) {
    keys = SP_TRY(crypto::LocalKeyFile::Open(dir->path() / "master.key", random));
    crypto = std::make_unique<crypto::Crypto>(*keys, random);
    if (postgres) {
      pg = SP_TRY(testing::PgCluster::Start());
      const std::string db = SP_TRY(pg->CreateDatabase("bench"));
      PostgresOptions options;
      options.conninfo = pg->ConnInfo(db);
      options.sslmode = "disable";
      store = SP_TRY(OpenPostgresStore(options, deps()));
    } else {
      store = SP_TRY(OpenSqliteStore({dir->path() / "store.db"}, deps()));
    }
    org_id = SP_TRY(store->CreateOrg("bench")).id;
    Connection c;
    c.org_id = org_id;
    c.data_store_type = "redshift";
    c.credentials["secret_access_key"] = Secret("bench-secret");
    connection_id = SP_TRY(store->CreateConnection(c)).id;
    SP_TRY(store->ReplaceSavedTables(org_id, connection_id, tables));
    for (const SavedTable& t : SP_TRY(store->ListSavedTables(org_id, connection_id))) {
      table_ids.push_back(t.id);
    }
    return Status::Ok();
  }
};

Fixture& Get(bool postgres) {
  static std::unique_ptr<Fixture> fixtures[2];
  auto& f = fixtures[postgres ? 1 : 0];
  if (!f) {
    f = std::make_unique<Fixture>();
    const Status s = f->Init(postgres);
    if (!s.ok()) {
      fprintf(stderr, "store bench setup failed: %s (%s)\n", s.ToString().c_str(),
              s.detail().c_str());
      std::abort();
    }
  }
  return *f;
}

void BM_Save10kTables(benchmark::State& state) {
  Fixture& f = Get(state.range(0) == 1);
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<SavedTable> copy = f.tables;
    state.ResumeTiming();
    const Status s = f.store->ReplaceSavedTables(f.org_id, f.connection_id, std::move(copy));
    if (!s.ok()) state.SkipWithError(s.ToString().c_str());
  }
  state.SetItemsProcessed(state.iterations() * kTables);
  // Ids are reassigned by each save; refresh them for the load benchmark.
  f.table_ids.clear();
  auto saved = f.store->ListSavedTables(f.org_id, f.connection_id);
  if (!saved.ok()) {
    state.SkipWithError(saved.status().ToString().c_str());
    return;
  }
  for (const SavedTable& t : *saved) f.table_ids.push_back(t.id);
}
BENCHMARK(BM_Save10kTables)
    ->ArgName("postgres")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_LoadOneTable(benchmark::State& state) {
  Fixture& f = Get(state.range(0) == 1);
  std::size_t i = 0;
  for (auto _ : state) {
    auto t = f.store->GetSavedTable(f.org_id, f.connection_id,
                                    f.table_ids[(i++ * 7919) % f.table_ids.size()]);
    if (!t.ok()) state.SkipWithError(t.status().ToString().c_str());
    benchmark::DoNotOptimize(t);
  }
}
BENCHMARK(BM_LoadOneTable)
    ->ArgName("postgres")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

}  // namespace
}  // namespace schemaport::store

BENCHMARK_MAIN();
