// Server benchmark: `schemaport serve` over TLS on a generated warehouse behind the aws-emulator.
//
//   build/bench-harness/server_bench [--databases 2] [--tables 10000] [--columns 30]
//                                    [--latency-ms 20] [--wrk-seconds 10] [--wrk-connections 16]
//
// Measures, and prints as a table:
//   1. Save Metadata of every table (columns), job start to done, against the connector's own
//      fetch of the same columns (`schemaport warehouse fetch`, the same emulator latency);
//   2. the catalog tree (GET .../metadata/catalog) of all tables, over TLS keep-alive;
//   3. reading one saved table (GET .../metadata/tables/{id}) with wrk over TLS keep-alive:
//      requests/s and latency percentiles;
//   4. the Data Map of every saved table (GET .../datamap) and each of its four exports.
// Needs the release build (build/bin/schemaport, build/bin/aws-emulator) and wrk (Debian).
#include <httplib.h>

#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <regex>

#include "support/support.h"

namespace schemaport::testing {
namespace {

using nlohmann::json;
constexpr char kKey[] = "AKIABENCH0000000000";
constexpr char kSecret[] = "bench-secret-key-000000000000000000000000";
constexpr char kPassword[] = "benchmark password 123";

struct Options {
  int databases = 2, tables = 10000, columns = 30, schemas = 20, latency_ms = 20;
  int wrk_seconds = 10, wrk_connections = 16, wrk_threads = 2;
};

[[noreturn]] void Die(const std::string& what) {
  std::cerr << "server_bench: " << what << "\n";
  std::exit(1);
}

template <typename T>
T Must(Result<T> r, const std::string& what) {
  if (!r.ok()) Die(what + ": " + r.status().ToString());
  return std::move(r).value();
}

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

class Api {
 public:
  Api(int port, const std::filesystem::path& ca) : http_("127.0.0.1", port) {
    http_.set_ca_cert_path(ca.string());
    http_.enable_server_certificate_verification(true);
    http_.set_keep_alive(true);
    http_.set_read_timeout(600);
  }
  std::string bearer;
  json Call(const std::string& method, const std::string& path, const json& body, int expect) {
    const std::string text = Raw(method, path, expect, body);
    if (text.empty()) return json();
    return json::parse(text);
  }
  // The reply's bytes, unparsed (exports).
  std::string Raw(const std::string& method, const std::string& path, int expect,
                  const json& body = nullptr) {
    httplib::Request req;
    req.method = method;
    req.path = path;
    if (!bearer.empty()) req.set_header("Authorization", "Bearer " + bearer);
    if (!body.is_null()) {
      req.body = body.dump();
      req.set_header("Content-Type", "application/json");
    }
    auto res = http_.send(req);
    if (!res) Die(method + " " + path + ": " + httplib::to_string(res.error()));
    if (res->status != expect)
      Die(fmt::format("{} {}: {} {}", method, path, res->status, res->body.substr(0, 500)));
    last_body_size = res->body.size();
    return std::move(res->body);
  }
  std::size_t last_body_size = 0;

