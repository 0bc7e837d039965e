// The HTTPS plumbing: cpp-httplib over TLS, routing, authentication, errors, headers, logging.
#include "server/server.h"

#include <httplib.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "server/api.h"
#include "server/json_body.h"
#include "server/tls.h"
#include "service/service.h"

namespace schemaport::server {

namespace {

using internal::Access;
using internal::Call;
using internal::Reply;
using internal::Route;

// Scripts and styles only from this origin (no inline script), no framing, no plugins.
constexpr const char* kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";

bool IsStateChanging(std::string_view method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> out;
  std::size_t pos = 1;
  while (pos <= path.size()) {
    const std::size_t next = path.find('/', pos);
    const std::size_t end = next == std::string_view::npos ? path.size() : next;
    out.emplace_back(path.substr(pos, end - pos));
    if (next == std::string_view::npos) break;
    pos = next + 1;
  }
  return out;
}

// The value of cookie `name` in a Cookie header, or "".
std::string_view CookieValue(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const std::size_t semi = header.find(';');
    std::string_view part = header.substr(0, semi);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    const std::size_t eq = part.find('=');
    if (eq != std::string_view::npos && part.substr(0, eq) == name) return part.substr(eq + 1);
    if (semi == std::string_view::npos) break;
    header.remove_prefix(semi + 1);
  }
  return {};
}

struct Match {
  const Route* route = nullptr;
  std::vector<std::string> params;
  bool path_known = false;  // some route has this path (with another method)
};

}  // namespace

struct Server::Impl {
  service::Service& service;
  Options options;
  std::shared_ptr<Logger> logger;
  Clock& clock;
  Random& random;
  std::shared_ptr<Metrics> metrics;
  std::vector<Route> routes;
  std::unique_ptr<httplib::SSLServer> http;
  std::thread thread;
  int port = 0;
  std::mutex mu;
  std::condition_variable stopped_cv;
  bool stopped = false;
  std::size_t payload_limit = 0;

  Impl(service::Service& s, Options o, std::shared_ptr<Logger> l, Clock& c, Random& r,
       std::shared_ptr<Metrics> m)
      : service(s),
        options(std::move(o)),
        logger(std::move(l)),
        clock(c),
        random(r),
        metrics(std::move(m)) {
    if (!metrics) metrics = std::make_shared<Metrics>();
    routes = internal::ApiRoutes(service, clock);
    for (auto& route : routes) route.segments = SplitPath(route.pattern);
  }

  Match Find(std::string_view method, std::string_view path) const {
    Match m;
    const std::vector<std::string> parts = SplitPath(path);
    for (const auto& route : routes) {
      if (route.segments.size() != parts.size()) continue;
      std::vector<std::string> params;
      bool ok = true;
      for (std::size_t i = 0; i < parts.size() && ok; ++i) {
        const std::string& seg = route.segments[i];
        if (!seg.empty() && seg.front() == '{') {
          ok = !parts[i].empty();
          params.push_back(parts[i]);
        } else {
          ok = seg == parts[i];
        }
      }
      if (!ok) continue;
      m.path_known = true;
      if (route.method == method || (method == "HEAD" && route.method == "GET")) {
        m.route = &route;
        m.params = std::move(params);
        return m;
      }
    }
    return m;
  }

  std::string ClientAddress(const httplib::Request& req) const {
    if (options.trust_forwarded_for) {
      const std::string xff = req.get_header_value("X-Forwarded-For");
      if (!xff.empty()) {
        std::string first = xff.substr(0, xff.find(','));
        first.erase(std::remove(first.begin(), first.end(), ' '), first.end());
        if (!first.empty()) return first;
      }
    }
    return req.remote_addr;
  }

  void WriteError(httplib::Response& res, const std::string& request_id, int status,
                  std::string_view code, std::string_view message) {
    res.status = status;
    res.set_content(internal::ErrorBody(code, message, request_id), "application/json");
  }

  void WriteStatus(httplib::Response& res, const std::string& request_id, const Status& status) {
    WriteError(res, request_id, internal::HttpStatus(status.code()), CodeName(status.code()),
               status.message());
  }

