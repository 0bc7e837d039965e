#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "core/core.h"

namespace schemaport {
namespace {

ConfigSchema Schema() {
  ConfigSchema s;
  s.String("server.listen", "127.0.0.1:8443", "address to listen on")
      .Int("server.workers", 4, 1, 64, "worker threads")
      .Bool("server.tls", true, "serve TLS")
      .String("store.backend", "sqlite", "store backend", {"sqlite", "postgres"})
      .SecretKey("store.postgres_password", "password");
  return s;
}

Result<Config> Load(std::string_view toml, Environment env = {}) {
  return LoadConfigFromString(toml, "schemaport.toml", Schema(), env);
}

TEST(ConfigTest, DefaultsWhenEmpty) {
  auto c = Load("");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->GetString("server.listen"), "127.0.0.1:8443");
  EXPECT_EQ(c->GetInt("server.workers"), 4);
  EXPECT_TRUE(c->GetBool("server.tls"));
  EXPECT_FALSE(c->IsSet("server.workers"));
  EXPECT_EQ(c->Origin("server.workers"), "default");
}

TEST(ConfigTest, ReadsTablesAndDottedKeys) {
  auto c =
      Load("[server]\nlisten = \"0.0.0.0:9443\"\nworkers = 8\n\n[store]\nbackend = \"postgres\"\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->GetString("server.listen"), "0.0.0.0:9443");
  EXPECT_EQ(c->GetInt("server.workers"), 8);
  EXPECT_EQ(c->GetString("store.backend"), "postgres");
  EXPECT_EQ(c->Origin("server.workers"), "schemaport.toml:3");
}

TEST(ConfigTest, UnknownKeyNamesFileLineAndKey) {
  auto c = Load("[server]\nlisten = \"x\"\nwrokers = 8\n");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(c.status().message(), "schemaport.toml:3: server.wrokers: unknown key");
}

TEST(ConfigTest, UnknownSectionIsAnError) {
  auto c = Load("\n[sevrer]\nlisten = \"x\"\n");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), "schemaport.toml:2: sevrer: unknown section");
}

TEST(ConfigTest, WrongTypeNamesFileLineAndKey) {
  auto c = Load("[server]\nworkers = \"eight\"\n");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(),
            "schemaport.toml:2: server.workers: expected an integer, got a string");
  auto b = Load("server.tls = 1\n");
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().message(),
            "schemaport.toml:1: server.tls: expected a boolean (true or false), got an integer");
}

TEST(ConfigTest, OutOfRangeNamesFileLineAndKey) {
  auto c = Load("[server]\n\nworkers = 1000\n");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(),
            "schemaport.toml:3: server.workers: 1000 is out of range [1, 64]");
}

TEST(ConfigTest, ValueNotAmongChoices) {
  auto c = Load("store.backend = \"mysql\"\n");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(),
            "schemaport.toml:1: store.backend: 'mysql' is not one of \"sqlite\", \"postgres\"");
}

TEST(ConfigTest, SyntaxErrorNamesFileAndLine) {
  auto c = Load("[server]\nlisten = \n");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message().rfind("schemaport.toml:2: syntax error", 0), 0u)
      << c.status().message();
}

TEST(ConfigTest, EnvironmentOverridesFile) {
  auto c = Load("server.workers = 8\n", {{"SCHEMAPORT_SERVER_WORKERS", "16"}, {"HOME", "/root"}});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->GetInt("server.workers"), 16);
  EXPECT_EQ(c->Origin("server.workers"), "env SCHEMAPORT_SERVER_WORKERS");
}

TEST(ConfigTest, EnvironmentErrorsNameTheVariable) {
  auto bad_int = Load("", {{"SCHEMAPORT_SERVER_WORKERS", "lots"}});
  ASSERT_FALSE(bad_int.ok());
  EXPECT_EQ(
      bad_int.status().message(),
      "environment SCHEMAPORT_SERVER_WORKERS: server.workers: expected an integer (got 'lots')");
  auto range = Load("", {{"SCHEMAPORT_SERVER_WORKERS", "0"}});
  ASSERT_FALSE(range.ok());
  EXPECT_EQ(range.status().message(),
            "environment SCHEMAPORT_SERVER_WORKERS: server.workers: 0 is out of range [1, 64]");
  auto unknown = Load("", {{"SCHEMAPORT_SERVER_WROKERS", "1"}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().message(), "environment SCHEMAPORT_SERVER_WROKERS: unknown setting");
}

TEST(ConfigTest, SecretValuesAreNeverEchoed) {
  auto c = Load("store.postgres_password = 42\n");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(),
            "schemaport.toml:1: store.postgres_password: expected a string, got an integer");
  auto ok = Load("store.postgres_password = \"hunter2\"\n");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->GetSecret("store.postgres_password").Reveal(), "hunter2");
  EXPECT_EQ(fmt::format("{}", ok->GetSecret("store.postgres_password")), "***");
}

TEST(ConfigTest, LoadsFromFileAndReportsMissingFile) {
  const auto path = std::filesystem::temp_directory_path() / "schemaport_config_test.toml";
  {
    std::ofstream out(path);
    out << "[server]\nworkers = 2\nbogus = true\n";
  }
  auto c = LoadConfig(path.string(), Schema(), {});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), path.string() + ":3: server.bogus: unknown key");
  std::filesystem::remove(path);
  auto missing = LoadConfig("/nonexistent/schemaport.toml", Schema(), {});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(),
            "/nonexistent/schemaport.toml: cannot open the configuration file");
}

}  // namespace
}  // namespace schemaport