 private:
  httplib::SSLClient http_;
};

json WaitForJob(Api& api, const std::string& id) {
  for (;;) {
    json job = api.Call("GET", "/api/v1/jobs/" + id, nullptr, 200);
    if (job["state"] == "succeeded") return job;
    if (job["state"] == "failed") Die("job failed: " + job.dump());
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
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
    else if (a == "--latency-ms")
      opt.latency_ms = next();
    else if (a == "--wrk-seconds")
      opt.wrk_seconds = next();
    else if (a == "--wrk-connections")
      opt.wrk_connections = next();
    else
      Die("unknown argument " + a);
  }
  if (opt.tables % opt.databases != 0) Die("--tables must divide evenly over --databases");

  std::cerr << "starting PostgreSQL\n";
  auto pg = Must(PgCluster::Start(), "starting PostgreSQL");
  const std::string conninfo =
      fmt::format("host=127.0.0.1 port={} user={}", pg->port(), pg->superuser());
  TempDir work("schemaport-server-bench");
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
    auto child = Must(ChildProcess::Start(gen), "catalog-gen");
    Must(child->Wait(std::chrono::hours(1)), "catalog-gen");
  }
  std::string mapping, db_list;
  for (int d = 1; d <= opt.databases; ++d) {
    mapping += fmt::format("{}\"bench_db{}\" = \"bench_db{}\"", d > 1 ? ", " : "", d, d);
  }
  auto emu = Must(Emulator::Start(fmt::format(
                      R"(account_id = "123456789012"
region = "us-east-1"
seed = 1
[postgres]
host = "127.0.0.1"
port = {port}
superuser = "{superuser}"
[faults]
latency_ms = {latency}
[[users]]
name = "bench"
access_key_id = "{key}"
secret_access_key = "{secret}"
allow = ["redshift-data:*", "redshift-serverless:GetCredentials"]
[[workgroups]]
name = "bench"
databases = {{ {mapping} }}
)",
                      fmt::arg("port", pg->port()), fmt::arg("superuser", pg->superuser()),
                      fmt::arg("latency", opt.latency_ms), fmt::arg("key", kKey),
                      fmt::arg("secret", kSecret), fmt::arg("mapping", mapping))),
                  "starting the emulator");

  // 1a. The connector's own fetch of every column.
  WriteFile(work / "warehouse.toml",
            "region = \"us-east-1\"\nworkgroup = \"bench\"\ndatabase = \"bench_db1\"\n");
  double fetch_s = 0;
  {
    ChildProcess::Options o;
    o.argv = {(BinDir() / "schemaport").string(), "warehouse", "fetch",
              (work / "warehouse.toml").string()};
    o.env = {{"AWS_ENDPOINT_URL", emu->EndpointUrl()},
             {"AWS_ACCESS_KEY_ID", kKey},
             {"AWS_SECRET_ACCESS_KEY", kSecret}};
    o.log_path = work / "fetch.log";
    const auto start = std::chrono::steady_clock::now();
    auto child = Must(ChildProcess::Start(o), "warehouse fetch");
    const int status = Must(child->Wait(std::chrono::hours(1)), "warehouse fetch");
    fetch_s = Seconds(std::chrono::steady_clock::now() - start);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      Die("warehouse fetch failed: " + child->Log().substr(0, 2000));
  }

  // The server, on its embedded defaults (SQLite store, local key file, self-signed certificate).
  ChildProcess::Options so;
  so.argv = {(BinDir() / "schemaport").string(), "serve",    "--data-dir",
             (work / "data").string(),           "--listen", "127.0.0.1:0"};
  so.env = {{"AWS_ENDPOINT_URL", emu->EndpointUrl()}};
  so.log_path = work / "serve.log";
  auto serve = Must(ChildProcess::Start(so), "schemaport serve");
  Must(serve->WaitForLog("(or run", std::chrono::seconds(60)), "waiting for the server");
  std::smatch m;
  const std::string log = serve->Log();
  if (!std::regex_search(log, m, std::regex(R"(Listening on https://127\.0\.0\.1:(\d+)/)")))
    Die("no URL: " + log);
  const int port = std::stoi(m[1]);
  if (!std::regex_search(log, m, std::regex(R"(Setup token: (\S+))"))) Die("no setup token");
  const std::string token = m[1];
  Api api(port, work / "data" / "tls" / "cert.pem");
  // httplib keeps cookies out of it: the session is used once, for an API token.
  json setup = api.Call("POST", "/api/v1/setup",
                        {{"token", token},
                         {"organization", "Bench"},
                         {"email", "bench@example.test"},
                         {"password", kPassword}},
                        201);
  (void)setup;
  // An API token through a second login-less path: create it with the cookie session.
  httplib::SSLClient admin("127.0.0.1", port);
  admin.enable_server_certificate_verification(false);
  auto login = admin.Post("/api/v1/auth/login",
                          json{{"email", "bench@example.test"}, {"password", kPassword}}.dump(),
                          "application/json");
  if (!login || login->status != 200) Die("login failed");
  const std::string cookie = login->get_header_value("Set-Cookie")
                                 .substr(0, login->get_header_value("Set-Cookie").find(';'));
  const std::string csrf = json::parse(login->body)["csrf_token"];
  auto tok =
      admin.Post("/api/v1/tokens", httplib::Headers{{"Cookie", cookie}, {"X-CSRF-Token", csrf}},
                 json{{"name", "bench"}}.dump(), "application/json");
  if (!tok || tok->status != 201) Die("token creation failed");
  api.bearer = json::parse(tok->body)["secret"];

