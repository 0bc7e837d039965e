// PostgreSQL-only behaviour: connection options, errors without secrets, pool recovery.
#include <gtest/gtest.h>

#include <thread>

#include "store/store_test_backends.h"

namespace schemaport::store {
namespace {

using schemaport::testing::SharedPgCluster;

class StorePostgresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    keys_ = crypto::LocalKeyFile::Open(dir_ / "master.key", random_).value();
    crypto_ = std::make_unique<crypto::Crypto>(*keys_, random_);
    db_ = SharedPgCluster().CreateDatabase("pgstore").value();
  }
  StoreDeps deps() { return StoreDeps{*crypto_, hasher_, clock_, random_}; }
  Result<std::unique_ptr<Store>> Open(PostgresOptions options) {
    return OpenPostgresStore(options, deps());
  }

  schemaport::testing::TempDir dir_{"store-pg-only"};
  SystemRandom random_;
  SystemClock clock_;
  crypto::PasswordHasher hasher_{crypto::PasswordHasher::Minimum()};
  std::unique_ptr<crypto::LocalKeyFile> keys_;
  std::unique_ptr<crypto::Crypto> crypto_;
  std::string db_;
};

TEST_F(StorePostgresTest, RejectsUnknownSslModeAndPoolSize) {
  PostgresOptions options{SharedPgCluster().ConnInfo(db_), "sometimes", 2};
  EXPECT_EQ(Open(options).status().code(), Code::kInvalidArgument);
  options.sslmode = "disable";
  options.pool_size = 0;
  EXPECT_EQ(Open(options).status().code(), Code::kInvalidArgument);
}

TEST_F(StorePostgresTest, SslModeOverridesConnInfo) {
  // The test server has no TLS: "require" must fail even though the conninfo says "disable",
  // proving the option reaches libpq.
  PostgresOptions options{SharedPgCluster().ConnInfo(db_) + " sslmode=disable", "require", 1};
  auto store = Open(options);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Code::kUnavailable);
  options.sslmode = "prefer";
  EXPECT_TRUE(Open(options).ok());
}

// Regression: the store defaulted to libpq's "prefer", which falls back to plain text and never
// verifies the server. Now the default is verify-full and a weaker mode needs a loopback host or
// the explicit insecure flag.
TEST_F(StorePostgresTest, SslModeDefaultsToVerifyFullAndWeakModesNeedLoopbackOrTheFlag) {
  // Default: verify-full, which the test server (no TLS) cannot satisfy.
  PostgresOptions options{SharedPgCluster().ConnInfo(db_) + " sslmode=disable", "", 1};
  auto store = Open(options);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Code::kUnavailable);
  // A weak mode towards a remote host is refused before any connection...
  PostgresOptions remote{"host=db.example.com dbname=x", "require", 1};
  auto refused = Open(remote);
  EXPECT_EQ(refused.status().code(), Code::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("verify-full"), std::string::npos);
  PostgresOptions remote_uri{"postgresql://db.example.com/x", "disable", 1};
  EXPECT_EQ(Open(remote_uri).status().code(), Code::kInvalidArgument);
  // ...unless the insecure flag says so (then it fails only because the host does not exist).
  remote.insecure_allow_weak_sslmode = true;
  remote.conninfo = "host=db.invalid dbname=x connect_timeout=2";
  EXPECT_EQ(Open(remote).status().code(), Code::kUnavailable);
  // Loopback (the tests' own server): a weak mode is accepted.
  options.sslmode = "disable";
  EXPECT_TRUE(Open(options).ok());
}

TEST_F(StorePostgresTest, ConnectionErrorsNeverContainThePassword) {
  auto& pg = SharedPgCluster();
  PostgresOptions options{
      fmt::format("host=127.0.0.1 port={} dbname=no_such_db user={} password=hunter2-secret",
                  pg.port(), pg.superuser()),
      "disable", 1};
  auto store = Open(options);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Code::kUnavailable);
  EXPECT_EQ(store.status().ToString().find("hunter2"), std::string::npos);
  EXPECT_EQ(store.status().detail().find("hunter2"), std::string::npos);
}

TEST_F(StorePostgresTest, PoolRecoversAfterServerDropsConnections) {
  auto store = Open({SharedPgCluster().ConnInfo(db_), "disable", 3}).value();
  const Org org = store->CreateOrg("org").value();
  ASSERT_TRUE(SharedPgCluster()
                  .Exec("postgres",
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" +
                            db_ + "' AND pid <> pg_backend_pid()")
                  .ok());
  // Each pooled connection may report its loss once (kUnavailable), then is re-established.
  int failures = 0;
  for (int i = 0; i < 10; ++i) {
    auto got = store->GetOrg(org.id);
    if (got.ok()) {
      EXPECT_EQ(got->name, "org");
      continue;
    }
    EXPECT_EQ(got.status().code(), Code::kUnavailable) << got.status();
    ++failures;
  }
  EXPECT_LE(failures, 3);
  EXPECT_EQ(store->GetOrg(org.id).value().name, "org");
}

TEST_F(StorePostgresTest, InstancesStartingTogetherMigrateOnce) {
  std::vector<std::thread> threads;
  std::vector<Status> results(4);
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      auto store = Open({SharedPgCluster().ConnInfo(db_), "disable", 1});
      results[i] = store.status();
    });
  }
  for (auto& t : threads) t.join();
  for (const Status& s : results) EXPECT_TRUE(s.ok()) << s;
  auto rows = SharedPgCluster().Query(db_, "SELECT count(*) FROM schema_migrations").value();
  EXPECT_EQ(rows.at(0).at(0), std::to_string(kSchemaVersion));
}

}  // namespace
}  // namespace schemaport::store
