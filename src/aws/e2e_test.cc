// The clients over real sockets: a local HTTPS server (cpp-httplib, self-signed certificate)
// that verifies SigV4 and validates inputs with our model, and answers with recorded AWS-shaped
// replies; and a raw TCP server that drops a connection to show the retry over the wire.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "aws/internal.h"
#include "aws/testing/tls_test_util.h"

namespace schemaport::aws {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kId[] = "d9b6c0c9-0747-4bf4-b142-e8883122f766";

// A fake AWS endpoint for redshift-data (JSON 1.1) and STS (query), like the emulator will be.
class FakeAws {
 public:
  explicit FakeAws(const Clock& clock) : clock_(clock) {}

  void Handle(const httplib::Request& req, httplib::Response& res) {
    sigv4::Request wire{req.method, req.target.substr(0, req.target.find('?')), "", {}, req.body};
    for (const auto& [k, v] : req.headers) {
      if (k == "REMOTE_ADDR" || k == "REMOTE_PORT" || k == "LOCAL_ADDR" || k == "LOCAL_PORT")
        continue;
      wire.headers.emplace_back(k, v);
    }
    const auto verified = sigv4::Verify(
        wire,
        [](std::string_view key) -> std::optional<Secret> {
          if (key == "AKIDALICE") return Secret("alice-secret");
          return std::nullopt;
        },
        clock_.Now());
    const std::string target = req.get_header_value("X-Amz-Target");
    const bool is_json = !target.empty();
    if (!verified.ok()) {
      const bool unknown = verified.failure == sigv4::VerifyFailure::kUnknownAccessKey;
      if (is_json) {
        res.status = 400;
        res.set_content(
            json{{"__type", unknown ? "UnrecognizedClientException" : "InvalidSignatureException"},
                 {"message", verified.message}}
                .dump(),
            "application/x-amz-json-1.1");
      } else {
        res.status = 403;
        res.set_content(
            "<ErrorResponse><Error><Type>Sender</Type><Code>" +
                std::string(unknown ? "InvalidClientTokenId" : "SignatureDoesNotMatch") +
                "</Code><Message>" + verified.message +
                "</Message></Error><RequestId>r-1</RequestId></ErrorResponse>",
            "text/xml");
      }
      return;
    }
    ++verified_requests;
    if (!is_json) {
      // STS: only GetCallerIdentity.
      EXPECT_EQ(req.body, "Action=GetCallerIdentity&Version=2011-06-15");
      res.set_content(
          "<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/"
          "alice"
          "</Arn><UserId>AIDAALICE</UserId><Account>123456789012</Account></"
          "GetCallerIdentityResult>"
          "<ResponseMetadata><RequestId>r-2</RequestId></ResponseMetadata></"
          "GetCallerIdentityResponse>",
          "text/xml");
      return;
    }
    const std::string op = target.substr(target.find('.') + 1);
    const json input = json::parse(req.body);
    if (Status valid = data_model_.ValidateInput(op, input); !valid.ok()) {
      res.status = 400;
      res.set_content(json{{"__type", "ValidationException"}, {"message", valid.message()}}.dump(),
                      "application/x-amz-json-1.1");
      return;
    }
    ops.push_back(op);
    json reply;
    if (op == "ExecuteStatement") {
      reply = {{"Id", kId}, {"Status", "STARTED"}, {"CreatedAt", 1.6e9}};
    } else if (op == "DescribeStatement") {
      reply = {{"Id", kId}, {"Status", "FINISHED"}, {"HasResultSet", true}, {"ResultRows", 3}};
    } else if (op == "GetStatementResult") {
      const bool first = !input.contains("NextToken");
      reply = {{"ColumnMetadata", {{{"name", "table_name"}, {"typeName", "name"}}}},
               {"Records", first ? json{{{{"stringValue", "orders"}}}, {{{"stringValue", "users"}}}}
                                 : json{{{{"stringValue", "\xE5\xB8\xB3\xE7\xB0\xBF"}}}}},
               {"TotalNumRows", 3}};
      if (first) reply["NextToken"] = "p2";
    } else {
      res.status = 400;
      res.set_content(R"({"__type":"UnknownOperationException"})", "application/x-amz-json-1.1");
      return;
    }
    res.set_header("x-amzn-RequestId", "r-3");
    res.set_content(reply.dump(), "application/x-amz-json-1.1");
  }

