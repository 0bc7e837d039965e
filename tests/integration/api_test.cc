// The REST API end to end: a real `schemaport serve` over TLS on a PostgreSQL store, the
// aws-emulator in front of a PostgreSQL "warehouse", driven over HTTPS like the portal and the CLI.
//
//   SeedFlow                setup, login, test, save connection, fetch, select, save, read back;
//                           saved columns equal PostgreSQL's catalog; unselected tables neither
//                           saved nor read (statement log); no scan of a user table
//   AuthMatrix              every /api/v1 route: 401 without auth, 404 for another org's ids,
//                           403 without the CSRF token, 403 for a member on an admin route
//   BadInput                malformed JSON, wrong types, unknown fields, oversized bodies, quotes
//                           and unicode: the right status and message, the store unchanged
//   DataMap                 the Data Map of the saved tables: declared and inferred relationships,
//                           decisions and roles kept across a refresh and a re-save, marks
//                           against the previous save, exports (deterministic, saved tables only),
//                           bad bodies, 404 and 409
//   TwoInstancesKilled      two servers on one store, one SIGKILLed mid-save: the job completes
//                           once and the saved metadata equals a fault-free run
// Every response is recorded and validated against docs/api/openapi.yaml (ajv, tests/js), and the
// test secret key is searched for in every response, log line and store file.
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include <csignal>
#include <fstream>
#include <mutex>
#include <regex>
#include <set>
#include <thread>

#include "runtime/runtime.h"
#include "support/support.h"

namespace schemaport::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr char kKeyId[] = "AKIAAPITEST00000000";
constexpr char kSecretKey[] = "api-test-secret-key-do-not-leak-7f3a9c";
constexpr char kPassword[] = "correct horse battery staple";

// ---------------------------------------------------------------------------------------------
// Recording HTTPS client
// ---------------------------------------------------------------------------------------------

// Every response of the run, for the OpenAPI check and the secret scan.
class Recorder {
 public:
  explicit Recorder(std::filesystem::path path) : path_(std::move(path)), out_(path_) {}
  void Add(const std::string& method, const std::string& path, int status,
           const std::string& content_type, const std::string& body) {
    std::lock_guard lock(mu_);
    const std::string p = path.substr(0, path.find('?'));
    out_ << json{{"method", method},
                 {"path", p},
                 {"status", status},
                 {"content_type", content_type},
                 {"body", body}}
                .dump(-1, ' ', false, json::error_handler_t::replace)
         << "\n";
    out_.flush();
    bodies_ += body;
    bodies_ += "\n";
  }
  const std::filesystem::path& path() const { return path_; }
  std::string bodies() const {
    std::lock_guard lock(mu_);
    return bodies_;
  }

 private:
  mutable std::mutex mu_;
  std::filesystem::path path_;
  std::ofstream out_;
  std::string bodies_;
};

struct Response {
  int status = 0;
  std::string body;
  json doc;
  httplib::Headers headers;
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

// One user agent: a cookie jar of one session (with its CSRF token) or a Bearer token.
class Client {
 public:
  Client(int port, const std::filesystem::path& ca, Recorder* recorder)
      : recorder_(recorder), http_("127.0.0.1", port) {
    http_.set_ca_cert_path(ca.string());
    http_.enable_server_certificate_verification(true);
    http_.set_connection_timeout(5);
    http_.set_read_timeout(60);
    // A connection per request: an idle keep-alive connection the server closed would fail the
    // next request at random (keep-alive is measured by the benchmark, bench/server_bench.cc).
    http_.set_keep_alive(false);
  }

  std::string cookie;  // "sp_session=..."
  std::string csrf;
  std::string bearer;
  bool send_csrf = true;
  bool tolerate_transport_errors = false;  // a server may close before reading a huge body

  Response Call(const std::string& method, const std::string& path, const std::string& body = "",
                const std::string& content_type = "application/json", httplib::Headers extra = {}) {
    httplib::Headers headers = std::move(extra);
    if (!cookie.empty()) headers.emplace("Cookie", cookie);
    if (!bearer.empty()) headers.emplace("Authorization", "Bearer " + bearer);
    if (send_csrf && !csrf.empty() && method != "GET") headers.emplace("X-CSRF-Token", csrf);
    httplib::Request req;
    req.method = method;
    req.path = path;
    req.headers = headers;
    if (!body.empty()) {
      req.body = body;
      req.set_header("Content-Type", content_type);
    }
    auto res = http_.send(req);
    Response r;
    if (!res) {
      if (tolerate_transport_errors) return Response{};
      ADD_FAILURE() << method << " " << path << ": " << httplib::to_string(res.error());
      return r;
    }
    r.status = res->status;
    r.body = res->body;
    r.headers = res->headers;
    const std::string ct = res->get_header_value("Content-Type");
    if (ct.rfind("application/json", 0) == 0) r.doc = json::parse(r.body, nullptr, false);
    if (recorder_ != nullptr) recorder_->Add(method, path, r.status, ct, r.body);
    CheckHeaders(method, path, r);
    // A new session cookie replaces ours.
    for (auto [it, end] = res->headers.equal_range("Set-Cookie"); it != end; ++it) {
      const std::string& v = it->second;
      if (v.rfind("sp_session=", 0) == 0) {
        const std::string value = v.substr(0, v.find(';'));
        cookie = value == "sp_session=" ? "" : value;
      }
    }
    return r;
  }

  Response Get(const std::string& path) { return Call("GET", path); }
  Response Post(const std::string& path, const json& body) {
    return Call("POST", path, body.dump());
  }
  Response Put(const std::string& path, const json& body) { return Call("PUT", path, body.dump()); }
  Response Patch(const std::string& path, const json& body) {
    return Call("PATCH", path, body.dump());
  }
  Response Delete(const std::string& path) { return Call("DELETE", path); }

 private:
  static void CheckHeaders(const std::string& method, const std::string& path, const Response& r) {
    const std::string what = method + " " + path;
    EXPECT_FALSE(r.Header("X-Request-Id").empty()) << what;
    EXPECT_NE(r.Header("Content-Security-Policy").find("frame-ancestors 'none'"), std::string::npos)
        << what;
    EXPECT_EQ(r.Header("Content-Security-Policy").find("unsafe-inline"), std::string::npos) << what;
    EXPECT_FALSE(r.Header("Strict-Transport-Security").empty()) << what;
    EXPECT_EQ(r.Header("X-Content-Type-Options"), "nosniff") << what;
    EXPECT_EQ(r.Header("Referrer-Policy"), "no-referrer") << what;
    if (path.rfind("/api/", 0) == 0) {
      EXPECT_EQ(r.Header("Cache-Control"), "no-store") << what;
    }
    if (r.status >= 400 && r.doc.is_object() && r.doc.contains("error")) {
      EXPECT_EQ(r.doc["error"].value("request_id", ""), r.Header("X-Request-Id")) << what;
    }
    for (auto [it, end] = r.headers.equal_range("Set-Cookie"); it != end; ++it) {
      EXPECT_NE(it->second.find("HttpOnly"), std::string::npos) << what;
      EXPECT_NE(it->second.find("Secure"), std::string::npos) << what;
      EXPECT_NE(it->second.find("SameSite=Strict"), std::string::npos) << what;
    }
  }

