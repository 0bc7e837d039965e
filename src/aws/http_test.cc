#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "aws/internal.h"
#include "aws/testing/tls_test_util.h"

namespace schemaport::aws {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::SelfSignedCert;
using testing::ServerThread;
using testing::TempFile;

class CurlHttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cert_ = SelfSignedCert::Make();
    ca_file_ = std::make_unique<TempFile>(cert_.CertPem());
    auto server = std::make_unique<httplib::SSLServer>(cert_.cert.get(), cert_.key.get());
    ASSERT_TRUE(server->is_valid());
    server->set_keep_alive_max_count(1000);  // httplib closes after 5 requests by default
    server->Post("/echo", [this](const httplib::Request& req, httplib::Response& res) {
      ++requests_;
      res.set_header("x-amzn-RequestId", "req-1");
      res.set_content("method=" + req.method + " target=" + req.get_header_value("X-Amz-Target") +
                          " body=" + req.body,
                      "text/plain");
    });
    server->Post("/status", [](const httplib::Request&, httplib::Response& res) {
      res.status = 503;
      res.set_content("busy", "text/plain");
    });
    server->Get("/big", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(std::string(100000, 'x'), "text/plain");
    });
    server_ = std::make_unique<ServerThread>(std::move(server));
  }

  std::string Url(std::string_view path, std::string_view host = "localhost") const {
    return "https://" + std::string(host) + ":" + std::to_string(server_->port()) +
           std::string(path);
  }

  std::unique_ptr<CurlHttpClient> Client(CurlHttpClient::Options options) {
    auto c = CurlHttpClient::Create(std::move(options));
    EXPECT_TRUE(c.ok());
    return std::move(c).value();
  }

  CurlHttpClient::Options TrustingOptions() const {
    CurlHttpClient::Options o;
    o.ca_bundle = ca_file_->path();
    return o;
  }

  SelfSignedCert cert_;
  std::unique_ptr<TempFile> ca_file_;
  std::atomic<int> requests_{0};
  std::unique_ptr<ServerThread> server_;
};

TEST_F(CurlHttpClientTest, PostsOverVerifiedTlsAndReusesTheConnection) {
  auto client = Client(TrustingOptions());
  for (int i = 0; i < 5; ++i) {
    HttpRequest req{
        "POST", Url("/echo"), {{"X-Amz-Target", "Svc.Op"}}, "{\"i\":" + std::to_string(i) + "}"};
    auto res = client->Send(req);
    ASSERT_TRUE(res.ok()) << res.status() << " " << res.status().detail();
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(res->body, "method=POST target=Svc.Op body={\"i\":" + std::to_string(i) + "}");
    EXPECT_EQ(res->Header("X-AMZN-REQUESTID"), "req-1");
  }
  EXPECT_EQ(requests_.load(), 5);
  EXPECT_EQ(client->connections_opened(), 1);
}

TEST_F(CurlHttpClientTest, ConcurrentCallersEachReuseAPooledConnection) {
  auto client = Client(TrustingOptions());
  constexpr int kThreads = 4, kEach = 15;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const std::string body = std::to_string(t) + "-" + std::to_string(i);
        auto res = client->Send({"POST", Url("/echo"), {}, body});
        if (res.ok() && res->body == "method=POST target= body=" + body) ++ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), kThreads * kEach);
  EXPECT_EQ(requests_.load(), kThreads * kEach);
  EXPECT_LE(client->connections_opened(), kThreads);
}

TEST_F(CurlHttpClientTest, UntrustedCertificateIsRejected) {
  auto client = Client({});  // system store: does not know our self-signed certificate
  auto res = client->Send({"POST", Url("/echo"), {}, "{}"});
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().code(), Code::kFailedPrecondition);
  EXPECT_THAT(res.status().message(), HasSubstr("could not be verified"));
  EXPECT_EQ(requests_.load(), 0);
}

TEST_F(CurlHttpClientTest, HostNameMismatchIsRejected) {
  auto client = Client(TrustingOptions());
  // The certificate names localhost only.
  auto res = client->Send({"POST", Url("/echo", "127.0.0.1"), {}, "{}"});
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().code(), Code::kFailedPrecondition) << res.status().detail();
}

TEST_F(CurlHttpClientTest, HttpErrorStatusIsAResponseNotATransportError) {
  auto client = Client(TrustingOptions());
  auto res = client->Send({"POST", Url("/status"), {}, ""});
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->status, 503);
  EXPECT_EQ(res->body, "busy");
}

TEST_F(CurlHttpClientTest, ResponseLargerThanTheCapFails) {
  auto options = TrustingOptions();
  options.max_response_bytes = 1000;
  auto client = Client(options);
  auto res = client->Send({"GET", Url("/big"), {}, ""});
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().code(), Code::kResourceExhausted);
  options.max_response_bytes = 200000;
  auto ok = Client(options)->Send({"GET", Url("/big"), {}, ""});
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->body.size(), 100000u);
}

TEST_F(CurlHttpClientTest, RefusedConnectionIsUnavailable) {
  const int port = testing::ClosedPort();
  auto client = Client(TrustingOptions());
  auto res = client->Send({"POST", "https://127.0.0.1:" + std::to_string(port) + "/", {}, ""});
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().code(), Code::kUnavailable);
}

TEST_F(CurlHttpClientTest, NonHttpUrlIsRejected) {
  auto client = Client(TrustingOptions());
  auto res = client->Send({"GET", "file:///etc/passwd", {}, ""});
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().code(), Code::kInvalidArgument);
}