  std::atomic<int> verified_requests{0};
  std::vector<std::string> ops;

 private:
  const Clock& clock_;
  ServiceModel data_model_ = *EmbeddedModel("redshift-data");
};

class EndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cert_ = testing::SelfSignedCert::Make();
    ca_ = std::make_unique<testing::TempFile>(cert_.CertPem());
    fake_ = std::make_unique<FakeAws>(clock_);
    auto server = std::make_unique<httplib::SSLServer>(cert_.cert.get(), cert_.key.get());
    server->Post("/", [this](const httplib::Request& req, httplib::Response& res) {
      fake_->Handle(req, res);
    });
    server_ = std::make_unique<testing::ServerThread>(std::move(server));
    const std::string url = "https://localhost:" + std::to_string(server_->port());
    config_.region = "us-east-1";
    config_.endpoints = EndpointSettings::FromEnvironment({{"AWS_ENDPOINT_URL_REDSHIFT_DATA", url},
                                                           {"AWS_ENDPOINT_URL_STS", url},
                                                           {"AWS_CA_BUNDLE", ca_->path()}});
    CurlHttpClient::Options options;
    options.ca_bundle = config_.endpoints.ca_bundle;
    http_ = std::shared_ptr<HttpClient>(std::move(CurlHttpClient::Create(options)).value());
  }

  std::shared_ptr<CredentialsProvider> Keys(std::string id, std::string secret) {
    return std::make_shared<StaticCredentialsProvider>(
        Credentials{std::move(id), Secret(std::move(secret)), Secret(), std::nullopt});
  }

  FakeClock clock_{*ParseIso8601("2026-11-28T23:30:00Z")};
  SeededRandom random_{3};
  testing::SelfSignedCert cert_;
  std::unique_ptr<testing::TempFile> ca_;
  std::unique_ptr<FakeAws> fake_;
  std::unique_ptr<testing::ServerThread> server_;
  ClientConfig config_;
  std::shared_ptr<HttpClient> http_;
};

TEST_F(EndToEndTest, RunStatementOverHttpsStreamsEveryPage) {
  auto data = RedshiftDataClient::Create(config_, http_, Keys("AKIDALICE", "alice-secret"), clock_,
                                         random_);
  ASSERT_TRUE(data.ok()) << data.status();
  ExecuteStatementRequest req;
  req.target.workgroup_name = "analytics";
  req.target.database = "dev";
  req.sql = "select table_name from svv_tables";
  std::vector<std::string> names;
  auto desc = (*data)->RunStatement(req, RunOptions{}, [&](const ResultPage& page) {
    for (const auto& row : page.records) names.push_back(std::get<std::string>(row[0]));
    return Status::Ok();
  });
  ASSERT_TRUE(desc.ok()) << desc.status();
  EXPECT_EQ(desc->result_rows, 3);
  EXPECT_THAT(names, ElementsAre("orders", "users", "\xE5\xB8\xB3\xE7\xB0\xBF"));
  EXPECT_THAT(fake_->ops, ElementsAre("ExecuteStatement", "DescribeStatement", "GetStatementResult",
                                      "GetStatementResult"));
  EXPECT_EQ(fake_->verified_requests.load(), 4);
}