  Recorder* recorder_;
  httplib::SSLClient http_;
};

std::string Describe(const Response& r) {
  return std::to_string(r.status) + " " + r.body.substr(0, 600);
}

std::string ErrorMessage(const Response& r) {
  return r.doc.is_object() && r.doc.contains("error") ? r.doc["error"].value("message", "") : "";
}

// ---------------------------------------------------------------------------------------------
// The warehouse, the emulator and the servers
// ---------------------------------------------------------------------------------------------

std::string WarehouseSql() {
  return R"sql(
CREATE SCHEMA sales;
CREATE TABLE sales.orders (id bigint NOT NULL, amount numeric(38,2), note varchar(300),
  created date, at timestamp, flag boolean, ratio double precision);
COMMENT ON TABLE sales.orders IS 'one row per order';
COMMENT ON COLUMN sales.orders.amount IS 'in EUR';
INSERT INTO sales.orders VALUES (1, 10, 'a', '2024-01-01', now(), true, 0.5);
CREATE TABLE sales.customers (id int NOT NULL, name varchar(100), email varchar(256));
CREATE TABLE sales.zz_unselected_payroll (employee int, salary_secret_col numeric(12,2));
INSERT INTO sales.zz_unselected_payroll VALUES (1, 1000);
CREATE VIEW sales.big_orders AS SELECT id, amount FROM sales.orders WHERE amount > 15;
CREATE SCHEMA "Mixed ""Case"" Schema";
CREATE TABLE "Mixed ""Case"" Schema"."Table With Spaces" ("Col.Dot" int, "ünïcödé" text);
CREATE SCHEMA "données";
CREATE TABLE "données"."tablé" (id int, "名前" varchar(20));
CREATE SCHEMA mart;
CREATE TABLE mart.customers (customer_id int NOT NULL PRIMARY KEY, name varchar(100));
CREATE TABLE mart.orders (id bigint NOT NULL PRIMARY KEY, placed date);
CREATE TABLE mart.order_lines (line_id bigint NOT NULL PRIMARY KEY, order_id bigint,
  customer_id int REFERENCES mart.customers (customer_id), quantity int);
GRANT USAGE ON SCHEMA sales, "Mixed ""Case"" Schema", "données", mart TO PUBLIC;
GRANT SELECT ON ALL TABLES IN SCHEMA sales, "Mixed ""Case"" Schema", "données", mart TO PUBLIC;
)sql";
}

struct Env {
  std::string warehouse_db;
  std::string store_db;
  std::unique_ptr<Emulator> emulator;
  std::unique_ptr<TempDir> dir;
  std::unique_ptr<Recorder> recorder;
};
Env* env_ = nullptr;

std::string EmulatorConfig() {
  PgCluster& pg = SharedPgCluster();
  return fmt::format(R"(account_id = "123456789012"
region = "us-east-1"
seed = 7
[postgres]
host = "127.0.0.1"
port = {port}
superuser = "{superuser}"
[[users]]
name = "apitest"
access_key_id = "{key}"
secret_access_key = "{secret}"
allow = ["redshift-data:*", "redshift-serverless:GetCredentials"]
[[workgroups]]
name = "analytics"
databases = {{ "{db}" = "{db}" }}
)",
                     fmt::arg("port", pg.port()), fmt::arg("superuser", pg.superuser()),
                     fmt::arg("key", kKeyId), fmt::arg("secret", kSecretKey),
                     fmt::arg("db", env_->warehouse_db));
}

// A running `schemaport serve`.
class ServeProcess {
 public:
  static std::unique_ptr<ServeProcess> Start(const std::string& name, const std::string& store_db,
                                             int workers = 2) {
    auto s = std::unique_ptr<ServeProcess>(new ServeProcess());
    s->data_dir_ = env_->dir->path() / ("data-" + store_db);
    std::filesystem::create_directories(s->data_dir_);
    const auto config = env_->dir->path() / (name + ".toml");
    WriteFile(config, fmt::format(R"(data_dir = "{data}"
[store]
backend = "postgres"
postgres_url = "{url}"
postgres_sslmode = "disable"  # the test cluster is on loopback, without TLS
[jobs]
workers = {workers}
lease_seconds = 3
[server]
listen = "127.0.0.1:0"
)",
                                  fmt::arg("data", s->data_dir_.string()),
                                  fmt::arg("url", SharedPgCluster().Url(store_db)),
                                  fmt::arg("workers", workers)));
    ChildProcess::Options o;
    o.argv = {(BinDir() / "schemaport").string(), "serve", "--config", config.string()};
    o.env = {{"AWS_ENDPOINT_URL", env_->emulator->EndpointUrl()},
             {"AWS_ACCESS_KEY_ID", ""},
             {"AWS_SECRET_ACCESS_KEY", ""}};
    o.log_path = env_->dir->path() / (name + ".log");
    auto p = ChildProcess::Start(o);
    EXPECT_TRUE(p.ok()) << p.status();
    if (!p.ok()) return nullptr;
    s->process_ = std::move(p).value();
    auto log = s->process_->WaitForLog("Listening on https://", 60s);
    EXPECT_TRUE(log.ok()) << log.status() << "\n" << s->process_->Log();
    if (!log.ok()) return nullptr;
    std::smatch m;
    if (!std::regex_search(*log, m, std::regex(R"(Listening on https://127\.0\.0\.1:(\d+)/)"))) {
      ADD_FAILURE() << *log;
      return nullptr;
    }
    s->port_ = std::stoi(m[1]);
    // The setup token follows the URL when the store has no org yet.
    s->process_->WaitForLog("(or run", 2s).status().ok();
    const std::string all = s->process_->Log();
    if (std::regex_search(all, m, std::regex(R"(Setup token: (\S+))"))) s->setup_token_ = m[1];
    return s;
  }

  std::unique_ptr<Client> NewClient() {
    return std::make_unique<Client>(port_, data_dir_ / "tls" / "cert.pem", env_->recorder.get());
  }
  int port() const { return port_; }
  const std::string& setup_token() const { return setup_token_; }
  const std::filesystem::path& data_dir() const { return data_dir_; }
  ChildProcess& process() { return *process_; }

 private:
  ServeProcess() = default;
  std::filesystem::path data_dir_;
  std::unique_ptr<ChildProcess> process_;
  int port_ = 0;
  std::string setup_token_;
};

json ConnectionInput(const std::string& name) {
  return {{"name", name},
          {"data_store", "redshift"},
          {"settings",
           {{"access_key_id", kKeyId},
            {"region", "us-east-1"},
            {"workgroup", "analytics"},
            {"database", env_->warehouse_db}}},
          {"secrets", {{"secret_access_key", kSecretKey}}}};
}

// Polls a job until it is finished; returns its final view.
json WaitForJob(Client& c, const std::string& job_id, std::chrono::seconds timeout = 120s) {
  json job;
  const bool done = WaitUntil(
      [&] {
        Response r = c.Get("/api/v1/jobs/" + job_id);
        if (r.status != 200) return false;
        job = r.doc;
        return job["state"] == "succeeded" || job["state"] == "failed";
      },
      timeout);
  EXPECT_TRUE(done) << job.dump();
  return job;
}

// seq_scan + idx_scan of every user table of the warehouse.
std::map<std::string, std::int64_t> ScanCounters() {
  auto rows = SharedPgCluster().Query(env_->warehouse_db,
                                      "SELECT schemaname || '.' || relname, seq_scan + "
                                      "coalesce(idx_scan, 0) FROM pg_stat_user_tables");
  EXPECT_TRUE(rows.ok()) << rows.status();
  std::map<std::string, std::int64_t> out;
  if (rows.ok()) {
    for (const auto& r : *rows) out[r[0]] = std::stoll(r[1]);
  }
  return out;
}

// Backends report their table counters at the end of a transaction at most once a second, and
// when idle within 10 s (PostgreSQL 15+); the Data API keeps its sessions open, so wait that long.
void WaitForStatisticsFlush() {
  std::this_thread::sleep_for(11s);
}

