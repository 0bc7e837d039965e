// The server's parts that need no service: the TLS certificate, strict JSON bodies, metrics.
#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>

#include "server/api.h"
#include "server/json_body.h"
#include "server/server.h"
#include "server/tls.h"

namespace schemaport::server {
namespace {

namespace fs = std::filesystem;
using internal::JsonBody;

class TempDirectory {
 public:
  TempDirectory() {
    char tmpl[] = "/tmp/server-test-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDirectory() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

TEST(CertificateTest, SelfSignedP256WithSansAndPrivateKeyFile) {
  TempDirectory dir;
  SystemClock clock;
  CertificateOptions options;
  options.data_dir = dir.path();
  options.host_names = {"schemaport.example", "127.0.0.1", "::1"};
  auto paths = PrepareCertificate(options, clock);
  ASSERT_TRUE(paths.ok()) << paths.status();
  EXPECT_TRUE(paths->generated);
  struct stat st {};
  ASSERT_EQ(::stat(paths->key_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  FILE* f = std::fopen(paths->cert_file.c_str(), "r");
  ASSERT_NE(f, nullptr);
  X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  ASSERT_NE(cert, nullptr);
  EVP_PKEY* key = X509_get0_pubkey(cert);
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(EVP_PKEY_get_base_id(key), EVP_PKEY_EC);
  char group[64] = {};
  size_t len = 0;
  ASSERT_EQ(EVP_PKEY_get_group_name(key, group, sizeof group, &len), 1);
  EXPECT_STREQ(group, "prime256v1");
  EXPECT_EQ(X509_check_host(cert, "schemaport.example", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(cert, "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(cert, "::1", 0), 1);
  EXPECT_NE(X509_check_host(cert, "other.example", 0, 0, nullptr), 1);
  X509_free(cert);

  // The key and certificate load into a TLS 1.2+ context.
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  EXPECT_TRUE(internal::ConfigureSslContext(ctx, *paths).ok());
  EXPECT_EQ(SSL_CTX_get_min_proto_version(ctx), TLS1_2_VERSION);
  SSL_CTX_free(ctx);

  // A second start reuses them.
  auto again = PrepareCertificate(options, clock);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->generated);
  EXPECT_EQ(again->cert_file, paths->cert_file);
}

TEST(CertificateTest, ConfiguredPairIsUsedAndHalfAPairIsRefused) {
  SystemClock clock;
  CertificateOptions options;
  options.cert_file = "/etc/site/cert.pem";
  options.key_file = "/etc/site/key.pem";
  auto paths = PrepareCertificate(options, clock);
  ASSERT_TRUE(paths.ok());
  EXPECT_EQ(paths->cert_file, "/etc/site/cert.pem");
  EXPECT_FALSE(paths->generated);
  options.key_file.clear();
  EXPECT_EQ(PrepareCertificate(options, clock).status().code(), Code::kInvalidArgument);
}

TEST(CertificateTest, MismatchedKeyIsRefusedByName) {
  TempDirectory a, b;
  SystemClock clock;
  CertificateOptions options;
  options.data_dir = a.path();
  auto pa = PrepareCertificate(options, clock);
  options.data_dir = b.path();
  auto pb = PrepareCertificate(options, clock);
  ASSERT_TRUE(pa.ok() && pb.ok());
  CertificatePaths mixed{pa->cert_file, pb->key_file, false};
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  const Status st = internal::ConfigureSslContext(ctx, mixed);
  SSL_CTX_free(ctx);
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_NE(st.message().find("does not match"), std::string::npos) << st;
}

TEST(JsonBodyTest, MalformedJsonNamesTheByte) {
  auto body = JsonBody::Parse("{\"a\": ", false);
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.status().code(), Code::kInvalidArgument);
  EXPECT_NE(body.status().message().find("malformed JSON at byte"), std::string::npos);
  EXPECT_FALSE(JsonBody::Parse("[1]", false).ok());
  EXPECT_FALSE(JsonBody::Parse("", false).ok());
  EXPECT_TRUE(JsonBody::Parse("  ", true).ok());
  // Invalid UTF-8 inside a string is malformed JSON.
  EXPECT_FALSE(JsonBody::Parse("{\"a\":\"\xff\"}", false).ok());
}

TEST(JsonBodyTest, UnknownFieldsAndWrongTypesNameTheField) {
  auto body = JsonBody::Parse(
      R"({"name": 1, "extra\"é": true, "tables": [{"database": "d", "schema": 2}]})", false);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(body->Only({"name", "tables"}).message(), "extra\"é: unknown field");
  EXPECT_EQ(body->String("name").status().message(), "name: expected a string, got a number");
  EXPECT_EQ(body->String("missing").status().message(), "missing: is required");
  auto tables = body->ObjectArray("tables", 10);
  ASSERT_TRUE(tables.ok());
  EXPECT_EQ((*tables)[0].String("schema").status().message(),
            "tables[0].schema: expected a string, got a number");
  EXPECT_EQ((*tables)[0].String("table").status().message(), "tables[0].table: is required");
  EXPECT_EQ(body->ObjectArray("tables", 0).status().message(), "tables: at most 0 items");
}

TEST(JsonBodyTest, NullableStringIsRequiredAndAStringOrNull) {
  auto body = JsonBody::Parse(R"({"decision": null, "role": "fact", "n": 1})", false);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(body->NullableString("decision").value(), std::nullopt);
  EXPECT_EQ(body->NullableString("role").value(), "fact");
  EXPECT_EQ(body->NullableString("n").status().message(),
            "n: expected a string or null, got a number");
  EXPECT_EQ(body->NullableString("missing").status().message(), "missing: is required");
}

TEST(JsonBodyTest, IntegersAreRangeChecked) {
  auto body = JsonBody::Parse(R"({"a": 5, "b": 1.5, "c": 99999999999999999999, "d": "7"})", false);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(*body->OptInt("a", 1, 10).value(), 5);
  EXPECT_FALSE(body->OptInt("a", 6, 10).ok());
  EXPECT_FALSE(body->OptInt("b", 1, 10).ok());
  EXPECT_FALSE(body->OptInt("c", 1, 10).ok());
  EXPECT_FALSE(body->OptInt("d", 1, 10).ok());
  EXPECT_FALSE(body->OptInt("none", 1, 10).value().has_value());
}

// The saved-table reply is written directly (JsonText); it must be exactly what nlohmann's
// Dump() writes for the same value, escapes included, and fall back to it for non-ASCII text.
TEST(JsonTextTest, SavedTableBodyEqualsTheDumpOfItsJsonValue) {
  service::SavedTableDetail d;
  d.table.id = "tbl-1";
  d.table.database = "dev";
  d.table.schema = "sales \"q\" \\ back";
  d.table.name = "tab\tnew\nline\x01\x1f\x7f end";
  d.table.kind = "view";
  d.table.comment = "";
  d.table.column_count = 3;
  d.table.saved_at = Clock::TimePoint(std::chrono::seconds(1764700000));
  d.table.mark = service::Mark::kChanged;
  for (int i = 0; i < 3; ++i) {
    service::SavedColumnView c;
    c.name = "col_" + std::to_string(i);
    c.type = i == 0 ? "numeric(12,2)" : "character varying(256)";
    c.family = i == 0 ? warehouse::TypeFamily::kDecimal : warehouse::TypeFamily::kOther;
    c.position = i + 1;
    c.nullable = i != 0;
    if (i == 1) c.comment = "the \"key\"\r\b\f";
    c.mark = i == 0 ? service::Mark::kNew : i == 1 ? service::Mark::kRemoved : service::Mark::kNone;
    d.columns.push_back(c);
  }
  d.removed_columns = {"gone", "also \"gone\""};
  EXPECT_EQ(internal::SavedTableDetailBody(d), internal::Dump(internal::SavedTableDetailJson(d)));

  d.removed_columns.clear();
  d.columns.clear();
  d.table.comment.reset();
  d.table.mark = service::Mark::kNone;
  EXPECT_EQ(internal::SavedTableDetailBody(d), internal::Dump(internal::SavedTableDetailJson(d)));

  // Not ASCII: valid UTF-8 as it is, invalid bytes replaced, both by Dump().
  d.table.name = "caf\xc3\xa9";
  EXPECT_EQ(internal::SavedTableDetailBody(d), internal::Dump(internal::SavedTableDetailJson(d)));
  d.table.name = "bad\xff";
  const std::string body = internal::SavedTableDetailBody(d);
  EXPECT_EQ(body, internal::Dump(internal::SavedTableDetailJson(d)));
  EXPECT_TRUE(nlohmann::json::accept(body));
}

TEST(MetricsTest, RendersRouteTemplatesHistogramsAndDataApiCalls) {
  Metrics m;
  m.RecordRequest("GET", "/api/v1/jobs/{id}", 200, std::chrono::milliseconds(3));
  m.RecordRequest("GET", "/api/v1/jobs/{id}", 200, std::chrono::milliseconds(30));
  m.RecordRequest("GET", "/api/v1/jobs/{id}", 404, std::chrono::milliseconds(1));
  m.RecordDataApiCall("ExecuteStatement", "ok");
  m.RecordDataApiCall("ExecuteStatement", "throttled");
  const std::string text = m.Render("# extra\n");
  EXPECT_NE(text.find("schemaport_http_requests_total{method=\"GET\",route=\"/api/v1/jobs/"
                      "{id}\",status=\"200\"} 2"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("schemaport_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/"
                      "v1/jobs/{id}\","
                      "le=\"0.005\"} 2"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("le=\"+Inf\"} 3"), std::string::npos) << text;
  EXPECT_NE(text.find("schemaport_data_api_calls_total{operation=\"ExecuteStatement\",outcome="
                      "\"throttled\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("# extra\n"), std::string::npos);
}

TEST(OpenApiTest, TheDocumentIsEmbedded) {
  EXPECT_NE(OpenApiYaml().find("openapi: 3.1.0"), std::string_view::npos);
  EXPECT_NE(OpenApiYaml().find("/api/v1/connections/{id}/metadata/selection"),
            std::string_view::npos);
}

}  // namespace
}  // namespace schemaport::server
