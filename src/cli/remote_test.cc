// The CLI's API commands against a stand-in server speaking the REST API's shapes
// (docs/api/openapi.yaml): exit codes for usage errors, missing and wrong tokens and a server that
// is down; secrets read from stdin and sent only in the body; jobs waited for with progress lines;
// `--json` output that parses back; completion scripts that a shell accepts.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "cli/api_client.h"
#include "cli/cli.h"

namespace schemaport::cli {
namespace {

using nlohmann::json;

class FakeServer {
 public:
  FakeServer() {
    auto authed = [this](const httplib::Request& req, httplib::Response& res) {
      if (req.get_header_value("Authorization") == "Bearer good-token") return true;
      res.status = 401;
      res.set_content(
          R"({"error":{"code":"unauthenticated","message":"invalid API token","request_id":"r1"}})",
          "application/json");
      return false;
    };
    server_.Get("/api/v1/connections",
                [=, this](const httplib::Request& req, httplib::Response& res) {
                  if (!authed(req, res)) return;
                  res.set_content(json{{"connections", json::array({Connection()})}}.dump(),
                                  "application/json");
                });
    server_.Post("/api/v1/connections",
                 [=, this](const httplib::Request& req, httplib::Response& res) {
                   if (!authed(req, res)) return;
                   std::lock_guard lock(mu_);
                   last_body_ = json::parse(req.body);
                   res.status = 201;
                   res.set_content(Connection().dump(), "application/json");
                 });
    server_.Post("/api/v1/connections/c1/metadata/fetch",
                 [=](const httplib::Request& req, httplib::Response& res) {
                   if (!authed(req, res)) return;
                   res.status = 202;
                   res.set_content(json{{"job", Job("queued", 0)}}.dump(), "application/json");
                 });
    server_.Get("/api/v1/jobs/j1", [=, this](const httplib::Request& req, httplib::Response& res) {
      if (!authed(req, res)) return;
      const int n = polls_++;
      res.set_content((n < 2 ? Job("running", n + 1) : Job("succeeded", 2)).dump(),
                      "application/json");
    });
    server_.Get("/api/v1/connections/c1/metadata/catalog",
                [=](const httplib::Request& req, httplib::Response& res) {
                  if (!authed(req, res)) return;
                  res.set_content(Catalog().dump(), "application/json");
                });
    server_.Post("/api/v1/connections/c1/metadata/selection/preview",
                 [=](const httplib::Request& req, httplib::Response& res) {
                   if (!authed(req, res)) return;
                   res.set_content(R"({"selected":1,"matched_by_patterns":1})", "application/json");
                 });
    server_.Put("/api/v1/connections/c1/metadata/selection", [=, this](const httplib::Request& req,
                                                                       httplib::Response& res) {
      if (!authed(req, res)) return;
      std::lock_guard lock(mu_);
      last_body_ = json::parse(req.body);
      res.status = 202;
      res.set_content(json{{"job", Job("queued", 0)}, {"selected", 1}}.dump(), "application/json");
    });
    server_.Get("/api/v1/connections/c1/metadata/tables", [=](const httplib::Request& req,
                                                              httplib::Response& res) {
      if (!authed(req, res)) return;
      res.set_content(json{{"tables", json::array({SavedTable()})}}.dump(), "application/json");
    });
    server_.Get("/api/v1/connections/c1/metadata/tables/t1",
                [=](const httplib::Request& req, httplib::Response& res) {
                  if (!authed(req, res)) return;
                  json detail = SavedTable();
                  detail["columns"] = {{{"name", "qtysold"},
                                        {"type", "smallint"},
                                        {"family", "integer"},
                                        {"position", 1},
                                        {"nullable", false},
                                        {"comment", "tickets sold"},
                                        {"mark", nullptr}}};
                  detail["removed_columns"] = json::array();
                  res.set_content(detail.dump(), "application/json");
                });
    server_.Get("/api/v1/connections/nope", [=](const httplib::Request& req,
                                                httplib::Response& res) {
      if (!authed(req, res)) return;
      res.status = 404;
      res.set_content(R"({"error":{"code":"not_found","message":"connection nope: not found"}})",
                      "application/json");
    });
    server_.Get("/api/v1/connections/c1/datamap",
                [=](const httplib::Request& req, httplib::Response& res) {
                  if (!authed(req, res)) return;
                  res.set_content(DataMap().dump(), "application/json");
                });
    server_.Put(R"(/api/v1/connections/c1/datamap/relationships/([0-9a-f]+))", [=, this](
                                                                                   const httplib::
                                                                                       Request& req,
                                                                                   httplib::
                                                                                       Response&
                                                                                           res) {
      if (!authed(req, res)) return;
      std::lock_guard lock(mu_);
      last_body_ = json::parse(req.body);
      if (req.matches[1] == "d000000000000001") {
        res.status = 409;
        res.set_content(
            R"({"error":{"code":"failed_precondition","message":"declared relationships are facts from the warehouse; only inferred ones can be accepted or rejected","request_id":"r2"}})",
            "application/json");
        return;
      }
      json r = DataMap()["relationships"][1];
      const json d = last_body_["decision"];
      r["status"] = d.is_null() ? "inferred" : d == "accept" ? "accepted" : "rejected";
      res.set_content(r.dump(), "application/json");
    });
    server_.Put("/api/v1/connections/c1/datamap/roles/t2",
                [=, this](const httplib::Request& req, httplib::Response& res) {
                  if (!authed(req, res)) return;
                  std::lock_guard lock(mu_);
                  last_body_ = json::parse(req.body);
                  json t = DataMap()["tables"][1];
                  if (!last_body_["role"].is_null()) {
                    t["role"] = last_body_["role"];
                    t["role_overridden"] = true;
                  }
                  res.set_content(t.dump(), "application/json");
                });
    server_.Get("/api/v1/connections/c1/datamap/export", [=](const httplib::Request& req,
                                                             httplib::Response& res) {
      if (!authed(req, res)) return;
      if (req.get_param_value("format") != "ddl") {
        res.status = 400;
        res.set_content(
            R"({"error":{"code":"invalid_argument","message":"format: must be one of catalog-json, dbt, ddl, markdown","request_id":"r3"}})",
            "application/json");
        return;
      }
      res.set_header("Content-Disposition", "attachment; filename=\"schema.sql\"");
      res.set_content(std::string(kDdl), "application/sql");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ~FakeServer() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  json last_body() {
    std::lock_guard lock(mu_);
    return last_body_;
  }

  static json Connection() {
    return {
        {"id", "c1"},
        {"name", "warehouse"},
        {"data_store", "redshift"},
        {"settings", {{"region", "us-east-1"}, {"workgroup", "tickit-demo"}, {"database", "dev"}}},
        {"secrets_set", {"secret_access_key"}},
        {"created_at", "2026-12-02T00:00:00Z"},
        {"updated_at", "2026-12-02T00:00:00Z"},
        {"last_fetched_at", nullptr},
        {"saved_table_count", 0}};
  }
  static json SavedTable() {
    return {{"id", "t1"},        {"database", "dev"}, {"schema", "tickit"},
            {"name", "sales"},   {"kind", "table"},   {"comment", "Fact table: ticket sales"},
            {"column_count", 1}, {"mark", nullptr},   {"saved_at", "2026-12-02T00:00:00Z"}};
  }
  static constexpr std::string_view kDdl = "CREATE TABLE \"tickit\".\"sales\" (\n);\n";
  static json Table(const std::string& id, const std::string& name, const std::string& role) {
    return {{"id", id},
            {"database", "dev"},
            {"schema", "tickit"},
            {"name", name},
            {"kind", "table"},
            {"comment", nullptr},
            {"column_count", 3},
            {"primary_key", {name + "id"}},
            {"unique_keys", json::array()},
            {"role", role},
            {"suggested_role", role},
            {"role_overridden", false},
            {"role_reason", "why"}};
  }
  static json End(const std::string& id, const std::string& name) {
    return {{"table_id", id}, {"database", "dev"}, {"schema", "tickit"}, {"name", name}};
  }
  static json DataMap() {
    const json declared = {{"id", "d000000000000001"},
                           {"from", End("t1", "sales")},
                           {"from_columns", {"buyerid"}},
                           {"to", End("t2", "users")},
                           {"to_columns", {"userid"}},
                           {"status", "declared"},
                           {"constraint_name", "sales_buyer_fk"},
                           {"confidence", 1},
                           {"evidence", json::array()},
                           {"mark", nullptr}};
    const json inferred = {{"id", "a000000000000002"},
                           {"from", End("t3", "visits")},
                           {"from_columns", {"user_id"}},
                           {"to", End("t2", "users")},
                           {"to_columns", {"userid"}},
                           {"status", "inferred"},
                           {"constraint_name", nullptr},
                           {"confidence", 0.75},
                           {"evidence", {"column name user_id names table users"}},
                           {"mark", "new"}};
    return {{"saved_at", "2026-12-02T00:00:00Z"},
            {"tables",
             {Table("t1", "sales", "fact"), Table("t2", "users", "dimension"),
              Table("t3", "visits", "fact")}},
            {"relationships", {declared, inferred}},
            {"removed_relationships", json::array()},
            {"counts",
             {{"tables", 3},
              {"relationships", 2},
              {"declared", 1},
              {"inferred", 1},
              {"accepted", 0},
              {"rejected", 0}}}};
  }
  static json Job(const std::string& state, int done) {
    return {{"id", "j1"},
            {"kind", "fetch"},
            {"state", state},
            {"connection_id", "c1"},
            {"progress", {{"done", done}, {"total", 2}, {"step", "dev"}}},
            {"error", nullptr}};
  }
  static json Catalog() {
    json table = {{"name", "sales"},    {"kind", "table"},        {"comment", nullptr},
                  {"can_select", true}, {"selected", false},      {"saved", false},
                  {"mark", nullptr},    {"column_count", nullptr}};
    return {
        {"fetched_at", "2026-12-02T00:00:00Z"},
        {"table_count", 1},
        {"saved_at", nullptr},
        {"case_sensitive", false},
        {"selection", {{"include", json::array()}, {"exclude", json::array()}}},
        {"databases",
         {{{"name", "dev"},
           {"error", nullptr},
           {"schemas",
            {{{"name", "tickit"}, {"kind", "local"}, {"source", nullptr}, {"tables", {table}}}}}}}},
        {"removed", json::array()}};
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  json last_body_;
  std::atomic<int> polls_{0};
};

class CliRemoteTest : public ::testing::Test {
 protected:
  CliRemoteTest() {
    char templ[] = "/tmp/schemaport-cli-XXXXXX";
    home_ = ::mkdtemp(templ);
    env_["HOME"] = home_;
  }
  ~CliRemoteTest() override { std::filesystem::remove_all(home_); }

  int Run(std::vector<std::string> args, const std::string& stdin_text = "") {
    std::istringstream in(stdin_text);
    std::ostringstream out, err;
    args.insert(args.begin(), "schemaport");
    const int rc = cli::Run(args, env_, in, out, err);
    out_ = out.str();
    err_ = err.str();
    return rc;
  }

  std::string home_;
  Environment env_;
  std::string out_, err_;
};

TEST_F(CliRemoteTest, UsageErrorsExitTwoAndSendNothing) {
  EXPECT_EQ(Run({}), kExitUsage);
  EXPECT_EQ(Run({"connections"}), kExitUsage);
  EXPECT_EQ(Run({"metadata", "show", "c1"}), kExitUsage);  // TABLE missing
  EXPECT_EQ(Run({"tokens", "create", "--name", "x", "--expires-in-days", "0"}), kExitUsage);
  EXPECT_EQ(Run({"connections", "list"}), kExitUsage);
  EXPECT_NE(err_.find("no server: pass --server"), std::string::npos) << err_;
  EXPECT_EQ(Run({"connections", "list", "--server", "ftp://example.com"}), kExitUsage);
  EXPECT_NE(err_.find("is not an https:// URL"), std::string::npos) << err_;
  EXPECT_EQ(
      Run({"connections", "list", "--server", "https://x", "--ca-file", home_ + "/missing.pem"}),
      kExitUsage);

  FakeServer server;
  env_["SCHEMAPORT_TOKEN"] = "good-token";
  // A secret is never an argument: without --secret-key-file nothing is sent.
  EXPECT_EQ(Run({"connections", "create", "--server", server.url(), "--name", "w", "--region",
                 "us-east-1"}),
            kExitUsage);
  EXPECT_NE(err_.find("--secret-key-file"), std::string::npos) << err_;
  EXPECT_TRUE(server.last_body().is_null());
  EXPECT_EQ(Run({"metadata", "select", "c1", "--server", server.url(), "--table", "no-dots"}),
            kExitUsage);
}

TEST_F(CliRemoteTest, MissingOrWrongTokenExitsThree) {
  FakeServer server;
  EXPECT_EQ(Run({"connections", "list", "--server", server.url()}), kExitAuth);
  EXPECT_NE(err_.find("no API token"), std::string::npos) << err_;
  env_["SCHEMAPORT_TOKEN"] = "wrong-token";
  EXPECT_EQ(Run({"connections", "list", "--server", server.url()}), kExitAuth);
  EXPECT_NE(err_.find("invalid API token"), std::string::npos) << err_;
  EXPECT_EQ(err_.find("wrong-token"), std::string::npos)
      << "the token must never be printed: " << err_;
}

TEST_F(CliRemoteTest, ServerDownExitsFourWithTheReason) {
  // A port that was free a moment ago: nothing listens there.
  int port = 0;
  {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    port = ntohs(addr.sin_port);
    ::close(fd);
  }
  env_["SCHEMAPORT_TOKEN"] = "good-token";
  EXPECT_EQ(Run({"connections", "list", "--server", "https://127.0.0.1:" + std::to_string(port)}),
            kExitUnavailable);
  EXPECT_NE(err_.find("cannot reach the schemaport server at https://127.0.0.1:"),
            std::string::npos)
      << err_;
}

TEST_F(CliRemoteTest, JsonOutputParsesBackAndSecretsComeFromStdin) {
  FakeServer server;
  env_["SCHEMAPORT_TOKEN"] = "good-token";
  env_["SCHEMAPORT_SERVER"] = server.url();
  ASSERT_EQ(Run({"connections", "list", "--json"}), kExitOk) << err_;
  EXPECT_EQ(json::parse(out_)["connections"][0], FakeServer::Connection());
  ASSERT_EQ(Run({"connections", "list"}), kExitOk) << err_;
  EXPECT_NE(out_.find("workgroup tickit-demo"), std::string::npos) << out_;

  ASSERT_EQ(Run({"connections", "create", "--name", "warehouse", "--access-key-id",
                 "AKIAEXAMPLE0000000000", "--region", "us-east-1", "--workgroup", "tickit-demo",
                 "--database", "dev", "--secret-key-file", "-", "--json"},
                "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n"),
            kExitOk)
      << err_;
  EXPECT_EQ(json::parse(out_)["id"], "c1");
  const json body = server.last_body();
  EXPECT_EQ(body["secrets"]["secret_access_key"], "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
  EXPECT_EQ(body["settings"]["workgroup"], "tickit-demo");
  EXPECT_EQ(body["data_store"], "redshift");

  // A job is waited for; without a terminal, progress is plain lines on stderr.
  ASSERT_EQ(Run({"metadata", "fetch", "c1", "--json"}), kExitOk) << err_;
  const json fetched = json::parse(out_);
  EXPECT_EQ(fetched["job"]["state"], "succeeded");
  EXPECT_EQ(fetched["table_count"], 1);
  EXPECT_NE(err_.find("fetch: succeeded 2/2 dev"), std::string::npos) << err_;

  ASSERT_EQ(Run({"metadata", "tree", "c1"}), kExitOk) << err_;
  EXPECT_NE(out_.find("[ ] sales"), std::string::npos) << out_;
  ASSERT_EQ(Run({"metadata", "tree", "c1", "--json"}), kExitOk) << err_;
  EXPECT_EQ(json::parse(out_), FakeServer::Catalog());
  // The warehouse is not case-sensitive (Redshift's default): the filter ignores ASCII case.
  ASSERT_EQ(Run({"metadata", "tree", "c1", "--filter", "dev.TICKIT.Sa*"}), kExitOk) << err_;
  EXPECT_NE(out_.find("[ ] sales"), std::string::npos) << out_;
  ASSERT_EQ(Run({"metadata", "tree", "c1", "--filter", "dev.tickit.orders"}), kExitOk) << err_;
  EXPECT_EQ(out_.find("sales"), std::string::npos) << out_;

  EXPECT_EQ(Run({"connections", "show", "nope"}), kExitFailure);
  EXPECT_NE(err_.find("connection nope: not found"), std::string::npos) << err_;
  ASSERT_EQ(Run({"version", "--json"}), kExitOk);
  EXPECT_EQ(json::parse(out_)["version"], "0.1.0");
}

// Regression: TABLE was declared before CONNECTION, so `metadata show ID dev.tickit.sales` took
// the table for the connection and the server answered "no such connection".
TEST_F(CliRemoteTest, MetadataShowTakesTheConnectionThenTheTable) {
  FakeServer server;
  env_["SCHEMAPORT_TOKEN"] = "good-token";
  env_["SCHEMAPORT_SERVER"] = server.url();
  ASSERT_EQ(Run({"metadata", "show", "c1", "dev.tickit.sales"}), kExitOk) << err_;
  EXPECT_EQ(out_.substr(0, out_.find('\n')), "dev.tickit.sales");
  EXPECT_NE(out_.find("qtysold"), std::string::npos) << out_;
  ASSERT_EQ(Run({"metadata", "show", "c1", "t1", "--json"}), kExitOk) << err_;
  EXPECT_EQ(json::parse(out_)["columns"][0]["name"], "qtysold");
  EXPECT_EQ(Run({"metadata", "show", "c1", "dev.tickit.nope"}), kExitFailure);
  EXPECT_NE(err_.find("no saved table dev.tickit.nope in connection c1"), std::string::npos)
      << err_;
}

// Regression: `metadata select` only previewed, so `select --include ...` then `save` (the flow
// as the portal has it: select, then Save Metadata) saved the old, empty selection: exit 0,
// "Saved the metadata of 0 tables", and `metadata tables` had no row for the tables selected.
TEST_F(CliRemoteTest, SaveAfterSelectSavesWhatSelectChose) {
  FakeServer server;
  env_["SCHEMAPORT_TOKEN"] = "good-token";
  env_["SCHEMAPORT_SERVER"] = server.url();
  env_["SCHEMAPORT_CLI_CONFIG"] = home_ + "/cli.toml";
  // Nothing selected yet, nothing given: a usage error, and nothing is saved.
  EXPECT_EQ(Run({"metadata", "save", "c1"}), kExitUsage);
  EXPECT_NE(err_.find("nothing is selected in connection c1"), std::string::npos) << err_;
  EXPECT_TRUE(server.last_body().is_null());
  EXPECT_EQ(Run({"metadata", "select", "c1", "--exclude", "*.*.x"}), kExitUsage);
  EXPECT_NE(err_.find("--exclude: only narrows what --include matches"), std::string::npos) << err_;

  ASSERT_EQ(Run({"metadata", "select", "c1", "--include", "dev.tickit.*", "--exclude", "*.*.x"}),
            kExitOk)
      << err_;
  EXPECT_NE(out_.find("dev.tickit.sales\n"), std::string::npos) << out_;
  EXPECT_TRUE(server.last_body().is_null()) << "select must not save";
  ASSERT_EQ(Run({"metadata", "save", "c1"}), kExitOk) << err_;
  EXPECT_EQ(out_, "Saved the metadata of 1 tables.\n");
  EXPECT_EQ(
      server.last_body(),
      json({{"tables", json::array()}, {"include", {"dev.tickit.*"}}, {"exclude", {"*.*.x"}}}));
  // Saved: the selection is the server's now, and forgotten here.
  EXPECT_EQ(Run({"metadata", "save", "c1"}), kExitUsage);
  EXPECT_NE(err_.find("nothing is selected"), std::string::npos) << err_;
}

TEST_F(CliRemoteTest, DataMapCommandsShowDecideSetRolesAndExport) {
  FakeServer server;
  env_["SCHEMAPORT_TOKEN"] = "good-token";
  env_["SCHEMAPORT_SERVER"] = server.url();
  // --connection is required; a role or a format outside the allowed ones is a usage error.
  EXPECT_EQ(Run({"datamap", "show"}), kExitUsage);
  EXPECT_EQ(Run({"datamap", "role", "t2", "owner", "--connection", "c1"}), kExitUsage);
  EXPECT_EQ(Run({"datamap", "export", "--format", "pdf", "--connection", "c1"}), kExitUsage);
  EXPECT_TRUE(server.last_body().is_null());

  ASSERT_EQ(Run({"datamap", "show", "--connection", "c1", "--json"}), kExitOk) << err_;
  EXPECT_EQ(json::parse(out_), FakeServer::DataMap());
  ASSERT_EQ(Run({"datamap", "show", "--connection", "c1"}), kExitOk) << err_;
  EXPECT_NE(out_.find("dev.tickit.users"), std::string::npos) << out_;
  EXPECT_NE(out_.find("1 declared, 1 inferred"), std::string::npos) << out_;

  // Relationships, all or those of one table.
  ASSERT_EQ(Run({"datamap", "relationships", "--connection", "c1", "--table", "t3", "--json"}),
            kExitOk)
      << err_;
  const json rels = json::parse(out_);
  ASSERT_EQ(rels["relationships"].size(), 1u);
  EXPECT_EQ(rels["relationships"][0]["id"], "a000000000000002");
  ASSERT_EQ(Run({"datamap", "relationships", "--connection", "c1"}), kExitOk) << err_;
  EXPECT_NE(out_.find("d000000000000001  declared"), std::string::npos) << out_;
  EXPECT_NE(out_.find("dev.tickit.visits (user_id)"), std::string::npos) << out_;
  EXPECT_NE(out_.find("0.75"), std::string::npos) << out_;

  // Decisions send accept, reject or null; a declared one is refused by the server (exit 1).
  ASSERT_EQ(Run({"datamap", "accept", "a000000000000002", "--connection", "c1"}), kExitOk) << err_;
  EXPECT_EQ(server.last_body(), (json{{"decision", "accept"}}));
  EXPECT_NE(out_.find("is now accepted"), std::string::npos) << out_;
  ASSERT_EQ(Run({"datamap", "reject", "a000000000000002", "--connection", "c1", "--json"}),
            kExitOk);
  EXPECT_EQ(json::parse(out_)["status"], "rejected");
  ASSERT_EQ(Run({"datamap", "clear", "a000000000000002", "--connection", "c1"}), kExitOk);
  EXPECT_EQ(server.last_body(), (json{{"decision", nullptr}}));
  EXPECT_EQ(Run({"datamap", "reject", "d000000000000001", "--connection", "c1"}), kExitFailure);
  EXPECT_NE(err_.find("declared relationships are facts"), std::string::npos) << err_;

  // Roles: a role, or auto (null) for the suggestion.
  ASSERT_EQ(Run({"datamap", "role", "t2", "lookup", "--connection", "c1"}), kExitOk) << err_;
  EXPECT_EQ(server.last_body(), (json{{"role", "lookup"}}));
  EXPECT_NE(out_.find("dev.tickit.users is a lookup (your choice)"), std::string::npos) << out_;
  ASSERT_EQ(Run({"datamap", "role", "t2", "auto", "--connection", "c1"}), kExitOk) << err_;
  EXPECT_EQ(server.last_body(), (json{{"role", nullptr}}));

  // Exports: the bytes as sent, to stdout or a file.
  ASSERT_EQ(Run({"datamap", "export", "--format", "ddl", "--connection", "c1"}), kExitOk) << err_;
  EXPECT_EQ(out_, FakeServer::kDdl);
  const std::string file = home_ + "/schema.sql";
  ASSERT_EQ(Run({"datamap", "export", "--format", "ddl", "--connection", "c1", "--output", file}),
            kExitOk)
      << err_;
  std::ifstream f(file);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(f), {}), FakeServer::kDdl);
  EXPECT_EQ(Run({"datamap", "export", "--format", "dbt", "--connection", "c1"}), kExitFailure);
  EXPECT_NE(err_.find("format: must be one of"), std::string::npos) << err_;
  EXPECT_EQ(Run({"datamap", "export", "--format", "ddl", "--connection", "c1", "--output",
                 home_ + "/no/such/dir/x.sql"}),
            kExitFailure);
}

TEST_F(CliRemoteTest, TokenAndServerComeFromTheConfigFile) {
  FakeServer server;
  const std::string config = home_ + "/cli.toml";
  std::ofstream(config) << "server = \"" << server.url() << "\"\ntoken = \"good-token\"\n";
  env_["SCHEMAPORT_CLI_CONFIG"] = config;
  ASSERT_EQ(Run({"connections", "list", "--json"}), kExitOk) << err_;
  env_["SCHEMAPORT_TOKEN"] = "wrong-token";  // the variable wins over the file
  EXPECT_EQ(Run({"connections", "list"}), kExitAuth);
}

TEST_F(CliRemoteTest, CompletionScriptsAreValidShell) {
  for (const std::string shell : {"bash", "zsh"}) {
    ASSERT_EQ(Run({"completion", shell}), kExitOk);
    EXPECT_NE(out_.find("connections"), std::string::npos);
    EXPECT_NE(out_.find("--secret-key-file"), std::string::npos);
    const std::string file = home_ + "/completion." + shell;
    std::ofstream(file) << out_;
    const std::string check =
        "command -v " + shell + " >/dev/null 2>&1 || exit 0; " + shell + " -n " + file;
    EXPECT_EQ(std::system(check.c_str()), 0) << shell;
  }
  EXPECT_EQ(Run({"completion", "fish"}), kExitUsage);
}

}  // namespace
}  // namespace schemaport::cli