std::string Literal(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

// The columns PostgreSQL's catalog has for a table: name, type, position, nullable.
std::vector<std::tuple<std::string, std::string, int, bool>> CatalogColumns(
    const std::string& schema, const std::string& table) {
  auto rows = SharedPgCluster().Query(
      env_->warehouse_db,
      "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnum, NOT a.attnotnull "
      "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = "
      "c.relnamespace "
      "WHERE n.nspname = " +
          Literal(schema) + " AND c.relname = " + Literal(table) +
          " AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum");
  EXPECT_TRUE(rows.ok()) << rows.status();
  std::vector<std::tuple<std::string, std::string, int, bool>> out;
  if (rows.ok()) {
    for (const auto& r : *rows) out.emplace_back(r[0], r[1], std::stoi(r[2]), r[3] == "t");
  }
  return out;
}

// Everything an org A admin built in SeedFlow, for the later tests.
struct Seed {
  std::unique_ptr<ServeProcess> server;
  std::unique_ptr<Client> admin;
  std::string connection_id;
  std::string job_id;
  std::string table_id;
  std::string user_id;
  std::string token_id;
  json saved_tables;   // GET tables of the fault-free run
  json saved_details;  // id -> detail, without ids and times
};
Seed* seed_ = nullptr;

class ApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // A keep-alive connection the server closed fails the next write with EPIPE, not a signal.
    ::signal(SIGPIPE, SIG_IGN);
    env_ = new Env();
    PgCluster& pg = SharedPgCluster();
    auto db = pg.CreateDatabase("wh");
    ASSERT_TRUE(db.ok()) << db.status();
    env_->warehouse_db = *db;
    auto store = pg.CreateDatabase("store");
    ASSERT_TRUE(store.ok()) << store.status();
    env_->store_db = *store;
    env_->dir = std::make_unique<TempDir>("schemaport-api");
    env_->recorder = std::make_unique<Recorder>(env_->dir->path() / "responses.jsonl");
    auto emu = Emulator::Start(EmulatorConfig());
    ASSERT_TRUE(emu.ok()) << emu.status();
    env_->emulator = std::move(emu).value();
    ASSERT_TRUE(pg.Exec(env_->warehouse_db, WarehouseSql()).ok());
    seed_ = new Seed();
    seed_->server = ServeProcess::Start("a", env_->store_db);
    ASSERT_NE(seed_->server, nullptr);
  }

  static void TearDownTestSuite() {
    if (seed_ != nullptr) {
      seed_->admin.reset();
      if (seed_->server) seed_->server->process().Stop();
    }
    if (env_ != nullptr) {
      // The secret key is in no response, log line or store file of the run.
      EXPECT_EQ(env_->recorder->bodies().find(kSecretKey), std::string::npos)
          << "a response holds the secret key";
      for (const auto& entry : std::filesystem::recursive_directory_iterator(env_->dir->path())) {
        if (!entry.is_regular_file()) continue;
        const std::string text = ReadFile(entry.path());
        const bool holds = text.find(kSecretKey) != std::string::npos;
        // The test's own config files name no secret; the responses file was checked above.
        EXPECT_FALSE(holds) << entry.path() << " holds the secret key";
      }
      // The store's tables (a plain-text dump) hold it nowhere.
      const auto dump = env_->dir->path() / "store.sql";
      const std::string cmd = fmt::format(
          "{}/pg_dump -h 127.0.0.1 -p {} -U {} -f {} {} 2>&1", SharedPgCluster().BinDir(),
          SharedPgCluster().port(), SharedPgCluster().superuser(), dump.string(), env_->store_db);
      ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
      const std::string store_text = ReadFile(dump);
      EXPECT_GT(store_text.size(), 1000u);
      EXPECT_EQ(store_text.find(kSecretKey), std::string::npos)
          << "the store holds the secret key in clear";
      EXPECT_EQ(store_text.find("zz_unselected_payroll"), std::string::npos)
          << "a table name in clear";
      // Every recorded response matches docs/api/openapi.yaml.
      const auto validator = SourceDir() / "tests/js/openapi/validate-responses.mjs";
      const auto out = env_->dir->path() / "openapi.txt";
      const std::string node = fmt::format("node {} {} {} > {} 2>&1", validator.string(),
                                           (SourceDir() / "docs/api/openapi.yaml").string(),
                                           env_->recorder->path().string(), out.string());
      const int rc = std::system(node.c_str());
      const std::string report = ReadFile(out);
      std::printf("%s", report.substr(report.size() > 4000 ? report.size() - 4000 : 0).c_str());
      EXPECT_EQ(rc, 0) << report;
    }
    delete seed_;
    seed_ = nullptr;
    delete env_;
    env_ = nullptr;
  }
};

// ---------------------------------------------------------------------------------------------
// The seed flow
// ---------------------------------------------------------------------------------------------

