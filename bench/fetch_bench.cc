// Catalog fetch benchmark: schemaport against the naive SDK way and against the limit, on a
// generated warehouse behind the aws-emulator with a fixed latency added to every call.
//
//   build/bench/fetch_bench [--databases 2] [--tables 10000] [--columns 30] [--schemas 20]
//                           [--latency-ms 20] [--page-rows 50000] [--page-bytes N]
//                           [--depth columns|tables] [--skip-naive] [--skip-limit] [--matrix]
// --matrix runs every page model (1,000 rows; 1 MB; 50,000 rows) at both depths.
//
// Prints, for each approach: wall time, Data API calls by operation, peak resident memory; and
// the quota-bound limit: the fewest calls the statements need (one ExecuteStatement each, one
// GetStatementResult a page) at --latency-ms each, databases in parallel, but no faster than
// the Data API's quotas allow (ExecuteStatement 30/s, GetStatementResult 20/s per account).
// Needs the release build (build/bin/schemaport, build/bin/aws-emulator) and `npm ci` in tests/js.
#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include <iostream>
#include <map>

#include "support/support.h"

namespace schemaport::testing {
namespace {

struct Options {
  int databases = 2, tables = 10000, columns = 30, schemas = 20, latency_ms = 20, page_rows = 50000;
  int page_bytes = 1 << 30;  // no byte bound unless given
  std::string depth = "columns";
  bool naive = true, limit = true, matrix = false;
};

struct Outcome {
  std::string name;
  double wall_s = 0;
  long rss_mb = 0;
  std::map<std::string, std::int64_t> calls, ok_calls;
  std::string note;
  std::int64_t total_calls() const {
    std::int64_t n = 0;
    for (const auto& [_, c] : calls) n += c;
    return n;
  }
};

[[noreturn]] void Die(const std::string& what) {
  std::cerr << "fetch_bench: " << what << "\n";
  std::exit(1);
}

template <typename T>
T Must(Result<T> r, const std::string& what) {
  if (!r.ok()) Die(what + ": " + r.status().ToString());
  return std::move(r).value();
}

// Calls by operation (every outcome), or only the successful ones.
std::map<std::string, std::int64_t> Calls(Emulator& emu, bool ok_only = false) {
  auto body = Must(emu.Admin("GET", "/counters"), "reading counters");
  std::map<std::string, std::int64_t> out;
  const auto parsed = nlohmann::json::parse(body);
  for (const auto& [op, outcomes] : parsed["counters"].items()) {
    std::int64_t n = 0;
    for (const auto& [outcome, count] : outcomes.items()) {
      if (!ok_only || outcome == "ok") n += count.get<std::int64_t>();
    }
    out[op] = n;
  }
  return out;
}

// Runs a child to completion; returns wall seconds and fills rss.
double Run(ChildProcess::Options o, long& rss_kb, std::string& output) {
  const auto start = std::chrono::steady_clock::now();
  auto child = Must(ChildProcess::Start(std::move(o)), "starting child");
  auto status = Must(child->Wait(std::chrono::hours(3)), "waiting for child");
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  rss_kb = child->max_rss_kb();
  output = child->Log();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    Die("child failed:\n" + output.substr(0, 4000));
  return wall;
}

int Main(int argc, char** argv) {
  Options opt;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> int {
      if (i + 1 >= argc) Die("missing value for " + a);
      return std::stoi(argv[++i]);
    };
    if (a == "--databases")
      opt.databases = next();
    else if (a == "--tables")
      opt.tables = next();
    else if (a == "--columns")
      opt.columns = next();
    else if (a == "--schemas")
      opt.schemas = next();
    else if (a == "--latency-ms")
      opt.latency_ms = next();
    else if (a == "--page-rows")
      opt.page_rows = next();
    else if (a == "--page-bytes")
      opt.page_bytes = next();
    else if (a == "--depth") {
      if (i + 1 >= argc) Die("missing value for --depth");
      opt.depth = argv[++i];
      if (opt.depth != "columns" && opt.depth != "tables") Die("--depth is columns or tables");
    } else if (a == "--skip-naive")
      opt.naive = false;
    else if (a == "--matrix")
      opt.matrix = true;
    else if (a == "--skip-limit")
      opt.limit = false;
    else
      Die("unknown argument " + a);
  }
  if (opt.tables % opt.databases != 0) Die("--tables must divide evenly over --databases");

