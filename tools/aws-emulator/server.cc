#include "server.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <cctype>
#include <ctime>
#include <iostream>

#include "auth.h"
#include "aws/internal.h"
#include "catalog_objects.h"
#include "faults.h"
#include "iam.h"
#include "services.h"
#include "statements.h"

namespace schemaport::emulator {
namespace {

using nlohmann::json;

constexpr int kCatalogVersion = 4;

struct ServiceInfo {
  const char* signing_name;
  const char* xml_namespace;  // query services only
};

std::string HttpDate(Clock::TimePoint t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

std::string FormDecode(std::string_view s) {
  std::string plus;
  for (char c : s) plus += c == '+' ? ' ' : c;
  return aws::sigv4::PercentDecode(plus);
}

std::map<std::string, std::string> ParseForm(std::string_view body) {
  std::map<std::string, std::string> out;
  std::size_t pos = 0;
  while (pos <= body.size()) {
    std::size_t amp = body.find('&', pos);
    if (amp == std::string_view::npos) amp = body.size();
    std::string_view pair = body.substr(pos, amp - pos);
    if (!pair.empty()) {
      std::size_t eq = pair.find('=');
      out[FormDecode(pair.substr(0, eq))] =
          eq == std::string_view::npos ? "" : FormDecode(pair.substr(eq + 1));
    }
    pos = amp + 1;
  }
  return out;
}

// Shuts down the TCP connection a request arrived on, so the client gets no reply at all.
// httplib does not expose the socket; it is found among the process's descriptors by its
// local and remote ports.
void DropConnection(const httplib::Request& req) {
  DIR* dir = opendir("/proc/self/fd");
  if (!dir) return;
  while (dirent* e = readdir(dir)) {
    int fd = std::atoi(e->d_name);
    if (fd <= 2) continue;
    sockaddr_storage local{}, remote{};
    socklen_t ll = sizeof(local), rl = sizeof(remote);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &ll) != 0) continue;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&remote), &rl) != 0) continue;
    auto port_of = [](const sockaddr_storage& a) -> int {
      if (a.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&a)->sin_port);
      if (a.ss_family == AF_INET6)
        return ntohs(reinterpret_cast<const sockaddr_in6*>(&a)->sin6_port);
      return -1;
    };
    if (port_of(local) == req.local_port && port_of(remote) == req.remote_port) {
      shutdown(fd, SHUT_RDWR);
      break;
    }
  }
  closedir(dir);
}

json FaultSpecJson(const FaultSpec& s) {
  return {{"latency_ms", s.latency_ms},        {"jitter_ms", s.jitter_ms}, {"throttle", s.throttle},
          {"error_500", s.error_500},          {"error_503", s.error_503}, {"drop", s.drop},
          {"statement_fail", s.statement_fail}};
}

Status FaultSpecFromJson(const json& j, FaultSpec& spec) {
  if (!j.is_object()) return InvalidArgument("a fault spec must be an object");
  for (const auto& [k, v] : j.items()) {
    if (!v.is_number()) return InvalidArgument(fmt::format("{}: must be a number", k));
    SP_TRY(ApplyFaultField(spec, k, v.get<double>()));
  }
  return Status::Ok();
}

