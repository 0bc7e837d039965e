// Data Map at scale: inference, the exports and the MCP server's search_tables over 10,000 saved
// tables x 30 columns (300,000 columns). Run: build/bench/datamap_bench
#include <benchmark/benchmark.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "datamap/datamap.h"
#include "mcp/mcp.h"

namespace schemaport {
namespace {

using warehouse::Column;
using warehouse::TypeFamily;

// 10,000 tables in 20 schemas; every table has an id, four columns named after other tables
// (`<name>_id`), comments, and string, decimal and date columns. One table in ten declares a
// primary key and a foreign key. Deterministic.
warehouse::Catalog Generate(int tables, int columns) {
  warehouse::Catalog c;
  warehouse::Database d{"dev", {}};
  const int schemas = 20;
  for (int s = 0; s < schemas; ++s)
    d.schemas.push_back(warehouse::Schema{"schema_" + std::to_string(s), {}, {}, {}});
  for (int t = 0; t < tables; ++t) {
    warehouse::Table table;
    table.name = "entity_" + std::to_string(t) + (t % 3 == 0 ? "s" : "");
    table.comment = "Generated table number " + std::to_string(t) + " with a description";
    table.columns_loaded = true;
    auto add = [&](std::string name, std::string type, TypeFamily family) {
      Column col;
      col.position = static_cast<int>(table.columns.size()) + 1;
      col.name = std::move(name);
      col.type = std::move(type);
      col.family = family;
      col.comment = "about " + col.name;
      table.columns.push_back(std::move(col));
    };
    add("id", "bigint", TypeFamily::kInteger);
    for (int k = 1; k <= 4; ++k) {
      add("entity_" + std::to_string((t * 7 + k * 131) % tables) + "_id", "bigint",
          TypeFamily::kInteger);
    }
    for (int i = static_cast<int>(table.columns.size()); i < columns; ++i) {
      switch (i % 3) {
        case 0:
          add("attribute_" + std::to_string(i), "character varying(256)", TypeFamily::kString);
          break;
        case 1: add("amount_" + std::to_string(i), "numeric(18,2)", TypeFamily::kDecimal); break;
        default: add("happened_on_" + std::to_string(i), "date", TypeFamily::kDate); break;
      }
    }
    if (t % 10 == 0) {
      table.constraints.push_back(warehouse::Constraint{
          warehouse::ConstraintKind::kPrimaryKey, table.name + "_pkey", {"id"}, "", "", {}});
    }
    d.schemas[static_cast<std::size_t>(t % schemas)].tables.push_back(std::move(table));
  }
  c.databases.push_back(std::move(d));
  c.Normalize();
  return c;
}

const warehouse::Catalog& Big() {
  static const warehouse::Catalog catalog = Generate(10'000, 30);
  return catalog;
}
const datamap::DataMap& BigMap() {
  static const datamap::DataMap map = datamap::BuildDataMap(Big());
  return map;
}

void BM_InferRelationships(benchmark::State& state) {
  const auto& catalog = Big();
  std::size_t found = 0;
  for (auto _ : state) {
    auto rels = datamap::InferRelationships(catalog);
    found = rels.size();
    benchmark::DoNotOptimize(rels);
  }
  state.counters["tables"] = static_cast<double>(catalog.TableCount());
  state.counters["relationships"] = static_cast<double>(found);
}
BENCHMARK(BM_InferRelationships)->Unit(benchmark::kMillisecond)->Iterations(5);

void BM_BuildDataMap(benchmark::State& state) {
  for (auto _ : state) {
    auto map = datamap::BuildDataMap(Big());
    benchmark::DoNotOptimize(map);
  }
}
BENCHMARK(BM_BuildDataMap)->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_Export(benchmark::State& state) {
  const auto format = static_cast<datamap::ExportFormat>(state.range(0));
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::string out = datamap::Export(BigMap(), format);
    bytes = out.size();
    benchmark::DoNotOptimize(out);
  }
  state.SetLabel(std::string(datamap::ExportFormatName(format)));
  state.counters["MB"] = static_cast<double>(bytes) / 1e6;
}
BENCHMARK(BM_Export)
    ->Arg(static_cast<int>(datamap::ExportFormat::kCatalogJson))
    ->Arg(static_cast<int>(datamap::ExportFormat::kDbtSources))
    ->Arg(static_cast<int>(datamap::ExportFormat::kDdl))
    ->Arg(static_cast<int>(datamap::ExportFormat::kMarkdown))
    ->Unit(benchmark::kMillisecond)
    ->Iterations(2);

class BigSource final : public mcp::MetadataSource {
 public:
  Result<std::vector<mcp::Source>> Load() override {
    return std::vector<mcp::Source>{mcp::Source{"c1", "bench", BigMap()}};
  }
};

void BM_SearchTables(benchmark::State& state) {
  BigSource source;
  mcp::Server server(source);
  const std::string query = state.range(0) == 0 ? "entity_4242" : "amount description";
  const std::string msg =
      nlohmann::json{{"jsonrpc", "2.0"},
                     {"id", 1},
                     {"method", "tools/call"},
                     {"params", {{"name", "search_tables"}, {"arguments", {{"query", query}}}}}}
          .dump();
  server.Handle(msg);  // loads and indexes once, as the first call of a session does
  std::size_t bytes = 0;
  for (auto _ : state) {
    auto out = server.Handle(msg);
    bytes = out->size();
    benchmark::DoNotOptimize(out);
  }
  state.SetLabel(query);
  state.counters["response_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_SearchTables)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace schemaport

BENCHMARK_MAIN();