  json conn = api.Call("POST", "/api/v1/connections",
                       {{"name", "bench"},
                        {"data_store", "redshift"},
                        {"settings",
                         {{"access_key_id", kKey},
                          {"region", "us-east-1"},
                          {"workgroup", "bench"},
                          {"database", "bench_db1"}}},
                        {"secrets", {{"secret_access_key", kSecret}}}},
                       201);
  const std::string base = "/api/v1/connections/" + conn["id"].get<std::string>();
  auto t0 = std::chrono::steady_clock::now();
  json job = api.Call("POST", base + "/metadata/fetch", json::object(), 202);
  WaitForJob(api, job["job"]["id"]);
  const double tables_fetch_s = Seconds(std::chrono::steady_clock::now() - t0);

  // 1b. Save Metadata of every table.
  t0 = std::chrono::steady_clock::now();
  json save = api.Call("PUT", base + "/metadata/selection", {{"include", {"*"}}}, 202);
  WaitForJob(api, save["job"]["id"]);
  const double save_s = Seconds(std::chrono::steady_clock::now() - t0);
  const auto selected = save["selected"].get<std::int64_t>();

  // 2. The catalog tree.
  std::vector<double> catalog_ms;
  std::size_t catalog_bytes = 0;
  for (int i = 0; i < 20; ++i) {
    t0 = std::chrono::steady_clock::now();
    json catalog = api.Call("GET", base + "/metadata/catalog", nullptr, 200);
    catalog_ms.push_back(Seconds(std::chrono::steady_clock::now() - t0) * 1000);
    catalog_bytes = api.last_body_size;
    if (catalog["table_count"].get<std::int64_t>() < opt.tables) Die("catalog too small");
  }
  std::sort(catalog_ms.begin(), catalog_ms.end());

  // 4. The Data Map and its exports (built from the saved tables on each call).
  std::vector<double> datamap_ms;
  std::size_t datamap_bytes = 0, relationships = 0;
  for (int i = 0; i < 5; ++i) {
    t0 = std::chrono::steady_clock::now();
    json map = api.Call("GET", base + "/datamap", nullptr, 200);
    datamap_ms.push_back(Seconds(std::chrono::steady_clock::now() - t0) * 1000);
    datamap_bytes = api.last_body_size;
    relationships = map["relationships"].size();
    if (map["tables"].size() != static_cast<std::size_t>(selected)) Die("Data Map too small");
  }
  std::sort(datamap_ms.begin(), datamap_ms.end());
  struct ExportRun {
    std::string format;
    double ms = 0;
    std::size_t bytes = 0;
  };
  std::vector<ExportRun> exports;
  for (const char* format : {"catalog-json", "dbt", "ddl", "markdown"}) {
    t0 = std::chrono::steady_clock::now();
    api.Raw("GET", base + "/datamap/export?format=" + std::string(format), 200);
    exports.push_back(
        {format, Seconds(std::chrono::steady_clock::now() - t0) * 1000, api.last_body_size});
  }