// The injected clock shifted by an offset the admin endpoint sets (tests use it to move past
// the expiry of temporary credentials without waiting).
// "Parameters[0].name" -> "parameters.0.name" style used in AWS validation messages: members in
// lowerCamelCase.
std::string AwsPath(std::string_view path) {
  std::string out;
  bool start = true;
  for (char c : path) {
    if (start && std::isupper(static_cast<unsigned char>(c))) {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else {
      out += c;
    }
    start = c == '.' || c == '[';
  }
  return out;
}

// Form parameters of an awsQuery request as JSON typed by the operation's top-level input
// members (nested list/structure parameters are not interpreted).
json QueryInputJson(const aws::ServiceModel& model, const std::string& op,
                    const std::map<std::string, std::string>& form) {
  json in = json::object();
  const json& doc = model.document();
  const json& operations = doc.at("operations");
  auto o = operations.find(op);
  if (o == operations.end() || !o->contains("input")) return in;
  const json& shapes = doc.at("shapes");
  const json& shape = shapes.at(o->at("input").at("shape").get<std::string>());
  if (!shape.contains("members")) return in;
  for (const auto& [name, member] : shape.at("members").items()) {
    auto it = form.find(name);
    if (it == form.end()) continue;
    std::string type = shapes.at(member.at("shape").get<std::string>()).value("type", "string");
    if (type == "integer" || type == "long") {
      if (const auto n = ParseInt64(it->second)) {
        in[name] = *n;
      } else {
        in[name] = it->second;  // the model validation then names the field
      }
    } else if (type == "boolean") {
      in[name] = it->second == "true";
    } else if (type == "string" || type == "timestamp") {
      in[name] = it->second;
    }
  }
  return in;
}

class OffsetClock final : public Clock {
 public:
  explicit OffsetClock(const Clock& base) : base_(base) {}
  TimePoint Now() const override { return base_.Now() + std::chrono::seconds(offset_.load()); }
  std::chrono::steady_clock::time_point Monotonic() const override { return base_.Monotonic(); }
  void SleepFor(std::chrono::nanoseconds) override {}
  void SetOffset(std::int64_t seconds) { offset_ = seconds; }
  std::int64_t offset() const { return offset_.load(); }

 private:
  const Clock& base_;
  std::atomic<std::int64_t> offset_{0};
};

}  // namespace

struct Emulator::Impl {
  Impl(EmulatorConfig c, const Clock& clk)
      : config(std::move(c)),
        clock(clk),
        seeded(config.seed),
        iam(config, clock, ids),
        secrets(config, clock, seeded),
        faults(config.faults, config.seed),
        quotas(config.limits.rates_per_second, clock),
        statement_log(config.server.statement_log),
        pg(config.postgres, ids),
        engine(config, clock, ids, pg, statement_log, faults),
        ctx{config, clock, ids, iam, secrets, engine, pg, statement_log} {}

  Status InstallCatalogObjects();
  Status LoadModels();
  // The operation's input problems as the service's validation error, or nullopt when valid.
  std::optional<ApiError> Validate(const std::string& service, const std::string& op,
                                   const json& input, bool json_protocol);
  void Handle(const httplib::Request& req, httplib::Response& res);
  void Reply(httplib::Response& res, const std::string& op, bool json_protocol,
             const ServiceInfo& info, const std::string& request_id,
             const std::variant<std::string, ApiError>& reply);
  void SetupAdmin();

  EmulatorConfig config;
  OffsetClock clock;
  SystemRandom ids;
  SeededRandom seeded;
  Iam iam;
  SecretsStore secrets;
  FaultInjector faults;
  RequestQuotas quotas;
  Counters counters;
  StatementLog statement_log;
  PgAccess pg;
  StatementEngine engine;
  ServiceContext ctx;

  // Service models (botocore, embedded in schemaport_aws) by signing name: inputs are validated
  // against them before an operation runs, as the services do.
  std::map<std::string, aws::ServiceModel> models;

  std::unique_ptr<httplib::Server> server;
  httplib::Server admin;
  std::thread server_thread, admin_thread;
  int port = 0, admin_port = 0;
  std::mutex stop_mu;
  bool stopped = false;
};