  void Finish(const httplib::Request& req, httplib::Response& res, const std::string& request_id,
              std::string_view route, std::chrono::steady_clock::time_point start,
              const Status* error, const std::string& user_id) {
    res.set_header("X-Request-Id", request_id);
    const auto latency = clock.Monotonic() - start;
    metrics->RecordRequest(req.method, route, res.status, latency);
    if (logger) {
      const double ms = std::chrono::duration<double, std::milli>(latency).count();
      const LogLevel level = res.status >= 500 ? LogLevel::kError : LogLevel::kInfo;
      if (error != nullptr && !error->ok()) {
        logger->Log(level, "request",
                    {{"request_id", request_id},
                     {"method", req.method},
                     {"route", route},
                     {"status", res.status},
                     {"latency_ms", ms},
                     {"user_id", user_id},
                     {"error", error->ToString()},
                     {"detail", error->detail()}});
      } else {
        logger->Log(level, "request",
                    {{"request_id", request_id},
                     {"method", req.method},
                     {"route", route},
                     {"status", res.status},
                     {"latency_ms", ms},
                     {"user_id", user_id}});
      }
    }
  }

  // Authenticates `call` for `method`; the error is the answer to send.
  Status Authenticate(const httplib::Request& req, std::string_view method, Call& call,
                      Secret& session_token, bool& stale_cookie) {
    const std::string authorization = req.get_header_value("Authorization");
    if (!authorization.empty()) {
      constexpr std::string_view kBearer = "Bearer ";
      if (authorization.size() <= kBearer.size() ||
          authorization.compare(0, kBearer.size(), kBearer) != 0) {
        return Unauthenticated("Authorization: expected \"Bearer <API token>\"");
      }
      const Secret token(authorization.substr(kBearer.size()));
      call.who = SP_TRY(service.AuthenticateApiToken(token));
      return Status::Ok();
    }
    const std::string cookie_header = req.get_header_value("Cookie");
    const std::string_view cookie = CookieValue(cookie_header, internal::kSessionCookie);
    if (cookie.empty()) {
      return Unauthenticated(
          "authentication required: log in, or send an API token as \"Authorization: Bearer\"");
    }
    session_token = Secret(std::string(cookie));
    auto principal = service.AuthenticateSession(session_token);
    if (!principal.ok()) {
      stale_cookie = true;
      return principal.status();
    }
    call.who = std::move(principal).value();
    call.session_token = &session_token;
    if (IsStateChanging(method)) {
      const std::string csrf = req.get_header_value("X-CSRF-Token");
      if (csrf.empty() || !service.CheckCsrf(session_token, csrf)) {
        return PermissionDenied("X-CSRF-Token: missing or not this session's CSRF token");
      }
    }
    return Status::Ok();
  }

  void HandleApi(const httplib::Request& req, httplib::Response& res, const std::string& request_id,
                 std::chrono::steady_clock::time_point start) {
    const std::string& method = req.method;
    const Match match = Find(method, req.path);
    if (match.route == nullptr) {
      const Status status = match.path_known ? Status(Code::kInvalidArgument,
                                                      "method " + method + " is not allowed here")
                                             : NotFound("no such API route");
      WriteStatus(res, request_id, status);
      if (match.path_known) res.status = 405;
      Finish(req, res, request_id, match.path_known ? "(method not allowed)" : "(unknown)", start,
             &status, "");
      return;
    }
    const Route& route = *match.route;
    Call call;
    call.method = method;
    call.params = match.params;
    call.query = &req.params;
    call.address = ClientAddress(req);
    Secret session_token;
    Status status;
    Reply reply;
    const std::size_t limit =
        route.max_body_bytes != 0 ? route.max_body_bytes : options.max_body_bytes;
    if (req.body.size() > limit) {
      WriteError(res, request_id, 413, "payload_too_large",
                 fmt::format("request body: larger than the limit of {} bytes", limit));
      const Status too_large(Code::kInvalidArgument, "request body too large");
      Finish(req, res, request_id, route.pattern, start, &too_large, "");
      return;
    }
    bool stale_cookie = false;  // a session cookie the service no longer knows: cleared
    if (route.access == Access::kAuthenticated) {
      status = Authenticate(req, method, call, session_token, stale_cookie);
    }
    if (status.ok() && !req.body.empty()) {
      const std::string content_type = req.get_header_value("Content-Type");
      if (content_type.rfind("application/json", 0) != 0) {
        status = InvalidArgument("Content-Type: expected application/json");
      }
    }
    if (status.ok()) {
      call.body = req.body;
      Result<Reply> result = route.handler(call);
      if (result.ok()) {
        reply = std::move(result).value();
      } else {
        status = result.status();
      }
    }
    const std::string user_id = call.who ? call.who->user_id : "";
    if (!status.ok()) {
      WriteStatus(res, request_id, status);
      if (stale_cookie) {
        res.set_header("Set-Cookie", internal::ClearSessionCookie());
      }
      Finish(req, res, request_id, route.pattern, start, &status, user_id);
      return;
    }
    res.status = reply.status;
    for (auto& [k, v] : reply.headers) res.set_header(k, v);
    if (!reply.body.empty()) res.set_content(std::move(reply.body), reply.content_type);
    Finish(req, res, request_id, route.pattern, start, nullptr, user_id);
  }