TEST_F(ApiTest, A_SeedFlow) {
  ServeProcess& server = *seed_->server;
  ASSERT_FALSE(server.setup_token().empty()) << server.process().Log();
  seed_->admin = server.NewClient();
  Client& c = *seed_->admin;

  Response r = c.Get("/healthz");
  EXPECT_EQ(r.status, 200);
  r = c.Get("/api/v1/openapi.yaml");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("openapi: 3.1"), std::string::npos);
  r = c.Get("/api/v1/setup");
  ASSERT_EQ(r.status, 200) << Describe(r);
  EXPECT_EQ(r.doc["needed"], true);
  // The warehouse's scan counters before schemaport touches it (the fixture's session has ended).
  const auto scans_before = ScanCounters();

  // Setup: a wrong token is refused and changes nothing; the right one works once.
  r = c.Post("/api/v1/setup", {{"token", "wrong"},
                               {"organization", "Acme"},
                               {"email", "admin@acme.test"},
                               {"password", kPassword}});
  EXPECT_EQ(r.status, 401) << Describe(r);
  r = c.Post("/api/v1/setup", {{"token", server.setup_token()},
                               {"organization", "Acme"},
                               {"email", "admin@acme.test"},
                               {"password", kPassword}});
  ASSERT_EQ(r.status, 201) << Describe(r);
  EXPECT_FALSE(c.cookie.empty());
  c.csrf = r.doc["csrf_token"];
  EXPECT_EQ(r.doc["user"]["role"], "admin");
  r = c.Post("/api/v1/setup", {{"token", server.setup_token()},
                               {"organization", "Again"},
                               {"email", "x@acme.test"},
                               {"password", kPassword}});
  EXPECT_EQ(r.status / 100, 4) << Describe(r);
  EXPECT_EQ(c.Get("/api/v1/setup").doc["needed"], false);

  // Log out and in again.
  EXPECT_EQ(c.Post("/api/v1/auth/logout", json::object()).status, 204);
  EXPECT_EQ(c.Get("/api/v1/me").status, 401);
  r = c.Post("/api/v1/auth/login",
             {{"email", "admin@acme.test"}, {"password", "wrong password!!"}});
  EXPECT_EQ(r.status, 401) << Describe(r);
  r = c.Post("/api/v1/auth/login", {{"email", "admin@acme.test"}, {"password", kPassword}});
  ASSERT_EQ(r.status, 200) << Describe(r);
  c.csrf = r.doc["csrf_token"];
  r = c.Get("/api/v1/me");
  ASSERT_EQ(r.status, 200) << Describe(r);
  EXPECT_EQ(r.doc["user"]["email"], "admin@acme.test");
  EXPECT_EQ(r.doc["csrf_token"], c.csrf);

  r = c.Get("/api/v1/data-stores");
  ASSERT_EQ(r.status, 200) << Describe(r);
  EXPECT_EQ(r.doc["data_stores"][0]["id"], "redshift");

  // Test the unsaved settings, then save them.
  r = c.Post("/api/v1/connections/test", ConnectionInput(""));
  ASSERT_EQ(r.status, 200) << Describe(r);
  EXPECT_EQ(r.doc["ok"], true) << r.body;
  EXPECT_EQ(r.doc["steps"].size(), 6u);
  r = c.Post("/api/v1/connections", ConnectionInput("Warehouse \"prod\" — é"));
  ASSERT_EQ(r.status, 201) << Describe(r);
  const std::string conn = r.doc["id"];
  seed_->connection_id = conn;
  EXPECT_EQ(r.doc["name"], "Warehouse \"prod\" — é");
  EXPECT_EQ(r.doc["secrets_set"], json::array({"secret_access_key"}));
  EXPECT_FALSE(r.doc["settings"].contains("secret_access_key"));
  r = c.Post("/api/v1/connections/" + conn + "/test", json::object());
  ASSERT_EQ(r.status, 200) << Describe(r);
  EXPECT_EQ(r.doc["ok"], true) << r.body;
  EXPECT_EQ(c.Get("/api/v1/connections").doc["connections"].size(), 1u);

  // Catalog before the first fetch: 404.
  EXPECT_EQ(c.Get("/api/v1/connections/" + conn + "/metadata/catalog").status, 404);

  // Fetch: tables, no columns.
  r = c.Post("/api/v1/connections/" + conn + "/metadata/fetch", json::object());
  ASSERT_EQ(r.status, 202) << Describe(r);
  json job = WaitForJob(c, r.doc["job"]["id"]);
  ASSERT_EQ(job["state"], "succeeded") << job.dump();
  seed_->job_id = job["id"];
  r = c.Get("/api/v1/connections/" + conn + "/metadata/catalog");
  ASSERT_EQ(r.status, 200) << Describe(r);
  std::set<std::string> fetched;
  for (const auto& db : r.doc["databases"]) {
    for (const auto& sc : db["schemas"]) {
      for (const auto& t : sc["tables"])
        fetched.insert(sc["name"].get<std::string>() + "." + t["name"].get<std::string>());
    }
  }
  for (const char* t :
       {"sales.orders", "sales.customers", "sales.zz_unselected_payroll", "sales.big_orders",
        "Mixed \"Case\" Schema.Table With Spaces", "données.tablé"}) {
    EXPECT_TRUE(fetched.count(t)) << t << " not in " << r.body.substr(0, 2000);
  }

  // Select: explicit tables plus a pattern; preview first.
  const json selection = {
      {"tables",
       {{{"database", env_->warehouse_db}, {"schema", "sales"}, {"table", "orders"}},
        {{"database", env_->warehouse_db},
         {"schema", "Mixed \"Case\" Schema"},
         {"table", "Table With Spaces"}},
        {{"database", env_->warehouse_db}, {"schema", "données"}, {"table", "tablé"}}}},
      {"include", {env_->warehouse_db + ".sales.cust*"}},
      {"exclude", json::array()}};
  r = c.Post("/api/v1/connections/" + conn + "/metadata/selection/preview", selection);
  ASSERT_EQ(r.status, 200) << Describe(r);
  EXPECT_EQ(r.doc["selected"], 4);
  EXPECT_EQ(r.doc["matched_by_patterns"], 1);

  ASSERT_TRUE(env_->emulator->Admin("DELETE", "/statements").ok());
  r = c.Put("/api/v1/connections/" + conn + "/metadata/selection", selection);
  ASSERT_EQ(r.status, 202) << Describe(r);
  EXPECT_EQ(r.doc["selected"], 4);
  job = WaitForJob(c, r.doc["job"]["id"]);
  ASSERT_EQ(job["state"], "succeeded") << job.dump();

  // Read back: exactly the selected tables, with PostgreSQL's columns and types.
  r = c.Get("/api/v1/connections/" + conn + "/metadata/tables");
  ASSERT_EQ(r.status, 200) << Describe(r);
  seed_->saved_tables = r.doc["tables"];
  std::set<std::string> saved;
  for (const auto& t : r.doc["tables"]) {
    const std::string schema = t["schema"], name = t["name"];
    saved.insert(schema + "." + name);
    Response d =
        c.Get("/api/v1/connections/" + conn + "/metadata/tables/" + t["id"].get<std::string>());
    ASSERT_EQ(d.status, 200) << Describe(d);
    seed_->table_id = t["id"];
    std::vector<std::tuple<std::string, std::string, int, bool>> got;
    for (const auto& col : d.doc["columns"]) {
      got.emplace_back(col["name"], col["type"], col["position"], col["nullable"]);
    }
    EXPECT_EQ(got, CatalogColumns(schema, name)) << schema << "." << name;
    json detail = d.doc;
    detail.erase("id");
    detail.erase("saved_at");
    seed_->saved_details[schema + "." + name] = detail;
  }
  EXPECT_EQ(saved,
            (std::set<std::string>{"sales.orders", "sales.customers",
                                   "Mixed \"Case\" Schema.Table With Spaces", "données.tablé"}));
  r = c.Get("/api/v1/connections/" + conn + "/metadata/catalog");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.doc["saved_at"], nullptr);

  // The save read no column of an unselected table (statement log), and nothing scanned a table.
  auto log = env_->emulator->Admin("GET", "/statements");
  ASSERT_TRUE(log.ok()) << log.status();
  const json statements = json::parse(*log)["statements"];
  EXPECT_FALSE(statements.empty());
  for (const auto& st : statements) {
    const std::string sql = st.value("sql", "");
    EXPECT_EQ(sql.find("zz_unselected_payroll"), std::string::npos) << sql;
    EXPECT_EQ(sql.find("big_orders"), std::string::npos) << sql;
  }
  WaitForStatisticsFlush();
  const auto scans_after = ScanCounters();
  ASSERT_FALSE(scans_before.empty());
  for (const auto& [table, scans] : scans_after)
    EXPECT_EQ(scans, scans_before.at(table)) << table << " was scanned";

  // Refresh: nothing changed, so no marks; the selection stays. Cancelling a finished job leaves
  // it.
  r = c.Post("/api/v1/connections/" + conn + "/metadata/refresh", json::object());
  ASSERT_EQ(r.status, 202) << Describe(r);
  job = WaitForJob(c, r.doc["job"]["id"]);
  ASSERT_EQ(job["state"], "succeeded") << job.dump();
  r = c.Delete("/api/v1/jobs/" + job["id"].get<std::string>());
  EXPECT_EQ(r.status, 202) << Describe(r);
  EXPECT_EQ(r.doc["state"], "succeeded");
  r = c.Get("/api/v1/connections/" + conn + "/metadata/catalog");
  ASSERT_EQ(r.status, 200);
  int selected_after_refresh = 0;
  for (const auto& db : r.doc["databases"]) {
    for (const auto& sc : db["schemas"]) {
      for (const auto& t : sc["tables"]) {
        EXPECT_EQ(t["mark"], nullptr) << t.dump();
        selected_after_refresh += t["selected"].get<bool>() ? 1 : 0;
      }
    }
  }
  EXPECT_EQ(selected_after_refresh, 4);

  // Users and tokens: a member, and an API token for the CLI.
  r = c.Post("/api/v1/users",
             {{"email", "member@acme.test"}, {"password", kPassword}, {"role", "member"}});
  ASSERT_EQ(r.status, 201) << Describe(r);
  seed_->user_id = r.doc["id"];
  r = c.Post("/api/v1/tokens", {{"name", "ci \"bot\" ✓"}, {"expires_in_days", 30}});
  ASSERT_EQ(r.status, 201) << Describe(r);
  seed_->token_id = r.doc["token"]["id"];
  auto bot = server.NewClient();
  bot->bearer = r.doc["secret"];
  EXPECT_EQ(bot->Get("/api/v1/connections").status, 200);
  EXPECT_EQ(bot->Get("/api/v1/me").doc["csrf_token"], "");
  EXPECT_EQ(bot->Post("/api/v1/connections/" + conn + "/test", json::object()).status, 200);
  EXPECT_EQ(c.Get("/api/v1/tokens").doc["tokens"].size(), 1u);
  r = c.Get("/api/v1/audit?limit=50");
  ASSERT_EQ(r.status, 200) << Describe(r);
  EXPECT_FALSE(r.doc["events"].empty());
  EXPECT_EQ(c.Get("/api/v1/audit?limit=0").status, 400);
  r = c.Post("/api/v1/keys/rotate", json::object());
  EXPECT_EQ(r.status, 200) << Describe(r);

  // /metrics: requests by route template, jobs, Data API calls.
  r = c.Get("/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("schemaport_http_requests_total{method=\"GET\",route=\"/api/v1/jobs/"
                        "{id}\",status=\"200\"}"),
            std::string::npos);
  EXPECT_NE(r.body.find("schemaport_http_request_duration_seconds_bucket"), std::string::npos);
  EXPECT_NE(r.body.find("schemaport_jobs{kind=\"save\",state=\"succeeded\"}"), std::string::npos)
      << r.body;
  EXPECT_NE(
      r.body.find("schemaport_data_api_calls_total{operation=\"ExecuteStatement\",outcome=\"ok\"}"),
      std::string::npos);
  EXPECT_EQ(r.body.find(conn), std::string::npos) << "a raw path in a metric label";

  // The portal's paths outside /api answer (the SPA's index, or 404 when no portal is built in).
  r = c.Get("/connect");
  EXPECT_TRUE(r.status == 200 || r.status == 404) << Describe(r);
}