  std::cerr << "starting PostgreSQL\n";
  auto pg = Must(PgCluster::Start(), "starting PostgreSQL");
  const std::string conninfo =
      fmt::format("host=127.0.0.1 port={} user={}", pg->port(), pg->superuser());
  std::cerr << "generating " << opt.tables << " tables x " << opt.columns << " columns in "
            << opt.databases << " databases\n";
  TempDir work("schemaport-fetch-bench");
  {
    ChildProcess::Options gen;
    gen.argv = {(SourceDir() / "bench/catalog-gen").string(),
                "--conninfo",
                conninfo,
                "--databases",
                std::to_string(opt.databases),
                "--schemas",
                std::to_string(opt.schemas),
                "--tables",
                std::to_string(opt.tables / opt.databases),
                "--columns",
                std::to_string(opt.columns)};
    gen.env = {{"PATH", pg->BinDir() + ":/usr/bin:/bin"}};
    gen.log_path = work / "catalog-gen.log";
    long rss = 0;
    std::string out;
    const double took = Run(gen, rss, out);
    std::cerr << fmt::format("generated in {:.1f} s\n", took);
  }

  std::string mapping, db_list;
  for (int d = 1; d <= opt.databases; ++d) {
    mapping += fmt::format("{}\"bench_db{}\" = \"bench_db{}\"", d > 1 ? ", " : "", d, d);
    db_list += fmt::format("{}bench_db{}", d > 1 ? "," : "", d);
  }
  // One run per page model: the emulator restarted with its page bounds, then schemaport and the
  // limit at each depth.
  auto run_model = [&](int page_rows, int page_bytes, const std::string& depth) {
    const std::string config =
        fmt::format(R"(account_id = "123456789012"
  region = "us-east-1"
  seed = 1
  [postgres]
  host = "127.0.0.1"
  port = {port}
  superuser = "{superuser}"
  [limits]
  result_page_rows = {page_rows}
  result_page_bytes = {page_bytes}
  [faults]
  latency_ms = {latency}
  [[users]]
  name = "bench"
  access_key_id = "AKIABENCH0000000000"
  secret_access_key = "bench-secret-key-000000000000000000000000"
  allow = ["redshift-data:*", "redshift-serverless:GetCredentials"]
  [[workgroups]]
  name = "bench"
  databases = {{ {mapping} }}
  )",
                    fmt::arg("port", pg->port()), fmt::arg("superuser", pg->superuser()),
                    fmt::arg("page_rows", page_rows), fmt::arg("page_bytes", page_bytes),
                    fmt::arg("latency", opt.latency_ms), fmt::arg("mapping", mapping));
    auto emu = Must(Emulator::Start(config), "starting the emulator");
    std::map<std::string, std::string> env = {
        {"AWS_ENDPOINT_URL", emu->EndpointUrl()},
        {"AWS_REGION", "us-east-1"},
        {"AWS_ACCESS_KEY_ID", "AKIABENCH0000000000"},
        {"AWS_SECRET_ACCESS_KEY", "bench-secret-key-000000000000000000000000"},
        {"AWS_EC2_METADATA_DISABLED", "true"},
        {"AWS_CONFIG_FILE", (work / "none").string()},
        {"AWS_SHARED_CREDENTIALS_FILE", (work / "none").string()},
        {"BENCH_WORKGROUP", "bench"},
        {"BENCH_DATABASES", db_list},
        {"NODE_NO_WARNINGS", "1"},
    };
    std::vector<Outcome> outcomes;

    // schemaport
    WriteFile(work / "warehouse.toml",
              "region = \"us-east-1\"\nworkgroup = \"bench\"\ndatabase = \"bench_db1\"\n");
    Must(emu->Admin("DELETE", "/counters"), "resetting counters");
    Must(emu->Admin("DELETE", "/statements"), "resetting the statement log");
    {
      ChildProcess::Options o;
      o.argv = {(BinDir() / "schemaport").string(), "warehouse", "fetch",
                (work / "warehouse.toml").string(), "--depth",   depth};
      o.env = env;
      o.log_path = work / fmt::format("schemaport-{}-{}-{}.log", depth, page_rows, page_bytes);
      Outcome out{"schemaport warehouse fetch"};
      std::string log;
      out.wall_s = Run(o, out.rss_mb, log);
      out.rss_mb /= 1024;
      out.calls = Calls(*emu);
      out.ok_calls = Calls(*emu, true);
      // Progress lines ("fetch: ...", stderr) may land anywhere in the captured output.
      {
        std::string json_only;
        std::size_t pos = 0;
        while (pos < log.size()) {
          std::size_t eol = log.find('\n', pos);
          if (eol == std::string::npos) eol = log.size();
          std::string_view line(log.data() + pos, eol - pos);
          // Progress lines and one-line JSON log records are not the catalog (pretty-printed).
          if (line.find("fetch:") == std::string_view::npos && line.substr(0, 2) != "{\"") {
            json_only.append(line).push_back('\n');
          }
          pos = eol + 1;
        }
        log = std::move(json_only);
      }
      const auto start = log.find('{');
      const auto end = log.rfind("\n}");
      if (start == std::string::npos || end == std::string::npos)
        Die("schemaport printed no catalog");
      const auto catalog = nlohmann::json::parse(log.substr(start, end + 2 - start));
      out.note = fmt::format("{} tables, {} columns", catalog["table_count"].get<std::int64_t>(),
                             catalog["column_count"].get<std::int64_t>());
      outcomes.push_back(out);
    }
    // The statements schemaport ran, for the limit.
    {
      auto body = Must(emu->Admin("GET", "/statements"), "reading the statement log");
      nlohmann::json list = nlohmann::json::array();
      const auto parsed = nlohmann::json::parse(body);
      for (const auto& st : parsed["statements"])
        list.push_back({{"database", st["database"]}, {"sql", st["sql"]}});
      WriteFile(work / "statements.json", list.dump());
      env["BENCH_STATEMENTS"] = (work / "statements.json").string();
    }
    auto node = [&](const std::string& name, const std::string& script) {
      Must(emu->Admin("DELETE", "/counters"), "resetting counters");
      ChildProcess::Options o;
      o.argv = {"/usr/bin/env", "node", (SourceDir() / "tests/js/bench" / script).string()};
      o.env = env;
      o.working_dir = SourceDir() / "tests/js";
      o.log_path = work / fmt::format("{}-{}-{}-{}.log", script, depth, page_rows, page_bytes);
      Outcome out{name};
      std::string log;
      out.wall_s = Run(o, out.rss_mb, log);
      out.rss_mb /= 1024;
      out.calls = Calls(*emu);
      out.ok_calls = Calls(*emu, true);
      out.note = log.substr(0, log.find('\n'));
      outcomes.push_back(out);
    };
    if (opt.limit) node("limit: the SDK running schemaport's statements", "limit.mjs");
    if (opt.naive && depth == "columns")
      node("naive: the SDK with ListSchemas, ListTables, DescribeTable", "naive.mjs");