  void HandleMetrics(const httplib::Request& req, httplib::Response& res,
                     const std::string& request_id, std::chrono::steady_clock::time_point start) {
    if (!options.metrics_token.empty()) {
      const Secret expected("Bearer " + options.metrics_token);
      const Secret given(req.get_header_value("Authorization"));
      if (!expected.Equals(given)) {
        const Status status =
            Unauthenticated("metrics: send \"Authorization: Bearer <metrics token>\"");
        WriteStatus(res, request_id, status);
        Finish(req, res, request_id, "/metrics", start, &status, "");
        return;
      }
    }
    std::string jobs;
    auto counts = service.JobCounts();
    if (counts.ok()) {
      jobs +=
          "# HELP schemaport_jobs Jobs in the store, by kind and state.\n# TYPE schemaport_jobs "
          "gauge\n";
      for (const auto& c : *counts) {
        jobs += fmt::format("schemaport_jobs{{kind=\"{}\",state=\"{}\"}} {}\n", c.kind,
                            store::JobStateName(c.state), c.count);
      }
    }
    res.status = 200;
    res.set_content(metrics->Render(jobs), "text/plain; version=0.0.4; charset=utf-8");
    Finish(req, res, request_id, "/metrics", start, counts.ok() ? nullptr : &counts.status(), "");
  }

  void HandleAsset(const httplib::Request& req, httplib::Response& res,
                   const std::string& request_id, std::chrono::steady_clock::time_point start) {
    std::optional<StaticAsset> asset;
    if (options.assets) {
      asset = options.assets(req.path);
      if (!asset) asset = options.assets("/index.html");
    }
    if (!asset) {
      const Status status = NotFound("no such page");
      WriteStatus(res, request_id, status);
      Finish(req, res, request_id, "(static)", start, &status, "");
      return;
    }
    res.set_header("Cache-Control",
                   asset->immutable ? "public, max-age=31536000, immutable" : "no-cache");
    if (!asset->etag.empty()) {
      res.set_header("ETag", std::string(asset->etag));
      if (req.get_header_value("If-None-Match") == asset->etag) {
        res.status = 304;
        Finish(req, res, request_id, "(static)", start, nullptr, "");
        return;
      }
    }
    res.status = 200;
    // cpp-httplib compresses text bodies itself when the client accepts gzip or br.
    res.set_content(std::string(asset->body), std::string(asset->content_type));
    Finish(req, res, request_id, "(static)", start, nullptr, "");
  }

  void Handle(const httplib::Request& req, httplib::Response& res) {
    const auto start = clock.Monotonic();
    const std::string request_id = NewId(random);
    const std::string_view path = req.path;
    if (path == "/metrics" && (req.method == "GET" || req.method == "HEAD")) {
      res.set_header("Cache-Control", "no-store");
      HandleMetrics(req, res, request_id, start);
    } else if (path.rfind("/api/", 0) == 0 || path == "/api" || path == "/healthz" ||
               path == "/metrics" || (req.method != "GET" && req.method != "HEAD")) {
      res.set_header("Cache-Control", "no-store");
      HandleApi(req, res, request_id, start);
    } else {
      HandleAsset(req, res, request_id, start);
    }
  }

  // Answers what httplib rejected before routing (413, 400 for a bad request line, ...).
  httplib::Server::HandlerResponse HandleError(const httplib::Request& req,
                                               httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    const auto start = clock.Monotonic();
    const std::string request_id = NewId(random);
    res.set_header("Cache-Control", "no-store");
    if (res.status == 413) {
      WriteError(
          res, request_id, 413, "payload_too_large",
          fmt::format("request body: larger than the limit of {} bytes", options.max_body_bytes));
    } else if (res.status == 404 || res.status == 405) {
      WriteError(res, request_id, res.status, "not_found", "no such route");
    } else if (res.status >= 500) {
      WriteError(res, request_id, res.status, "internal", "internal error");
    } else {
      WriteError(res, request_id, res.status, "invalid_argument", "malformed HTTP request");
    }
    const Status status(Code::kInvalidArgument, "rejected before routing");
    Finish(req, res, request_id, "(rejected)", start, &status, "");
    return httplib::Server::HandlerResponse::Handled;
  }
};