Status Emulator::Impl::InstallCatalogObjects() {
  std::set<std::string> databases;
  for (const auto* list : {&config.workgroups, &config.clusters}) {
    for (const WarehouseConfig& w : *list) {
      for (const auto& [name, pgdb] : w.databases) databases.insert(pgdb);
    }
  }
  for (const std::string& db : databases) {
    auto conn = pg.ConnectSuperuser(db);
    if (!conn.ok()) {
      return Unavailable(fmt::format("cannot connect to PostgreSQL database {} as {}: {}", db,
                                     config.postgres.superuser, conn.status().message()));
    }
    PgConn& c = **conn;
    auto version = c.Exec(
        "SELECT pg_catalog.obj_description(p.oid, 'pg_proc') FROM pg_catalog.pg_proc p "
        "JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace "
        "WHERE n.nspname = 'pg_catalog' AND p.proname = 'pg_get_late_binding_view_cols'");
    std::string marker = fmt::format("aws-emulator catalog objects v{}", kCatalogVersion);
    if (version.ok() && version->rows() == 1 && version->Get(0, 0) == marker) continue;
    SP_TRY(c.Run("BEGIN"));
    SP_TRY(c.Run("SELECT pg_advisory_xact_lock(7275616)"));
    Status installed = c.RunScript(kCatalogObjectsSql);
    if (installed.ok()) {
      installed = c.Run(fmt::format(
          "COMMENT ON FUNCTION pg_catalog.pg_get_late_binding_view_cols() IS '{}'", marker));
    }
    if (!installed.ok()) {
      (void)c.Run("ROLLBACK");
      return installed.WithContext(fmt::format("installing Redshift catalog objects into {}", db));
    }
    SP_TRY(c.Run("COMMIT"));
  }
  return Status::Ok();
}

Status Emulator::Impl::LoadModels() {
  for (const char* name :
       {"redshift-data", "redshift-serverless", "secretsmanager", "sts", "redshift"}) {
    auto model = aws::EmbeddedModel(name);
    if (!model.ok()) return model.status().WithContext(fmt::format("loading the {} model", name));
    models.emplace(name, std::move(model.value()));
  }
  return Status::Ok();
}

std::optional<ApiError> Emulator::Impl::Validate(const std::string& service, const std::string& op,
                                                 const json& input, bool json_protocol) {
  auto m = models.find(service);
  if (m == models.end()) return std::nullopt;
  if (!m->second.HasOperation(op)) {
    if (json_protocol) return ApiError{400, "UnknownOperationException", ""};
    return ApiError{400, "InvalidAction",
                    fmt::format("Could not find operation {} for version {}", op,
                                m->second.document()["metadata"].value("apiVersion", ""))};
  }
  std::vector<aws::ValidationIssue> issues = m->second.CheckInput(op, input);
  if (issues.empty()) return std::nullopt;
  std::string text =
      fmt::format("{} validation error{} detected: ", issues.size(), issues.size() > 1 ? "s" : "");
  for (std::size_t i = 0; i < issues.size(); ++i) {
    if (i) text += "; ";
    text += fmt::format("Value at '{}' failed to satisfy constraint: Member {}",
                        AwsPath(issues[i].path), issues[i].message);
  }
  return ApiError{400, json_protocol ? "ValidationException" : "ValidationError", text};
}

void Emulator::Impl::Reply(httplib::Response& res, const std::string& op, bool json_protocol,
                           const ServiceInfo& info, const std::string& request_id,
                           const std::variant<std::string, ApiError>& reply) {
  if (const ApiError* e = std::get_if<ApiError>(&reply)) {
    counters.Add(op, e->code);
    res.status = e->http_status;
    if (json_protocol) {
      json body = e->extra.is_object() ? e->extra : json::object();
      body["__type"] = e->code;
      body["message"] = e->message;
      res.set_header("x-amzn-ErrorType", e->code);
      res.set_content(body.dump(), "application/x-amz-json-1.1");
    } else {
      res.set_content(
          fmt::format("<ErrorResponse xmlns=\"{}\"><Error><Type>{}</Type><Code>{}</Code>"
                      "<Message>{}</Message></Error><RequestId>{}</RequestId></ErrorResponse>",
                      info.xml_namespace, e->sender ? "Sender" : "Receiver", XmlEscape(e->code),
                      XmlEscape(e->message), request_id),
          "text/xml");
    }
    return;
  }
  counters.Add(op, "ok");
  res.status = 200;
  const std::string& body = std::get<std::string>(reply);
  if (json_protocol) {
    res.set_content(body, "application/x-amz-json-1.1");
  } else {
    res.set_content(
        fmt::format("<{0}Response xmlns=\"{1}\"><{0}Result>{2}</{0}Result><ResponseMetadata>"
                    "<RequestId>{3}</RequestId></ResponseMetadata></{0}Response>",
                    op, info.xml_namespace, body, request_id),
        "text/xml");
  }
}