    // The quota-bound limit, from the statements schemaport ran and the pages the SDK needed for
    // them (the limit run's GetStatementResult count).
    double limit_s = 0;
    std::int64_t limit_calls = 0;
    if (opt.limit) {
      const Outcome& sdk = outcomes[1];
      const auto get = [&](const char* op) {
        auto it = sdk.ok_calls.find(op);
        return it == sdk.ok_calls.end() ? std::int64_t{0} : it->second;
      };
      const std::int64_t statements = get("ExecuteStatement");
      const std::int64_t pages = get("GetStatementResult");
      limit_calls = statements + pages;
      const double chain =
          static_cast<double>(limit_calls) / opt.databases * opt.latency_ms / 1000.0;
      const double quota =
          std::max(static_cast<double>(pages) / 20.0, static_cast<double>(statements) / 30.0);
      limit_s = std::max(chain, quota);
    }

    std::cout << fmt::format(
        "\n{} tables x {} columns in {} databases ({} schemas each), depth {}, {} ms added to "
        "every "
        "call, "
        "result pages of at most {} rows and {} bytes\n\n",
        opt.tables, opt.columns, opt.databases, opt.schemas, depth, opt.latency_ms, page_rows,
        page_bytes);
    std::cout << "| approach | wall time | Data API calls | calls by operation | peak memory | "
                 "result |\n";
    std::cout << "| --- | --- | --- | --- | --- | --- |\n";
    for (const auto& o : outcomes) {
      std::string ops;
      for (const auto& [op, n] : o.calls)
        ops += fmt::format("{}{} {}", ops.empty() ? "" : ", ", op, n);
      std::cout << fmt::format("| {} | {:.2f} s | {} | {} | {} MB | {} |\n", o.name, o.wall_s,
                               o.total_calls(), ops, o.rss_mb, o.note);
    }
    if (opt.limit) {
      std::cout << fmt::format("| quota-bound limit | {:.2f} s | {} | (calculated) | | |\n",
                               limit_s, limit_calls);
    }
    const double ours = outcomes[0].wall_s;
    if (opt.limit)
      std::cout << fmt::format("\nschemaport: {:.2f}x the quota-bound limit", ours / limit_s);
    for (std::size_t i = 1; i < outcomes.size(); ++i) {
      std::cout << fmt::format("\n{}: {:.2f}x schemaport's wall time", outcomes[i].name,
                               outcomes[i].wall_s / ours);
    }
    std::cout << std::endl;
  };
  if (opt.matrix) {
    // Page bounds AWS might use (it documents none): 1,000 rows; 1 MB; 50,000 rows.
    const std::pair<int, int> models[] = {{1000, 1 << 30}, {1000000, 1 << 20}, {50000, 1 << 30}};
    for (const auto& [rows, bytes] : models) {
      for (const char* depth : {"tables", "columns"}) run_model(rows, bytes, depth);
    }
  } else {
    run_model(opt.page_rows, opt.page_bytes, opt.depth);
  }
  return 0;
}

}  // namespace
}  // namespace schemaport::testing

int main(int argc, char** argv) {
  return schemaport::testing::Main(argc, argv);
}