TEST_F(EndToEndTest, StsOverHttpsAndUnknownKeysAreUnauthenticated) {
  auto sts = StsClient::Create(config_, http_, Keys("AKIDALICE", "alice-secret"), clock_, random_);
  ASSERT_TRUE(sts.ok());
  auto id = (*sts)->GetCallerIdentity();
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->arn, "arn:aws:iam::123456789012:user/alice");

  auto mallory = StsClient::Create(config_, http_, Keys("AKIDMALLORY", "x"), clock_, random_);
  auto denied = (*mallory)->GetCallerIdentity();
  EXPECT_EQ(denied.status().code(), Code::kUnauthenticated);
  EXPECT_EQ(AwsErrorCode(denied.status()), "InvalidClientTokenId");

  auto wrong_secret =
      RedshiftDataClient::Create(config_, http_, Keys("AKIDALICE", "nope"), clock_, random_);
  auto bad = (*wrong_secret)->CancelStatement(kId);
  EXPECT_EQ(bad.status().code(), Code::kUnauthenticated);
  EXPECT_EQ(AwsErrorCode(bad.status()), "InvalidSignatureException");
}

// A plain-HTTP server on a raw socket: closes the first `drops` connections without a word,
// then answers each request with `reply`.
class DroppingServer {
 public:
  DroppingServer(int drops, std::string reply) : drops_(drops), reply_(std::move(reply)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    listen(fd_, 8);
    socklen_t len = sizeof addr;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~DroppingServer() {
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
  }
  int port() const { return port_; }
  int connections() const { return connections_.load(); }

 private:
  void Serve() {
    while (true) {
      const int c = accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      if (connections_++ < drops_) {
        close(c);
        continue;
      }
      // Read the headers and the body (Content-Length), then answer and close.
      std::string in;
      char buf[4096];
      size_t need = std::string::npos;
      while (need == std::string::npos || in.size() < need) {
        const ssize_t n = read(c, buf, sizeof buf);
        if (n <= 0) break;
        in.append(buf, static_cast<size_t>(n));
        const size_t end = in.find("\r\n\r\n");
        if (need == std::string::npos && end != std::string::npos) {
          std::string lower = in.substr(0, end);
          for (char& ch : lower)
            ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
          const size_t cl = lower.find("content-length:");
          need = end + 4 + (cl == std::string::npos ? 0 : std::stoul(lower.substr(cl + 15)));
        }
      }
      const std::string out =
          "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\n"
          "Connection: close\r\nContent-Length: " +
          std::to_string(reply_.size()) + "\r\n\r\n" + reply_;
      (void)!write(c, out.data(), out.size());
      close(c);
    }
  }

  int drops_;
  std::string reply_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<int> connections_{0};
  std::thread thread_;
};

TEST_F(EndToEndTest, DroppedConnectionIsRetriedOverTheWire) {
  DroppingServer server(2, R"({"Status":true})");
  ClientConfig config;
  config.region = "us-east-1";
  config.endpoints.endpoint_url = "http://127.0.0.1:" + std::to_string(server.port());
  auto data =
      RedshiftDataClient::Create(config, http_, Keys("AKIDALICE", "alice-secret"), clock_, random_);
  ASSERT_TRUE(data.ok());
  auto cancelled = (*data)->CancelStatement(kId);
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_TRUE(*cancelled);
  EXPECT_EQ(server.connections(), 3);
  EXPECT_EQ(clock_.sleeps().size(), 2u);  // two backoffs on the fake clock, no real sleep
}

TEST_F(EndToEndTest, ConnectionsDroppedEveryTimeGiveUpAsUnavailable) {
  DroppingServer server(100, "");
  ClientConfig config;
  config.region = "us-east-1";
  config.endpoints.endpoint_url = "http://127.0.0.1:" + std::to_string(server.port());
  auto data =
      RedshiftDataClient::Create(config, http_, Keys("AKIDALICE", "alice-secret"), clock_, random_);
  auto cancelled = (*data)->CancelStatement(kId);
  EXPECT_EQ(cancelled.status().code(), Code::kUnavailable);
  EXPECT_THAT(cancelled.status().message(), HasSubstr("redshift-data CancelStatement"));
  EXPECT_EQ(server.connections(), 3);
}

}  // namespace
}  // namespace schemaport::aws
