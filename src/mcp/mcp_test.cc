#include "mcp/mcp.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

namespace schemaport::mcp {
namespace {

using json = nlohmann::json;
using warehouse::Column;
using warehouse::TypeFamily;

warehouse::Table Tab(std::string name, std::vector<std::pair<std::string, TypeFamily>> columns,
                     std::optional<std::string> comment = std::nullopt) {
  warehouse::Table t;
  t.name = std::move(name);
  t.comment = std::move(comment);
  int pos = 1;
  for (auto& [n, f] : columns) {
    Column c;
    c.position = pos++;
    c.name = n;
    c.family = f;
    c.type = f == TypeFamily::kInteger ? "integer" : "character varying(50)";
    t.columns.push_back(c);
  }
  return t;
}

// Two connections; "dev" exists in both.
class FakeSource final : public MetadataSource {
 public:
  int loads = 0;
  std::optional<Status> fail;
  int extra_tables = 0;
  Result<std::vector<Source>> Load() override {
    ++loads;
    if (fail) return *fail;
    warehouse::Catalog a;
    warehouse::Database dev{"dev", {}};
    warehouse::Schema sales{"sales", warehouse::SchemaKind::kLocal, std::nullopt, {}};
    auto customers =
        Tab("customers", {{"id", TypeFamily::kInteger}, {"email", TypeFamily::kString}},
            "people who buy");
    customers.constraints.push_back(warehouse::Constraint{
        warehouse::ConstraintKind::kPrimaryKey, "customers_pkey", {"id"}, "", "", {}});
    sales.tables.push_back(customers);
    sales.tables.push_back(
        Tab("orders", {{"id", TypeFamily::kInteger}, {"customer_id", TypeFamily::kInteger}}));
    for (int i = 0; i < extra_tables; ++i) {
      sales.tables.push_back(Tab("t" + std::to_string(1000 + i), {{"x", TypeFamily::kInteger}}));
    }
    dev.schemas.push_back(sales);
    a.databases.push_back(dev);
    warehouse::Catalog b;
    warehouse::Database dev2{"dev", {}};
    warehouse::Database analytics{"analytics", {}};
    warehouse::Schema pub{"public", warehouse::SchemaKind::kLocal, std::nullopt, {}};
    pub.tables.push_back(
        Tab("events", {{"id", TypeFamily::kInteger}, {"email_hash", TypeFamily::kString}}));
    analytics.schemas.push_back(pub);
    dev2.schemas.push_back(pub);
    b.databases = {analytics, dev2};
    std::vector<Source> out;
    out.push_back(Source{"c1", "prod", datamap::BuildDataMap(a)});
    out.push_back(Source{"c2", "lab", datamap::BuildDataMap(b)});
    return out;
  }
};

class McpTest : public ::testing::Test {
 protected:
  json Call(const std::string& method, json params, json id = 1) {
    json msg{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}};
    auto out = server_.Handle(msg.dump());
    EXPECT_TRUE(out.has_value());
    return json::parse(out.value_or("null"));
  }
  json Tool(const std::string& name, json args) {
    json r = Call("tools/call", json{{"name", name}, {"arguments", std::move(args)}});
    return r["result"];
  }
  // The tool's JSON answer (asserting it is not an error).
  json Answer(const std::string& name, json args) {
    json r = Tool(name, std::move(args));
    EXPECT_FALSE(r["isError"].get<bool>()) << r.dump();
    EXPECT_EQ(json::parse(r["content"][0]["text"].get<std::string>()), r["structuredContent"]);
    return r["structuredContent"];
  }
  std::string Error(const std::string& name, json args) {
    json r = Tool(name, std::move(args));
    EXPECT_TRUE(r["isError"].get<bool>()) << r.dump();
    return r["content"][0]["text"].get<std::string>();
  }