// ---------------------------------------------------------------------------------------------
// Authentication and authorisation on every route
// ---------------------------------------------------------------------------------------------

struct RouteCase {
  std::string method;
  std::string path;  // with ids filled in
  std::string body;
  bool admin_only;
};

std::vector<RouteCase> AllRoutes() {
  const std::string c = "/api/v1/connections/" + seed_->connection_id;
  const std::string sel = R"({"tables":[],"include":[],"exclude":[]})";
  return {
      {"POST", "/api/v1/auth/logout", "", false},
      {"POST", "/api/v1/auth/password", R"({"current_password":"x","new_password":"y"})", false},
      {"GET", "/api/v1/me", "", false},
      {"GET", "/api/v1/data-stores", "", false},
      {"POST", "/api/v1/connections/test", ConnectionInput("t").dump(), true},
      {"GET", "/api/v1/connections", "", false},
      {"POST", "/api/v1/connections", ConnectionInput("n").dump(), true},
      {"GET", c, "", false},
      {"PATCH", c, R"({"name":"renamed"})", true},
      {"DELETE", c, "", true},
      {"POST", c + "/test", "", true},
      {"POST", c + "/metadata/fetch", "{}", false},
      {"POST", c + "/metadata/refresh", "{}", false},
      {"GET", c + "/metadata/catalog", "", false},
      {"POST", c + "/metadata/selection/preview", sel, false},
      {"PUT", c + "/metadata/selection", sel, false},
      {"GET", c + "/metadata/tables", "", false},
      {"GET", c + "/metadata/tables/" + seed_->table_id, "", false},
      {"GET", c + "/datamap", "", false},
      {"PUT", c + "/datamap/relationships/0123456789abcdef", R"({"decision":null})", false},
      {"PUT", c + "/datamap/roles/" + seed_->table_id, R"({"role":null})", false},
      {"GET", c + "/datamap/export?format=markdown", "", false},
      {"GET", "/api/v1/jobs/" + seed_->job_id, "", false},
      {"DELETE", "/api/v1/jobs/" + seed_->job_id, "", false},
      {"GET", "/api/v1/users", "", true},
      {"POST", "/api/v1/users",
       R"({"email":"z@acme.test","password":"zzzzzzzzzzzzzzzz","role":"member"})", true},
      {"DELETE", "/api/v1/users/" + seed_->user_id, "", true},
      {"GET", "/api/v1/tokens", "", true},
      {"POST", "/api/v1/tokens", R"({"name":"t"})", true},
      {"DELETE", "/api/v1/tokens/" + seed_->token_id, "", true},
      {"POST", "/api/v1/keys/rotate", "", true},
      {"GET", "/api/v1/audit", "", true},
  };
}

bool HasId(const RouteCase& rc) {
  return rc.path.find(seed_->connection_id) != std::string::npos ||
         rc.path.find(seed_->job_id) != std::string::npos ||
         rc.path.find(seed_->user_id) != std::string::npos ||
         rc.path.find(seed_->token_id) != std::string::npos;
}

TEST_F(ApiTest, B_AuthMatrix) {
  ASSERT_FALSE(seed_->connection_id.empty()) << "SeedFlow did not get far enough";
  ServeProcess& server = *seed_->server;

  // Without authentication: 401 everywhere (a stale cookie too).
  auto anon = server.NewClient();
  for (const auto& rc : AllRoutes()) {
    Response r = anon->Call(rc.method, rc.path, rc.body);
    EXPECT_EQ(r.status, 401) << rc.method << " " << rc.path << ": " << Describe(r);
    EXPECT_EQ(r.doc["error"]["code"], "unauthenticated") << rc.method << " " << rc.path;
  }
  anon->cookie = "sp_session=not-a-session";
  for (const auto& rc : AllRoutes()) {
    EXPECT_EQ(anon->Call(rc.method, rc.path, rc.body).status, 401) << rc.method << " " << rc.path;
  }
  anon->cookie.clear();
  anon->bearer = "not-a-token";
  EXPECT_EQ(anon->Get("/api/v1/connections").status, 401);

  // A second org (made in the store, its admin from the shell) sees none of the first org's ids.
  {
    runtime::Options options;
    options.config_path = (env_->dir->path() / "a.toml").string();
    ConfigSchema extra;
    extra.String("server.listen", "", "").Int("jobs.lease_seconds", 30, 1, 3600, "");
    options.extra_config = extra;
    auto rt = runtime::Wire(options, Environment{});
    ASSERT_TRUE(rt.ok()) << rt.status();
    ASSERT_TRUE((*rt)->store->CreateOrg("Globex").ok());
    const auto log = env_->dir->path() / "users-add.log";
    const std::string cmd = fmt::format(
        "printf '%s\\n' '{}' | {} users add --config {} --org Globex --email boss@globex.test "
        "--role admin > {} 2>&1",
        kPassword, (BinDir() / "schemaport").string(), (env_->dir->path() / "a.toml").string(),
        log.string());
    ASSERT_EQ(std::system(cmd.c_str()), 0) << ReadFile(log);
  }
  auto other = server.NewClient();
  Response r =
      other->Post("/api/v1/auth/login", {{"email", "boss@globex.test"}, {"password", kPassword}});
  ASSERT_EQ(r.status, 200) << Describe(r);
  other->csrf = r.doc["csrf_token"];
  EXPECT_NE(r.doc["org"]["name"], "Acme");
  EXPECT_TRUE(other->Get("/api/v1/connections").doc["connections"].empty());
  for (const auto& rc : AllRoutes()) {
    if (!HasId(rc)) continue;
    r = other->Call(rc.method, rc.path, rc.body);
    EXPECT_EQ(r.status, 404) << rc.method << " " << rc.path << ": " << Describe(r);
  }

  // A member: 403 on every admin route, and cookie calls without the CSRF token: 403.
  auto member = server.NewClient();
  r = member->Post("/api/v1/auth/login", {{"email", "member@acme.test"}, {"password", kPassword}});
  ASSERT_EQ(r.status, 200) << Describe(r);
  member->csrf = r.doc["csrf_token"];
  for (const auto& rc : AllRoutes()) {
    if (!rc.admin_only) continue;
    r = member->Call(rc.method, rc.path, rc.body);
    EXPECT_EQ(r.status, 403) << rc.method << " " << rc.path << ": " << Describe(r);
  }
  Client& admin = *seed_->admin;
  admin.send_csrf = false;
  for (const auto& rc : AllRoutes()) {
    if (rc.method == "GET") continue;
    r = admin.Call(rc.method, rc.path, rc.body);
    EXPECT_EQ(r.status, 403) << rc.method << " " << rc.path << ": " << Describe(r);
    EXPECT_NE(ErrorMessage(r).find("X-CSRF-Token"), std::string::npos) << Describe(r);
  }
  admin.send_csrf = true;
  // A wrong token is as good as none.
  const std::string csrf = admin.csrf;
  admin.csrf = "wrong";
  EXPECT_EQ(
      admin.Post("/api/v1/connections/" + seed_->connection_id + "/metadata/fetch", json::object())
          .status,
      403);
  admin.csrf = csrf;
  // Everything above changed nothing.
  EXPECT_EQ(admin.Get("/api/v1/connections/" + seed_->connection_id).status, 200);
  EXPECT_EQ(admin.Get("/api/v1/users").doc["users"].size(), 2u);
  EXPECT_EQ(admin.Get("/api/v1/tokens").doc["tokens"].size(), 1u);
}

