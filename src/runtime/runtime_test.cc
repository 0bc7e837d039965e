#include "runtime/runtime.h"

#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>
#include <mutex>

namespace schemaport::runtime {
namespace {

class RecordingHttp final : public aws::HttpClient {
 public:
  explicit RecordingHttp(int status, std::string body = "")
      : status_(status), body_(std::move(body)) {}
  Result<aws::HttpResponse> Send(const aws::HttpRequest&) override {
    if (status_ == 0) return Unavailable("connection refused");
    aws::HttpResponse r;
    r.status = status_;
    r.body = body_;
    return r;
  }

 private:
  int status_;
  std::string body_;
};

struct Calls {
  std::mutex mu;
  std::vector<AwsCall> calls;
  AwsCallObserver observer() {
    return [this](const AwsCall& c) {
      std::lock_guard lock(mu);
      calls.push_back(c);
    };
  }
};

aws::HttpRequest JsonRequest(std::string url, std::string target) {
  aws::HttpRequest r;
  r.url = std::move(url);
  r.headers = {{"X-Amz-Target", std::move(target)}, {"Content-Type", "application/x-amz-json-1.1"}};
  return r;
}

TEST(RuntimeTest, ObserverReportsServiceOperationAndOutcomeOfEachCall) {
  Calls calls;
  auto ok = ObserveAwsCalls(std::make_shared<RecordingHttp>(200), calls.observer());
  ASSERT_TRUE(ok->Send(JsonRequest("https://redshift-data.us-east-1.amazonaws.com/",
                                   "RedshiftData.ExecuteStatement"))
                  .ok());
  auto throttled =
      ObserveAwsCalls(std::make_shared<RecordingHttp>(400, R"({"__type":"ThrottlingException"})"),
                      calls.observer());
  ASSERT_TRUE(
      throttled->Send(JsonRequest("https://127.0.0.1:4566/", "RedshiftData.DescribeStatement"))
          .ok());
  auto denied = ObserveAwsCalls(std::make_shared<RecordingHttp>(400, "<Code>AccessDenied</Code>"),
                                calls.observer());
  aws::HttpRequest query;
  query.url = "https://sts.us-east-1.amazonaws.com/";
  query.body = "Action=AssumeRole&Version=2011-06-15&RoleArn=arn";
  ASSERT_TRUE(denied->Send(query).ok());
  auto down = ObserveAwsCalls(std::make_shared<RecordingHttp>(0), calls.observer());
  EXPECT_FALSE(down->Send(JsonRequest("https://redshift-data.us-east-1.amazonaws.com/",
                                      "RedshiftData.GetStatementResult"))
                   .ok());
  auto broken = ObserveAwsCalls(std::make_shared<RecordingHttp>(503), calls.observer());
  ASSERT_TRUE(broken
                  ->Send(JsonRequest("https://redshift-data.us-east-1.amazonaws.com/",
                                     "RedshiftData.ExecuteStatement"))
                  .ok());

  ASSERT_EQ(calls.calls.size(), 5u);
  EXPECT_EQ(calls.calls[0].service, "redshift-data");
  EXPECT_EQ(calls.calls[0].operation, "ExecuteStatement");
  EXPECT_EQ(calls.calls[0].outcome, "ok");
  EXPECT_EQ(calls.calls[1].service, "RedshiftData");  // an emulator host names no service
  EXPECT_EQ(calls.calls[1].outcome, "throttled");
  EXPECT_EQ(calls.calls[2].service, "sts");
  EXPECT_EQ(calls.calls[2].operation, "AssumeRole");
  EXPECT_EQ(calls.calls[2].outcome, "client_error");
  EXPECT_EQ(calls.calls[3].outcome, "transport_error");
  EXPECT_EQ(calls.calls[4].outcome, "server_error");
}

TEST(RuntimeTest, NoObserverLeavesTheClientAsItIs) {
  auto inner = std::make_shared<RecordingHttp>(200);
  EXPECT_EQ(ObserveAwsCalls(inner, nullptr).get(), inner.get());
}

TEST(RuntimeTest, ConfigSchemaTakesACommandsExtraKeysAndStillRejectsUnknownOnes) {
  ConfigSchema extra;
  extra.String("server.listen", "127.0.0.1:8443", "listen address")
      .Int("server.threads", 8, 1, 64, "threads");
  const ConfigSchema schema = ServerConfigSchema(extra);
  auto config = LoadConfigFromString("[server]\nlisten = \"0.0.0.0:443\"\n[jobs]\nworkers = 4\n",
                                     "t.toml", schema, Environment{});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->GetString("server.listen"), "0.0.0.0:443");
  EXPECT_EQ(config->GetInt("server.threads"), 8);
  EXPECT_EQ(config->GetInt("jobs.workers"), 4);
  auto bad = LoadConfigFromString("[server]\nhostname = \"x\"\n", "t.toml", schema, Environment{});
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
}

TEST(RuntimeTest, PostgresStoreWithoutUrlIsAClearErrorNamingTheKey) {
  Environment env{{"SCHEMAPORT_STORE_BACKEND", "postgres"},
                  {"SCHEMAPORT_KEYS_PROVIDER", "aws-secrets-manager"}};
  auto w = Wire({}, env);
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.status().message().find("keys.secret_id"), std::string::npos) << w.status();
}

// Regression: the store's insecure_allow_weak_sslmode existed but no setting reached it, so a
// remote store without TLS verification could not be chosen even on purpose.
TEST(RuntimeTest, WeakStoreSslModeToARemoteHostNeedsTheInsecureSetting) {
  char dir_template[] = "/tmp/runtime-test-XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template), nullptr);
  const std::string dir = dir_template;
  Options options;
  options.data_dir_override = dir;
  Environment env{{"SCHEMAPORT_STORE_BACKEND", "postgres"},
                  {"SCHEMAPORT_STORE_POSTGRES_URL", "host=db.invalid dbname=x connect_timeout=2"},
                  {"SCHEMAPORT_STORE_POSTGRES_SSLMODE", "require"}};
  auto refused = Wire(options, env);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("verify-full"), std::string::npos) << refused.status();
  env["SCHEMAPORT_STORE_POSTGRES_INSECURE_ALLOW_WEAK_SSLMODE"] = "true";
  auto allowed = Wire(options, env);
  ASSERT_FALSE(allowed.ok());  // the host does not exist: refused by the network, not the rule
  EXPECT_EQ(allowed.status().code(), Code::kUnavailable) << allowed.status();
  std::filesystem::remove_all(dir);
}

TEST(RuntimeTest, RegistryEndpointsComeFromTheEnvironmentOnly) {
  SystemClock clock;
  SystemRandom random;
  auto registry = MakeConnectorRegistry(std::make_shared<RecordingHttp>(200), Environment{}, clock,
                                        random, nullptr);
  ASSERT_TRUE(registry.ok()) << registry.status();
  const warehouse::ConnectorType* redshift = (*registry)->Find("redshift");
  ASSERT_NE(redshift, nullptr);
  for (const auto& field : redshift->fields) {
    EXPECT_EQ(field.id.find("endpoint"), std::string::npos)
        << "a form field must not choose a host";
  }
}

}  // namespace
}  // namespace schemaport::runtime