void Emulator::Impl::Handle(const httplib::Request& req, httplib::Response& res) {
  std::string request_id = NewUuid(ids);
  res.set_header("x-amzn-RequestId", request_id);
  res.set_header("Date", HttpDate(clock.Now()));

  static const std::map<std::string, ServiceInfo, std::less<>> kJsonServices = {
      {"RedshiftData", {"redshift-data", ""}},
      {"RedshiftServerless", {"redshift-serverless", ""}},
      {"secretsmanager", {"secretsmanager", ""}},
  };
  static const ServiceInfo kSts{"sts", "https://sts.amazonaws.com/doc/2011-06-15/"};
  static const ServiceInfo kRedshift{"redshift", "http://redshift.amazonaws.com/doc/2012-12-01/"};

  std::string target = req.get_header_value("X-Amz-Target");
  bool json_protocol = !target.empty();
  std::string op;
  ServiceInfo info{"", ""};
  std::map<std::string, std::string> form;
  if (json_protocol) {
    std::size_t dot = target.find('.');
    auto it =
        dot == std::string::npos ? kJsonServices.end() : kJsonServices.find(target.substr(0, dot));
    if (it == kJsonServices.end()) {
      Reply(res, target, true, info, request_id, ApiError{400, "UnknownOperationException", ""});
      return;
    }
    info = it->second;
    op = target.substr(dot + 1);
  } else {
    form = ParseForm(req.body);
    op = form["Action"];
    // The service comes from the credential scope; without one, from the action's name.
    std::string scope_service;
    if (auto auth = aws::sigv4::ParseAuthorization(req.get_header_value("Authorization"));
        auth.ok()) {
      scope_service = auth->service;
    }
    bool sts = scope_service == "sts" ||
               (scope_service.empty() && (op == "GetCallerIdentity" || op == "AssumeRole"));
    info = sts ? kSts : kRedshift;
    if (op.empty()) {
      Reply(res, "(none)", false, info, request_id,
            ApiError{400, "MissingAction", "Missing Action", json::object()});
      return;
    }
  }

  FaultInjector::Decision fault = faults.ForCall(op);
  if (fault.latency.count() > 0) std::this_thread::sleep_for(fault.latency);
  switch (fault.action) {
    case FaultInjector::Action::kNone: break;
    case FaultInjector::Action::kThrottle:
      Reply(res, op, json_protocol, info, request_id,
            ApiError{400, json_protocol ? "ThrottlingException" : "Throttling", "Rate exceeded"});
      return;
    case FaultInjector::Action::kError500: {
      ApiError e{500,
                 json_protocol ? (std::string(info.signing_name) == "secretsmanager"
                                      ? "InternalServiceError"
                                      : "InternalServerException")
                               : "InternalFailure",
                 "We encountered an internal error. Please try again."};
      e.sender = false;
      Reply(res, op, json_protocol, info, request_id, e);
      return;
    }
    case FaultInjector::Action::kError503: {
      ApiError e{503, json_protocol ? "ServiceUnavailableException" : "ServiceUnavailable",
                 "Service Unavailable"};
      e.sender = false;
      Reply(res, op, json_protocol, info, request_id, e);
      return;
    }
    case FaultInjector::Action::kDrop:
      counters.Add(op, "dropped");
      DropConnection(req);
      res.status = 500;
      return;
  }

  aws::sigv4::Request sreq;
  sreq.method = req.method;
  std::size_t q = req.target.find('?');
  sreq.path = req.target.substr(0, q);
  sreq.query = q == std::string::npos ? "" : req.target.substr(q + 1);
  for (const auto& [k, v] : req.headers) sreq.headers.emplace_back(k, v);
  sreq.body = req.body;
  auto verified =
      VerifySigV4(sreq, iam, clock, std::chrono::seconds(config.limits.clock_skew_seconds));
  if (const AuthFailure* f = std::get_if<AuthFailure>(&verified)) {
    using K = AuthFailure::Kind;
    ApiError e;
    e.message = f->message;
    switch (f->kind) {
      case K::kMissing:
        e = json_protocol ? ApiError{400, "MissingAuthenticationTokenException", f->message}
                          : ApiError{403, "MissingAuthenticationToken",
                                     "Request is missing Authentication Token"};
        break;
      case K::kMalformed:
        e = json_protocol ? ApiError{400, "IncompleteSignatureException", f->message}
                          : ApiError{400, "IncompleteSignature", f->message};
        break;
      case K::kUnknownKey:
        e = json_protocol ? ApiError{400, "UnrecognizedClientException", f->message}
                          : ApiError{403, "InvalidClientTokenId", f->message};
        break;
      case K::kBadSignature:
      case K::kSignatureExpired:
        e = json_protocol ? ApiError{400, "InvalidSignatureException", f->message}
                          : ApiError{403, "SignatureDoesNotMatch", f->message};
        break;
      case K::kExpiredToken:
        e = json_protocol ? ApiError{400, "ExpiredTokenException", f->message}
                          : ApiError{400, "ExpiredToken", f->message};
        break;
    }
    Reply(res, op, json_protocol, info, request_id, e);
    return;
  }
  const VerifiedRequest& v = std::get<VerifiedRequest>(verified);
  if (v.service != info.signing_name) {
    Reply(res, op, json_protocol, info, request_id,
          ApiError{json_protocol ? 400 : 403,
                   json_protocol ? "InvalidSignatureException" : "SignatureDoesNotMatch",
                   fmt::format("Credential should be scoped to correct service: '{}'. ",
                               info.signing_name)});
    return;
  }
  if (v.region != config.region) {
    Reply(res, op, json_protocol, info, request_id,
          ApiError{json_protocol ? 400 : 403,
                   json_protocol ? "InvalidSignatureException" : "SignatureDoesNotMatch",
                   fmt::format("Credential should be scoped to a valid region. ")});
    return;
  }

  // Request quotas are per account and Region: every identity of the account draws from them.
  if (std::string(info.signing_name) == "redshift-data" && !quotas.TryAcquire(op)) {
    Reply(res, op, json_protocol, info, request_id,
          ApiError{400, "ThrottlingException", "Rate exceeded"});
    return;
  }

  if (json_protocol) {
    json in = req.body.empty() ? json::object() : json::parse(req.body, nullptr, false);
    if (in.is_discarded()) {
      Reply(res, op, true, info, request_id,
            ApiError{400, "SerializationException", "Malformed JSON request body."});
      return;
    }
    std::string svc = info.signing_name;
    if (auto invalid = Validate(svc, op, in, true)) {
      Reply(res, op, true, info, request_id, *invalid);
      return;
    }
    JsonReply out;
    if (svc == "redshift-data") {
      out = HandleDataApi(ctx, v.identity, op, in);
    } else if (svc == "secretsmanager") {
      out = HandleSecretsManager(ctx, v.identity, op, in);
    } else {
      out = HandleRedshiftServerless(ctx, v.identity, op, in);
    }
    if (auto* e = std::get_if<ApiError>(&out)) {
      Reply(res, op, true, info, request_id, *e);
    } else {
      Reply(res, op, true, info, request_id,
            std::get<json>(out).dump(-1, ' ', false, json::error_handler_t::replace));
    }
    return;
  }
  if (auto invalid = Validate(info.signing_name, op,
                              QueryInputJson(models.at(info.signing_name), op, form), false)) {
    Reply(res, op, false, info, request_id, *invalid);
    return;
  }
  XmlReply out = std::string(info.signing_name) == "sts"
                     ? HandleSts(ctx, v.identity, op, form)
                     : HandleRedshift(ctx, v.identity, op, form);
  if (auto* e = std::get_if<ApiError>(&out)) {
    Reply(res, op, false, info, request_id, *e);
  } else {
    Reply(res, op, false, info, request_id, std::get<std::string>(out));
  }
}