TEST_F(CurlHttpClientTest, TotalTimeoutIsReported) {
  std::atomic<bool> release{false};
  auto owned = std::make_unique<httplib::Server>();
  // Holds the response until the client has given up (bounded, so the test always ends).
  owned->Get("/slow", [&](const httplib::Request&, httplib::Response& res) {
    for (int i = 0; i < 500 && !release.load(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    res.set_content("late", "text/plain");
  });
  ServerThread slow(std::move(owned));
  CurlHttpClient::Options options;
  options.total_timeout = std::chrono::milliseconds(200);
  auto res = Client(options)->Send(
      {"GET", "http://127.0.0.1:" + std::to_string(slow.port()) + "/slow", {}, ""});
  release = true;
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().code(), Code::kTimeout);
}

TEST_F(CurlHttpClientTest, DebugOutputNeverContainsCredentials) {
  auto sink = std::make_shared<MemoryLogSink>();
  SystemClock clock;
  auto options = TrustingOptions();
  options.debug_logger = std::make_shared<Logger>(sink, LogLevel::kDebug, clock);
  auto client = Client(options);
  const std::string secret_sig = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  HttpRequest req{"POST",
                  Url("/echo?X-Amz-Signature=" + secret_sig + "&X-Amz-Security-Token=TOKENSECRET"),
                  {{"Authorization", "AWS4-HMAC-SHA256 Credential=AKID/x, Signature=" + secret_sig},
                   {"X-Amz-Security-Token", "TOKENSECRET"},
                   {"X-Amz-Target", "Svc.Op"}},
                  "BODYSECRET"};
  ASSERT_TRUE(client->Send(req).ok());
  const auto lines = sink->lines();
  ASSERT_FALSE(lines.empty());
  std::string all;
  for (const auto& l : lines) all += l + "\n";
  EXPECT_THAT(all, HasSubstr("X-Amz-Target: Svc.Op"));
  EXPECT_THAT(all, HasSubstr("Authorization: ***"));
  EXPECT_THAT(all, Not(HasSubstr(secret_sig)));
  EXPECT_THAT(all, Not(HasSubstr("TOKENSECRET")));
  EXPECT_THAT(all, Not(HasSubstr("BODYSECRET")));
}

// Sets environment variables for the scope of a test and restores them after.
class ScopedEnv {
 public:
  ScopedEnv(std::initializer_list<std::pair<const char*, const char*>> vars) {
    for (const auto& [k, v] : vars) {
      const char* old = std::getenv(k);
      saved_.emplace_back(k, old ? std::optional<std::string>(old) : std::nullopt);
      setenv(k, v, 1);
    }
  }
  ~ScopedEnv() {
    for (const auto& [k, v] : saved_) {
      if (v)
        setenv(k.c_str(), v->c_str(), 1);
      else
        unsetenv(k.c_str());
    }
  }

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

// Regression: the transport sent http:// requests to any host. It now refuses before any
// connection is made (nothing reaches the server or a proxy).
TEST_F(CurlHttpClientTest, PlainHttpToANonLoopbackHostIsRefusedBeforeConnecting) {
  std::atomic<int> proxied{0};
  auto proxy = std::make_unique<httplib::Server>();
  proxy->Get(".*", [&](const httplib::Request&, httplib::Response& res) {
    ++proxied;
    res.set_content("via proxy", "text/plain");
  });
  ServerThread proxy_thread(std::move(proxy));
  const std::string proxy_url = "http://127.0.0.1:" + std::to_string(proxy_thread.port());
  ScopedEnv env({{"http_proxy", proxy_url.c_str()}, {"no_proxy", ""}, {"NO_PROXY", ""}});
  auto res = Client({})->Send({"GET", "http://aws-endpoint.invalid/x", {}, ""});
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(res.status().message(), HasSubstr("refusing plain http://"));
  EXPECT_EQ(proxied.load(), 0);
}

// Proxies still come from the standard variables: an https request goes through the proxy as a
// CONNECT tunnel (here refused by the proxy, which is enough to see that it was used).
TEST_F(CurlHttpClientTest, ProxyEnvironmentVariablesAreHonoured) {
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 1), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  std::string first_line;
  std::thread proxy([&] {
    const int conn = ::accept(listener, nullptr, nullptr);
    if (conn < 0) return;
    std::string in;
    char buf[1024];
    while (in.find("\r\n\r\n") == std::string::npos) {
      const ssize_t n = ::recv(conn, buf, sizeof buf, 0);
      if (n <= 0) break;
      in.append(buf, static_cast<size_t>(n));
    }
    first_line = in.substr(0, in.find("\r\n"));
    const std::string reply = "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n";
    (void)::send(conn, reply.data(), reply.size(), MSG_NOSIGNAL);
    ::close(conn);
  });
  const std::string proxy_url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  ScopedEnv env({{"https_proxy", proxy_url.c_str()},
                 {"HTTPS_PROXY", proxy_url.c_str()},
                 {"no_proxy", ""},
                 {"NO_PROXY", ""}});
  auto res = Client({})->Send({"GET", "https://aws-endpoint.invalid/x", {}, ""});
  proxy.join();
  ::close(listener);
  EXPECT_FALSE(res.ok());
  EXPECT_EQ(first_line, "CONNECT aws-endpoint.invalid:443 HTTP/1.1");
}

}  // namespace
}  // namespace schemaport::aws