// ---------------------------------------------------------------------------------------------
// Bad input
// ---------------------------------------------------------------------------------------------

TEST_F(ApiTest, C_BadInputChangesNothing) {
  ASSERT_FALSE(seed_->connection_id.empty()) << "SeedFlow did not get far enough";
  Client& c = *seed_->admin;
  const std::string conn = "/api/v1/connections/" + seed_->connection_id;
  auto snapshot = [&] {
    json s;
    s["connections"] = c.Get("/api/v1/connections").doc;
    s["users"] = c.Get("/api/v1/users").doc;
    s["tokens"] = c.Get("/api/v1/tokens").doc;
    s["tables"] = c.Get(conn + "/metadata/tables").doc;
    return s;
  };
  const json before = snapshot();

  struct BodyRoute {
    std::string method, path;
    bool big;  // a route with the 16 MiB limit (selections); others keep 1 MiB
  };
  const std::vector<BodyRoute> routes = {
      {"POST", "/api/v1/setup", false},
      {"POST", "/api/v1/auth/login", false},
      {"POST", "/api/v1/auth/password", false},
      {"POST", "/api/v1/connections/test", false},
      {"POST", "/api/v1/connections", false},
      {"PATCH", conn, false},
      {"POST", conn + "/metadata/fetch", false},
      {"POST", conn + "/metadata/refresh", false},
      {"POST", conn + "/metadata/selection/preview", true},
      {"PUT", conn + "/metadata/selection", true},
      {"POST", "/api/v1/users", false},
      {"POST", "/api/v1/tokens", false},
  };
  for (const auto& br : routes) {
    const std::string what = br.method + " " + br.path;
    Response r = c.Call(br.method, br.path, "{\"name\": ");
    EXPECT_EQ(r.status, 400) << what << ": " << Describe(r);
    EXPECT_NE(ErrorMessage(r).find("malformed JSON"), std::string::npos)
        << what << ": " << Describe(r);
    r = c.Call(br.method, br.path, "[1,2]");
    EXPECT_EQ(r.status, 400) << what << ": " << Describe(r);
    r = c.Call(br.method, br.path, R"({"n\u00e9\"w_field": 1})");
    EXPECT_EQ(r.status, 400) << what << ": " << Describe(r);
    EXPECT_NE(ErrorMessage(r).find("né\"w_field: unknown field"), std::string::npos)
        << what << ": " << Describe(r);
    // Over the route's limit: 413 (past the largest limit the server may close the connection
    // before reading the whole body, so the client may not see the answer).
    c.tolerate_transport_errors = br.big;
    r = c.Call(
        br.method, br.path,
        "{\"x\":\"" + std::string(br.big ? (16u << 20) + 100 : (1u << 20) + 100, 'a') + "\"}");
    c.tolerate_transport_errors = false;
    if (!br.big || r.status != 0) {
      EXPECT_EQ(r.status, 413) << what << ": " << Describe(r);
      EXPECT_EQ(r.doc["error"]["code"], "payload_too_large") << what;
    }
    r = c.Call(br.method, br.path, "{}", "text/plain");
    EXPECT_EQ(r.status, 400) << what << ": " << Describe(r);
  }
  // Just over the 1 MiB default limit on a route that keeps it.
  Response r = c.Call("POST", "/api/v1/connections",
                      "{\"name\":\"" + std::string((1u << 20) + 10, 'a') + "\"}");
  EXPECT_EQ(r.status, 413) << Describe(r);

  // Wrong types, naming the field.
  const std::vector<std::tuple<std::string, std::string, json, std::string>> typed = {
      {"POST", "/api/v1/auth/login", {{"email", 5}, {"password", "x"}}, "email: expected a string"},
      {"POST",
       "/api/v1/connections",
       {{"name", "x"}, {"data_store", "redshift"}, {"settings", {{"region", 1}}}},
       "settings.region: expected a string"},
      {"POST",
       "/api/v1/connections",
       {{"name", json::array()}, {"data_store", "redshift"}, {"settings", json::object()}},
       "name: expected a string"},
      {"PATCH", conn, {{"secrets", "plain"}}, "secrets: expected an object"},
      {"PUT",
       conn + "/metadata/selection",
       {{"tables", {{{"database", "d"}, {"schema", 1}, {"table", "t"}}}}},
       "tables[0].schema: expected a string"},
      {"PUT", conn + "/metadata/selection", {{"include", "*"}}, "include: expected an array"},
      {"POST", conn + "/metadata/fetch", {{"databases", {1}}}, "databases[0]: expected a string"},
      {"POST",
       "/api/v1/users",
       {{"email", "a@b.c"}, {"password", kPassword}, {"role", "owner"}},
       "role: must be"},
      {"POST",
       "/api/v1/tokens",
       {{"name", "t"}, {"expires_in_days", "7"}},
       "expires_in_days: expected an integer"},
      {"POST",
       "/api/v1/tokens",
       {{"name", "t"}, {"expires_in_days", 0}},
       "expires_in_days: must be between"},
      {"POST",
       "/api/v1/connections",
       {{"data_store", "redshift"}, {"settings", json::object()}},
       "name: is required"},
  };
  for (const auto& [method, path, body, message] : typed) {
    r = c.Call(method, path, body.dump());
    EXPECT_EQ(r.status, 400) << method << " " << path << ": " << Describe(r);
    EXPECT_NE(ErrorMessage(r).find(message), std::string::npos)
        << method << " " << path << ": " << Describe(r);
  }
  // A selection naming a table that was not fetched (quotes and unicode in its name).
  r = c.Put(conn + "/metadata/selection",
            {{"tables",
              {{{"database", env_->warehouse_db}, {"schema", "sa\"les"}, {"table", "tä'ble"}}}}});
  EXPECT_EQ(r.status, 400) << Describe(r);
  // A connection whose settings name an unknown field (e.g. an endpoint) is refused.
  json sneaky = ConnectionInput("sneaky");
  sneaky["settings"]["endpoint_url"] = "http://169.254.169.254/";
  r = c.Post("/api/v1/connections", sneaky);
  EXPECT_EQ(r.status, 400) << Describe(r);
  EXPECT_NE(ErrorMessage(r).find("endpoint_url"), std::string::npos) << Describe(r);
  // Unknown routes and methods.
  EXPECT_EQ(c.Get("/api/v1/nope").status, 404);
  EXPECT_EQ(c.Get("/api/v1/connections/does-not-exist").status, 404);
  EXPECT_EQ(c.Call("PUT", "/api/v1/me", "{}").status, 405);

  EXPECT_EQ(snapshot(), before);

  // Quotes and unicode in names are kept exactly (and the rename is undone).
  r = c.Patch(conn, {{"name", "O'Brien \"DW\" 名前 🚀"}});
  ASSERT_EQ(r.status, 200) << Describe(r);
  EXPECT_EQ(c.Get(conn).doc["name"], "O'Brien \"DW\" 名前 🚀");
  r = c.Patch(conn, {{"name", before["connections"]["connections"][0]["name"]}});
  ASSERT_EQ(r.status, 200) << Describe(r);
}