void Emulator::Impl::SetupAdmin() {
  auto send_json = [](httplib::Response& res, const json& j, int status = 200) {
    res.status = status;
    res.set_content(j.dump(2, ' ', false, json::error_handler_t::replace) + "\n",
                    "application/json");
  };
  admin.Get("/healthz", [send_json](const httplib::Request&, httplib::Response& res) {
    send_json(res, {{"status", "ok"}});
  });
  // Request quotas (operation -> calls per second; 0 or absent: unlimited). PUT replaces them.
  admin.Get("/quotas", [this, send_json](const httplib::Request&, httplib::Response& res) {
    send_json(res, {{"rates_per_second", quotas.Get()}});
  });
  admin.Put("/quotas", [this, send_json](const httplib::Request& req, httplib::Response& res) {
    json in = json::parse(req.body, nullptr, false);
    if (!in.is_object() || !in.contains("rates_per_second") ||
        !in["rates_per_second"].is_object()) {
      send_json(res, {{"error", "body must be {\"rates_per_second\": {\"Operation\": rate, ...}}"}},
                400);
      return;
    }
    std::map<std::string, double> rates;
    for (const auto& [op, v] : in["rates_per_second"].items()) {
      if (!v.is_number() || v.get<double>() < 0) {
        send_json(res, {{"error", fmt::format("rate of {} must be a number >= 0", op)}}, 400);
        return;
      }
      rates[op] = v.get<double>();
    }
    quotas.Set(std::move(rates));
    send_json(res, {{"status", "ok"}});
  });
  admin.Get("/faults", [this, send_json](const httplib::Request&, httplib::Response& res) {
    FaultsConfig f = faults.Get();
    json ops = json::object();
    for (const auto& [op, spec] : f.operations) ops[op] = FaultSpecJson(spec);
    send_json(res, {{"global", FaultSpecJson(f.global)}, {"operations", ops}});
  });
  auto put_faults = [this, send_json](const httplib::Request& req, httplib::Response& res) {
    json in = json::parse(req.body, nullptr, false);
    if (!in.is_object()) {
      send_json(res, {{"error", "body must be a JSON object"}}, 400);
      return;
    }
    FaultsConfig f;
    Status s;
    for (const auto& [k, v] : in.items()) {
      if (k == "global") {
        s = FaultSpecFromJson(v, f.global);
      } else if (k == "operations" && v.is_object()) {
        for (const auto& [op, spec] : v.items()) {
          FaultSpec fs;
          s = FaultSpecFromJson(spec, fs);
          if (!s.ok()) break;
          f.operations[op] = fs;
        }
      } else if (k == "seed" && v.is_number_unsigned()) {
        continue;
      } else {
        s = InvalidArgument(fmt::format("unknown key \"{}\"", k));
      }
      if (!s.ok()) break;
    }
    if (!s.ok()) {
      send_json(res, {{"error", s.message()}}, 400);
      return;
    }
    faults.Set(f);
    if (in.contains("seed")) faults.Reseed(in["seed"].get<std::uint64_t>());
    send_json(res, {{"status", "ok"}});
  };
  admin.Put("/faults", put_faults);
  admin.Post("/faults", put_faults);
  admin.Get("/clock", [this, send_json](const httplib::Request&, httplib::Response& res) {
    send_json(res, {{"now", FormatIso8601(clock.Now())}, {"offset_seconds", clock.offset()}});
  });
  admin.Put("/clock", [this, send_json](const httplib::Request& req, httplib::Response& res) {
    json in = json::parse(req.body, nullptr, false);
    if (!in.is_object() || !in.value("offset_seconds", json()).is_number_integer()) {
      send_json(res, {{"error", "body must be {\"offset_seconds\": <integer>}"}}, 400);
      return;
    }
    clock.SetOffset(in["offset_seconds"].get<std::int64_t>());
    send_json(res, {{"now", FormatIso8601(clock.Now())}, {"offset_seconds", clock.offset()}});
  });
  admin.Get("/statements", [this, send_json](const httplib::Request&, httplib::Response& res) {
    send_json(res, {{"statements", statement_log.ToJson()}});
  });
  admin.Delete("/statements", [this, send_json](const httplib::Request&, httplib::Response& res) {
    statement_log.Clear();
    send_json(res, {{"status", "ok"}});
  });
  admin.Get("/counters", [this, send_json](const httplib::Request&, httplib::Response& res) {
    send_json(res, {{"counters", counters.ToJson()}});
  });
  admin.Delete("/counters", [this, send_json](const httplib::Request&, httplib::Response& res) {
    counters.Reset();
    send_json(res, {{"status", "ok"}});
  });
}