  // 3. One saved table, with wrk.
  json tables = api.Call("GET", base + "/metadata/tables", nullptr, 200);
  if (tables["tables"].size() != static_cast<std::size_t>(selected))
    Die("saved table count differs");
  const std::string table_path =
      base + "/metadata/tables/" + tables["tables"][0]["id"].get<std::string>();
  std::string wrk_out;
  {
    ChildProcess::Options w;
    w.argv = {"/usr/bin/wrk",
              "-t",
              std::to_string(opt.wrk_threads),
              "-c",
              std::to_string(opt.wrk_connections),
              "-d",
              std::to_string(opt.wrk_seconds) + "s",
              "--latency",
              "-H",
              "Authorization: Bearer " + api.bearer,
              fmt::format("https://127.0.0.1:{}{}", port, table_path)};
    w.log_path = work / "wrk.log";
    auto child = Must(ChildProcess::Start(w), "wrk (apt-get install wrk)");
    Must(child->Wait(std::chrono::seconds(opt.wrk_seconds + 60)), "wrk");
    wrk_out = child->Log();
  }
  std::smatch rps, p50, p99, non2xx;
  std::regex_search(wrk_out, rps, std::regex(R"(Requests/sec:\s+([\d.]+))"));
  std::regex_search(wrk_out, p50, std::regex(R"(\n\s+50%\s+([\d.]+\w+))"));
  std::regex_search(wrk_out, p99, std::regex(R"(\n\s+99%\s+([\d.]+\w+))"));
  const bool errors =
      std::regex_search(wrk_out, non2xx, std::regex(R"(Non-2xx or 3xx responses: (\d+))"));

  std::cout << fmt::format(
      "\n{} tables x {} columns in {} databases, {} ms added to every emulator call\n\n",
      opt.tables, opt.columns, opt.databases, opt.latency_ms);
  std::cout << "| measure | result | goal |\n| --- | --- | --- |\n";
  std::cout << fmt::format(
      "| connector's own fetch of every column (`warehouse fetch`) | {:.2f} s | |\n", fetch_s);
  std::cout << fmt::format(
      "| Fetch Metadata job (tables, no columns), start to done | {:.2f} s | |\n", tables_fetch_s);
  std::cout << fmt::format(
      "| Save Metadata of {} tables, job start to done | {:.2f} s = {:.2f}x the fetch | <= 1.2x "
      "|\n",
      selected, save_s, save_s / fetch_s);
  std::cout << fmt::format(
      "| catalog tree, {} tables ({} KB), 20 GETs | median {:.1f} ms, max {:.1f} ms | < 200 ms |\n",
      opt.tables, catalog_bytes / 1024, catalog_ms[catalog_ms.size() / 2], catalog_ms.back());
  std::cout << fmt::format(
      "| one saved table, wrk -t{} -c{} -d{}s | {} req/s, p50 {}, p99 {}{} | >= 5,000 req/s, p99 < "
      "20 ms |\n",
      opt.wrk_threads, opt.wrk_connections, opt.wrk_seconds, rps.size() > 1 ? rps[1].str() : "?",
      p50.size() > 1 ? p50[1].str() : "?", p99.size() > 1 ? p99[1].str() : "?",
      errors ? ", non-2xx: " + non2xx[1].str() : "");
  std::cout << fmt::format(
      "| Data Map of {} tables ({} relationships, {} KB), 5 GETs | median {:.1f} ms, max {:.1f} "
      "ms | |\n",
      selected, relationships, datamap_bytes / 1024, datamap_ms[datamap_ms.size() / 2],
      datamap_ms.back());
  for (const auto& e : exports) {
    std::cout << fmt::format("| export {} ({} KB) | {:.0f} ms | |\n", e.format, e.bytes / 1024,
                             e.ms);
  }
  std::cout << "\nwrk:\n" << wrk_out << "\n";
  serve->Stop();
  return 0;
}

}  // namespace
}  // namespace schemaport::testing

int main(int argc, char** argv) {
  return schemaport::testing::Main(argc, argv);
}
