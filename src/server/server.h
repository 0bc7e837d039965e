// schemaport server: the REST API (docs/api/openapi.yaml) and the portal over HTTPS.
//
//   Server               cpp-httplib over TLS 1.2/1.3: routing, authentication (session cookie +
//                        CSRF header, or Bearer API token), strict JSON bodies, errors with request
//                        ids, security headers, JSON access log lines, Prometheus /metrics, the
//                        portal's static assets. No business logic: every route calls
//                        service::Service, which also decides who may do what.
//   PrepareCertificate   the TLS certificate: a configured cert+key, or a self-signed ECDSA P-256
//                        certificate made on first start under the data dir (key file 0600).
//   Metrics              request, job and Data API counters in the Prometheus text format.
//
// Errors are answered as {"error":{"code","message","request_id"}} with the status of the core
// Code (invalid_argument 400, unauthenticated 401, permission_denied 403, not_found 404,
// already_exists/failed_precondition 409, payload_too_large 413, resource_exhausted 429,
// internal 500, unavailable 503, timeout 504). Nothing this server writes (bodies, headers, log
// lines) ever holds a password, token, cookie, Authorization header or connection secret.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/core.h"

namespace schemaport::service {
class Service;
}

namespace schemaport::server {

// ---------------------------------------------------------------------------------------------
// TLS certificate
// ---------------------------------------------------------------------------------------------

struct CertificateOptions {
  // Both set: use this certificate chain and private key (PEM). Both empty: self-signed.
  std::filesystem::path cert_file;
  std::filesystem::path key_file;
  // Where the self-signed certificate lives (tls/cert.pem and tls/key.pem under it).
  std::filesystem::path data_dir;
  // Subject alternative names of the self-signed certificate: DNS names or IP addresses.
  std::vector<std::string> host_names = {"localhost", "127.0.0.1", "::1"};
  std::chrono::hours validity{24 * 365};
};

struct CertificatePaths {
  std::filesystem::path cert_file;
  std::filesystem::path key_file;
  bool generated = false;  // made by this call
};

// Returns the configured files, or the self-signed pair under data_dir, made (ECDSA P-256,
// SHA-256, SAN = host_names, key file mode 0600, written atomically) when it does not exist yet.
// kInvalidArgument when only one of cert_file/key_file is set or a host name is empty.
Result<CertificatePaths> PrepareCertificate(const CertificateOptions& options, const Clock& clock);

// ---------------------------------------------------------------------------------------------
// Metrics
// ---------------------------------------------------------------------------------------------

// Counters and histograms for /metrics. Thread safety: every method is thread-safe.
class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // One answered request; `route` is the route template ("/api/v1/connections/{id}"), never
  // the raw path.
  void RecordRequest(std::string_view method, std::string_view route, int status,
                     std::chrono::nanoseconds latency);
  // One Data API call: `operation` ("ExecuteStatement"), `outcome` ("ok", "throttled",
  // "client_error", "server_error", "network_error").
  void RecordDataApiCall(std::string_view operation, std::string_view outcome);

  // The text exposition format (0.0.4). `extra` is appended as is (e.g. job gauges).
  std::string Render(std::string_view extra = {}) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// ---------------------------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------------------------

// One static file of the portal.
struct StaticAsset {
  std::string_view content_type;
  std::string_view body;
  std::string_view etag;   // a quoted strong validator; may be empty
  bool immutable = false;  // content-hashed name: cached for a year
};
// Looks up a portal file by its URL path ("/index.html", "/assets/app-1a2b.js"); nullopt when
// there is none. The server answers unknown non-API GET paths with "/index.html" (SPA).
using AssetLookup = std::function<std::optional<StaticAsset>(std::string_view path)>;

struct Options {
  std::string host = "127.0.0.1";
  int port = 8443;  // 0: any free port (see Server::port())
  CertificatePaths certificate;
  std::size_t max_body_bytes = std::size_t{1} << 20;  // larger bodies answer 413
  std::chrono::seconds read_timeout{30};
  std::chrono::seconds write_timeout{30};
  std::chrono::seconds keep_alive_timeout{5};
  std::size_t keep_alive_max_requests = 1000;  // requests on one connection before it closes
  int threads = 16;                            // connection worker threads
  // Trust the first X-Forwarded-For address as the client's (login throttling, audit) only
  // behind a reverse proxy that sets it.
  bool trust_forwarded_for = false;
  AssetLookup assets;         // the portal; null: non-API GET paths answer 404
  std::string metrics_token;  // non-empty: GET /metrics requires "Authorization: Bearer <it>"
};

// The HTTPS server. Construct, Start() (binds and serves on background threads), Stop().
// Thread safety: Start/Stop from one thread; metrics() may be used from any thread.
class Server {
 public:
  // REQUIRES: service, logger and clock outlive the Server. `metrics` may be shared with the
  // runtime's Data API observer; null makes a private one.
  Server(service::Service& service, Options options, std::shared_ptr<Logger> logger, Clock& clock,
         Random& random, std::shared_ptr<Metrics> metrics = nullptr);
  ~Server();  // Stop()s
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Loads the certificate, binds host:port and starts serving. kInvalidArgument for a bad
  // certificate or key, kUnavailable when the address cannot be bound.
  Status Start();
  // Stops accepting, finishes in-flight requests and joins the threads. Idempotent.
  void Stop();
  // Blocks until Stop() is called from another thread (or a signal handler thread).
  void Wait();

  int port() const;         // the bound port (after Start)
  std::string url() const;  // "https://127.0.0.1:PORT/"
  Metrics& metrics();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The OpenAPI document served at /api/v1/openapi.yaml (docs/api/openapi.yaml, embedded).
std::string_view OpenApiYaml();

}  // namespace schemaport::server