Emulator::Emulator(EmulatorConfig config, const Clock& clock)
    : impl_(std::make_unique<Impl>(std::move(config), clock)) {}

Emulator::~Emulator() {
  Stop();
}

int Emulator::port() const {
  return impl_->port;
}
int Emulator::admin_port() const {
  return impl_->admin_port;
}

Status Emulator::Start() {
  Impl& m = *impl_;
  SP_TRY(m.LoadModels());
  SP_TRY(m.InstallCatalogObjects());
  if (!m.config.server.tls_cert.empty()) {
    auto ssl = std::make_unique<httplib::SSLServer>(m.config.server.tls_cert.c_str(),
                                                    m.config.server.tls_key.c_str());
    if (!ssl->is_valid()) {
      return InvalidArgument(fmt::format("cannot load the TLS certificate {} and key {}",
                                         m.config.server.tls_cert, m.config.server.tls_key));
    }
    m.server = std::move(ssl);
  } else {
    m.server = std::make_unique<httplib::Server>();
  }
  m.server->new_task_queue = [] { return new httplib::ThreadPool(64); };
  m.server->set_tcp_nodelay(true);
  m.server->set_payload_max_length(16 * 1024 * 1024);
  m.server->set_read_timeout(60, 0);
  m.server->set_write_timeout(60, 0);
  m.server->set_keep_alive_max_count(1000);
  auto handler = [&m](const httplib::Request& req, httplib::Response& res) {
    // The adapter boundary: no exception (e.g. from JSON handling) leaves as a dropped reply.
    try {
      m.Handle(req, res);
    } catch (const std::exception& e) {
      std::cerr << json{{"event", "internal_error"}, {"path", req.path}, {"what", e.what()}}.dump()
                << std::endl;
      res.status = 500;
      res.set_header("x-amzn-ErrorType", "InternalFailure");
      res.set_content(R"({"__type":"InternalFailure","message":"An internal error occurred."})",
                      "application/x-amz-json-1.1");
    }
  };
  m.server->Post(".*", handler);
  m.server->Get(".*", handler);
  m.SetupAdmin();
  m.admin.set_tcp_nodelay(true);

  const std::string& host = m.config.server.host;
  if (m.config.server.port == 0) {
    m.port = m.server->bind_to_any_port(host);
  } else {
    m.port = m.server->bind_to_port(host, m.config.server.port) ? m.config.server.port : -1;
  }
  if (m.port <= 0)
    return Unavailable(fmt::format("cannot listen on {}:{}", host, m.config.server.port));
  if (m.config.server.admin_port == 0) {
    m.admin_port = m.admin.bind_to_any_port(host);
  } else {
    m.admin_port =
        m.admin.bind_to_port(host, m.config.server.admin_port) ? m.config.server.admin_port : -1;
  }
  if (m.admin_port <= 0) {
    return Unavailable(
        fmt::format("cannot listen on {}:{} (admin)", host, m.config.server.admin_port));
  }
  m.engine.Start();
  m.server_thread = std::thread([&m] { m.server->listen_after_bind(); });
  m.admin_thread = std::thread([&m] { m.admin.listen_after_bind(); });
  return Status::Ok();
}

void Emulator::Stop() {
  Impl& m = *impl_;
  {
    std::lock_guard<std::mutex> lock(m.stop_mu);
    if (m.stopped) return;
    m.stopped = true;
  }
  // The engine first: it cancels running statements and releases long polls (WaitTimeSeconds),
  // so the HTTP threads finish their requests at once instead of after up to 30 s.
  m.engine.Stop();
  if (m.server) m.server->stop();
  m.admin.stop();
  if (m.server_thread.joinable()) m.server_thread.join();
  if (m.admin_thread.joinable()) m.admin_thread.join();
}

}  // namespace schemaport::emulator