// ---------------------------------------------------------------------------------------------
// The Data Map
// ---------------------------------------------------------------------------------------------

json SelectionOf(const std::vector<std::pair<std::string, std::string>>& tables) {
  json selection = {
      {"tables", json::array()}, {"include", json::array()}, {"exclude", json::array()}};
  for (const auto& [schema, table] : tables) {
    selection["tables"].push_back(
        {{"database", env_->warehouse_db}, {"schema", schema}, {"table", table}});
  }
  return selection;
}

void SaveAndWait(Client& c, const std::string& conn, const json& selection) {
  Response r = c.Put(conn + "/metadata/selection", selection);
  ASSERT_EQ(r.status, 202) << Describe(r);
  const json job = WaitForJob(c, r.doc["job"]["id"]);
  ASSERT_EQ(job["state"], "succeeded") << job.dump();
}

const json* FindRelationship(const json& map, const std::string& from, const std::string& to) {
  for (const auto& r : map["relationships"]) {
    if (r["from"]["name"] == from && r["to"]["name"] == to) return &r;
  }
  return nullptr;
}

TEST_F(ApiTest, D_DataMap) {
  ASSERT_FALSE(seed_->saved_tables.empty()) << "SeedFlow did not get far enough";
  Client& c = *seed_->admin;
  const std::string conn = "/api/v1/connections/" + seed_->connection_id;

  // The seed's tables: no keys between them, so no relationship; every table has a role.
  Response r = c.Get(conn + "/datamap");
  ASSERT_EQ(r.status, 200) << Describe(r);
  EXPECT_NE(r.doc["saved_at"], nullptr);
  EXPECT_EQ(r.doc["tables"].size(), seed_->saved_tables.size());
  EXPECT_EQ(r.doc["counts"]["tables"], seed_->saved_tables.size());
  for (const auto& t : r.doc["tables"]) {
    EXPECT_FALSE(t["role"].get<std::string>().empty()) << t.dump();
    EXPECT_EQ(t["role"], t["suggested_role"]) << t.dump();
  }

  // Save the seed's tables with the mart: a declared key and an inferred one appear, both new
  // against the previous save.
  std::vector<std::pair<std::string, std::string>> seed_tables;
  for (const auto& t : seed_->saved_tables) seed_tables.emplace_back(t["schema"], t["name"]);
  auto with_mart = seed_tables;
  for (const char* t : {"customers", "orders", "order_lines"}) with_mart.emplace_back("mart", t);
  SaveAndWait(c, conn, SelectionOf(with_mart));
  r = c.Get(conn + "/datamap");
  ASSERT_EQ(r.status, 200) << Describe(r);
  const json map = r.doc;
  EXPECT_EQ(map["tables"].size(), with_mart.size());
  const json* declared = FindRelationship(map, "order_lines", "customers");
  const json* inferred = FindRelationship(map, "order_lines", "orders");
  ASSERT_NE(declared, nullptr) << map.dump();
  ASSERT_NE(inferred, nullptr) << map.dump();
  EXPECT_EQ((*declared)["status"], "declared");
  EXPECT_EQ((*declared)["from_columns"], json::array({"customer_id"}));
  EXPECT_EQ((*declared)["confidence"], 1);
  EXPECT_TRUE((*declared)["constraint_name"].is_string());
  EXPECT_EQ((*declared)["mark"], "new");
  EXPECT_EQ((*inferred)["status"], "inferred");
  EXPECT_EQ((*inferred)["from_columns"], json::array({"order_id"}));
  EXPECT_EQ((*inferred)["to_columns"], json::array({"id"}));
  EXPECT_EQ((*inferred)["constraint_name"], nullptr);
  EXPECT_FALSE((*inferred)["evidence"].empty());
  EXPECT_EQ((*inferred)["mark"], "new");
  EXPECT_TRUE(map["removed_relationships"].empty());
  EXPECT_EQ(map["counts"]["declared"], 1);
  EXPECT_EQ(map["relationships"][0]["status"], "declared") << "declared ones come first";
  std::string customers_id, order_lines_id;
  for (const auto& t : map["tables"]) {
    if (t["schema"] == "mart" && t["name"] == "customers") {
      customers_id = t["id"];
      EXPECT_EQ(t["primary_key"], json::array({"customer_id"}));
    }
    if (t["schema"] == "mart" && t["name"] == "order_lines") order_lines_id = t["id"];
  }
  ASSERT_FALSE(customers_id.empty());
  EXPECT_EQ((*declared)["to"]["table_id"], customers_id);
  EXPECT_EQ((*declared)["from"]["table_id"], order_lines_id);
  const std::string declared_id = (*declared)["id"], inferred_id = (*inferred)["id"];

  // Decisions: accept the inferred one; a declared one is a fact (409); an unknown id is 404.
  const std::string rels = conn + "/datamap/relationships/";
  r = c.Put(rels + inferred_id, {{"decision", "accept"}});
  ASSERT_EQ(r.status, 200) << Describe(r);
  EXPECT_EQ(r.doc["status"], "accepted");
  EXPECT_EQ(r.doc["id"], inferred_id);
  r = c.Put(rels + declared_id, {{"decision", "reject"}});
  EXPECT_EQ(r.status, 409) << Describe(r);
  EXPECT_NE(ErrorMessage(r).find("declared relationships are facts"), std::string::npos);
  EXPECT_EQ(c.Put(rels + "ffffffffffffffff", {{"decision", "accept"}}).status, 404);
  // A role override.
  r = c.Put(conn + "/datamap/roles/" + customers_id, {{"role", "lookup"}});
  ASSERT_EQ(r.status, 200) << Describe(r);
  EXPECT_EQ(r.doc["role"], "lookup");
  EXPECT_EQ(r.doc["role_overridden"], true);
  EXPECT_EQ(c.Put(conn + "/datamap/roles/no-such-table", {{"role", "fact"}}).status, 404);

  // Bad bodies change nothing and name the field.
  const json before = c.Get(conn + "/datamap").doc;
  EXPECT_EQ(before["counts"]["accepted"], 1);
  for (const std::string& path : {rels + inferred_id, conn + "/datamap/roles/" + customers_id}) {
    const std::string field = path.find("/roles/") != std::string::npos ? "role" : "decision";
    r = c.Call("PUT", path, "{\"" + field + "\": ");
    EXPECT_EQ(r.status, 400) << path << ": " << Describe(r);
    EXPECT_NE(ErrorMessage(r).find("malformed JSON"), std::string::npos) << Describe(r);
    r = c.Put(path, {{field, nullptr}, {"extra", 1}});
    EXPECT_EQ(r.status, 400) << Describe(r);
    EXPECT_NE(ErrorMessage(r).find("extra: unknown field"), std::string::npos) << Describe(r);
    r = c.Put(path, {{field, 1}});
    EXPECT_EQ(r.status, 400) << Describe(r);
    EXPECT_NE(ErrorMessage(r).find(field + ": expected a string or null"), std::string::npos)
        << Describe(r);
    r = c.Put(path, {{field, "maybe"}});
    EXPECT_EQ(r.status, 400) << Describe(r);
    EXPECT_NE(ErrorMessage(r).find(field + ": must be"), std::string::npos) << Describe(r);
    r = c.Put(path, json::object());
    EXPECT_EQ(r.status, 400) << Describe(r);
    EXPECT_NE(ErrorMessage(r).find(field + ": is required"), std::string::npos) << Describe(r);
  }
  EXPECT_EQ(c.Get(conn + "/datamap").doc, before);

  // Exports: each format with its type and file name, the same bytes twice, the decisions
  // applied, and only saved tables named.
  for (const auto& [format, type, file] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"catalog-json", "application/json", "catalog.json"},
           {"dbt", "application/yaml", "sources.yml"},
           {"ddl", "application/sql", "schema.sql"},
           {"markdown", "text/markdown", "data-map.md"}}) {
    r = c.Get(conn + "/datamap/export?format=" + format);
    ASSERT_EQ(r.status, 200) << format << ": " << Describe(r);
    EXPECT_EQ(r.Header("Content-Type").rfind(type, 0), 0u) << format;
    EXPECT_EQ(r.Header("Content-Disposition"), "attachment; filename=\"" + file + "\"");
    EXPECT_EQ(c.Get(conn + "/datamap/export?format=" + format).body, r.body) << format;
    EXPECT_NE(r.body.find("order_lines"), std::string::npos) << format;
    EXPECT_EQ(r.body.find("zz_unselected_payroll"), std::string::npos) << format;
    EXPECT_EQ(r.body.find("big_orders"), std::string::npos) << format;
    if (format == "ddl") {
      EXPECT_NE(r.body.find("REFERENCES"), std::string::npos) << r.body;
    }
  }
  r = c.Get(conn + "/datamap/export?format=pdf");
  EXPECT_EQ(r.status, 400) << Describe(r);
  EXPECT_NE(ErrorMessage(r).find("catalog-json, dbt, ddl, markdown"), std::string::npos);
  EXPECT_EQ(c.Get(conn + "/datamap/export").status, 400);

  // A refresh and a re-save of the same tables keep the decisions; nothing is marked.
  r = c.Post(conn + "/metadata/refresh", json::object());
  ASSERT_EQ(r.status, 202) << Describe(r);
  ASSERT_EQ(WaitForJob(c, r.doc["job"]["id"])["state"], "succeeded");
  SaveAndWait(c, conn, SelectionOf(with_mart));
  r = c.Get(conn + "/datamap");
  ASSERT_EQ(r.status, 200) << Describe(r);
  ASSERT_NE(FindRelationship(r.doc, "order_lines", "orders"), nullptr);
  EXPECT_EQ((*FindRelationship(r.doc, "order_lines", "orders"))["status"], "accepted");
  EXPECT_EQ((*FindRelationship(r.doc, "order_lines", "orders"))["mark"], nullptr);
  EXPECT_EQ((*FindRelationship(r.doc, "order_lines", "customers"))["mark"], nullptr);
  EXPECT_TRUE(r.doc["removed_relationships"].empty());
  for (const auto& t : r.doc["tables"]) {
    if (t["id"] == customers_id) {
      EXPECT_EQ(t["role"], "lookup") << t.dump();
    }
  }
  // Clearing returns to inferred.
  r = c.Put(rels + inferred_id, {{"decision", nullptr}});
  ASSERT_EQ(r.status, 200) << Describe(r);
  EXPECT_EQ(r.doc["status"], "inferred");
  r = c.Put(rels + inferred_id, {{"decision", "reject"}});
  ASSERT_EQ(r.status, 200) << Describe(r);
  EXPECT_EQ(r.doc["status"], "rejected");

  // Back to the seed's tables: the mart's relationships are reported removed.
  SaveAndWait(c, conn, SelectionOf(seed_tables));
  r = c.Get(conn + "/datamap");
  ASSERT_EQ(r.status, 200) << Describe(r);
  EXPECT_TRUE(r.doc["relationships"].empty());
  ASSERT_EQ(r.doc["removed_relationships"].size(), map["relationships"].size()) << r.doc.dump();
  for (const auto& rel : r.doc["removed_relationships"]) {
    EXPECT_EQ(rel["mark"], "removed");
    if (rel["id"] == inferred_id) {
      EXPECT_EQ(rel["status"], "rejected");
    }
  }
  // The audit trail has the decisions, without table names.
  r = c.Get("/api/v1/audit?limit=100");
  ASSERT_EQ(r.status, 200);
  int decisions = 0, roles = 0;
  for (const auto& e : r.doc["events"]) {
    decisions += e["action"] == "datamap.relationship";
    roles += e["action"] == "datamap.role";
  }
  EXPECT_EQ(decisions, 3);
  EXPECT_EQ(roles, 1);
}