Server::Server(service::Service& service, Options options, std::shared_ptr<Logger> logger,
               Clock& clock, Random& random, std::shared_ptr<Metrics> metrics)
    : impl_(std::make_unique<Impl>(service, std::move(options), std::move(logger), clock, random,
                                   std::move(metrics))) {}

Server::~Server() {
  Stop();
}

Status Server::Start() {
  Impl& im = *impl_;
  if (im.http) return FailedPrecondition("the server is already started");
  Status tls = Status::Ok();
  im.http = std::make_unique<httplib::SSLServer>([&](SSL_CTX& ctx) {
    tls = internal::ConfigureSslContext(&ctx, im.options.certificate);
    return tls.ok();
  });
  if (!im.http->is_valid()) {
    im.http.reset();
    return tls.ok() ? Internal("could not set up TLS") : tls;
  }
  const int threads = std::max(2, im.options.threads);
  im.http->new_task_queue = [threads] {
    return new httplib::ThreadPool(static_cast<std::size_t>(threads));
  };
  im.http->set_tcp_nodelay(true);
  im.http->set_read_timeout(im.options.read_timeout);
  im.http->set_write_timeout(im.options.write_timeout);
  im.http->set_keep_alive_timeout(static_cast<time_t>(im.options.keep_alive_timeout.count()));
  im.http->set_keep_alive_max_count(im.options.keep_alive_max_requests);
  // httplib rejects anything over the largest route limit before reading it; each route
  // enforces its own (smaller) limit after.
  im.payload_limit = im.options.max_body_bytes;
  for (const auto& r : im.routes) im.payload_limit = std::max(im.payload_limit, r.max_body_bytes);
  im.http->set_payload_max_length(im.payload_limit);
  im.http->set_post_routing_handler([](const httplib::Request&, httplib::Response& res) {
    res.set_header("Content-Security-Policy", kContentSecurityPolicy);
    res.set_header("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("Referrer-Policy", "no-referrer");
    res.set_header("X-Frame-Options", "DENY");
    res.set_header("Cross-Origin-Opener-Policy", "same-origin");
  });
  im.http->set_error_handler(httplib::Server::HandlerWithResponse(
      [&im](const httplib::Request& req, httplib::Response& res) {
        return im.HandleError(req, res);
      }));
  im.http->set_exception_handler(
      [&im](const httplib::Request& req, httplib::Response& res, std::exception_ptr) {
        const auto start = im.clock.Monotonic();
        const std::string request_id = NewId(im.random);
        im.WriteError(res, request_id, 500, "internal", "internal error");
        const Status status = Internal("internal error", "exception in a handler");
        im.Finish(req, res, request_id, "(exception)", start, &status, "");
      });
  auto handler = [&im](const httplib::Request& req, httplib::Response& res) {
    im.Handle(req, res);
  };
  im.http->Get(".*", handler);
  im.http->Post(".*", handler);
  im.http->Put(".*", handler);
  im.http->Patch(".*", handler);
  im.http->Delete(".*", handler);
  im.http->Options(".*", handler);

  if (im.options.port == 0) {
    im.port = im.http->bind_to_any_port(im.options.host);
  } else {
    im.port = im.http->bind_to_port(im.options.host, im.options.port) ? im.options.port : -1;
  }
  if (im.port <= 0) {
    im.http.reset();
    return Unavailable(
        fmt::format("could not listen on {}:{} (address in use, or not an address of this machine)",
                    im.options.host, im.options.port));
  }
  {
    std::lock_guard lock(im.mu);
    im.stopped = false;
  }
  im.thread = std::thread([&im] { im.http->listen_after_bind(); });
  return Status::Ok();
}

void Server::Stop() {
  Impl& im = *impl_;
  if (im.http) {
    im.http->stop();
    if (im.thread.joinable()) im.thread.join();
    im.http.reset();
  }
  {
    std::lock_guard lock(im.mu);
    im.stopped = true;
  }
  im.stopped_cv.notify_all();
}

void Server::Wait() {
  std::unique_lock lock(impl_->mu);
  impl_->stopped_cv.wait(lock, [&] { return impl_->stopped; });
}

int Server::port() const {
  return impl_->port;
}

std::string Server::url() const {
  const std::string& host = impl_->options.host;
  const bool v6 = host.find(':') != std::string::npos;
  return fmt::format("https://{}{}{}:{}/", v6 ? "[" : "", host, v6 ? "]" : "", impl_->port);
}

Metrics& Server::metrics() {
  return *impl_->metrics;
}

}  // namespace schemaport::server