  FakeSource source_;
  Server server_{source_};
};

TEST_F(McpTest, InitializeNegotiatesTheProtocolVersion) {
  json r = Call("initialize", json{{"protocolVersion", "2025-06-18"},
                                   {"capabilities", json::object()},
                                   {"clientInfo", {{"name", "t"}, {"version", "1"}}}});
  EXPECT_EQ(r["result"]["protocolVersion"], "2025-06-18");
  EXPECT_EQ(r["result"]["serverInfo"]["name"], "schemaport");
  EXPECT_TRUE(r["result"]["capabilities"].contains("tools"));
  r = Call("initialize", json{{"protocolVersion", "1999-01-01"}});
  EXPECT_EQ(r["result"]["protocolVersion"], std::string(kLatestProtocolVersion));
  EXPECT_FALSE(
      server_.Handle(R"({"jsonrpc":"2.0","method":"notifications/initialized"})").has_value());
  EXPECT_EQ(Call("ping", json::object(), "p")["result"], json::object());
  EXPECT_EQ(Call("ping", json::object(), "p")["id"], "p");
}

TEST_F(McpTest, ListsSixReadOnlyToolsWithSchemas) {
  json r = Call("tools/list", json::object());
  std::vector<std::string> names;
  for (const auto& t : r["result"]["tools"]) {
    names.push_back(t["name"]);
    EXPECT_EQ(t["inputSchema"]["type"], "object");
    EXPECT_TRUE(t["annotations"]["readOnlyHint"].get<bool>());
    EXPECT_FALSE(t["description"].get<std::string>().empty());
  }
  EXPECT_EQ(names,
            (std::vector<std::string>{"list_databases", "list_schemas", "list_tables",
                                      "describe_table", "search_tables", "list_relationships"}));
  EXPECT_EQ(source_.loads, 0);  // listing tools reads no metadata
}

TEST_F(McpTest, MalformedMessagesGetJsonRpcErrors) {
  EXPECT_EQ(json::parse(*server_.Handle("{nope"))["error"]["code"], -32700);
  EXPECT_EQ(json::parse(*server_.Handle("[1]"))["error"]["code"], -32600);
  EXPECT_EQ(
      json::parse(*server_.Handle(R"({"jsonrpc":"1.0","id":1,"method":"ping"})"))["error"]["code"],
      -32600);
  EXPECT_EQ(Call("resources/list", json::object())["error"]["code"], -32601);
  EXPECT_EQ(Call("tools/call", json{{"name", "drop_table"}})["error"]["code"], -32602);
  EXPECT_EQ(
      json::parse(*server_.Handle(R"({"jsonrpc":"2.0","id":{},"method":"ping"})"))["error"]["code"],
      -32600);
}

TEST_F(McpTest, ListsDatabasesSchemasAndTablesOfSavedTablesOnly) {
  json dbs = Answer("list_databases", json::object());
  ASSERT_EQ(dbs["items"].size(), 3u);
  EXPECT_EQ(dbs["items"][0]["database"], "dev");
  EXPECT_EQ(dbs["items"][0]["connection"], "prod");
  EXPECT_EQ(dbs["items"][0]["tables"], 2);
  EXPECT_TRUE(dbs["next_cursor"].is_null());

  json schemas = Answer("list_schemas", json{{"database", "analytics"}});
  EXPECT_EQ(schemas["items"][0]["schema"], "public");

  json tables = Answer("list_tables", json{{"database", "dev"}, {"connection", "prod"}});
  ASSERT_EQ(tables["items"].size(), 2u);
  EXPECT_EQ(tables["items"][0]["table"], "customers");
  EXPECT_EQ(tables["items"][0]["comment"], "people who buy");
  EXPECT_EQ(tables["items"][0]["columns"], 2);
  EXPECT_TRUE(tables["items"][0].contains("role"));
  EXPECT_EQ(source_.loads, 1);  // loaded once
}

TEST_F(McpTest, BadArgumentsAreToolErrorsThatSayWhatIsWrong) {
  EXPECT_EQ(Error("list_tables", json::object()), "database: required (a string)");
  EXPECT_EQ(Error("list_tables", json{{"database", 7}}), "database: must be a string");
  EXPECT_NE(
      Error("list_tables", json{{"database", "dev"}}).find("is in 2 connections; pass connection"),
      std::string::npos);
  EXPECT_NE(Error("list_tables", json{{"database", "nope"}})
                .find("no saved tables in a database named 'nope'"),
            std::string::npos);
  EXPECT_EQ(Error("list_databases", json{{"limit", 0}}), "limit: must be an integer from 1 to 200");
  EXPECT_NE(Error("list_databases", json{{"colour", "red"}}).find("unknown argument 'colour'"),
            std::string::npos);
  EXPECT_NE(Error("list_databases", json{{"cursor", "garbage!"}}).find("cursor: not a cursor"),
            std::string::npos);
  EXPECT_NE(Error("describe_table",
                  json{{"database", "analytics"}, {"schema", "public"}, {"table", "secret"}})
                .find("no saved table public.secret"),
            std::string::npos);
  EXPECT_EQ(Error("list_relationships", json{{"status", "maybe"}}),
            "status: must be one of facts, declared, inferred, accepted, rejected, all");
  EXPECT_EQ(Error("list_relationships", json{{"table", "x"}}), "table: needs schema");
  EXPECT_EQ(Error("search_tables", json{{"query", "   "}}), "query: must hold at least one word");
  EXPECT_NE(
      Error("list_tables", json{{"database", "dev"}, {"connection", "zzz"}}).find("connection:"),
      std::string::npos);
}

TEST_F(McpTest, DescribesATableWithKeysAndRelationships) {
  json t = Answer(
      "describe_table",
      json{{"database", "dev"}, {"schema", "sales"}, {"table", "orders"}, {"connection", "c1"}});
  EXPECT_EQ(t["items"][1]["name"], "customer_id");
  ASSERT_EQ(t["relationships"].size(), 1u);
  EXPECT_EQ(t["relationships"][0]["status"], "inferred");
  EXPECT_EQ(t["relationships"][0]["to"]["table"], "customers");
  EXPECT_FALSE(t["relationships"][0]["evidence"].empty());
  json c = Answer("describe_table", json{{"database", "dev"},
                                         {"schema", "sales"},
                                         {"table", "customers"},
                                         {"connection", "prod"}});
  EXPECT_EQ(c["keys"][0]["kind"], "primary_key");
  EXPECT_TRUE(c["items"][0]["primary_key"].get<bool>());
  EXPECT_EQ(c["comment"], "people who buy");
}

TEST_F(McpTest, SearchFindsNamesColumnsAndComments) {
  json r = Answer("search_tables", json{{"query", "EMAIL"}});
  ASSERT_EQ(r["items"].size(), 3u);                // customers (prod), events in two lab databases
  EXPECT_EQ(r["items"][0]["table"], "customers");  // exact column name beats a partial one
  EXPECT_EQ(r["items"][0]["matching_columns"][0], "email");
  r = Answer("search_tables", json{{"query", "buy people"}});
  ASSERT_EQ(r["items"].size(), 1u);
  EXPECT_EQ(r["items"][0]["matched"][0], "comment");
  EXPECT_EQ(
      Answer("search_tables", json{{"query", "email"}, {"database", "analytics"}})["items"].size(),
      1u);
  EXPECT_EQ(Answer("search_tables", json{{"query", "nothing-like-this"}})["total"], 0);
}

TEST_F(McpTest, PagesAreCappedAndSayHowToContinue) {
  source_.extra_tables = 130;
  std::set<std::string> seen;
  std::optional<std::string> cursor;
  int pages = 0;
  do {
    json args{{"database", "dev"}, {"connection", "prod"}, {"limit", 50}};
    if (cursor) args["cursor"] = *cursor;
    json page = Answer("list_tables", args);
    EXPECT_EQ(page["total"], 132);
    EXPECT_LE(page["items"].size(), 50u);
    for (const auto& item : page["items"]) seen.insert(item["table"]);
    cursor.reset();
    if (!page["next_cursor"].is_null()) {
      cursor = page["next_cursor"].get<std::string>();
      EXPECT_NE(page["note"].get<std::string>().find("call list_tables again"), std::string::npos);
    }
    ++pages;
  } while (cursor && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen.size(), 132u);
}

TEST(McpCapTest, AnswersStayUnderTheByteCap) {
  FakeSource source;
  source.extra_tables = 500;
  Options options;
  options.max_result_bytes = 2000;
  Server server(source, options);
  json msg{{"jsonrpc", "2.0"},
           {"id", 1},
           {"method", "tools/call"},
           {"params",
            {{"name", "list_tables"},
             {"arguments", {{"database", "dev"}, {"connection", "prod"}, {"limit", 200}}}}}};
  json r = json::parse(*server.Handle(msg.dump()))["result"];
  EXPECT_LT(r["content"][0]["text"].get<std::string>().size(), 2400u);
  EXPECT_LT(r["structuredContent"]["items"].size(), 200u);
  EXPECT_FALSE(r["structuredContent"]["next_cursor"].is_null());
}

TEST(McpLoadTest, ALoadFailureIsAToolError) {
  FakeSource source;
  source.fail = Status(Code::kDataLoss, "the store could not open a sealed value");
  Server server(source);
  json r = json::parse(*server.Handle(
      R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list_databases","arguments":{}}})"))
      ["result"];
  EXPECT_TRUE(r["isError"].get<bool>());
  EXPECT_EQ(r["content"][0]["text"],
            "the saved metadata could not be read: the store could not open a sealed value");
}

TEST(McpServeTest, ServesOneResponsePerLine) {
  FakeSource source;
  Server server(source);
  std::istringstream in(
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
      "\"2025-11-25\"}}\n"
      "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n\n"
      "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}\r\n");
  std::ostringstream out;
  server.Serve(in, out);
  const std::string text = out.str();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2);
  EXPECT_NE(text.find("\"id\":2"), std::string::npos);
}

}  // namespace
}  // namespace schemaport::mcp