// ---------------------------------------------------------------------------------------------
// Two instances on one store, one killed mid-save
// ---------------------------------------------------------------------------------------------

TEST_F(ApiTest, E_TwoInstancesOneKilledMidSave) {
  ASSERT_FALSE(seed_->saved_tables.empty()) << "SeedFlow did not get far enough";
  Client& admin = *seed_->admin;
  const std::string conn = "/api/v1/connections/" + seed_->connection_id;
  // Slow the Data API so the save is surely in flight when instance A dies.
  ASSERT_TRUE(
      env_->emulator->Admin("PUT", "/faults", R"({"global": {"latency_ms": 150}, "seed": 3})")
          .ok());

  // Instance A (the seed server) starts the save and claims it.
  json selection = {
      {"tables", json::array()}, {"include", json::array()}, {"exclude", json::array()}};
  for (const auto& t : seed_->saved_tables) {
    selection["tables"].push_back(
        {{"database", t["database"]}, {"schema", t["schema"]}, {"table", t["name"]}});
  }
  Response r = admin.Put(conn + "/metadata/selection", selection);
  ASSERT_EQ(r.status, 202) << Describe(r);
  const std::string job_id = r.doc["job"]["id"];
  const bool running =
      WaitUntil([&] { return admin.Get("/api/v1/jobs/" + job_id).doc["state"] == "running"; }, 30s);
  ASSERT_TRUE(running);

  // A is killed mid-save, then instance B joins and takes the job over when its lease expires.
  const json at_kill = admin.Get("/api/v1/jobs/" + job_id).doc;
  ::kill(seed_->server->process().pid(), SIGKILL);
  (void)seed_->server->process().Wait(10s);
  ASSERT_EQ(at_kill["state"], "running")
      << "the save was not in flight when A was killed: " << at_kill.dump();
  auto b = ServeProcess::Start("b", env_->store_db);
  ASSERT_NE(b, nullptr);

  auto cb = b->NewClient();
  r = cb->Post("/api/v1/auth/login", {{"email", "admin@acme.test"}, {"password", kPassword}});
  ASSERT_EQ(r.status, 200) << Describe(r);
  cb->csrf = r.doc["csrf_token"];
  ASSERT_TRUE(
      env_->emulator->Admin("PUT", "/faults", R"({"global": {"latency_ms": 0}, "seed": 3})").ok());
  const json job = WaitForJob(*cb, job_id, 180s);
  EXPECT_EQ(job["state"], "succeeded") << job.dump();

  // Saved once: the same tables (same ids) and columns as the fault-free run.
  r = cb->Get(conn + "/metadata/tables");
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(r.doc["tables"].size(), seed_->saved_tables.size());
  std::set<std::string> ids;
  for (std::size_t i = 0; i < r.doc["tables"].size(); ++i) {
    const json& t = r.doc["tables"][i];
    ids.insert(t["id"].get<std::string>());
    Response d = cb->Get(conn + "/metadata/tables/" + t["id"].get<std::string>());
    ASSERT_EQ(d.status, 200);
    json detail = d.doc;
    detail.erase("id");
    detail.erase("saved_at");
    EXPECT_EQ(
        detail,
        seed_->saved_details[t["schema"].get<std::string>() + "." + t["name"].get<std::string>()]);
  }
  EXPECT_EQ(ids.size(), seed_->saved_tables.size());
  for (const auto& t : seed_->saved_tables)
    EXPECT_TRUE(ids.count(t["id"].get<std::string>())) << t.dump();
  cb.reset();
  b->process().Stop();
}

}  // namespace
}  // namespace schemaport::testing
